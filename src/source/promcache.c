#include "promcache.h"
#include "alloc.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

/* One object's series, in one allocation: this struct, then the series, labels and strings. */
struct entry {
    char *key;                         /* ns NUL name NUL */
    size_t key_len;
    time_t stored;
    struct cm_prom_result series;
};

struct cm_prom_cache {
    int64_t max_age;
    size_t n, cap;                     /* open addressing; cap a power of two */
    struct entry **slot;
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
find(const struct cm_prom_cache *c, const char *key, size_t len)
{
    size_t s;

    for (s = cm_hash_bytes(key, len) & (c->cap - 1); c->slot[s] != NULL; s = (s + 1) & (c->cap - 1))
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
            c->slot[find(c, old[i]->key, old[i]->key_len)] = old[i];
    free(old);
}

/* A copy of the k series at v (k may be 0) for key, in one allocation. */
static struct entry *
make_entry(const char *key, size_t key_len, const struct cm_prom_sample *const *v, size_t k,
           time_t now)
{
    size_t size = sizeof(struct entry) + key_len + k * sizeof(struct cm_prom_sample), i, j;
    struct entry *e;
    char *p;

    for (i = 0; i < k; i++)
        for (j = 0; j < v[i]->labels.n; j++)
            size += sizeof(struct cm_label) + strlen(v[i]->labels.v[j].key) +
                    strlen(v[i]->labels.v[j].value) + 2;
    e = cm_xmalloc(size);
    p = (char *)(e + 1);
    e->series.v = (struct cm_prom_sample *)p;
    e->series.n = k;
    p += k * sizeof(struct cm_prom_sample);
    for (i = 0; i < k; i++) {
        struct cm_label *l = (struct cm_label *)p;

        e->series.v[i] = *v[i];
        e->series.v[i].labels.v = l;
        p += v[i]->labels.n * sizeof(*l);
        for (j = 0; j < v[i]->labels.n; j++) {
            size_t kn = strlen(v[i]->labels.v[j].key) + 1, vn = strlen(v[i]->labels.v[j].value) + 1;

            l[j].key = memcpy(p, v[i]->labels.v[j].key, kn);
            l[j].value = memcpy(p + kn, v[i]->labels.v[j].value, vn);
            p += kn + vn;
        }
    }
    e->key = memcpy(p, key, key_len);
    e->key_len = key_len;
    e->stored = now;
    return e;
}

void
cm_prom_cache_store(struct cm_prom_cache *c, const struct cm_prom_answer *ans, const char *ns,
                    const char *const *names, size_t n, time_t now)
{
    const struct cm_prom_sample *found[64];
    size_t i;

    for (i = 0; i < n; i++) {
        size_t nl = strlen(ns) + 1, len = nl + strlen(names[i]) + 1, k = 0, pos = 0, s;
        const struct cm_prom_sample *x;
        char key[512];

        if (len > sizeof(key))
            continue;
        memcpy(key, ns, nl);
        memcpy(key + nl, names[i], len - nl);
        while (k < 64 && (x = cm_promsrc_find(ans, ns, names[i], &pos)) != NULL)
            found[k++] = x;
        if (4 * (c->n + 1) > c->cap)
            rehash(c, now);
        s = find(c, key, len);
        if (c->slot[s] == NULL)
            c->n++;
        free(c->slot[s]);
        c->slot[s] = make_entry(key, len, found, k, now);
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
    s = find(c, key, len);
    return c->slot[s] != NULL ? &c->slot[s]->series : NULL;
}

size_t
cm_prom_cache_count(const struct cm_prom_cache *c)
{
    return c->n;
}
