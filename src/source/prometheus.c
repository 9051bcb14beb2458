/*
 * prometheus.c - prometheus sources: one instant query per request (see
 * promsrc.h), through one client per worker (its connection stays open),
 * stamped with Prometheus' evaluation time.  With max_age, a worker keeps
 * each object's last good answer (promcache.h) and serves it, aged, while
 * queries fail.
 *
 * A thin layer over promsrc/promcache/promclient: this file decides only
 * what a view serves from an answer.
 */
#include "backend.h"
#include "alloc.h"
#include "promcache.h"
#include "promclient.h"
#include "promsrc.h"

#include <stdlib.h>
#include <string.h>

struct prom_state {
    const struct cm_prometheus *config;   /* borrowed; NULL: no prometheus: block */
    struct cm_promclient *client;         /* made on first use: one connection per worker */
    size_t n;
    struct cm_prom_cache **caches;        /* by cm_prom_source.slot; NULL without max_age */
};

/* The view's private words: the answer fetched, or the cache serving a failed fetch. */
enum { PRIV_ANSWER, PRIV_STALE };

static struct cm_prom_answer *
answer_of(const struct cm_source_view *v)
{
    return v->priv[PRIV_ANSWER];
}

static const struct cm_prom_cache *
stale_of(const struct cm_source_view *v)
{
    return v->priv[PRIV_STALE];
}

static void *
prom_init(struct cm_sources *s, const struct cm_config *cfg)
{
    struct prom_state *st = cm_xcalloc(1, sizeof(*st));

    (void)s;
    st->config = cfg->prometheus;
    st->n = cfg->nprom;
    st->caches = cm_xcalloc(cfg->nprom ? cfg->nprom : 1, sizeof(*st->caches));
    return st;
}

/* A cache for each metric with max_age (external series fetch no objects: none). */
static void
prom_add(void *state, const struct cm_metric *m)
{
    struct prom_state *st = state;

    if (m->nresources > 0 && m->source.prom.max_age > 0)
        st->caches[m->source.prom.slot] = cm_prom_cache_new(m->source.prom.max_age);
}

static void
prom_free(void *state)
{
    struct prom_state *st = state;
    size_t i;

    if (st == NULL)
        return;
    cm_promclient_free(st->client);
    for (i = 0; i < st->n; i++)
        cm_prom_cache_free(st->caches[i]);
    free(st->caches);
    free(st);
}

static struct cm_promclient *
client_of(struct prom_state *st)
{
    if (st->client == NULL)
        st->client = cm_promclient_new();
    return st->client;
}

static int
prom_open(struct cm_source_view *v)
{
    const struct prom_state *st = v->state;

    if (st->config != NULL)
        return 0;
    v->failure = "no prometheus: block in the configuration";
    return -1;
}

static int
prom_fetch(struct cm_source_view *v, const struct cm_resource *r, const char *ns,
           const char *const *names, size_t n, const struct cm_selector *metric_sel,
           struct cm_arena *a)
{
    struct prom_state *st = v->state;
    struct cm_prom_cache *cache = st->caches[v->metric->source.prom.slot];
    struct cm_prom_answer *ans;
    char err[1024];

    ans = cm_promsrc_query_objects(client_of(st), st->config, v->metric, r, ns, names, n,
                                   metric_sel, a, err, sizeof(err));
    v->priv[PRIV_ANSWER] = ans;
    if (ans != NULL) {
        if (cache != NULL)
            cm_prom_cache_store(cache, ans, r->namespaced ? ns : "", names, n, v->now);
        return 0;
    }
    /* Values of an earlier good answer are served while younger than max_age. */
    if (cache != NULL && cm_prom_cache_count(cache) > 0) {
        v->priv[PRIV_STALE] = cache;
        return 0;
    }
    v->failure = cm_arena_strdup(a, err);
    return -1;
}

static int
prom_fetch_series(struct cm_source_view *v, const struct cm_selector *sel, struct cm_arena *a)
{
    struct prom_state *st = v->state;
    char err[1024];

    v->priv[PRIV_ANSWER] = cm_promsrc_query_external(client_of(st), st->config, v->metric,
                                                     sel, a, err, sizeof(err));
    if (v->priv[PRIV_ANSWER] != NULL)
        return 0;
    v->failure = cm_arena_strdup(a, err);
    return -1;
}

/* The value for one object: from the answer, or else from the last good one. */
static int
prom_object(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
            const char *name, const struct cm_selector *metric_sel, struct cm_arena *a,
            struct cm_value *out)
{
    const struct cm_metric *m = v->metric;
    const struct cm_prom_answer *ans = answer_of(v);
    const struct cm_prom_cache *stale = stale_of(v);
    const struct cm_prom_result *cached;
    const struct cm_prom_sample *s;
    const char *ns_label = r->namespaced ? m->source.prom.namespace_label : NULL;
    const char *obj_label = m->source.prom.object_label ? m->source.prom.object_label
                                                        : r->singular;
    size_t pos = 0;

    if (!r->namespaced)
        ns = "";
    cached = stale ? cm_prom_cache_get(stale, ns, name) : NULL;
    for (;;) {
        struct cm_labels labels = m->labels;
        struct cm_quantity q;
        const char *err;

        if (ans != NULL)
            s = cm_promsrc_find(ans, ns, name, &pos);
        else
            s = cached != NULL && pos < cached->n ? &cached->v[pos++] : NULL;
        if (s == NULL)
            return 0;
        if (metric_sel->n > 0) {
            cm_source_merge_labels(&m->labels, &s->labels, ns_label, obj_label, a, &labels);
            if (!cm_selector_matches(metric_sel, &labels))
                continue;
        }
        if (cm_quantity_from_double(s->value, &q, &err) < 0 ||
            !cm_source_fresh(v, m->source.prom.max_age, (time_t)s->timestamp))
            continue;                  /* NaN, infinities, too old: no value */
        out->text = cm_arena_strdup(a, q.text);
        out->timestamp = (time_t)s->timestamp;
        return 1;
    }
}

/* The series of the answer visible in namespace ns. */
static int
prom_each_series(const struct cm_source_view *v, const char *ns, const struct cm_selector *sel,
                 struct cm_arena *a, int (*fn)(const struct cm_series *s, void *arg), void *arg)
{
    const struct cm_metric *m = v->metric;
    const struct cm_prom_answer *ans = answer_of(v);
    const struct cm_prom_result *res;
    struct cm_series series;
    int any = 0;
    size_t i;

    if (ans == NULL)
        return 0;
    res = cm_promsrc_result(ans);
    for (i = 0; i < res->n; i++) {
        const struct cm_prom_sample *s = &res->v[i];
        const char *sample_ns = cm_labels_get(&s->labels, m->source.prom.namespace_label);
        struct cm_quantity q;
        const char *err;

        if (sample_ns != NULL && strcmp(sample_ns, ns) != 0)
            continue;
        cm_source_merge_labels(&m->labels, &s->labels, NULL, NULL, a, &series.labels);
        if (!cm_selector_matches(sel, &series.labels) ||
            cm_quantity_from_double(s->value, &q, &err) < 0)
            continue;
        series.value.text = cm_arena_strdup(a, q.text);
        series.value.timestamp = (time_t)s->timestamp;
        any = 1;
        if (fn(&series, arg))
            break;
    }
    return any;
}

const struct cm_source_ops cm_source_prometheus = {
    .name = "prometheus",
    .init = prom_init,
    .add = prom_add,
    .free = prom_free,
    .open = prom_open,
    .fetch = prom_fetch,
    .fetch_series = prom_fetch_series,
    .object = prom_object,
    .each_series = prom_each_series,
};
