#include "values.h"
#include "objects.h"
#include "fieldsel.h"
#include "json.h"
#include "log.h"
#include "selector.h"
#include "source.h"
#include "param.h"
#include "status.h"

#include <string.h>
#include <time.h>

struct item_ctx {
    const struct cm_route *call;
    const struct cm_metric *metric;
    const struct cm_resource *resource;
    const struct cm_selector *metric_selector;
    const struct cm_source_view *source;
};

/* metav1.LabelSelector for the metricLabelSelector, or null. */
static void
write_label_selector(struct cm_json *j, const struct cm_selector *sel)
{
    static const char *const opnames[] = {
        [CM_SEL_EXISTS] = "Exists", [CM_SEL_NOT_EXISTS] = "DoesNotExist",
        [CM_SEL_IN] = "In", [CM_SEL_NOTIN] = "NotIn", [CM_SEL_NEQ] = "NotIn",
    };
    size_t i, k, neq = 0, nexpr = 0;

    if (sel->n == 0) {
        cm_json_null(j);
        return;
    }
    for (i = 0; i < sel->n; i++) {
        enum cm_sel_op op = sel->req[i].op;
        if (op == CM_SEL_EQ || op == CM_SEL_DEQ)
            neq++;
        else if (op != CM_SEL_GT && op != CM_SEL_LT)
            nexpr++;
    }
    cm_json_object_begin(j);
    if (neq > 0) {
        cm_json_key(j, "matchLabels");
        cm_json_object_begin(j);
        for (i = 0; i < sel->n; i++) {
            enum cm_sel_op op = sel->req[i].op;
            if (op != CM_SEL_EQ && op != CM_SEL_DEQ)
                continue;
            /* Go's map keeps the last of repeated keys. */
            if (i + 1 < sel->n && strcmp(sel->req[i + 1].key, sel->req[i].key) == 0 &&
                (sel->req[i + 1].op == CM_SEL_EQ || sel->req[i + 1].op == CM_SEL_DEQ))
                continue;
            cm_json_key(j, sel->req[i].key);
            cm_json_string(j, sel->req[i].values[0]);
        }
        cm_json_object_end(j);
    }
    if (nexpr > 0) {
        cm_json_key(j, "matchExpressions");
        cm_json_array_begin(j);
        for (i = 0; i < sel->n; i++) {
            const struct cm_requirement *r = &sel->req[i];
            if (r->op == CM_SEL_EQ || r->op == CM_SEL_DEQ ||
                r->op == CM_SEL_GT || r->op == CM_SEL_LT)
                continue;
            cm_json_object_begin(j);
            cm_json_key(j, "key");      cm_json_string(j, r->key);
            cm_json_key(j, "operator"); cm_json_string(j, opnames[r->op]);
            if (r->nvalues > 0) {
                cm_json_key(j, "values");
                cm_json_array_begin(j);
                for (k = 0; k < r->nvalues; k++)
                    cm_json_string(j, r->values[k]);
                cm_json_array_end(j);
            }
            cm_json_object_end(j);
        }
        cm_json_array_end(j);
    }
    cm_json_object_end(j);
}

/*
 * Where the per-object parts sit in the bytes of a written item: the
 * namespace, name, timestamp and value strings (quotes included), in that
 * order, as offsets.  See stamp_item().
 */
enum { SLOT_NS, SLOT_NAME, SLOT_TIME, SLOT_VALUE, NSLOTS };

struct item_marks {
    size_t start, end;
    size_t at[NSLOTS], to[NSLOTS];
};

/*
 * Writes one MetricValue.  With marks, records where the item and its
 * per-object parts start and end in the output.
 */
static void
write_item(struct cm_json *j, const struct item_ctx *c, const struct cm_object *obj,
           const char *name, const struct cm_value *value, struct item_marks *marks)
{
    int v1beta1 = strcmp(c->call->version, "v1beta1") == 0;
    const char *ns = obj ? obj->namespace : (c->resource->namespaced ? c->call->ns : "");
    struct cm_buf *out = j->out;
    struct item_marks m;

    memset(&m, 0, sizeof(m));

    m.start = out->len;
    cm_json_object_begin(j);
    cm_json_key(j, "describedObject");
    cm_json_object_begin(j);
    cm_json_key(j, "kind");        cm_json_string(j, c->resource->kind);
    if (*ns) {
        cm_json_key(j, "namespace");
        m.at[SLOT_NS] = out->len;
        cm_json_string(j, ns);
        m.to[SLOT_NS] = out->len;
    }
    cm_json_key(j, "name");
    m.at[SLOT_NAME] = out->len;
    cm_json_string(j, name);
    m.to[SLOT_NAME] = out->len;
    cm_json_key(j, "apiVersion");  cm_json_string(j, c->resource->api_version);
    cm_json_object_end(j);
    if (v1beta1) {
        cm_json_key(j, "metricName");
        cm_json_string(j, c->metric->name);
    } else {
        cm_json_key(j, "metric");
        cm_json_object_begin(j);
        cm_json_key(j, "name");
        cm_json_string(j, c->metric->name);
        cm_json_key(j, "selector");
        write_label_selector(j, c->metric_selector);
        cm_json_object_end(j);
    }
    cm_json_key(j, "timestamp");
    m.at[SLOT_TIME] = out->len;
    cm_json_time(j, value->timestamp);
    m.to[SLOT_TIME] = out->len;
    if (c->metric->window > 0) {
        cm_json_key(j, v1beta1 ? "window" : "windowSeconds");
        cm_json_int(j, c->metric->window);
    }
    cm_json_key(j, "value");
    m.at[SLOT_VALUE] = out->len;
    cm_json_string(j, value->text);
    m.to[SLOT_VALUE] = out->len;
    if (v1beta1) {
        cm_json_key(j, "selector");
        write_label_selector(j, c->metric_selector);
    }
    cm_json_object_end(j);
    m.end = out->len;
    if (marks != NULL) {
        if (m.at[SLOT_NS] == 0)
            m.at[SLOT_NS] = m.to[SLOT_NS] = m.at[SLOT_NAME];
        *marks = m;
    }
}

/*
 * The items of a selector request differ only in namespace, name, timestamp
 * and value (every other field depends on the request alone), so the first
 * one is written by the JSON writer and the others are stamped from a copy of
 * its bytes: the same output for a fraction of the work.
 */
struct stamper {
    struct cm_json *j;
    const struct item_ctx *c;
    struct cm_arena *arena;
    const char *tmpl;          /* the first item's bytes, from arena */
    struct item_marks m;       /* relative to tmpl */
    const char *tmpl_ns;       /* the first item's namespace (the image's string) */
    time_t tmpl_ts;            /* and its timestamp */
    time_t ts;                 /* the last timestamp formatted, and its text */
    char ts_text[32];
    size_t ts_len;
};

/*
 * Stamps the item of obj in one reserved stretch of the output when none
 * of its strings needs escaping (as Kubernetes names and quantities never
 * do): the template's bytes with the slots that differ replaced.  A
 * namespace that is the template's own string (the image keeps each
 * namespace once) and a timestamp equal to the template's stay as they are.
 * Returns 0 when stamped, 1 when the output failed, -1 when a string needs
 * escaping (nothing written: the caller takes the general path).
 */
/* Copies tmpl[*from, at), then "s" (n bytes), and moves *from to `to`. */
static inline char *
put_slot(char *p, const char *tmpl, size_t *from, size_t at, size_t to, const char *s, size_t n)
{
    memcpy(p, tmpl + *from, at - *from);
    p += at - *from;
    *p++ = '"';
    memcpy(p, s, n);
    p += n;
    *p++ = '"';
    *from = to;
    return p;
}

static int
stamp_plain(struct stamper *st, const struct cm_object *obj, const struct cm_value *value)
{
    const struct item_marks *m = &st->m;
    int ns_differs = m->to[SLOT_NS] > m->at[SLOT_NS] && obj->namespace != st->tmpl_ns;
    int ts_differs = value->timestamp != st->tmpl_ts;
    size_t name_len, value_len, ns_len = 0, from = 0, need;
    char *p;

    name_len = cm_json_plain_span(obj->name);
    value_len = cm_json_plain_span(value->text);
    if (obj->name[name_len] != '\0' || value->text[value_len] != '\0')
        return -1;
    need = 1 + m->end + name_len + 2 - (m->to[SLOT_NAME] - m->at[SLOT_NAME]) +
           value_len + 2 - (m->to[SLOT_VALUE] - m->at[SLOT_VALUE]);
    if (ns_differs) {
        ns_len = cm_json_plain_span(obj->namespace);
        if (obj->namespace[ns_len] != '\0')
            return -1;
        need += ns_len + 2 - (m->to[SLOT_NS] - m->at[SLOT_NS]);
    }
    if (ts_differs)
        need += st->ts_len + 2 - (m->to[SLOT_TIME] - m->at[SLOT_TIME]);
    if ((p = cm_buf_room(st->j->out, need)) == NULL)
        return 1;
    *p++ = ',';
    if (ns_differs)
        p = put_slot(p, st->tmpl, &from, m->at[SLOT_NS], m->to[SLOT_NS], obj->namespace, ns_len);
    p = put_slot(p, st->tmpl, &from, m->at[SLOT_NAME], m->to[SLOT_NAME], obj->name, name_len);
    if (ts_differs)
        p = put_slot(p, st->tmpl, &from, m->at[SLOT_TIME], m->to[SLOT_TIME], st->ts_text,
                     st->ts_len);
    p = put_slot(p, st->tmpl, &from, m->at[SLOT_VALUE], m->to[SLOT_VALUE], value->text,
                 value_len);
    memcpy(p, st->tmpl + from, m->end - from);
    cm_buf_commit(st->j->out, need);
    return 0;
}

static int
stamp_item(const struct cm_object *obj, void *arg)
{
    struct stamper *st = arg;
    struct cm_buf *out = st->j->out;
    const struct item_marks *m = &st->m;
    struct cm_value value;
    size_t k, from = 0;
    int rc;

    if (!cm_source_object(st->c->source, st->c->resource, obj->namespace, obj->name,
                          st->c->metric_selector, st->arena, &value))
        return 0;                       /* no value for this object: left out */
    if (st->tmpl == NULL) {
        struct item_marks abs;

        write_item(st->j, st->c, obj, obj->name, &value, &abs);
        if (cm_buf_failed(out))
            return 1;
        /* In pretty mode the first item starts with its newline and indent;
         * each later one needs a comma before that. */
        st->tmpl = cm_arena_strndup(st->arena, out->data + abs.start, abs.end - abs.start);
        st->m.start = 0;
        st->m.end = abs.end - abs.start;
        for (k = 0; k < NSLOTS; k++) {
            st->m.at[k] = abs.at[k] - abs.start;
            st->m.to[k] = abs.to[k] - abs.start;
        }
        st->tmpl_ns = obj->namespace;
        st->tmpl_ts = value.timestamp;
        /* its timestamp's text, without the quotes, for the next items */
        st->ts = value.timestamp;
        st->ts_len = st->m.to[SLOT_TIME] - st->m.at[SLOT_TIME] - 2;
        if (st->ts_len < sizeof(st->ts_text))
            memcpy(st->ts_text, st->tmpl + st->m.at[SLOT_TIME] + 1, st->ts_len);
        else
            st->ts_len = 0;                 /* formatted again below */
        return 0;
    }
    if (st->ts_len == 0 || st->ts != value.timestamp) {
        st->ts = value.timestamp;
        st->ts_len = cm_json_time_text(value.timestamp, st->ts_text);
    }
    if ((rc = stamp_plain(st, obj, &value)) >= 0)
        return rc;
    cm_buf_addc(out, ',');
    for (k = 0; k < NSLOTS; k++) {
        cm_buf_add(out, st->tmpl + from, m->at[k] - from);
        from = m->to[k];
        switch (k) {
        case SLOT_NS:
            if (m->to[k] > m->at[k])
                cm_json_escape(out, obj->namespace, strlen(obj->namespace));
            break;
        case SLOT_NAME:
            cm_json_escape(out, obj->name, strlen(obj->name));
            break;
        case SLOT_TIME:
            cm_buf_addc(out, '"');
            cm_buf_add(out, st->ts_text, st->ts_len);
            cm_buf_addc(out, '"');
            break;
        default:
            cm_json_escape(out, value.text, strlen(value.text));
            break;
        }
    }
    cm_buf_add(out, st->tmpl + from, m->end - from);
    return cm_buf_failed(out);
}

/* The objects of a selector request, listed before their values are fetched. */
struct collected {
    struct cm_object *v;       /* copies without labels (the view's are gone) */
    const char **names;
    size_t n, cap;
    struct cm_arena *arena;
};

static int
collect(const struct cm_object *obj, void *arg)
{
    struct collected *c = arg;

    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        struct cm_object *v = cm_arena_alloc(c->arena, cap * sizeof(*v));
        const char **names = cm_arena_alloc(c->arena, cap * sizeof(*names));

        if (c->n) {
            memcpy(v, c->v, c->n * sizeof(*v));
            memcpy(names, c->names, c->n * sizeof(*names));
        }
        c->v = v;
        c->names = names;
        c->cap = cap;
    }
    c->v[c->n] = *obj;
    c->v[c->n].labels.n = 0;
    c->v[c->n].labels.v = NULL;
    c->names[c->n++] = obj->name;
    return 0;
}

/*
 * The 503 of a source that has nothing to serve (and no fallback).  why is
 * for clients (no path, URL or upstream text: those are in the log); the
 * request id in the message finds the log records of this request.
 */
static void
unavailable(struct cm_ctx *ctx, const char *why)
{
    const struct cm_route *call = &ctx->route;

    cm_log_request(CM_LOG_WARN, "503: unable to fetch metric %s for %s: %s", call->metric,
                   call->resource, why);
    cm_status_write(ctx, 503, "ServiceUnavailable", 0,
                    "unable to fetch metric %s for %s: %s (request %s)", call->metric,
                    call->resource, why, cm_log_request_id());
}

static void
list_begin(struct cm_json *j, const char *version)
{
    static const char group[] = CM_GROUP_CUSTOM "/";
    char gv[64];
    size_t n = strlen(version);

    if (n > sizeof(gv) - sizeof(group))
        n = sizeof(gv) - sizeof(group);     /* as snprintf() would cut it */
    memcpy(gv, group, sizeof(group) - 1);
    memcpy(gv + sizeof(group) - 1, version, n);
    gv[sizeof(group) - 1 + n] = '\0';
    cm_json_object_begin(j);
    cm_json_key(j, "kind");       cm_json_string(j, "MetricValueList");
    cm_json_key(j, "apiVersion"); cm_json_string(j, gv);
    cm_json_key(j, "metadata");   cm_json_object_begin(j); cm_json_object_end(j);
    cm_json_key(j, "items");
    cm_json_array_begin(j);
}

/*
 * The query's selectors: labelSelector (a 400 when malformed),
 * metricLabelSelector (a 500, as the Go server answers), and a
 * fieldSelector, which may only repeat the name in the path.  0, or -1
 * with the Status written.
 */
static int
read_selectors(struct cm_ctx *ctx, struct cm_selector *object_sel, struct cm_selector *metric_sel)
{
    const struct cm_query_pair *fs;
    const char *err;

    if (cm_param_selector(ctx, "labelSelector", 400, "BadRequest", object_sel) < 0 ||
        cm_param_selector(ctx, "metricLabelSelector", 500, NULL, metric_sel) < 0)
        return -1;
    fs = cm_query_get(&ctx->query, "fieldSelector");
    if (fs != NULL &&
        cm_fieldsel_check(fs->value, fs->value_len, ctx->route.name, ctx->arena, &err) < 0) {
        cm_status_write(ctx, 400, "BadRequest", 0, "%s", err);
        return -1;
    }
    return 0;
}

/*
 * The metric and resource the path names, in *metric_out and *r_out: a 404
 * when metrics.yaml does not declare the metric for the resource; a 503
 * while the watch cache has not listed the resource yet (that is not
 * knowing, not an object that does not exist).  0, or -1 with the Status
 * written.
 */
static int
find_metric(struct cm_ctx *ctx, const struct cm_metric **metric_out,
            const struct cm_resource **r_out)
{
    const struct cm_api *api = ctx->api;
    const struct cm_route *call = &ctx->route;
    const struct cm_resource *r = cm_resource_lookup(call->resource);
    const struct cm_metric *metric = cm_config_find(api->config, call->metric);
    size_t len;

    if (r == NULL || metric == NULL || !cm_metric_describes(metric, r)) {
        cm_status_write(ctx, 404, "NotFound", 0, "the server could not find the metric %s for %s",
                        call->metric, call->resource);
        return -1;
    }
    if (api->cache != NULL && cm_objects_image(api->objects, r, &len) == NULL) {
        unavailable(ctx, "the objects have not been listed yet");
        return -1;
    }
    *metric_out = metric;
    *r_out = r;
    return 0;
}

/*
 * One object by name: its list of one item, or a 404 naming what is
 * missing (the object, or a value whose labels match the metric selector).
 * 0 with the list begun, or -1 with the Status written.
 */
static int
respond_by_name(struct cm_ctx *ctx, struct item_ctx *c, struct cm_source_view *view,
                struct cm_json *j)
{
    const struct cm_api *api = ctx->api;
    const struct cm_route *call = c->call;
    const struct cm_resource *r = c->resource;
    struct cm_object found, *obj = NULL;
    struct cm_value value;
    struct cm_buf sel;
    int exists;

    if (api->objects == NULL)
        exists = r->namespaced ? *call->ns != '\0' : *call->ns == '\0';
    else
        exists = (r->namespaced || *call->ns == '\0') &&
                 cm_objects_get(api->objects, r, call->ns, call->name, &found) &&
                 (obj = &found) != NULL;
    if (exists &&
        cm_source_fetch(view, r, call->ns, &call->name, 1, c->metric_selector, ctx->arena) < 0 &&
        !c->metric->has_fallback) {
        unavailable(ctx, view->failure);
        return -1;
    }
    if (exists && cm_source_object(view, r, call->ns, call->name, c->metric_selector, ctx->arena,
                                   &value)) {
        list_begin(j, call->version);
        write_item(j, c, obj, call->name, &value, NULL);
        return 0;
    }
    cm_buf_init(&sel, CM_SELECTOR_MAX_LEN * 4);
    if (exists)
        cm_selector_format(c->metric_selector, &sel);
    cm_status_write(ctx, 404, "NotFound", 0, "the server could not find the metric %s for %s %s%s%s",
                    call->metric, call->resource, call->name,
                    sel.len ? " with selector " : "", sel.len ? sel.data : "");
    cm_buf_free(&sel);
    return -1;
}

/*
 * The objects object_sel selects (in the path's namespace, or in all for a
 * cluster-scoped resource), each with its value: one query for all of them
 * when the source wants the objects' names first, else stamped as they
 * are selected.  0 with the list begun, or -1 with the Status written.
 */
static int
respond_by_selector(struct cm_ctx *ctx, struct item_ctx *c, struct cm_source_view *view,
                    const struct cm_selector *object_sel, struct cm_json *j)
{
    const struct cm_api *api = ctx->api;
    const struct cm_route *call = c->call;
    const struct cm_resource *r = c->resource;
    const char *ns = *call->ns ? call->ns : NULL;
    struct stamper st;

    memset(&st, 0, sizeof(st));
    st.j = j;
    st.c = c;
    st.arena = ctx->arena;
    if (cm_source_wants_objects(view)) {
        struct collected col = { NULL, NULL, 0, 0, ctx->arena };
        size_t i;

        cm_objects_select_bare(api->objects, r, ns, object_sel, collect, &col);
        if (cm_source_fetch(view, r, call->ns, col.names, col.n, c->metric_selector,
                            ctx->arena) < 0 && !c->metric->has_fallback) {
            unavailable(ctx, view->failure);
            return -1;
        }
        list_begin(j, call->version);
        for (i = 0; i < col.n && !stamp_item(&col.v[i], &st); i++)
            ;
    } else {
        list_begin(j, call->version);
        cm_objects_select_bare(api->objects, r, ns, object_sel, stamp_item, &st);
    }
    return 0;
}

void
cm_values_respond(struct cm_ctx *ctx)
{
    const struct cm_api *api = ctx->api;
    const struct cm_route *call = &ctx->route;
    struct cm_selector object_sel, metric_sel;
    const struct cm_metric *metric;
    const struct cm_resource *r;
    struct cm_source_view view;
    struct item_ctx c;
    struct cm_json j;

    if (read_selectors(ctx, &object_sel, &metric_sel) < 0 || find_metric(ctx, &metric, &r) < 0)
        return;
    memset(&c, 0, sizeof(c));
    c.call = call;
    c.metric = metric;
    c.resource = r;
    c.metric_selector = &metric_sel;
    c.source = &view;
    if (cm_source_open(api->sources, metric, ctx->req->now, &view) < 0 && !metric->has_fallback) {
        unavailable(ctx, view.failure);
        return;
    }
    cm_ctx_json_begin(ctx, &j);
    if (strcmp(call->name, "*") != 0) {
        if (respond_by_name(ctx, &c, &view, &j) < 0)
            return;
    } else if (api->objects != NULL && (r->namespaced || *call->ns == '\0')) {
        if (respond_by_selector(ctx, &c, &view, &object_sel, &j) < 0)
            return;
    } else {
        list_begin(&j, call->version);
    }
    cm_json_array_end(&j);
    cm_json_object_end(&j);
    cm_ctx_json_end(ctx);
}
