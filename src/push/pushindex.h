/*
 * pushindex.h - one process's index of the records of a mapped push store.
 *
 * Keys are immutable once a record is published, so each process copies
 * them once (lookups touch no shared page) into an open-addressing hash
 * table, and keeps the values it decoded, handing them out again while the
 * record's write count is the same; while the store's write count (epoch)
 * has not moved, not even the record's version is read.  Values replaced
 * while a request may still hold them are buried, and freed by
 * cm_pushindex_empty_grave() at the start of the next request.
 */
#ifndef CM_PUSHINDEX_H
#define CM_PUSHINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "pushrec.h"
#include "pushkey.h"

struct cm_pushindex_entry {
    const char *key;                   /* in the index's arena; NULL: a malformed record */
    uint32_t hash;
    uint32_t key_len;
    uint32_t writes;                   /* the record's version >> 1 when decoded */
    uint32_t epoch;                    /* the store's write count when last checked */
    int valid;
    struct cm_push_value v;
    void *mem;                         /* owns v's strings and labels */
};

struct cm_pushindex {
    uint32_t n;                        /* records indexed: 0..n-1 */
    struct cm_pushindex_entry *known;  /* owned, nknown slots */
    size_t nknown;
    uint32_t *slots;                   /* owned: record index + 1, 0 = empty */
    size_t mask;
    uint32_t *ext;                     /* owned: the external series' records, in order */
    size_t next, ext_cap;
    struct cm_arena keys;
    void **grave;                      /* owned: replaced values, freed by empty_grave */
    size_t ngrave, grave_cap;
};

void cm_pushindex_init(struct cm_pushindex *idx);
/* Frees everything, buried values included. */
void cm_pushindex_free(struct cm_pushindex *idx);

/* Forgets every record (for a new file); the values handed out stay valid until empty_grave. */
void cm_pushindex_reset(struct cm_pushindex *idx);

/* Frees the values buried since the last call (none may be borrowed any more). */
void cm_pushindex_empty_grave(struct cm_pushindex *idx);

/* Indexes r (published, its key immutable) as record idx->n. */
void cm_pushindex_add(struct cm_pushindex *idx, const struct cm_pushrec *r);

/* The record whose encoded key is buf[0..len), or -1. */
long cm_pushindex_find(const struct cm_pushindex *idx, const char *buf, size_t len);

/* The record keyed by sc's scope and name, or -1. */
long cm_pushindex_find_in(const struct cm_pushindex *idx, const struct cm_push_scope *sc,
                          const char *name);

/*
 * Forgets the value cached for record i (indexed), which this process has
 * just rewritten: the next cm_pushindex_value() reads the record again,
 * whatever the epoch.  The value handed out before stays valid until
 * empty_grave.
 */
void cm_pushindex_forget(struct cm_pushindex *idx, uint32_t i);

/*
 * The value of record i (indexed), as of store write count epoch: 1 with *out
 * filled (borrowed until the next empty_grave), 0 when it cannot be read.
 */
int cm_pushindex_value(struct cm_pushindex *idx, uint32_t i, const struct cm_pushrec *r,
                       uint32_t epoch, struct cm_push_value *out);

#endif
