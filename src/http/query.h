/*
 * query.h - decoding a query string the way the kube-apiserver does
 * (Go's url.ParseQuery, then url.Values.Get).
 *
 * Pairs are separated by '&'.  A pair is split at its first '='; a missing
 * '=' means an empty value.  Names and values are form-decoded ('+' is a
 * space).  A pair with a ';' anywhere in it (name or value, before
 * decoding), or with a malformed escape, is skipped and the rest are kept, as
 * Go does.  Empty names are skipped, and so are names that decode to a NUL
 * byte (no parameter has such a name).  When a name repeats, the first value
 * wins.  Values keep their decoded length: a %00 in a value is a NUL byte
 * inside it, never its end, so consumers use value_len (or
 * cm_query_value_is()), not strlen/strcmp.
 */
#ifndef CM_QUERY_H
#define CM_QUERY_H

#include <stddef.h>

#include "arena.h"

#define CM_QUERY_MAX_PAIRS 64

struct cm_query_pair {
    const char *name;     /* decoded, NUL-terminated */
    const char *value;    /* decoded; may contain NUL bytes: see value_len */
    size_t value_len;
};

struct cm_query {
    size_t npairs;
    struct cm_query_pair pair[CM_QUERY_MAX_PAIRS];
    size_t skipped;       /* malformed pairs, skipped as Go skips them */
    int overflow;         /* more than CM_QUERY_MAX_PAIRS pairs: reject the request */
};

/* Decodes n bytes of raw; strings are allocated from a.  Never fails. */
void cm_query_parse(struct cm_query *out, const char *raw, size_t n,
                    struct cm_arena *a);

/* The first pair named name, or NULL (borrowed from q). */
const struct cm_query_pair *cm_query_get(const struct cm_query *q,
                                         const char *name);

/* 1 if p's value is exactly the NUL-terminated text s, all bytes of it. */
int cm_query_value_is(const struct cm_query_pair *p, const char *s);

#endif
