/*
 * keyset.h - the Redis keys a replica has applied, so that a full resync
 * can tell which local values Redis no longer has.  Pure (no I/O): a hash
 * set of byte strings, each marked with the resync generation that last
 * saw it.
 *
 * The replicator adds every key it applies (from a change message or a
 * resync); a resync begins a generation, marks each key SCAN returns, and
 * sweeps the keys it did not mark: those were deleted (or expired) in Redis.
 */
#ifndef CM_KEYSET_H
#define CM_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct cm_keyset;

/* An empty set (owned: cm_keyset_free()). */
struct cm_keyset *cm_keyset_new(void);
void cm_keyset_free(struct cm_keyset *s);

size_t cm_keyset_count(const struct cm_keyset *s);

/*
 * Adds the n bytes at key (copied) if missing, and marks it as present in
 * the current generation (a resync's SCAN returned it, or a change message
 * set it since the generation began).
 */
void cm_keyset_add(struct cm_keyset *s, const char *key, size_t n);

/* 1 if the set holds the key. */
int cm_keyset_has(const struct cm_keyset *s, const char *key, size_t n);

/* Starts a generation: from now on, only keys seen (or added) count as present. */
void cm_keyset_begin(struct cm_keyset *s);

/*
 * Removes every key neither seen nor added since cm_keyset_begin(), calling
 * fn (if not NULL) with each before it goes.  Returns how many went.
 */
size_t cm_keyset_sweep(struct cm_keyset *s, void (*fn)(const char *key, size_t n, void *arg),
                       void *arg);

#endif
