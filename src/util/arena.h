/*
 * arena.h - a bump allocator for memory that dies together.
 *
 * Each worker owns one arena for request-scoped data (decoded URI segments,
 * query values, parsed selectors) and resets it after every request, so the
 * request path never calls free() and cannot leak.  Long-lived structures
 * (the configuration, the object snapshot) use arenas of their own.
 *
 * Memory returned by cm_arena_* is borrowed from the arena: it stays valid
 * until cm_arena_reset() or cm_arena_free().  Allocation aborts on OOM
 * (see alloc.h).
 */
#ifndef CM_ARENA_H
#define CM_ARENA_H

#include <stddef.h>

struct cm_arena_chunk;

struct cm_arena {
    struct cm_arena_chunk *head;   /* current chunk, newest first */
    size_t chunk_size;             /* default size of a new chunk */
    size_t used_total;             /* bytes handed out since the last reset */
};

/* chunk_size 0 means 16 KiB. */
void cm_arena_init(struct cm_arena *a, size_t chunk_size);
/* Frees every chunk; the arena can be reused after cm_arena_init(). */
void cm_arena_free(struct cm_arena *a);
/* Forgets all allocations but keeps the first chunk for reuse. */
void cm_arena_reset(struct cm_arena *a);

/* size bytes aligned for any type. */
void *cm_arena_alloc(struct cm_arena *a, size_t size);
void *cm_arena_zalloc(struct cm_arena *a, size_t size);
/* NUL-terminated copies. */
char *cm_arena_strndup(struct cm_arena *a, const char *s, size_t n);
char *cm_arena_strdup(struct cm_arena *a, const char *s);

#endif
