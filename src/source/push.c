/*
 * push.c - push sources: the values written to /write-metrics, kept in the
 * push store (pushstore.h) under STATE_DIR, each stamped with the time it was
 * written and served until it is max_age old.  This backend is also the one
 * the write API writes through (cm_sources_write_*()).
 *
 * A worker opens its own store on first use (flock() locks belong to an open
 * file: see pushstore.h), and refreshes it once per request.
 */
#include "backend.h"
#include "alloc.h"
#include "log.h"
#include "pushstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A view's last lookup scope, so that it is hashed once per request, not per object. */
struct push_memo {
    const struct cm_metric *metric;
    const struct cm_resource *resource;
    char ns[64];
    int ok;
    struct cm_push_scope scope;
};

struct push_state {
    const struct cm_sources *sources;  /* borrowed: where the store lives */
    struct cm_pushstore *store;        /* opened on first use, in the process using it */
    char error[512];
    struct push_memo memo;             /* for the push source being read */
};

static void *
push_init(struct cm_sources *s, const struct cm_config *cfg)
{
    struct push_state *st = cm_xcalloc(1, sizeof(*st));

    (void)cfg;
    st->sources = s;
    return st;
}

static void
push_free(void *state)
{
    struct push_state *st = state;

    if (st == NULL)
        return;
    cm_pushstore_close(st->store);
    free(st);
}

/*
 * The store, opened on first use and brought up to date; NULL when it
 * cannot be used, with the reason in st->error.
 */
static struct cm_pushstore *
store_of(struct push_state *st)
{
    if (st->store == NULL) {
        if (st->sources->state_dir == NULL) {
            snprintf(st->error, sizeof(st->error),
                     "push values are not kept: the server runs without --state-dir");
            return NULL;
        }
        if (cm_pushstore_open(&st->store, st->sources->state_dir, st->sources->push_capacity,
                              0, st->error, sizeof(st->error)) < 0)
            return NULL;
    }
    if (cm_pushstore_refresh(st->store, st->error, sizeof(st->error)) < 0)
        return NULL;
    return st->store;
}

static int
push_open(struct cm_source_view *v)
{
    struct push_state *st = v->state;

    st->memo.resource = NULL;          /* a new request: look the scope up again */
    if (store_of(st) != NULL)
        return 0;
    cm_log_request(CM_LOG_WARN, "metric %s: %s", v->metric->name, st->error);
    v->failure = "the push store is not available";
    return -1;
}

static int
push_object(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
            const char *name, const struct cm_selector *metric_sel, struct cm_arena *a,
            struct cm_value *out)
{
    const struct cm_metric *m = v->metric;
    struct push_state *st = v->state;
    struct push_memo *memo = &st->memo;
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
    if (!memo->ok || !cm_pushstore_get_in(st->store, &memo->scope, name, &pv))
        return 0;
    if (metric_sel->n > 0 && pv.labels.n > 0)
        cm_source_merge_labels(&m->labels, &pv.labels, NULL, NULL, a, &labels);
    if (!cm_selector_matches(metric_sel, &labels) ||
        !cm_source_fresh(v, m->source.push.max_age, (time_t)pv.timestamp))
        return 0;
    out->text = pv.text;
    out->timestamp = (time_t)pv.timestamp;
    return 1;
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
    const struct cm_metric *m = w->v->metric;
    struct cm_series series;

    if ((*k->ns != '\0' && strcmp(k->ns, w->ns) != 0) ||
        !cm_source_fresh(w->v, m->source.push.max_age, (time_t)pv->timestamp))
        return 0;
    cm_source_merge_labels(&m->labels, &pv->labels, NULL, NULL, w->a, &series.labels);
    if (!cm_selector_matches(w->sel, &series.labels))
        return 0;
    series.value.text = pv->text;
    series.value.timestamp = (time_t)pv->timestamp;
    w->any = 1;
    return w->fn(&series, w->arg);
}

static int
push_each_series(const struct cm_source_view *v, const char *ns, const struct cm_selector *sel,
                 struct cm_arena *a, int (*fn)(const struct cm_series *s, void *arg), void *arg)
{
    struct push_state *st = v->state;
    struct push_walk w = { v, ns, sel, a, fn, arg, 0 };

    cm_pushstore_each_external(st->store, v->metric->name, a, push_series, &w);
    return w.any;
}

/* --- writes ----------------------------------------------------------------- */

static int
push_write_fits(void *state, const struct cm_push_key *k, const struct cm_push_value *v,
                char *err, size_t errlen)
{
    (void)state;
    return cm_pushstore_fits(k, v, err, errlen);
}

static enum cm_write_result
push_write_begin(void *state, char *err, size_t errlen)
{
    struct push_state *st = state;

    if (store_of(st) == NULL) {
        snprintf(err, errlen, "%s", st->error);
        return CM_WRITE_UNAVAILABLE;
    }
    if (cm_pushstore_lock(st->store, err, errlen) < 0)
        return CM_WRITE_FAILED;
    return CM_WRITE_OK;
}

static enum cm_write_result
push_write_put(void *state, const struct cm_push_key *k, const struct cm_push_value *v,
               cm_pushstore_keep_fn keep, void *keep_arg, char *err, size_t errlen)
{
    struct push_state *st = state;

    switch (cm_pushstore_put(st->store, k, v, keep, keep_arg, err, errlen)) {
    case CM_PUSHSTORE_OK:
        return CM_WRITE_OK;
    case CM_PUSHSTORE_FULL:            /* full even after compacting */
    case CM_PUSHSTORE_NOSPACE:         /* the filesystem has no room: 507, never a signal */
        return CM_WRITE_FULL;
    default:
        return CM_WRITE_FAILED;
    }
}

static void
push_write_end(void *state)
{
    struct push_state *st = state;

    cm_pushstore_unlock(st->store);
}

const struct cm_source_ops cm_source_push = {
    .name = "push",
    .init = push_init,
    .free = push_free,
    .open = push_open,
    .object = push_object,
    .each_series = push_each_series,
    .write_fits = push_write_fits,
    .write_begin = push_write_begin,
    .write_put = push_write_put,
    .write_end = push_write_end,
};
