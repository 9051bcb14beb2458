#include "arena.h"
#include "alloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cm_arena_chunk {
    struct cm_arena_chunk *next;
    size_t size;                   /* usable bytes in data[] */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

#define ALIGNMENT alignof(max_align_t)

void
cm_arena_init(struct cm_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 16384;
    a->used_total = 0;
}

void
cm_arena_free(struct cm_arena *a)
{
    struct cm_arena_chunk *c = a->head, *next;

    while (c != NULL) {
        next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

void
cm_arena_reset(struct cm_arena *a)
{
    struct cm_arena_chunk *c, *last = NULL;

    /* Keep the oldest chunk (the tail): it has the default size. */
    for (c = a->head; c != NULL; c = c->next)
        last = c;
    for (c = a->head; c != last;) {
        struct cm_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = last;
    if (last != NULL)
        last->used = 0;
    a->used_total = 0;
}

void *
cm_arena_alloc(struct cm_arena *a, size_t size)
{
    struct cm_arena_chunk *c = a->head;
    size_t need = (size + ALIGNMENT - 1) & ~(ALIGNMENT - 1);
    void *p;

    if (need < size)
        need = size;               /* overflow: let the chunk size fail below */
    if (c == NULL || c->size - c->used < need) {
        size_t csize = need > a->chunk_size ? need : a->chunk_size;

        if (csize > SIZE_MAX - sizeof(*c))
            csize = SIZE_MAX - sizeof(*c);
        c = cm_xmalloc(sizeof(*c) + csize);
        c->size = csize;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    p = c->data + c->used;
    c->used += need;
    a->used_total += need;
    return p;
}

void *
cm_arena_zalloc(struct cm_arena *a, size_t size)
{
    void *p = cm_arena_alloc(a, size);

    memset(p, 0, size);
    return p;
}

char *
cm_arena_strndup(struct cm_arena *a, const char *s, size_t n)
{
    char *p = cm_arena_alloc(a, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
cm_arena_strdup(struct cm_arena *a, const char *s)
{
    return cm_arena_strndup(a, s, strlen(s));
}
