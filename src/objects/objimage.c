#include "objimage.h"
#include "alloc.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

/* ---- building ---------------------------------------------------------- */

/* Distinct strings, each stored once: a pool and an open-addressing index. */
#define RECENT 1024

struct pool {
    char *data;
    size_t len, cap;
    uint32_t *slot;            /* offset + 1; 0 is empty */
    size_t nslots, used;
    /* The offsets of recently interned strings by address: label keys and
     * values merged from a previous image are the same few addresses over
     * and over, so most lookups end here without hashing. */
    struct { const char *s; uint32_t off; } recent[RECENT];
};

static void
pool_grow_index(struct pool *p)
{
    size_t n = p->nslots ? p->nslots * 2 : 1024, i;
    uint32_t *slot = cm_xcalloc(n, sizeof(*slot));

    for (i = 0; i < p->nslots; i++) {
        if (p->slot[i] != 0) {
            const char *s = p->data + p->slot[i] - 1;
            size_t k = cm_hash_bytes(s, strlen(s)) & (n - 1);

            while (slot[k] != 0)
                k = (k + 1) & (n - 1);
            slot[k] = p->slot[i];
        }
    }
    free(p->slot);
    p->slot = slot;
    p->nslots = n;
}

/* Appends s without looking for it: for names and uids, which rarely repeat. */
static int64_t
pool_append(struct pool *p, const char *s)
{
    size_t n = strlen(s);
    int64_t off = (int64_t)p->len;

    if (p->len + n + 1 >= UINT32_MAX)
        return -1;
    if (p->len + n + 1 > p->cap) {
        p->cap = p->cap ? p->cap * 2 : 65536;
        while (p->cap < p->len + n + 1)
            p->cap *= 2;
        p->data = cm_xrealloc(p->data, p->cap);
    }
    memcpy(p->data + p->len, s, n + 1);
    p->len += n + 1;
    return off;
}

static int64_t pool_intern_text(struct pool *p, const char *s);

/* The offset of s in the pool, adding it when new; -1 past 4 GiB. */
static int64_t
pool_intern(struct pool *p, const char *s)
{
    size_t r = ((uintptr_t)s >> 3) & (RECENT - 1);
    int64_t off;

    if (p->recent[r].s == s)
        return p->recent[r].off;
    off = pool_intern_text(p, s);
    if (off >= 0) {
        p->recent[r].s = s;
        p->recent[r].off = (uint32_t)off;
    }
    return off;
}

/* pool_intern() by the string's text. */
static int64_t
pool_intern_text(struct pool *p, const char *s)
{
    size_t n = strlen(s), k;
    int64_t off;

    if (2 * (p->used + 1) > p->nslots)
        pool_grow_index(p);
    k = cm_hash_bytes(s, n) & (p->nslots - 1);
    while (p->slot[k] != 0) {
        const char *t = p->data + p->slot[k] - 1;

        if (memcmp(t, s, n + 1) == 0)
            return p->slot[k] - 1;
        k = (k + 1) & (p->nslots - 1);
    }
    off = pool_append(p, s);
    if (off >= 0) {
        p->slot[k] = (uint32_t)off + 1;
        p->used++;
    }
    return off;
}

struct tobj {
    uint32_t ns, name, uid;
    uint32_t first, n;          /* a run of tpair indexes */
};

struct tpair {
    uint32_t key, value;        /* string offsets */
    uint32_t id;                /* a distinct pair's temporary id */
};

/* The sort comparators see the pool through this (qsort has no argument). */
static const char *sort_pool;

static int
cmp_tobj(const void *a, const void *b)
{
    const struct tobj *x = a, *y = b;
    int c = strcmp(sort_pool + x->ns, sort_pool + y->ns);

    return c != 0 ? c : strcmp(sort_pool + x->name, sort_pool + y->name);
}

static int
cmp_distinct(const void *a, const void *b)
{
    const struct tpair *x = a, *y = b;
    int c = strcmp(sort_pool + x->key, sort_pool + y->key);

    return c != 0 ? c : strcmp(sort_pool + x->value, sort_pool + y->value);
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Temporary ids for distinct (key, value) offset pairs. */
static uint32_t
pair_id(uint64_t **table, size_t *nslots, size_t *used, struct tpair **distinct,
        uint32_t key, uint32_t value)
{
    uint64_t want = ((uint64_t)key << 32 | value) + 1, h;
    size_t k;

    if (2 * (*used + 1) > *nslots) {
        size_t n = *nslots ? *nslots * 2 : 1024, i;
        uint64_t *t = cm_xcalloc(n, sizeof(*t) * 2);

        for (i = 0; i < *nslots; i++) {
            if ((*table)[2 * i] == 0)
                continue;
            h = cm_hash_combine((*table)[2 * i], 0) & (n - 1);
            while (t[2 * h] != 0)
                h = (h + 1) & (n - 1);
            t[2 * h] = (*table)[2 * i];
            t[2 * h + 1] = (*table)[2 * i + 1];
        }
        free(*table);
        *table = t;
        *nslots = n;
        *distinct = cm_xrealloc(*distinct, (n / 2) * sizeof(**distinct));
    }
    k = cm_hash_combine(want, 0) & (*nslots - 1);
    while ((*table)[2 * k] != 0) {
        if ((*table)[2 * k] == want)
            return (uint32_t)(*table)[2 * k + 1];
        k = (k + 1) & (*nslots - 1);
    }
    (*table)[2 * k] = want;
    (*table)[2 * k + 1] = *used;
    (*distinct)[*used].key = key;
    (*distinct)[*used].value = value;
    (*distinct)[*used].id = (uint32_t)*used;
    return (uint32_t)(*used)++;
}

/*
 * Sorts objs by (namespace, name).  A rebuilt image lists the previous
 * image's objects first, already in order, then the changes: only the
 * unsorted tail is sorted, and the two runs merged.
 */
static void
sort_objects(struct tobj *objs, size_t n)
{
    struct tobj *out;
    size_t head = 1, a, b, k;

    if (n < 2)
        return;
    while (head < n && cmp_tobj(&objs[head - 1], &objs[head]) <= 0)
        head++;
    if (head == n)
        return;
    if (head < n / 2) {
        qsort(objs, n, sizeof(*objs), cmp_tobj);
        return;
    }
    qsort(objs + head, n - head, sizeof(*objs), cmp_tobj);
    out = cm_xmalloc(n * sizeof(*out));
    for (a = 0, b = head, k = 0; a < head || b < n; k++) {
        if (b == n || (a < head && cmp_tobj(&objs[a], &objs[b]) <= 0))
            out[k] = objs[a++];
        else
            out[k] = objs[b++];
    }
    memcpy(objs, out, n * sizeof(*out));
    free(out);
}

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

int
cm_objimage_build(const struct cm_objimage_entry *entries, size_t n,
                  void **out, size_t *len_out, size_t *dup_out)
{
    struct pool pool = { 0 };
    struct tobj *objs = NULL;
    struct tpair *pairs = NULL, *distinct = NULL;
    uint64_t *ptable = NULL;
    uint32_t *rank = NULL, *fill = NULL;
    size_t npairs_total = 0, ndistinct = 0, nslots = 0, i, k;
    struct cm_objimage_header h;
    char *img = NULL;
    int rc = -1;

    *out = NULL;
    *len_out = 0;
    for (i = 0; i < n; i++)
        npairs_total += entries[i].nlabels;
    if (n >= UINT32_MAX || npairs_total >= UINT32_MAX)
        goto done;
    objs = cm_xmalloc((n ? n : 1) * sizeof(*objs));
    pairs = cm_xmalloc((npairs_total ? npairs_total : 1) * sizeof(*pairs));
    for (i = 0, npairs_total = 0; i < n; i++) {
        const struct cm_objimage_entry *e = &entries[i];
        int64_t ns = pool_intern(&pool, e->ns), name = pool_append(&pool, e->name),
                uid = e->uid && *e->uid ? pool_append(&pool, e->uid) : pool_intern(&pool, "");

        if (ns < 0 || name < 0 || uid < 0)
            goto done;
        objs[i].ns = (uint32_t)ns;
        objs[i].name = (uint32_t)name;
        objs[i].uid = (uint32_t)uid;
        objs[i].first = (uint32_t)npairs_total;
        objs[i].n = (uint32_t)e->nlabels;
        for (k = 0; k < e->nlabels; k++, npairs_total++) {
            int64_t key = pool_intern(&pool, e->labels[k].key),
                    value = pool_intern(&pool, e->labels[k].value);

            if (key < 0 || value < 0)
                goto done;
            pairs[npairs_total].key = (uint32_t)key;
            pairs[npairs_total].value = (uint32_t)value;
            pairs[npairs_total].id = pair_id(&ptable, &nslots, &ndistinct, &distinct,
                                             (uint32_t)key, (uint32_t)value);
        }
    }
    sort_pool = pool.data;
    /* Objects by (namespace, name); a repeat is the caller's error.  The
     * entry index is recovered from the run start for the message. */
    sort_objects(objs, n);
    for (i = 1; i < n; i++) {
        if (cmp_tobj(&objs[i - 1], &objs[i]) == 0) {
            for (k = n; k-- > 0;)
                if (strcmp(entries[k].name, pool.data + objs[i].name) == 0 &&
                    strcmp(entries[k].ns, pool.data + objs[i].ns) == 0)
                    break;
            *dup_out = k;
            goto done;
        }
    }
    /* Distinct pairs sorted by (key, value); rank maps temporary ids to final ones. */
    if (ndistinct > 1)
        qsort(distinct, ndistinct, sizeof(*distinct), cmp_distinct);
    rank = cm_xmalloc((ndistinct ? ndistinct : 1) * sizeof(*rank));
    for (i = 0; i < ndistinct; i++)
        rank[distinct[i].id] = (uint32_t)i;

    memset(&h, 0, sizeof(h));
    memcpy(h.magic, CM_OBJIMAGE_MAGIC, 8);
    h.nobjects = (uint32_t)n;
    h.npairs = (uint32_t)ndistinct;
    h.nlabels = (uint32_t)npairs_total;
    h.objects_off = (uint32_t)ALIGN8(sizeof(h));
    h.labels_off = (uint32_t)ALIGN8(h.objects_off + n * sizeof(struct cm_objimage_object));
    h.pairs_off = (uint32_t)ALIGN8(h.labels_off + npairs_total * sizeof(uint32_t));
    h.posts_off = (uint32_t)ALIGN8(h.pairs_off + ndistinct * sizeof(struct cm_objimage_pair));
    {
        size_t strings_off = ALIGN8(h.posts_off + npairs_total * sizeof(uint32_t));

        if (strings_off + pool.len >= UINT32_MAX)
            goto done;
        h.strings_off = (uint32_t)strings_off;
    }
    h.strings_len = pool.len;
    h.size = h.strings_off + pool.len;
    img = cm_xcalloc(1, h.size ? h.size : 1);
    memcpy(img, &h, sizeof(h));
    {
        struct cm_objimage_object *o = (void *)(img + h.objects_off);
        uint32_t *labels = (void *)(img + h.labels_off);
        struct cm_objimage_pair *p = (void *)(img + h.pairs_off);
        uint32_t *posts = (void *)(img + h.posts_off), at = 0;

        for (i = 0; i < ndistinct; i++) {
            p[i].key = distinct[i].key;
            p[i].value = distinct[i].value;
        }
        for (i = 0; i < n; i++) {
            o[i].ns = objs[i].ns;
            o[i].name = objs[i].name;
            o[i].uid = objs[i].uid;
            o[i].labels = at;
            o[i].nlabels = objs[i].n;
            for (k = 0; k < objs[i].n; k++) {
                labels[at + k] = rank[pairs[objs[i].first + k].id];
                p[labels[at + k]].count++;
            }
            qsort(labels + at, objs[i].n, sizeof(uint32_t), cmp_u32);
            at += objs[i].n;
        }
        /* Each pair's run of posts, filled in object order: ascending. */
        fill = cm_xmalloc((ndistinct ? ndistinct : 1) * sizeof(*fill));
        for (i = 0, at = 0; i < ndistinct; i++) {
            p[i].start = at;
            fill[i] = at;
            at += p[i].count;
        }
        for (i = 0; i < n; i++)
            for (k = 0; k < o[i].nlabels; k++)
                posts[fill[labels[o[i].labels + k]]++] = (uint32_t)i;
        if (pool.len > 0)
            memcpy(img + h.strings_off, pool.data, pool.len);
    }
    *out = img;
    *len_out = h.size;
    img = NULL;
    rc = 0;
done:
    free(img);
    free(objs);
    free(pairs);
    free(distinct);
    free(ptable);
    free(rank);
    free(fill);
    free(pool.data);
    free(pool.slot);
    return rc;
}

/* ---- checking ---------------------------------------------------------- */

static int
str_ok(const struct cm_objimage_header *h, uint32_t off)
{
    return off < h->strings_len;
}

int
cm_objimage_check(const void *img, size_t len)
{
    const struct cm_objimage_header *h = img;
    const struct cm_objimage_object *o;
    const struct cm_objimage_pair *p;
    const uint32_t *labels, *posts;
    size_t i;

    if (len < sizeof(*h) || memcmp(h->magic, CM_OBJIMAGE_MAGIC, 8) != 0 || h->size != len)
        return -1;
    if (h->objects_off < sizeof(*h) || h->objects_off % 8 ||
        h->objects_off + (uint64_t)h->nobjects * sizeof(*o) > h->labels_off ||
        h->labels_off + (uint64_t)h->nlabels * 4 > h->pairs_off ||
        h->pairs_off + (uint64_t)h->npairs * sizeof(*p) > h->posts_off ||
        h->posts_off + (uint64_t)h->nlabels * 4 > h->strings_off ||
        h->strings_off + h->strings_len != len || h->labels_off % 4 || h->pairs_off % 4 ||
        h->posts_off % 4)
        return -1;
    if (h->strings_len > 0 && ((const char *)img)[len - 1] != '\0')
        return -1;
    o = cm_objimage_objects(img);
    labels = (const uint32_t *)((const char *)img + h->labels_off);
    p = (const struct cm_objimage_pair *)((const char *)img + h->pairs_off);
    posts = (const uint32_t *)((const char *)img + h->posts_off);
    for (i = 0; i < h->nobjects; i++) {
        if (!str_ok(h, o[i].ns) || !str_ok(h, o[i].name) || !str_ok(h, o[i].uid) ||
            (uint64_t)o[i].labels + o[i].nlabels > h->nlabels)
            return -1;
    }
    for (i = 0; i < h->nlabels; i++)
        if (labels[i] >= h->npairs || posts[i] >= h->nobjects)
            return -1;
    for (i = 0; i < h->npairs; i++)
        if (!str_ok(h, p[i].key) || !str_ok(h, p[i].value) ||
            (uint64_t)p[i].start + p[i].count > h->nlabels)
            return -1;
    return 0;
}

/* ---- reading ----------------------------------------------------------- */

/* First position whose (namespace, name) is >= (ns, name). */
static size_t
lower_bound(const void *img, const char *ns, const char *name)
{
    const struct cm_objimage_object *o = cm_objimage_objects(img);
    size_t lo = 0, hi = cm_objimage_header(img)->nobjects;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cm_objimage_str(img, o[mid].ns), ns);

        if (c == 0)
            c = strcmp(cm_objimage_str(img, o[mid].name), name);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long
cm_objimage_find(const void *img, const char *ns, const char *name)
{
    const struct cm_objimage_object *o = cm_objimage_objects(img);
    size_t i = lower_bound(img, ns, name);

    if (i < cm_objimage_header(img)->nobjects &&
        strcmp(cm_objimage_str(img, o[i].ns), ns) == 0 &&
        strcmp(cm_objimage_str(img, o[i].name), name) == 0)
        return (long)i;
    return -1;
}

void
cm_objimage_ns_range(const void *img, const char *ns, size_t *lo, size_t *hi)
{
    const struct cm_objimage_object *o = cm_objimage_objects(img);
    size_t l, h = cm_objimage_header(img)->nobjects;

    if (ns == NULL) {
        *lo = 0;
        *hi = h;
        return;
    }
    *lo = l = lower_bound(img, ns, "");
    while (l < h) {             /* the first position past ns */
        size_t mid = l + (h - l) / 2;

        if (strcmp(cm_objimage_str(img, o[mid].ns), ns) == 0)
            l = mid + 1;
        else
            h = mid;
    }
    *hi = h;
}

const struct cm_objimage_pair *
cm_objimage_pair(const void *img, const char *key, const char *value)
{
    const struct cm_objimage_header *h = cm_objimage_header(img);
    const struct cm_objimage_pair *p =
        (const struct cm_objimage_pair *)((const char *)img + h->pairs_off);
    size_t lo = 0, hi = h->npairs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cm_objimage_str(img, p[mid].key), key);

        if (c == 0)
            c = strcmp(cm_objimage_str(img, p[mid].value), value);
        if (c == 0)
            return &p[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t
cm_objimage_labels(const void *img, size_t pos, struct cm_label *buf, size_t cap)
{
    const struct cm_objimage_header *h = cm_objimage_header(img);
    const struct cm_objimage_object *o = &cm_objimage_objects(img)[pos];
    const uint32_t *ids = (const uint32_t *)((const char *)img + h->labels_off) + o->labels;
    const struct cm_objimage_pair *p =
        (const struct cm_objimage_pair *)((const char *)img + h->pairs_off);
    size_t i;

    for (i = 0; i < o->nlabels && i < cap; i++) {
        buf[i].key = cm_objimage_str(img, p[ids[i]].key);
        buf[i].value = cm_objimage_str(img, p[ids[i]].value);
    }
    return o->nlabels;
}
