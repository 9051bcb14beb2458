/*
 * selector.h - Kubernetes label selectors (k8s.io/apimachinery/pkg/labels).
 *
 * Grammar: requirements separated by ',', each one of
 *   key  !key  key=v  key==v  key!=v  key in (v1,v2)  key notin (v1,v2)  key>n  key<n
 * Keys must be qualified names and values valid label values; parse errors
 * carry the Go parser's message text.  Requirements are kept sorted by key
 * and set values sorted and de-duplicated, which is the canonical form that
 * cm_selector_format() prints.
 *
 * The input is n bytes, NUL bytes included, read as Go's lexer reads them:
 * a NUL right after an identifier or an operator ends that token and lexing
 * goes on ("a=b\0,c" is a=b,c; "a=b\0c" is refused), while a NUL where a
 * token would start ends the selector ("a=b \0,c" is a=b).  Inside a set, an
 * empty value may stand anywhere: "x in (a,,)" is x in (,a).
 *
 * Matching follows Go: '!=' and 'notin' match objects that lack the key,
 * '>' and '<' compare integers and fail on labels that are not integers.
 */
#ifndef CM_SELECTOR_H
#define CM_SELECTOR_H

#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "labels.h"

#define CM_SELECTOR_MAX_LEN 4096

enum cm_sel_op {
    CM_SEL_EXISTS, CM_SEL_NOT_EXISTS, CM_SEL_EQ, CM_SEL_DEQ, CM_SEL_NEQ,
    CM_SEL_IN, CM_SEL_NOTIN, CM_SEL_GT, CM_SEL_LT,
};

struct cm_requirement {
    const char *key;
    enum cm_sel_op op;
    size_t nvalues;
    const char **values;      /* sorted, unique */
};

struct cm_selector {
    size_t n;                 /* 0 selects everything */
    struct cm_requirement *req;
};

/*
 * Parses the n bytes at s.  Everything is allocated from a.  On error returns
 * -1 and sets *err_out to the message (allocated from a); on success returns 0.
 */
int cm_selector_parse(struct cm_selector *out, const char *s, size_t n,
                      struct cm_arena *a, const char **err_out);

/* 1 if labels satisfy every requirement. */
int cm_selector_matches(const struct cm_selector *sel,
                        const struct cm_labels *labels);

/* Appends the canonical text, e.g. "app=web,tier in (a,b)". */
void cm_selector_format(const struct cm_selector *sel, struct cm_buf *out);

#endif
