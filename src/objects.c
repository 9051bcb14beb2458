#include "objects.h"
#include "alloc.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct bucket {
    const struct cm_resource *resource;
    size_t n, cap;
    struct cm_object *v;       /* sorted by (namespace, name) once finished */
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
    *out = objs;
    return 0;
}

void
cm_objects_free(struct cm_objects *objs)
{
    size_t i;

    if (objs == NULL)
        return;
    for (i = 0; i < objs->nbuckets; i++)
        free(objs->buckets[i].v);
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

size_t
cm_objects_range(const struct cm_objects *objs, const struct cm_resource *r,
                 const char *ns, const struct cm_object **first_out)
{
    const struct bucket *bk = find_bucket(objs, r);
    size_t lo, hi;

    *first_out = NULL;
    if (bk == NULL || bk->n == 0)
        return 0;
    if (ns == NULL || !r->namespaced) {
        *first_out = bk->v;
        return bk->n;
    }
    lo = lower_bound(bk, ns, "");
    hi = lo;
    while (hi < bk->n && strcmp(bk->v[hi].namespace, ns) == 0)
        hi++;
    *first_out = bk->v + lo;
    return hi - lo;
}

size_t
cm_objects_count(const struct cm_objects *objs)
{
    return objs->total;
}
