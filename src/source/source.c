#include "source.h"
#include "log.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cm_sources *
cm_sources_new(const struct cm_config *cfg)
{
    struct cm_sources *s = cm_xcalloc(1, sizeof(*s));
    size_t i;

    s->nfiles = cfg->nfiles;
    s->prometheus = cfg->prometheus;
    s->files = cm_xcalloc(cfg->nfiles ? cfg->nfiles : 1, sizeof(*s->files));
    for (i = 0; i < cfg->nmetrics + cfg->nexternal; i++) {
        const struct cm_metric *m = i < cfg->nmetrics ? &cfg->metrics[i]
                                                      : &cfg->external[i - cfg->nmetrics];
        if (m->source.kind == CM_SOURCE_FILE)
            cm_filesrc_init(&s->files[m->source.file.slot], m->source.file.path);
    }
    s->nprom = cfg->nprom;
    s->prom_caches = cm_xcalloc(cfg->nprom ? cfg->nprom : 1, sizeof(*s->prom_caches));
    for (i = 0; i < cfg->nmetrics; i++) {
        const struct cm_metric *m = &cfg->metrics[i];
        if (m->source.kind == CM_SOURCE_PROMETHEUS && m->source.prom.max_age > 0)
            s->prom_caches[m->source.prom.slot] = cm_prom_cache_new(m->source.prom.max_age);
    }
    return s;
}

void
cm_sources_free(struct cm_sources *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nfiles; i++)
        cm_filesrc_free(&s->files[i]);
    free(s->files);
    cm_pushstore_close(s->push);
    cm_promclient_free(s->prom_client);
    for (i = 0; i < s->nprom; i++)
        cm_prom_cache_free(s->prom_caches[i]);
    free(s->prom_caches);
    free(s);
}

void
cm_sources_set_state_dir(struct cm_sources *s, const char *dir, uint32_t push_capacity)
{
    s->state_dir = dir;
    s->push_capacity = push_capacity;
}

struct cm_pushstore *
cm_sources_push(struct cm_sources *s)
{
    if (s->push == NULL) {
        if (s->state_dir == NULL) {
            snprintf(s->push_error, sizeof(s->push_error),
                     "push values are not kept: the server runs without --state-dir");
            return NULL;
        }
        if (cm_pushstore_open(&s->push, s->state_dir, s->push_capacity, 0, s->push_error,
                              sizeof(s->push_error)) < 0)
            return NULL;
    }
    if (cm_pushstore_refresh(s->push, s->push_error, sizeof(s->push_error)) < 0)
        return NULL;
    return s->push;
}

int
cm_source_open(struct cm_sources *s, const struct cm_metric *m, time_t now,
               struct cm_source_view *out)
{
    out->metric = m;
    out->file = NULL;
    out->push = NULL;
    out->sources = s;
    out->prom = NULL;
    out->stale = NULL;
    out->failure = NULL;
    out->now = now;
    if (m->source.kind == CM_SOURCE_STATIC)
        return 0;
    if (s == NULL) {
        out->failure = "this server keeps no state for its sources";
        return -1;
    }
    if (m->source.kind == CM_SOURCE_PROMETHEUS) {
        if (s->prometheus != NULL)
            return 0;
        out->failure = "no prometheus: block in the configuration";
        return -1;
    }
    if (m->source.kind == CM_SOURCE_PUSH) {
        out->push = cm_sources_push(s);
        out->memo = &s->memo;
        out->memo->resource = NULL;
        if (out->push != NULL)
            return 0;
        cm_log_request(CM_LOG_WARN, "metric %s: %s", m->name, s->push_error);
        out->failure = "the push store is not available";
        return -1;
    }
    out->file = &s->files[m->source.file.slot];
    if (cm_filesrc_refresh(out->file) == 0)
        return 0;
    /* An older good load is still served within max_age (values are aged one by one). */
    if (out->file->loaded && m->source.file.max_age > 0)
        return 0;
    cm_log_request(CM_LOG_WARN, "metric %s: %s", m->name, out->file->error);
    out->failure = "its file cannot be read";
    return -1;
}

/* 1 if a value stamped t may still be served. */
static int
fresh(const struct cm_source_view *v, time_t t)
{
    const struct cm_source *src = &v->metric->source;
    int64_t max_age = src->kind == CM_SOURCE_PUSH ? src->push.max_age
                      : src->kind == CM_SOURCE_PROMETHEUS ? src->prom.max_age
                      : src->file.max_age;

    return max_age <= 0 || (int64_t)(v->now - t) <= max_age;
}

/*
 * The labels a value gives its metric: the static labels, overridden by the
 * value's own (a sample's, a write's) except those naming the object.
 */
static void
merge_labels(const struct cm_labels *fixed, const struct cm_labels *own, const char *skip1,
             const char *skip2, struct cm_arena *a, struct cm_labels *out)
{
    struct cm_label *v = cm_arena_alloc(a, (fixed->n + own->n + 1) * sizeof(*v));
    size_t i = 0, k = 0, n = 0;

    /* both inputs are sorted by key: merge them */
    while (i < fixed->n || k < own->n) {
        const struct cm_label *pick;
        int c;

        if (k < own->n && ((skip1 && strcmp(own->v[k].key, skip1) == 0) ||
                                (skip2 && strcmp(own->v[k].key, skip2) == 0))) {
            k++;
            continue;
        }
        if (i == fixed->n)
            c = 1;
        else if (k == own->n)
            c = -1;
        else
            c = strcmp(fixed->v[i].key, own->v[k].key);
        if (c < 0) {
            pick = &fixed->v[i++];
        } else {
            if (c == 0)
                i++;                   /* the sample's own value wins */
            pick = &own->v[k++];
        }
        v[n++] = *pick;
    }
    out->n = n;
    out->v = v;
}

/* A sample's value as a canonical quantity; 0 when it cannot be served (NaN, Inf, old). */
static int
sample_value(const struct cm_source_view *v, const struct cm_sample *s, struct cm_value *out)
{
    out->timestamp = s->has_timestamp ? (time_t)(s->timestamp_ms / 1000)
                                      : v->file->mtime.tv_sec;
    out->text = s->quantity;
    return out->text != NULL && fresh(v, out->timestamp);
}

static int
fallback(const struct cm_source_view *v, const struct cm_selector *metric_sel,
         struct cm_value *out)
{
    const struct cm_metric *m = v->metric;

    if (!m->has_fallback || !cm_selector_matches(metric_sel, &m->labels))
        return 0;
    out->text = m->fallback.text;
    out->timestamp = v->now;
    return 1;
}

int
cm_source_wants_objects(const struct cm_source_view *v)
{
    return v->failure == NULL && v->metric->source.kind == CM_SOURCE_PROMETHEUS;
}

static struct cm_promclient *
prom_client(struct cm_sources *s)
{
    if (s->prom_client == NULL)
        s->prom_client = cm_promclient_new();
    return s->prom_client;
}

int
cm_source_fetch(struct cm_source_view *v, const struct cm_resource *r, const char *ns,
                const char *const *names, size_t n, const struct cm_selector *metric_sel,
                struct cm_arena *a)
{
    struct cm_prom_cache *cache;
    char err[1024];

    if (!cm_source_wants_objects(v) || n == 0)
        return 0;
    cache = v->sources->prom_caches[v->metric->source.prom.slot];
    v->prom = cm_promsrc_query_objects(prom_client(v->sources), v->sources->prometheus,
                                       v->metric, r, ns, names, n, metric_sel, a, err,
                                       sizeof(err));
    if (v->prom != NULL) {
        if (cache != NULL)
            cm_prom_cache_store(cache, v->prom, r->namespaced ? ns : "", names, n, v->now);
        return 0;
    }
    /* Values of an earlier good answer are served while younger than max_age. */
    if (cache != NULL && cm_prom_cache_count(cache) > 0) {
        v->stale = cache;
        return 0;
    }
    v->failure = cm_arena_strdup(a, err);
    return -1;
}

int
cm_source_fetch_series(struct cm_source_view *v, const struct cm_selector *sel,
                       struct cm_arena *a)
{
    char err[1024];

    if (!cm_source_wants_objects(v))
        return 0;
    v->prom = cm_promsrc_query_external(prom_client(v->sources), v->sources->prometheus,
                                        v->metric, sel, a, err, sizeof(err));
    if (v->prom != NULL)
        return 0;
    v->failure = cm_arena_strdup(a, err);
    return -1;
}

/* A prometheus source's value for one object, from the fetched answer. */
static int
prom_object(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
            const char *name,
            const struct cm_selector *metric_sel, struct cm_arena *a, struct cm_value *out)
{
    const struct cm_metric *m = v->metric;
    const struct cm_prom_result *cached = v->stale ? cm_prom_cache_get(v->stale, ns, name) : NULL;
    const struct cm_prom_sample *s;
    const char *ns_label = r->namespaced ? m->source.prom.namespace_label : NULL;
    const char *obj_label = m->source.prom.object_label ? m->source.prom.object_label
                                                        : r->singular;
    size_t pos = 0;

    for (;;) {
        struct cm_labels labels = m->labels;
        struct cm_quantity q;
        const char *err;

        if (v->prom != NULL)
            s = cm_promsrc_find(v->prom, ns, name, &pos);
        else
            s = cached != NULL && pos < cached->n ? &cached->v[pos++] : NULL;
        if (s == NULL)
            break;
        if (metric_sel->n > 0) {
            merge_labels(&m->labels, &s->labels, ns_label, obj_label, a, &labels);
            if (!cm_selector_matches(metric_sel, &labels))
                continue;
        }
        if (cm_quantity_from_double(s->value, &q, &err) < 0 || !fresh(v, (time_t)s->timestamp))
            continue;                  /* NaN, infinities, too old: no value */
        out->text = cm_arena_strdup(a, q.text);
        out->timestamp = (time_t)s->timestamp;
        return 1;
    }
    return fallback(v, metric_sel, out);
}

/* A push source's value for one object. */
static int
push_object(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
            const char *name, const struct cm_selector *metric_sel, struct cm_arena *a,
            struct cm_value *out)
{
    const struct cm_metric *m = v->metric;
    struct cm_push_memo *memo = v->memo;
    struct cm_push_value pv;
    struct cm_labels labels = m->labels;

    if (memo->metric != m || memo->resource != r || strcmp(memo->ns, ns) != 0) {
        /* a new scope (the first object, or another namespace): hash it once */
        memo->metric = m;
        memo->resource = r;
        snprintf(memo->ns, sizeof(memo->ns), "%s", ns);
        memo->ok = strlen(ns) < sizeof(memo->ns) &&
                   cm_pushstore_scope(&memo->scope, m->name, r->group_resource, ns) == 0;
    }
    if (!memo->ok || !cm_pushstore_get_in(v->push, &memo->scope, name, &pv))
        return fallback(v, metric_sel, out);
    if (metric_sel->n > 0 && pv.labels.n > 0)
        merge_labels(&m->labels, &pv.labels, NULL, NULL, a, &labels);
    if (!cm_selector_matches(metric_sel, &labels) || !fresh(v, (time_t)pv.timestamp))
        return fallback(v, metric_sel, out);
    out->text = pv.text;
    out->timestamp = (time_t)pv.timestamp;
    return 1;
}

int
cm_source_object(const struct cm_source_view *v, const struct cm_resource *r,
                 const char *ns, const char *name, const struct cm_selector *metric_sel,
                 struct cm_arena *a, struct cm_value *out)
{
    const struct cm_metric *m = v->metric;
    const struct cm_file_source *fs = &m->source.file;
    const struct cm_sample *s;
    const char *ns_label, *obj_label;
    size_t pos = 0;

    if (v->failure != NULL)
        return fallback(v, metric_sel, out);
    if (m->source.kind == CM_SOURCE_STATIC) {
        if (!cm_selector_matches(metric_sel, &m->labels))
            return 0;
        out->text = m->source.value.text;
        out->timestamp = v->now;
        return 1;
    }
    if (m->source.kind == CM_SOURCE_PUSH)
        return push_object(v, r, ns, name, metric_sel, a, out);
    if (m->source.kind == CM_SOURCE_PROMETHEUS)
        return prom_object(v, r, r->namespaced ? ns : "", name, metric_sel, a, out);
    if (v->file->single) {
        out->text = v->file->single_value.text;
        out->timestamp = v->file->mtime.tv_sec;
        if (cm_selector_matches(metric_sel, &m->labels) && fresh(v, out->timestamp))
            return 1;
        return fallback(v, metric_sel, out);
    }
    obj_label = fs->object_label ? fs->object_label : r->singular;
    ns_label = r->namespaced ? fs->namespace_label : NULL;
    while ((s = cm_filesrc_find(v->file, fs->series ? fs->series : m->name, ns_label, ns,
                                obj_label, name, &pos)) != NULL) {
        struct cm_labels labels;

        if (metric_sel->n > 0) {        /* the labels matter only to a selector */
            merge_labels(&m->labels, &s->labels, ns_label, obj_label, a, &labels);
            if (!cm_selector_matches(metric_sel, &labels))
                continue;
        }
        if (sample_value(v, s, out))
            return 1;
    }
    return fallback(v, metric_sel, out);
}

/* A walk over the external series written to a push source. */
struct push_walk {
    const struct cm_source_view *v;
    const char *ns;
    const struct cm_selector *sel;
    struct cm_arena *a;
    int (*fn)(const struct cm_series *s, void *arg);
    void *arg;
    int any;
};

/* One written series: served in its own namespace, or in all when written without one. */
static int
push_series(const struct cm_push_key *k, const struct cm_push_value *pv, void *arg)
{
    struct push_walk *w = arg;
    struct cm_series series;

    if ((*k->ns != '\0' && strcmp(k->ns, w->ns) != 0) || !fresh(w->v, (time_t)pv->timestamp))
        return 0;
    merge_labels(&w->v->metric->labels, &pv->labels, NULL, NULL, w->a, &series.labels);
    if (!cm_selector_matches(w->sel, &series.labels))
        return 0;
    series.value.text = pv->text;
    series.value.timestamp = (time_t)pv->timestamp;
    w->any = 1;
    return w->fn(&series, w->arg);
}

void
cm_source_each_series(const struct cm_source_view *v, const char *ns,
                      const struct cm_selector *sel, struct cm_arena *a,
                      int (*fn)(const struct cm_series *s, void *arg), void *arg)
{
    const struct cm_metric *m = v->metric;
    const struct cm_file_source *fs = &m->source.file;
    struct cm_series series;
    size_t i;

    if (v->failure == NULL && m->source.kind == CM_SOURCE_PROMETHEUS && v->prom != NULL) {
        const struct cm_prom_result *res = cm_promsrc_result(v->prom);
        int any = 0;

        for (i = 0; i < res->n; i++) {
            const struct cm_prom_sample *s = &res->v[i];
            const char *sample_ns = cm_labels_get(&s->labels, m->source.prom.namespace_label);
            struct cm_quantity q;
            const char *err;

            if (sample_ns != NULL && strcmp(sample_ns, ns) != 0)
                continue;
            merge_labels(&m->labels, &s->labels, NULL, NULL, a, &series.labels);
            if (!cm_selector_matches(sel, &series.labels) ||
                cm_quantity_from_double(s->value, &q, &err) < 0)
                continue;
            series.value.text = cm_arena_strdup(a, q.text);
            series.value.timestamp = (time_t)s->timestamp;
            any = 1;
            if (fn(&series, arg))
                return;
        }
        if (any || !m->has_fallback)
            return;
    }
    if (v->failure == NULL && m->source.kind == CM_SOURCE_PUSH) {
        struct push_walk w = { v, ns, sel, a, fn, arg, 0 };

        cm_pushstore_each_external(v->push, m->name, a, push_series, &w);
        if (w.any || !m->has_fallback)
            return;
    }

    if (v->failure == NULL && m->source.kind == CM_SOURCE_FILE && !v->file->single) {
        const char *name = fs->series ? fs->series : m->name;
        int any = 0;

        for (i = 0; i < v->file->samples.n; i++) {
            const struct cm_sample *s = &v->file->samples.v[i];
            const char *sample_ns = cm_labels_get(&s->labels, fs->namespace_label);

            if (strcmp(s->name, name) != 0 || (sample_ns != NULL && strcmp(sample_ns, ns) != 0))
                continue;
            merge_labels(&m->labels, &s->labels, NULL, NULL, a, &series.labels);
            if (!cm_selector_matches(sel, &series.labels) || !sample_value(v, s, &series.value))
                continue;
            any = 1;
            if (fn(&series, arg))
                return;
        }
        if (any || !m->has_fallback)
            return;
    }
    series.labels = m->labels;
    if (v->failure == NULL && m->source.kind == CM_SOURCE_STATIC) {
        series.value.text = m->source.value.text;
        series.value.timestamp = v->now;
    } else if (v->failure == NULL && m->source.kind == CM_SOURCE_FILE && v->file->single &&
               fresh(v, v->file->mtime.tv_sec)) {
        series.value.text = v->file->single_value.text;
        series.value.timestamp = v->file->mtime.tv_sec;
    } else if (!fallback(v, sel, &series.value)) {
        return;
    }
    if (cm_selector_matches(sel, &series.labels))
        fn(&series, arg);
}
