#include "keyset.h"
#include "alloc.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;                         /* owned; NULL: empty slot */
    size_t n;
    uint64_t hash;
    uint32_t gen;                      /* the generation that last saw or added it */
};

struct cm_keyset {
    struct entry *v;
    size_t cap;                        /* a power of two */
    size_t count;
    uint32_t gen;
};

struct cm_keyset *
cm_keyset_new(void)
{
    struct cm_keyset *s = cm_xcalloc(1, sizeof(*s));

    s->cap = 64;
    s->v = cm_xcalloc(s->cap, sizeof(*s->v));
    s->gen = 1;
    return s;
}

void
cm_keyset_free(struct cm_keyset *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->cap; i++)
        free(s->v[i].key);
    free(s->v);
    free(s);
}

size_t
cm_keyset_count(const struct cm_keyset *s)
{
    return s->count;
}

/* The slot holding the key, or the empty slot where it would go. */
static struct entry *
slot(const struct cm_keyset *s, const char *key, size_t n, uint64_t h)
{
    size_t i = (size_t)h & (s->cap - 1);

    while (s->v[i].key != NULL &&
           !(s->v[i].hash == h && s->v[i].n == n && memcmp(s->v[i].key, key, n) == 0))
        i = (i + 1) & (s->cap - 1);
    return &s->v[i];
}

static void
grow(struct cm_keyset *s)
{
    struct entry *old = s->v;
    size_t oldcap = s->cap, i;

    s->cap *= 2;
    s->v = cm_xcalloc(s->cap, sizeof(*s->v));
    for (i = 0; i < oldcap; i++)
        if (old[i].key != NULL)
            *slot(s, old[i].key, old[i].n, old[i].hash) = old[i];
    free(old);
}

void
cm_keyset_add(struct cm_keyset *s, const char *key, size_t n)
{
    uint64_t h = cm_hash_bytes(key, n);
    struct entry *e = slot(s, key, n, h);

    if (e->key == NULL) {
        if ((s->count + 1) * 4 > s->cap * 3) {
            grow(s);
            e = slot(s, key, n, h);
        }
        e->key = cm_xmalloc(n + 1);
        memcpy(e->key, key, n);
        e->key[n] = '\0';
        e->n = n;
        e->hash = h;
        s->count++;
    }
    e->gen = s->gen;
}

int
cm_keyset_has(const struct cm_keyset *s, const char *key, size_t n)
{
    return slot(s, key, n, cm_hash_bytes(key, n))->key != NULL;
}

void
cm_keyset_begin(struct cm_keyset *s)
{
    s->gen++;
}

size_t
cm_keyset_sweep(struct cm_keyset *s, void (*fn)(const char *key, size_t n, void *arg), void *arg)
{
    struct entry *old = s->v;
    size_t oldcap = s->cap, i, gone = 0;

    /* rebuild without the unmarked keys: linear probing has no cheap delete */
    s->v = cm_xcalloc(s->cap, sizeof(*s->v));
    s->count = 0;
    for (i = 0; i < oldcap; i++) {
        if (old[i].key == NULL)
            continue;
        if (old[i].gen != s->gen) {
            if (fn != NULL)
                fn(old[i].key, old[i].n, arg);
            free(old[i].key);
            gone++;
            continue;
        }
        *slot(s, old[i].key, old[i].n, old[i].hash) = old[i];
        s->count++;
    }
    free(old);
    return gone;
}
