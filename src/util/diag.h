/*
 * diag.h - a list of problems found in an input file, each reported as
 *   FILE:LINE:COLUMN: message
 * with 1-based line and column, the format compilers use and editors jump to.
 * Loaders add every problem they find rather than stopping at the first.
 */
#ifndef CM_DIAG_H
#define CM_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

struct cm_diag {
    struct cm_buf text;    /* the formatted lines, each ending in '\n' */
    size_t count;
};

void cm_diag_init(struct cm_diag *d);
void cm_diag_free(struct cm_diag *d);

/* line and col are 1-based; 0 leaves them out ("FILE: message"). */
void cm_diag_add(struct cm_diag *d, const char *file, size_t line, size_t col,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cm_diag_print(const struct cm_diag *d, FILE *f);

#endif
