/*
 * pushkey.h - the types every part of the push store shares: what a value
 * is found by, what it holds, the return codes and the compaction
 * predicate.  An interface header with no .c of its own, so that the
 * record format (pushrec.h), the mapping, the index and the compactor can
 * use them without depending on the store above them (pushstore.h).
 */
#ifndef CM_PUSHKEY_H
#define CM_PUSHKEY_H

#include <stdint.h>

#include "labels.h"

#define CM_PUSHSTORE_MAX_CAPACITY (1u << 22)
#define CM_PUSHSTORE_KEY_MAX 640       /* metric, resource, namespace, name and their NULs */

/* What a record is found by.  resource is "" for external series. */
struct cm_push_key {
    const char *metric;
    const char *resource;              /* GroupResource: "pods", "deployments.apps" */
    const char *ns;                    /* "" when not namespaced */
    const char *name;                  /* external series: the labels as k=v,k=v */
};

struct cm_push_value {
    const char *text;                  /* a canonical quantity */
    int64_t timestamp;                 /* unix seconds */
    struct cm_labels labels;           /* sorted by key */
};

/* The first three parts of a key, prepared once for looking up many names. */
struct cm_push_scope {
    char prefix[CM_PUSHSTORE_KEY_MAX];
    size_t len;
    uint64_t hash;
};

/* What cm_pushstore_put() returns (the values of the earlier 0, -1, -2 kept). */
enum {
    CM_PUSHSTORE_OK = 0,
    CM_PUSHSTORE_ERROR = -1,           /* the key or value do not fit, or an I/O error */
    CM_PUSHSTORE_FULL = -2,            /* every record holds a value keep() wants */
    CM_PUSHSTORE_NOSPACE = -3          /* no space left on the state directory's filesystem */
};

/* Decides, when the file is compacted, whether a record is kept. */
typedef int (*cm_pushstore_keep_fn)(const struct cm_push_key *k, int64_t timestamp, void *arg);

#endif
