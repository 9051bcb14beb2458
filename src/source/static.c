/*
 * static.c - the static source: the configured quantity for every object the
 * metric describes, stamped with the request time.  Pure: no state, no I/O.
 */
#include "backend.h"

static int
static_open(struct cm_source_view *v)
{
    (void)v;
    return 0;
}

static int
static_object(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
              const char *name, const struct cm_selector *metric_sel, struct cm_arena *a,
              struct cm_value *out)
{
    const struct cm_metric *m = v->metric;

    (void)r;
    (void)ns;
    (void)name;
    (void)a;
    if (!cm_selector_matches(metric_sel, &m->labels))
        return 0;
    out->text = m->source.value.text;
    out->timestamp = v->now;
    return 1;
}

/* One series: the entry's own labels and value. */
static int
static_each_series(const struct cm_source_view *v, const char *ns,
                   const struct cm_selector *sel, struct cm_arena *a,
                   int (*fn)(const struct cm_series *s, void *arg), void *arg)
{
    struct cm_series series;

    (void)ns;
    (void)a;
    series.labels = v->metric->labels;
    series.value.text = v->metric->source.value.text;
    series.value.timestamp = v->now;
    if (!cm_selector_matches(sel, &series.labels))
        return 0;
    fn(&series, arg);
    return 1;
}

const struct cm_source_ops cm_source_static = {
    .name = "static",
    .open = static_open,
    .object = static_object,
    .each_series = static_each_series,
};
