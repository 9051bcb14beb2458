#include "backend.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pure backends: what a program linking only libcmcore.a can serve. */
const struct cm_source_ops *const cm_source_backends_core[CM_SOURCE_NKINDS] = {
    [CM_SOURCE_STATIC] = &cm_source_static,
};

/* Every metric (custom, then external) of cfg, by index. */
static const struct cm_metric *
metric_at(const struct cm_config *cfg, size_t i)
{
    return i < cfg->nmetrics ? &cfg->metrics[i] : &cfg->external[i - cfg->nmetrics];
}

struct cm_sources *
cm_sources_new(const struct cm_config *cfg, const struct cm_source_ops *const *table)
{
    struct cm_sources *s = cm_xcalloc(1, sizeof(*s));
    size_t i;

    s->ops = table;
    for (i = 0; i < CM_SOURCE_NKINDS; i++) {
        const struct cm_source_ops *ops = table[i];

        if (ops == NULL)
            continue;
        if (ops->init != NULL)
            s->state[i] = ops->init(s, cfg);
        if (ops->write_begin != NULL && s->writer == NULL) {
            s->writer = ops;
            s->writer_state = s->state[i];
        }
    }
    for (i = 0; i < cfg->nmetrics + cfg->nexternal; i++) {
        const struct cm_metric *m = metric_at(cfg, i);
        const struct cm_source_ops *ops = table[m->source.kind];

        if (ops != NULL && ops->add != NULL)
            ops->add(s->state[m->source.kind], m);
    }
    return s;
}

void
cm_sources_free(struct cm_sources *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < CM_SOURCE_NKINDS; i++)
        if (s->ops[i] != NULL && s->ops[i]->free != NULL)
            s->ops[i]->free(s->state[i]);
    free(s);
}

void
cm_sources_set_state_dir(struct cm_sources *s, const char *dir, uint32_t push_capacity)
{
    s->state_dir = dir;
    s->push_capacity = push_capacity;
}

int
cm_source_open(struct cm_sources *s, const struct cm_metric *m, time_t now,
               struct cm_source_view *out)
{
    const struct cm_source_ops *const *table = s ? s->ops : cm_source_backends_core;

    memset(out, 0, sizeof(*out));
    out->metric = m;
    out->now = now;
    out->ops = table[m->source.kind];
    if (out->ops == NULL) {
        /* without state only the pure kinds answer (as they always did) */
        out->failure = s == NULL ? "this server keeps no state for its sources"
                                 : "this program has no backend for this kind of source";
        return -1;
    }
    out->state = s ? s->state[m->source.kind] : NULL;
    return out->ops->open(out);
}

int
cm_source_fresh(const struct cm_source_view *v, int64_t max_age, time_t t)
{
    return max_age <= 0 || (int64_t)(v->now - t) <= max_age;
}

void
cm_source_merge_labels(const struct cm_labels *fixed, const struct cm_labels *own,
                       const char *skip1, const char *skip2, struct cm_arena *a,
                       struct cm_labels *out)
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

/* The metric's fallback, when it has one and its labels match metric_sel. */
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
    return v->failure == NULL && v->ops->fetch != NULL;
}

int
cm_source_fetch(struct cm_source_view *v, const struct cm_resource *r, const char *ns,
                const char *const *names, size_t n, const struct cm_selector *metric_sel,
                struct cm_arena *a)
{
    if (!cm_source_wants_objects(v) || n == 0)
        return 0;
    return v->ops->fetch(v, r, ns, names, n, metric_sel, a);
}

int
cm_source_fetch_series(struct cm_source_view *v, const struct cm_selector *sel,
                       struct cm_arena *a)
{
    if (v->failure != NULL || v->ops->fetch_series == NULL)
        return 0;
    return v->ops->fetch_series(v, sel, a);
}

int
cm_source_object(const struct cm_source_view *v, const struct cm_resource *r,
                 const char *ns, const char *name, const struct cm_selector *metric_sel,
                 struct cm_arena *a, struct cm_value *out)
{
    if (v->failure == NULL && v->ops->object(v, r, ns, name, metric_sel, a, out))
        return 1;
    return fallback(v, metric_sel, out);
}

void
cm_source_each_series(const struct cm_source_view *v, const char *ns,
                      const struct cm_selector *sel, struct cm_arena *a,
                      int (*fn)(const struct cm_series *s, void *arg), void *arg)
{
    struct cm_series series;

    if (v->failure == NULL && v->ops->each_series(v, ns, sel, a, fn, arg))
        return;
    series.labels = v->metric->labels;
    if (fallback(v, sel, &series.value))
        fn(&series, arg);
}

/* --- writes ----------------------------------------------------------------- */

int
cm_sources_write_fits(const struct cm_sources *s, const struct cm_push_key *key,
                      const struct cm_push_value *value, char *err, size_t errlen)
{
    if (s == NULL || s->writer == NULL || s->writer->write_fits == NULL)
        return 0;
    return s->writer->write_fits(s->writer_state, key, value, err, errlen);
}

enum cm_write_result
cm_sources_write_begin(struct cm_sources *s, char *err, size_t errlen)
{
    if (s == NULL || s->writer == NULL) {
        snprintf(err, errlen, "%s", s == NULL ? "this server keeps no state"
                                              : "this program has no store for pushed values");
        return CM_WRITE_UNAVAILABLE;
    }
    return s->writer->write_begin(s->writer_state, err, errlen);
}

enum cm_write_result
cm_sources_write_put(struct cm_sources *s, const struct cm_push_key *key,
                     const struct cm_push_value *value, cm_pushstore_keep_fn keep, void *keep_arg,
                     char *err, size_t errlen)
{
    return s->writer->write_put(s->writer_state, key, value, keep, keep_arg, err, errlen);
}

void
cm_sources_write_end(struct cm_sources *s)
{
    if (s->writer->write_end != NULL)
        s->writer->write_end(s->writer_state);
}
