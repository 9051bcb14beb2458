#include "objects.h"
#include "alloc.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The label index of one resource: for every distinct (key, value) pair, the
 * positions of the objects carrying it, ascending.  An equality requirement
 * then visits only its candidates instead of every object.
 */
struct posting {
    const char *key, *value;
    uint32_t start, count;     /* a run of bucket.post */
};

struct bucket {
    const struct cm_resource *resource;
    size_t n, cap;
    struct cm_object *v;       /* sorted by (namespace, name) once finished */
    size_t npostings;
    struct posting *postings;  /* sorted by (key, value) */
    uint32_t *post;            /* object positions, one per label */
};

struct cm_objects {
    struct cm_arena arena;     /* strings and label arrays */
    size_t nbuckets;
    struct bucket *buckets;
    size_t total;
};

struct cm_objects_builder {
    struct cm_objects *objs;
};

struct cm_objects_builder *
cm_objects_builder_new(void)
{
    struct cm_objects_builder *b = cm_xcalloc(1, sizeof(*b));

    b->objs = cm_xcalloc(1, sizeof(*b->objs));
    cm_arena_init(&b->objs->arena, 65536);
    return b;
}

static struct bucket *
find_bucket(const struct cm_objects *objs, const struct cm_resource *r)
{
    size_t i;

    for (i = 0; i < objs->nbuckets; i++)
        if (objs->buckets[i].resource == r)
            return &objs->buckets[i];
    return NULL;
}

static int
cmp_object(const void *a, const void *b)
{
    const struct cm_object *x = a, *y = b;
    int c = strcmp(x->namespace, y->namespace);

    return c != 0 ? c : strcmp(x->name, y->name);
}

int
cm_objects_builder_add(struct cm_objects_builder *b, const struct cm_resource *r,
                       const char *ns, const char *name,
                       const struct cm_label *labels, size_t nlabels)
{
    struct cm_objects *objs = b->objs;
    struct bucket *bk = find_bucket(objs, r);
    struct cm_object *o;
    struct cm_label *lv;
    size_t i;

    if (bk == NULL) {
        objs->buckets = cm_xrealloc(objs->buckets, (objs->nbuckets + 1) * sizeof(*bk));
        bk = &objs->buckets[objs->nbuckets++];
        memset(bk, 0, sizeof(*bk));
        bk->resource = r;
    }
    if (bk->n == bk->cap) {
        bk->cap = bk->cap ? bk->cap * 2 : 64;
        bk->v = cm_xrealloc(bk->v, bk->cap * sizeof(*bk->v));
    }
    lv = nlabels ? cm_arena_alloc(&objs->arena, nlabels * sizeof(*lv)) : NULL;
    for (i = 0; i < nlabels; i++) {
        lv[i].key = cm_arena_strdup(&objs->arena, labels[i].key);
        lv[i].value = cm_arena_strdup(&objs->arena, labels[i].value);
    }
    if (cm_labels_sort(lv, nlabels) >= 0)
        return -1;
    o = &bk->v[bk->n];
    o->namespace = r->namespaced ? cm_arena_strdup(&objs->arena, ns ? ns : "") : "";
    o->name = cm_arena_strdup(&objs->arena, name);
    o->labels.n = nlabels;
    o->labels.v = lv;
    bk->n++;
    objs->total++;
    return 0;
}

struct triple {
    const char *key, *value;
    uint32_t pos;
};

static int
cmp_triple(const void *a, const void *b)
{
    const struct triple *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    if (c == 0)
        c = strcmp(x->value, y->value);
    return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Builds bk's label index; bk->v must already be in its final order. */
static void
index_bucket(struct bucket *bk)
{
    struct triple *t;
    size_t n = 0, i, k;

    for (i = 0; i < bk->n; i++)
        n += bk->v[i].labels.n;
    if (n == 0)
        return;
    t = cm_xmalloc(n * sizeof(*t));
    for (i = 0, n = 0; i < bk->n; i++) {
        for (k = 0; k < bk->v[i].labels.n; k++, n++) {
            t[n].key = bk->v[i].labels.v[k].key;
            t[n].value = bk->v[i].labels.v[k].value;
            t[n].pos = (uint32_t)i;
        }
    }
    qsort(t, n, sizeof(*t), cmp_triple);
    bk->post = cm_xmalloc(n * sizeof(*bk->post));
    bk->postings = cm_xmalloc(n * sizeof(*bk->postings));
    for (i = 0; i < n; i++) {
        bk->post[i] = t[i].pos;
        if (i == 0 || strcmp(t[i].key, t[i - 1].key) != 0 ||
            strcmp(t[i].value, t[i - 1].value) != 0) {
            struct posting *p = &bk->postings[bk->npostings++];
            p->key = t[i].key;
            p->value = t[i].value;
            p->start = (uint32_t)i;
            p->count = 0;
        }
        bk->postings[bk->npostings - 1].count++;
    }
    bk->postings = cm_xrealloc(bk->postings, bk->npostings * sizeof(*bk->postings));
    free(t);
}

int
cm_objects_builder_finish(struct cm_objects_builder *b, struct cm_objects **out,
                          struct cm_buf *err)
{
    struct cm_objects *objs = b->objs;
    size_t i, k;
    int rc = 0;

    free(b);
    *out = NULL;
    for (i = 0; i < objs->nbuckets; i++) {
        struct bucket *bk = &objs->buckets[i];

        if (bk->n > 1)
            qsort(bk->v, bk->n, sizeof(struct cm_object), cmp_object);
        for (k = 1; k < bk->n && rc == 0; k++) {
            if (cmp_object(&bk->v[k - 1], &bk->v[k]) == 0) {
                cm_buf_addf(err, "%s %s%s%s appears more than once",
                            bk->resource->group_resource, bk->v[k].namespace,
                            *bk->v[k].namespace ? "/" : "", bk->v[k].name);
                rc = -1;
            }
        }
    }
    if (rc < 0) {
        cm_objects_free(objs);
        return -1;
    }
    for (i = 0; i < objs->nbuckets; i++) {
        if (objs->buckets[i].n > UINT32_MAX) {
            cm_buf_addf(err, "too many %s", objs->buckets[i].resource->group_resource);
            cm_objects_free(objs);
            return -1;
        }
        index_bucket(&objs->buckets[i]);
    }
    *out = objs;
    return 0;
}

void
cm_objects_free(struct cm_objects *objs)
{
    size_t i;

    if (objs == NULL)
        return;
    for (i = 0; i < objs->nbuckets; i++) {
        free(objs->buckets[i].v);
        free(objs->buckets[i].postings);
        free(objs->buckets[i].post);
    }
    free(objs->buckets);
    cm_arena_free(&objs->arena);
    free(objs);
}

/* First index in bk whose (namespace, name) is >= (ns, name). */
static size_t
lower_bound(const struct bucket *bk, const char *ns, const char *name)
{
    size_t lo = 0, hi = bk->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(bk->v[mid].namespace, ns);

        if (c == 0)
            c = strcmp(bk->v[mid].name, name);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct cm_object *
cm_objects_get(const struct cm_objects *objs, const struct cm_resource *r,
               const char *ns, const char *name)
{
    const struct bucket *bk = find_bucket(objs, r);
    size_t i;

    if (bk == NULL)
        return NULL;
    if (!r->namespaced)
        ns = "";
    i = lower_bound(bk, ns, name);
    if (i < bk->n && strcmp(bk->v[i].namespace, ns) == 0 &&
        strcmp(bk->v[i].name, name) == 0)
        return &bk->v[i];
    return NULL;
}

/* The positions [*lo, *hi) of bk's objects in namespace ns (all if NULL). */
static void
ns_range(const struct bucket *bk, const char *ns, size_t *lo, size_t *hi)
{
    size_t l, h;

    if (ns == NULL || !bk->resource->namespaced) {
        *lo = 0;
        *hi = bk->n;
        return;
    }
    *lo = l = lower_bound(bk, ns, "");
    h = bk->n;                  /* binary search for the first position past ns */
    while (l < h) {
        size_t mid = l + (h - l) / 2;

        if (strcmp(bk->v[mid].namespace, ns) == 0)
            l = mid + 1;
        else
            h = mid;
    }
    *hi = h;
}

size_t
cm_objects_range(const struct cm_objects *objs, const struct cm_resource *r,
                 const char *ns, const struct cm_object **first_out)
{
    const struct bucket *bk = find_bucket(objs, r);
    size_t lo, hi;

    *first_out = NULL;
    if (bk == NULL || bk->n == 0)
        return 0;
    ns_range(bk, ns, &lo, &hi);
    *first_out = bk->v + lo;
    return hi - lo;
}

static const struct posting *
find_posting(const struct bucket *bk, const char *key, const char *value)
{
    size_t lo = 0, hi = bk->npostings;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(bk->postings[mid].key, key);

        if (c == 0)
            c = strcmp(bk->postings[mid].value, value);
        if (c == 0)
            return &bk->postings[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t
cm_objects_select(const struct cm_objects *objs, const struct cm_resource *r,
                  const char *ns, const struct cm_selector *sel,
                  cm_objects_visit_fn fn, void *arg)
{
    const struct bucket *bk = find_bucket(objs, r);
    const struct posting *best = NULL;
    const uint32_t *post = NULL;
    size_t lo, hi, i, k, end, seen = 0;

    if (bk == NULL || bk->n == 0)
        return 0;
    ns_range(bk, ns, &lo, &hi);
    /* The rarest equality term bounds the candidates; none means a scan. */
    for (i = 0; i < sel->n; i++) {
        const struct cm_requirement *q = &sel->req[i];
        const struct posting *p;

        if (!(q->op == CM_SEL_EQ || q->op == CM_SEL_DEQ ||
              (q->op == CM_SEL_IN && q->nvalues == 1)))
            continue;
        p = find_posting(bk, q->key, q->values[0]);
        if (p == NULL)
            return 0;                       /* nothing carries that label */
        if (best == NULL || p->count < best->count)
            best = p;
    }
    /* Candidates: the rarest term's postings (ascending positions, so skip
     * to the namespace's range), or else every position in the range. */
    if (best != NULL) {
        post = bk->post + best->start;
        k = 0;
        end = best->count;
        while (k < end) {
            size_t mid = k + (end - k) / 2;
            if (post[mid] < lo)
                k = mid + 1;
            else
                end = mid;
        }
        end = best->count;
    } else {
        k = lo;
        end = hi;
    }
    for (; k < end; k++) {
        size_t pos = post != NULL ? post[k] : k;

        if (pos >= hi)
            break;
        if (!cm_selector_matches(sel, &bk->v[pos].labels))
            continue;
        seen++;
        if (fn(&bk->v[pos], arg) != 0)
            break;
    }
    return seen;
}

size_t
cm_objects_count(const struct cm_objects *objs)
{
    return objs->total;
}
