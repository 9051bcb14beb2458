#include "reflector.h"
#include "alloc.h"
#include "arena.h"
#include "hash.h"
#include "objimage.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One object's state since the base: its newest version, or its deletion. */
struct change {
    char *ns, *name, *uid;
    struct cm_label *labels;   /* owned strings */
    size_t nlabels;
    int deleted;
};

struct cm_reflector {
    const struct cm_resource *resource;
    char version[128];
    /* the published set */
    const void *base;
    size_t base_len;
    void (*release)(const void *img, size_t len, void *arg);
    void *release_arg;
    /* the delta: changes by (namespace, name), open addressing */
    struct change **slot;
    size_t nslots, nchanges;
    /* a LIST in progress */
    struct cm_arena list_arena;
    struct cm_objimage_entry *listed;
    size_t nlisted, listcap;
    char list_version[128];
};

struct cm_reflector *
cm_reflector_new(const struct cm_resource *r)
{
    struct cm_reflector *x = cm_xcalloc(1, sizeof(*x));

    x->resource = r;
    cm_arena_init(&x->list_arena, 1 << 20);
    return x;
}

static void
change_free(struct change *c)
{
    size_t i;

    for (i = 0; i < c->nlabels; i++) {
        free((void *)c->labels[i].key);
        free((void *)c->labels[i].value);
    }
    free(c->labels);
    free(c->ns);
    free(c->name);
    free(c->uid);
    free(c);
}

static void
delta_clear(struct cm_reflector *x)
{
    size_t i;

    for (i = 0; i < x->nslots; i++)
        if (x->slot[i] != NULL)
            change_free(x->slot[i]);
    free(x->slot);
    x->slot = NULL;
    x->nslots = x->nchanges = 0;
}

static void
release_base(struct cm_reflector *x)
{
    if (x->base != NULL && x->release != NULL)
        x->release(x->base, x->base_len, x->release_arg);
    x->base = NULL;
    x->base_len = 0;
}

void
cm_reflector_free(struct cm_reflector *x)
{
    if (x == NULL)
        return;
    delta_clear(x);
    release_base(x);
    free(x->listed);
    cm_arena_free(&x->list_arena);
    free(x);
}

/* The slot for (ns, name): the one holding it, or the empty one to put it in. */
static struct change **
delta_slot(const struct cm_reflector *x, const char *ns, const char *name)
{
    size_t k = cm_hash_pair(ns, name) & (x->nslots - 1);

    while (x->slot[k] != NULL &&
           !(strcmp(x->slot[k]->ns, ns) == 0 && strcmp(x->slot[k]->name, name) == 0))
        k = (k + 1) & (x->nslots - 1);
    return &x->slot[k];
}

static void
delta_grow(struct cm_reflector *x)
{
    struct change **old = x->slot;
    size_t n = x->nslots, i;

    x->nslots = n ? n * 2 : 64;
    x->slot = cm_xcalloc(x->nslots, sizeof(*x->slot));
    for (i = 0; i < n; i++)
        if (old[i] != NULL)
            *delta_slot(x, old[i]->ns, old[i]->name) = old[i];
    free(old);
}

/* ---- reading objects out of JSON --------------------------------------- */

static const char *
get_string(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* An object's metadata; -1 with err when it has no usable name (or namespace). */
struct meta {
    const char *ns, *name, *uid, *version;
    struct json_object *labels;     /* an object, or NULL */
    size_t nlabels;
};

static int
read_meta(const struct cm_reflector *x, struct json_object *obj, struct meta *m,
          char *err, size_t errlen)
{
    struct json_object *md = NULL, *labels;

    memset(m, 0, sizeof(*m));
    if (!json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, "metadata", &md) ||
        !json_object_is_type(md, json_type_object)) {
        snprintf(err, errlen, "an object without metadata");
        return -1;
    }
    m->name = get_string(md, "name");
    m->ns = x->resource->namespaced ? get_string(md, "namespace") : "";
    m->uid = get_string(md, "uid");
    m->version = get_string(md, "resourceVersion");
    if (m->name == NULL || *m->name == '\0' || m->ns == NULL ||
        (x->resource->namespaced && *m->ns == '\0')) {
        snprintf(err, errlen, "an object without metadata.name%s",
                 x->resource->namespaced ? " and metadata.namespace" : "");
        return -1;
    }
    if (json_object_object_get_ex(md, "labels", &labels) &&
        json_object_is_type(labels, json_type_object)) {
        struct json_object_iterator it = json_object_iter_begin(labels),
                                    end = json_object_iter_end(labels);

        for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
            if (json_object_is_type(json_object_iter_peek_value(&it), json_type_string))
                m->nlabels++;
        m->labels = labels;
    }
    return 0;
}

/* The string labels of m into v (m->nlabels of them), copied by dup(s, arg). */
static void
copy_labels(const struct meta *m, struct cm_label *v,
            char *(*dup)(const char *s, void *arg), void *arg)
{
    struct json_object_iterator it, end;
    size_t n = 0;

    if (m->labels == NULL)
        return;
    it = json_object_iter_begin(m->labels);
    end = json_object_iter_end(m->labels);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        struct json_object *val = json_object_iter_peek_value(&it);

        if (!json_object_is_type(val, json_type_string))
            continue;
        v[n].key = dup(json_object_iter_peek_name(&it), arg);
        v[n].value = dup(json_object_get_string(val), arg);
        n++;
    }
}

static char *
dup_arena(const char *s, void *arg)
{
    return cm_arena_strdup(arg, s);
}

static char *
dup_heap(const char *s, void *arg)
{
    (void)arg;
    return cm_xstrdup(s);
}

static struct json_object *
parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct json_tokener *tok = json_tokener_new_ex(64);
    struct json_object *obj;

    if (len > (size_t)0x7fffffff) {
        snprintf(err, errlen, "a response over 2 GiB");
        json_tokener_free(tok);
        return NULL;
    }
    obj = json_tokener_parse_ex(tok, text, (int)len);
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        snprintf(err, errlen, "malformed JSON: %s",
                 json_tokener_error_desc(json_tokener_get_error(tok)));
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    return obj;
}

/* ---- LIST --------------------------------------------------------------- */

void
cm_reflector_list_begin(struct cm_reflector *x)
{
    cm_arena_reset(&x->list_arena);
    x->nlisted = 0;
    x->list_version[0] = '\0';
}

int
cm_reflector_list_page(struct cm_reflector *x, const char *body, size_t len,
                       char **continue_out, char *err, size_t errlen)
{
    struct json_object *root = parse(body, len, err, errlen), *items, *md;
    const char *cont, *rv;
    size_t i, n;
    int rc = -1;

    *continue_out = NULL;
    if (root == NULL)
        return -1;
    if (!json_object_object_get_ex(root, "items", &items) ||
        !(json_object_is_type(items, json_type_array) || json_object_is_type(items, json_type_null))) {
        snprintf(err, errlen, "the answer is not a List");
        goto done;
    }
    n = json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;
    for (i = 0; i < n; i++) {
        struct cm_objimage_entry *e;
        struct cm_label *lv;
        struct meta m;

        if (read_meta(x, json_object_array_get_idx(items, i), &m, err, errlen) < 0)
            goto done;
        if (x->nlisted == x->listcap) {
            x->listcap = x->listcap ? 2 * x->listcap : 1024;
            x->listed = cm_xrealloc(x->listed, x->listcap * sizeof(*x->listed));
        }
        lv = m.nlabels ? cm_arena_alloc(&x->list_arena, m.nlabels * sizeof(*lv)) : NULL;
        copy_labels(&m, lv, dup_arena, &x->list_arena);
        e = &x->listed[x->nlisted++];
        e->ns = cm_arena_strdup(&x->list_arena, m.ns);
        e->name = cm_arena_strdup(&x->list_arena, m.name);
        e->uid = cm_arena_strdup(&x->list_arena, m.uid ? m.uid : "");
        e->labels = lv;
        e->nlabels = m.nlabels;
    }
    md = NULL;
    json_object_object_get_ex(root, "metadata", &md);
    rv = get_string(md, "resourceVersion");
    cont = get_string(md, "continue");
    snprintf(x->list_version, sizeof(x->list_version), "%s", rv ? rv : "");
    if (cont != NULL && *cont != '\0')
        *continue_out = cm_xstrdup(cont);
    rc = 0;
done:
    json_object_put(root);
    return rc;
}

int
cm_reflector_list_end(struct cm_reflector *x, void **img_out, size_t *len_out,
                      char *err, size_t errlen)
{
    size_t dup = 0;
    int rc;

    rc = cm_objimage_build(x->listed, x->nlisted, img_out, len_out, &dup);
    if (rc < 0) {
        if (dup < x->nlisted)
            snprintf(err, errlen, "the List names %s%s%s twice", x->listed[dup].ns,
                     *x->listed[dup].ns ? "/" : "", x->listed[dup].name);
        else
            snprintf(err, errlen, "the List is too large");
    } else {
        snprintf(x->version, sizeof(x->version), "%s", x->list_version);
        delta_clear(x);
    }
    cm_arena_free(&x->list_arena);        /* all of it: Lists are rare */
    cm_arena_init(&x->list_arena, 1 << 20);
    free(x->listed);
    x->listed = NULL;
    x->nlisted = x->listcap = 0;
    return rc;
}

/* ---- WATCH -------------------------------------------------------------- */

static void
apply(struct cm_reflector *x, const struct meta *m, int deleted)
{
    struct change **s, *c;

    if (2 * (x->nchanges + 1) > x->nslots)
        delta_grow(x);
    s = delta_slot(x, m->ns, m->name);
    if (*s == NULL) {
        c = cm_xcalloc(1, sizeof(*c));
        c->ns = cm_xstrdup(m->ns);
        c->name = cm_xstrdup(m->name);
        *s = c;
        x->nchanges++;
    } else {
        c = *s;
        free(c->uid);
        c->uid = NULL;
        while (c->nlabels > 0) {
            c->nlabels--;
            free((void *)c->labels[c->nlabels].key);
            free((void *)c->labels[c->nlabels].value);
        }
        free(c->labels);
        c->labels = NULL;
    }
    c->deleted = deleted;
    if (deleted)
        return;
    c->uid = cm_xstrdup(m->uid ? m->uid : "");
    c->nlabels = m->nlabels;
    c->labels = m->nlabels ? cm_xmalloc(m->nlabels * sizeof(*c->labels)) : NULL;
    copy_labels(m, c->labels, dup_heap, NULL);
}

int
cm_reflector_event(struct cm_reflector *x, const char *line, size_t len, char *err, size_t errlen)
{
    static const char *const types[] = { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", NULL, "ERROR" };
    struct json_object *root = parse(line, len, err, errlen), *obj;
    const char *type;
    struct meta m;
    int t, rc = -1;

    if (root == NULL)
        return -1;
    type = get_string(root, "type");
    if (type == NULL || !json_object_object_get_ex(root, "object", &obj)) {
        snprintf(err, errlen, "not a watch event (no type and object)");
        goto done;
    }
    for (t = 0; t <= CM_WATCH_ERROR; t++)
        if (types[t] != NULL && strcmp(types[t], type) == 0)
            break;
    if (t > CM_WATCH_ERROR) {
        snprintf(err, errlen, "unknown watch event type '%.40s'", type);
        goto done;
    }
    if (t == CM_WATCH_ERROR) {
        struct json_object *code;
        const char *msg = get_string(obj, "message");

        snprintf(err, errlen, "%s", msg ? msg : "an ERROR event");
        if (json_object_object_get_ex(obj, "code", &code) && json_object_get_int(code) == 410)
            t = CM_WATCH_GONE;
        rc = t;
        goto done;
    }
    if (t == CM_WATCH_BOOKMARK) {
        struct json_object *md;
        const char *rv = json_object_object_get_ex(obj, "metadata", &md) ?
                         get_string(md, "resourceVersion") : NULL;

        if (rv == NULL) {
            snprintf(err, errlen, "a BOOKMARK without metadata.resourceVersion");
            goto done;
        }
        snprintf(x->version, sizeof(x->version), "%s", rv);
        rc = t;
        goto done;
    }
    if (read_meta(x, obj, &m, err, errlen) < 0)
        goto done;
    apply(x, &m, t == CM_WATCH_DELETED);
    if (m.version != NULL)
        snprintf(x->version, sizeof(x->version), "%s", m.version);
    rc = t;
done:
    json_object_put(root);
    return rc;
}

size_t
cm_reflector_pending(const struct cm_reflector *x)
{
    return x->nchanges;
}

int
cm_reflector_build(struct cm_reflector *x, void **img_out, size_t *len_out,
                   char *err, size_t errlen)
{
    const struct cm_objimage_header *h = x->base ? cm_objimage_header(x->base) : NULL;
    size_t nbase = h ? h->nobjects : 0, nlab = h ? h->nlabels : 0, n = 0, i, at = 0, dup;
    struct cm_objimage_entry *e = cm_xmalloc((nbase + x->nchanges + 1) * sizeof(*e));
    struct cm_label *lv = cm_xmalloc((nlab + 1) * sizeof(*lv));
    int rc;

    /* The base's objects that did not change, then every change not deleted. */
    for (i = 0; i < nbase; i++) {
        const struct cm_objimage_object *o = &cm_objimage_objects(x->base)[i];
        const char *ns = cm_objimage_str(x->base, o->ns), *name = cm_objimage_str(x->base, o->name);

        if (x->nslots > 0 && *delta_slot(x, ns, name) != NULL)
            continue;
        e[n].ns = ns;
        e[n].name = name;
        e[n].uid = cm_objimage_str(x->base, o->uid);
        e[n].labels = lv + at;
        e[n].nlabels = cm_objimage_labels(x->base, i, lv + at, o->nlabels);
        at += o->nlabels;
        n++;
    }
    for (i = 0; i < x->nslots; i++) {
        const struct change *c = x->slot[i];

        if (c == NULL || c->deleted)
            continue;
        e[n].ns = c->ns;
        e[n].name = c->name;
        e[n].uid = c->uid;
        e[n].labels = c->labels;
        e[n].nlabels = c->nlabels;
        n++;
    }
    rc = cm_objimage_build(e, n, img_out, len_out, &dup);
    if (rc < 0)
        snprintf(err, errlen, "cannot build the image of %s", x->resource->group_resource);
    free(e);
    free(lv);
    return rc;
}

void
cm_reflector_set_base(struct cm_reflector *x, const void *img, size_t len,
                      void (*release)(const void *img, size_t len, void *arg), void *arg)
{
    release_base(x);
    x->base = img;
    x->base_len = len;
    x->release = release;
    x->release_arg = arg;
    delta_clear(x);
}

const char *
cm_reflector_version(const struct cm_reflector *x)
{
    return x->version;
}

size_t
cm_reflector_count(const struct cm_reflector *x)
{
    return x->base ? cm_objimage_header(x->base)->nobjects : 0;
}

long
cm_reflector_backoff_ms(unsigned failures, long max_ms, unsigned *seed)
{
    long d = 250;

    while (failures > 1 && d < max_ms) {
        d *= 2;
        failures--;
    }
    if (d > max_ms)
        d = max_ms;
    return d / 2 + (long)(rand_r(seed) % (unsigned)(d / 2 + 1));
}
