#include "pushindex.h"
#include "alloc.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

void
cm_pushindex_init(struct cm_pushindex *idx)
{
    memset(idx, 0, sizeof(*idx));
    cm_arena_init(&idx->keys, 0);
}

static void
bury(struct cm_pushindex *idx, void *mem)
{
    if (mem == NULL)
        return;
    if (idx->ngrave == idx->grave_cap) {
        idx->grave_cap = idx->grave_cap ? 2 * idx->grave_cap : 16;
        idx->grave = cm_xrealloc(idx->grave, idx->grave_cap * sizeof(*idx->grave));
    }
    idx->grave[idx->ngrave++] = mem;
}

void
cm_pushindex_empty_grave(struct cm_pushindex *idx)
{
    while (idx->ngrave > 0)
        free(idx->grave[--idx->ngrave]);
}

void
cm_pushindex_reset(struct cm_pushindex *idx)
{
    uint32_t i;

    for (i = 0; i < idx->n; i++)
        bury(idx, idx->known[i].mem);
    free(idx->known);
    idx->known = NULL;
    idx->nknown = 0;
    cm_arena_reset(&idx->keys);
    free(idx->slots);
    idx->slots = NULL;
    idx->mask = 0;
    idx->n = 0;
    idx->next = 0;
}

void
cm_pushindex_free(struct cm_pushindex *idx)
{
    cm_pushindex_reset(idx);
    cm_pushindex_empty_grave(idx);
    free(idx->grave);
    free(idx->ext);
    cm_arena_free(&idx->keys);
    memset(idx, 0, sizeof(*idx));
}

static void
insert(struct cm_pushindex *idx, uint32_t i)
{
    size_t h;

    for (h = idx->known[i].hash & idx->mask; idx->slots[h] != 0; h = (h + 1) & idx->mask)
        ;
    idx->slots[h] = i + 1;
}

void
cm_pushindex_add(struct cm_pushindex *idx, const struct cm_pushrec *r)
{
    uint32_t i = idx->n++, j;
    char buf[CM_PUSHSTORE_KEY_MAX];
    struct cm_push_key k;
    struct cm_pushindex_entry *kn;

    if (i >= idx->nknown) {
        size_t n = idx->nknown ? 2 * idx->nknown : 256;

        idx->known = cm_xrealloc(idx->known, n * sizeof(*idx->known));
        idx->nknown = n;
    }
    kn = &idx->known[i];
    memset(kn, 0, sizeof(*kn));
    if (cm_pushrec_decode_key(r, buf, &k) < 0)
        return;
    kn->key_len = r->key_len;
    kn->key = memcpy(cm_arena_alloc(&idx->keys, kn->key_len), buf, kn->key_len);
    kn->hash = cm_pushrec_hash_key(buf, kn->key_len);
    if ((size_t)(i + 1) * 2 > idx->mask) {
        size_t size = idx->mask ? 2 * (idx->mask + 1) : 1024;

        free(idx->slots);
        idx->slots = cm_xcalloc(size, sizeof(*idx->slots));
        idx->mask = size - 1;
        for (j = 0; j < i; j++)
            if (idx->known[j].key != NULL)
                insert(idx, j);
    }
    insert(idx, i);
    if (*k.resource == '\0') {
        if (idx->next == idx->ext_cap) {
            idx->ext_cap = idx->ext_cap ? 2 * idx->ext_cap : 16;
            idx->ext = cm_xrealloc(idx->ext, idx->ext_cap * sizeof(*idx->ext));
        }
        idx->ext[idx->next++] = i;
    }
}

long
cm_pushindex_find(const struct cm_pushindex *idx, const char *buf, size_t len)
{
    uint32_t h = cm_pushrec_hash_key(buf, len), at;
    size_t s;

    if (idx->slots == NULL)
        return -1;
    for (s = h & idx->mask; (at = idx->slots[s]) != 0; s = (s + 1) & idx->mask) {
        const struct cm_pushindex_entry *kn = &idx->known[at - 1];

        if (kn->hash == h && kn->key_len == len && memcmp(kn->key, buf, len) == 0)
            return (long)at - 1;
    }
    return -1;
}

long
cm_pushindex_find_in(const struct cm_pushindex *idx, const struct cm_push_scope *sc,
                     const char *name)
{
    size_t nlen = strlen(name) + 1, s;
    uint32_t h = cm_pushrec_hash_combine(sc->hash, cm_hash_bytes(name, nlen)), at;

    if (idx->slots == NULL)
        return -1;
    for (s = h & idx->mask; (at = idx->slots[s]) != 0; s = (s + 1) & idx->mask) {
        const struct cm_pushindex_entry *kn = &idx->known[at - 1];

        if (kn->hash == h && kn->key_len == sc->len + nlen &&
            memcmp(kn->key, sc->prefix, sc->len) == 0 &&
            memcmp(kn->key + sc->len, name, nlen) == 0)
            return (long)at - 1;
    }
    return -1;
}

void
cm_pushindex_forget(struct cm_pushindex *idx, uint32_t i)
{
    idx->known[i].valid = 0;           /* its mem is buried when the value is next read */
}

int
cm_pushindex_value(struct cm_pushindex *idx, uint32_t i, const struct cm_pushrec *r,
                   uint32_t epoch, struct cm_push_value *out)
{
    struct cm_pushindex_entry *d = &idx->known[i];
    struct cm_pushrec_copy c;
    uint32_t version;
    size_t size;

    if (d->valid && d->epoch == epoch) {
        *out = d->v;                   /* nothing was written since it was checked */
        return 1;
    }
    version = __atomic_load_n(&r->version, __ATOMIC_ACQUIRE);
    if (!d->valid || d->writes != version >> 1) {
        if (cm_pushrec_read(r, &c, &version) < 0)
            return 0;
        bury(idx, d->mem);             /* still borrowed by this request's earlier answers */
        size = cm_pushrec_decoded_size(&c);
        d->mem = size ? cm_xmalloc(size) : NULL;
        d->valid = d->mem != NULL && cm_pushrec_decode_value(&c, d->mem, &d->v) == 0;
        d->writes = version >> 1;
        if (!d->valid)
            return 0;
    }
    d->epoch = epoch;
    *out = d->v;
    return 1;
}
