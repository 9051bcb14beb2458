#include "objects.h"
#include "alloc.h"
#include "arena.h"
#include "objimage.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Labels a view materializes on the stack; an object with more is matched
 * from a heap copy. */
#define VIEW_LABELS 32

struct bucket {
    const struct cm_resource *resource;
    const void *img;            /* NULL: no objects */
    size_t len;
    void (*release)(const void *img, size_t len, void *arg);
    void *arg;
};

struct cm_objects {
    size_t nbuckets;
    struct bucket *buckets;
};

/* Objects as they are added, until finish() makes one image per resource. */
struct pending {
    const struct cm_resource *resource;
    size_t n, cap;
    struct cm_objimage_entry *v;
};

struct cm_objects_builder {
    struct cm_arena arena;      /* the added strings and label arrays */
    size_t npending;
    struct pending *pending;
};

static void
release_malloced(const void *img, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)img);
}

struct cm_objects *
cm_objects_new(void)
{
    return cm_xcalloc(1, sizeof(struct cm_objects));
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

int
cm_objects_attach(struct cm_objects *objs, const struct cm_resource *r,
                  const void *img, size_t len,
                  void (*release)(const void *img, size_t len, void *arg), void *arg)
{
    struct bucket *bk;

    if (cm_objimage_check(img, len) < 0)
        return -1;
    bk = find_bucket(objs, r);
    if (bk == NULL) {
        objs->buckets = cm_xrealloc(objs->buckets, (objs->nbuckets + 1) * sizeof(*bk));
        bk = &objs->buckets[objs->nbuckets++];
        bk->resource = r;
    } else if (bk->release != NULL) {
        bk->release(bk->img, bk->len, bk->arg);
    }
    bk->img = img;
    bk->len = len;
    bk->release = release;
    bk->arg = arg;
    return 0;
}

const void *
cm_objects_image(const struct cm_objects *objs, const struct cm_resource *r, size_t *len_out)
{
    const struct bucket *bk = find_bucket(objs, r);

    *len_out = bk ? bk->len : 0;
    return bk ? bk->img : NULL;
}

struct cm_objects_builder *
cm_objects_builder_new(void)
{
    struct cm_objects_builder *b = cm_xcalloc(1, sizeof(*b));

    cm_arena_init(&b->arena, 65536);
    return b;
}

int
cm_objects_builder_add(struct cm_objects_builder *b, const struct cm_resource *r,
                       const char *ns, const char *name, const char *uid,
                       const struct cm_label *labels, size_t nlabels)
{
    struct pending *p = NULL;
    struct cm_objimage_entry *e;
    struct cm_label *lv;
    size_t i;

    for (i = 0; i < b->npending; i++)
        if (b->pending[i].resource == r)
            p = &b->pending[i];
    if (p == NULL) {
        b->pending = cm_xrealloc(b->pending, (b->npending + 1) * sizeof(*p));
        p = &b->pending[b->npending++];
        memset(p, 0, sizeof(*p));
        p->resource = r;
    }
    lv = nlabels ? cm_arena_alloc(&b->arena, nlabels * sizeof(*lv)) : NULL;
    for (i = 0; i < nlabels; i++) {
        lv[i].key = cm_arena_strdup(&b->arena, labels[i].key);
        lv[i].value = cm_arena_strdup(&b->arena, labels[i].value);
    }
    if (cm_labels_sort(lv, nlabels) >= 0)
        return -1;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->v = cm_xrealloc(p->v, p->cap * sizeof(*p->v));
    }
    e = &p->v[p->n++];
    e->ns = r->namespaced ? cm_arena_strdup(&b->arena, ns ? ns : "") : "";
    e->name = cm_arena_strdup(&b->arena, name);
    e->uid = uid ? cm_arena_strdup(&b->arena, uid) : "";
    e->labels = lv;
    e->nlabels = nlabels;
    return 0;
}

int
cm_objects_builder_finish(struct cm_objects_builder *b, struct cm_objects **out,
                          struct cm_buf *err)
{
    struct cm_objects *objs = cm_objects_new();
    size_t i;
    int rc = 0;

    *out = NULL;
    for (i = 0; i < b->npending && rc == 0; i++) {
        struct pending *p = &b->pending[i];
        size_t len, dup;
        void *img;

        if (cm_objimage_build(p->v, p->n, &img, &len, &dup) < 0) {
            if (dup < p->n)
                cm_buf_addf(err, "%s %s%s%s appears more than once",
                            p->resource->group_resource, p->v[dup].ns,
                            *p->v[dup].ns ? "/" : "", p->v[dup].name);
            else
                cm_buf_addf(err, "too many %s", p->resource->group_resource);
            rc = -1;
            break;
        }
        cm_objects_attach(objs, p->resource, img, len, release_malloced, NULL);
    }
    for (i = 0; i < b->npending; i++)
        free(b->pending[i].v);
    free(b->pending);
    cm_arena_free(&b->arena);
    free(b);
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
        if (objs->buckets[i].release != NULL)
            objs->buckets[i].release(objs->buckets[i].img, objs->buckets[i].len,
                                     objs->buckets[i].arg);
    free(objs->buckets);
    free(objs);
}

/* The object at pos as a view, without labels. */
static void
view(const void *img, size_t pos, struct cm_object *out)
{
    const struct cm_objimage_object *o = &cm_objimage_objects(img)[pos];

    out->namespace = cm_objimage_str(img, o->ns);
    out->name = cm_objimage_str(img, o->name);
    out->uid = cm_objimage_str(img, o->uid);
    out->labels.n = 0;
    out->labels.v = NULL;
}

int
cm_objects_get(const struct cm_objects *objs, const struct cm_resource *r,
               const char *ns, const char *name, struct cm_object *out)
{
    const struct bucket *bk = find_bucket(objs, r);
    long pos;

    if (bk == NULL || bk->img == NULL)
        return 0;
    pos = cm_objimage_find(bk->img, r->namespaced ? ns : "", name);
    if (pos < 0)
        return 0;
    view(bk->img, (size_t)pos, out);
    return 1;
}

/*
 * Fills *obj with the object at pos and its labels, and says whether sel
 * matches them.  Labels go into lbuf (VIEW_LABELS of them) or, for an object
 * with more, into *heap, grown as needed and freed by the caller.  When the
 * match is implied and the labels are not wanted, obj gets none.
 */
static int
view_matches(const void *img, size_t pos, const struct cm_selector *sel, int implied,
             int want_labels, struct cm_object *obj, struct cm_label *lbuf,
             struct cm_label **heap, size_t *heapcap)
{
    struct cm_label *v = lbuf;
    size_t n;

    view(img, pos, obj);
    if (implied && !want_labels)
        return 1;
    n = cm_objimage_labels(img, pos, lbuf, VIEW_LABELS);
    if (n > VIEW_LABELS) {
        if (n > *heapcap) {
            *heap = cm_xrealloc(*heap, n * sizeof(**heap));
            *heapcap = n;
        }
        v = *heap;
        cm_objimage_labels(img, pos, v, n);
    }
    obj->labels.n = n;
    obj->labels.v = v;
    return implied || cm_selector_matches(sel, &obj->labels);
}

static size_t
select_objects(const struct cm_objects *objs, const struct cm_resource *r,
               const char *ns, const struct cm_selector *sel, int want_labels,
               cm_objects_visit_fn fn, void *arg)
{
    const struct bucket *bk = find_bucket(objs, r);
    const struct cm_objimage_pair *best = NULL;
    const uint32_t *post = NULL;
    struct cm_label lbuf[VIEW_LABELS], *heap = NULL;
    size_t heapcap = 0, lo, hi, i, k, end, seen = 0;
    int implied;

    if (bk == NULL || bk->img == NULL || cm_objimage_header(bk->img)->nobjects == 0)
        return 0;
    cm_objimage_ns_range(bk->img, r->namespaced ? ns : NULL, &lo, &hi);
    /* The rarest equality term bounds the candidates; none means a scan. */
    for (i = 0; i < sel->n; i++) {
        const struct cm_requirement *q = &sel->req[i];
        const struct cm_objimage_pair *p;

        if (!(q->op == CM_SEL_EQ || q->op == CM_SEL_DEQ ||
              (q->op == CM_SEL_IN && q->nvalues == 1)))
            continue;
        p = cm_objimage_pair(bk->img, q->key, q->values[0]);
        if (p == NULL)
            return 0;                       /* nothing carries that label */
        if (best == NULL || p->count < best->count)
            best = p;
    }
    /* Candidates: the rarest term's posts (ascending positions, so skip to
     * the namespace's range), or else every position in the range. */
    if (best != NULL) {
        post = cm_objimage_posts(bk->img, best);
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
    /* A selector that is that one term (or none) holds for every candidate. */
    implied = sel->n == 0 || (sel->n == 1 && best != NULL);
    for (; k < end; k++) {
        size_t pos = post != NULL ? post[k] : k;
        struct cm_object obj;

        if (pos >= hi)
            break;
        if (!view_matches(bk->img, pos, sel, implied, want_labels, &obj, lbuf, &heap, &heapcap))
            continue;
        seen++;
        if (fn(&obj, arg) != 0)
            break;
    }
    free(heap);
    return seen;
}

size_t
cm_objects_select(const struct cm_objects *objs, const struct cm_resource *r,
                  const char *ns, const struct cm_selector *sel,
                  cm_objects_visit_fn fn, void *arg)
{
    return select_objects(objs, r, ns, sel, 1, fn, arg);
}

size_t
cm_objects_select_bare(const struct cm_objects *objs, const struct cm_resource *r,
                       const char *ns, const struct cm_selector *sel,
                       cm_objects_visit_fn fn, void *arg)
{
    return select_objects(objs, r, ns, sel, 0, fn, arg);
}

size_t
cm_objects_count(const struct cm_objects *objs)
{
    size_t i, n = 0;

    for (i = 0; i < objs->nbuckets; i++)
        if (objs->buckets[i].img != NULL)
            n += cm_objimage_header(objs->buckets[i].img)->nobjects;
    return n;
}
