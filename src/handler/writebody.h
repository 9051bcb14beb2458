/*
 * writebody.h - what a write sends, decoded into items (writeitem.h): the
 * JSON body (one quantity, or a batch: an array of items) and ?labels=.
 * Pure.  Decoding is strict: one JSON value, no unknown fields, no NUL byte
 * in a name, label or quantity (refused, never cut short).
 */
#ifndef CM_WRITEBODY_H
#define CM_WRITEBODY_H

#include "writeitem.h"

#define CM_WRITE_BATCH_MAX 10000

/*
 * The batch in req's body: a JSON array of at most CM_WRITE_BATCH_MAX items
 * into *out (n in *nout, memory from a).  Returns 0, or -1 with f filled
 * ("item N: ..." for an item's fault).
 */
int cm_write_body_batch(const struct cm_request *req, struct cm_arena *a,
                        struct cm_write_item **out, size_t *nout, struct cm_write_failure *f);

/* The one value in req's body, a JSON quantity ("300m" or 0.3), into it->value. */
int cm_write_body_value(const struct cm_request *req, struct cm_arena *a,
                        struct cm_write_item *it, struct cm_write_failure *f);

/*
 * ?labels=k1=v1,k2=v2 (the test-adapter's form): the n bytes at s into out,
 * sorted and checked with the Kubernetes label rules.
 */
int cm_write_body_labels(const char *s, size_t n, struct cm_arena *a, struct cm_labels *out,
                         struct cm_write_failure *f);

#endif
