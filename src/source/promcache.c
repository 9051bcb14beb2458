#include "promcache.h"
#include "alloc.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

/* One object's series, in one allocation: this struct, then the series, labels and strings. */
struct entry {
    char *key;                         /* ns NUL name NUL */
    size_t key_len;
    size_t hash;                       /* of the key: where its probe chain starts */
    time_t stored;
    struct cm_prom_result series;
};

struct cm_prom_cache {
    int64_t max_age;
    size_t n, cap;                     /* open addressing; cap a power of two */
    struct entry **slot;
    time_t full_at;                    /* when it was last found full of fresh entries */
};

struct cm_prom_cache *
cm_prom_cache_new(int64_t max_age)
{
    struct cm_prom_cache *c = cm_xcalloc(1, sizeof(*c));

    c->max_age = max_age;
    return c;
}

void
cm_prom_cache_free(struct cm_prom_cache *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->cap; i++)
        free(c->slot[i]);
    free(c->slot);
    free(c);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
find(const struct cm_prom_cache *c, const char *key, size_t len, size_t hash)
{
    size_t s;

    for (s = hash & (c->cap - 1); c->slot[s] != NULL; s = (s + 1) & (c->cap - 1))
        if (c->slot[s]->key_len == len && memcmp(c->slot[s]->key, key, len) == 0)
            break;
    return s;
}

/* Rebuilds the table at a size fit for its live entries, dropping those past max_age. */
static void
rehash(struct cm_prom_cache *c, time_t now)
{
    struct entry **old = c->slot;
    size_t old_cap = c->cap, i, live = 0, cap = 64;

    for (i = 0; i < old_cap; i++) {
        if (old[i] == NULL)
            continue;
        if ((int64_t)(now - old[i]->stored) > c->max_age) {
            free(old[i]);
            old[i] = NULL;
        } else {
            live++;
        }
    }
    while (cap < 4 * (live + 1))
        cap *= 2;
    c->slot = cm_xcalloc(cap, sizeof(*c->slot));
    c->cap = cap;
    c->n = live;
    for (i = 0; i < old_cap; i++)
        if (old[i] != NULL)
            c->slot[find(c, old[i]->key, old[i]->key_len, old[i]->hash)] = old[i];
    free(old);
}

/*
 * Frees the entry in slot s and closes the gap (linear probing's backward
 * shift), so that every other key's probe chain stays unbroken.
 */
static void
forget(struct cm_prom_cache *c, size_t s)
{
    size_t mask = c->cap - 1, gap = s, j = s, home;

    free(c->slot[s]);
    c->slot[s] = NULL;
    c->n--;
    for (;;) {
        j = (j + 1) & mask;
        if (c->slot[j] == NULL)
            return;
        home = c->slot[j]->hash & mask;
        /* the entry at j may move to the gap unless its home lies in (gap, j] */
        if (gap <= j ? (home > gap && home <= j) : (home > gap || home <= j))
            continue;
        c->slot[gap] = c->slot[j];
        c->slot[j] = NULL;
        gap = j;
    }
}

/* Rounds n up to a multiple of align (a power of two). */
static size_t
align_up(size_t n, size_t align)
{
    return (n + align - 1) & ~(align - 1);
}

/*
 * A copy of the k series at v (k > 0) for key, in one allocation: the
 * series, then for each its label array (aligned for struct cm_label) and
 * strings, then the key.
 */
static struct entry *
make_entry(const char *key, size_t key_len, size_t hash, const struct cm_prom_sample *const *v,
           size_t k, time_t now)
{
    size_t size = align_up(sizeof(struct entry), _Alignof(struct cm_prom_sample)), i, j, at;
    struct entry *e;
    char *base;

    size += k * sizeof(struct cm_prom_sample);
    for (i = 0; i < k; i++) {
        size = align_up(size, _Alignof(struct cm_label)) + v[i]->labels.n * sizeof(struct cm_label);
        for (j = 0; j < v[i]->labels.n; j++)
            size += strlen(v[i]->labels.v[j].key) + strlen(v[i]->labels.v[j].value) + 2;
    }
    size += key_len;
    base = cm_xmalloc(size);
    e = (struct entry *)base;
    at = align_up(sizeof(struct entry), _Alignof(struct cm_prom_sample));
    e->series.v = (struct cm_prom_sample *)(base + at);
    e->series.n = k;
    at += k * sizeof(struct cm_prom_sample);
    for (i = 0; i < k; i++) {
        struct cm_label *l;

        at = align_up(at, _Alignof(struct cm_label));
        l = (struct cm_label *)(base + at);
        e->series.v[i] = *v[i];
        e->series.v[i].labels.v = l;
        at += v[i]->labels.n * sizeof(*l);
        for (j = 0; j < v[i]->labels.n; j++) {
            size_t kn = strlen(v[i]->labels.v[j].key) + 1, vn = strlen(v[i]->labels.v[j].value) + 1;

            l[j].key = memcpy(base + at, v[i]->labels.v[j].key, kn);
            l[j].value = memcpy(base + at + kn, v[i]->labels.v[j].value, vn);
            at += kn + vn;
        }
    }
    e->key = memcpy(base + at, key, key_len);
    e->key_len = key_len;
    e->hash = hash;
    e->stored = now;
    return e;
}

/*
 * Room for one more entry: grows the table, dropping entries past max_age
 * when it does; at CM_PROM_CACHE_MAX, drops them (at most once a second:
 * that scans the whole table) and says whether that made room.
 */
static int
room(struct cm_prom_cache *c, time_t now)
{
    if (c->n >= CM_PROM_CACHE_MAX) {
        if (c->full_at == now)
            return 0;
        rehash(c, now);
        if (c->n >= CM_PROM_CACHE_MAX) {
            c->full_at = now;
            return 0;
        }
    }
    if (4 * (c->n + 1) > c->cap)
        rehash(c, now);
    return 1;
}

/*
 * Each object asked for gets the series the answer has for it; one it has
 * none for is forgotten (it takes no entry: without --objects or a cluster
 * any name is asked for).
 */
void
cm_prom_cache_store(struct cm_prom_cache *c, const struct cm_prom_answer *ans, const char *ns,
                    const char *const *names, size_t n, time_t now)
{
    const struct cm_prom_sample *found[64];
    size_t i;

    for (i = 0; i < n; i++) {
        size_t nl = strlen(ns) + 1, len = nl + strlen(names[i]) + 1, k = 0, pos = 0, s, h;
        const struct cm_prom_sample *x;
        char key[512];

        if (len > sizeof(key))
            continue;
        memcpy(key, ns, nl);
        memcpy(key + nl, names[i], len - nl);
        h = cm_hash_bytes(key, len);
        while (k < 64 && (x = cm_promsrc_find(ans, ns, names[i], &pos)) != NULL)
            found[k++] = x;
        s = c->cap > 0 ? find(c, key, len, h) : 0;
        if (k == 0) {
            if (c->cap > 0 && c->slot[s] != NULL)
                forget(c, s);
            continue;
        }
        if (c->cap == 0 || c->slot[s] == NULL) {
            if (!room(c, now))
                continue;                  /* full of fresh entries: not remembered */
            s = find(c, key, len, h);
            if (c->slot[s] == NULL)
                c->n++;
        }
        free(c->slot[s]);
        c->slot[s] = make_entry(key, len, h, found, k, now);
    }
}

const struct cm_prom_result *
cm_prom_cache_get(const struct cm_prom_cache *c, const char *ns, const char *name)
{
    size_t nl = strlen(ns) + 1, len = nl + strlen(name) + 1, s;
    char key[512];

    if (c->cap == 0 || len > sizeof(key))
        return NULL;
    memcpy(key, ns, nl);
    memcpy(key + nl, name, len - nl);
    s = find(c, key, len, cm_hash_bytes(key, len));
    return c->slot[s] != NULL ? &c->slot[s]->series : NULL;
}

size_t
cm_prom_cache_count(const struct cm_prom_cache *c)
{
    return c->n;
}
