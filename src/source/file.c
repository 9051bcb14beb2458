/*
 * file.c - file sources: values read from a file (see filesrc.h), one cached
 * copy per file per worker, brought up to date by one stat() per request.
 *
 * The file is one quantity for every object, or Prometheus samples whose
 * labels name the objects; values are stamped with a sample's timestamp, or
 * else the file's mtime, and aged one by one against max_age.
 */
#include "backend.h"
#include "alloc.h"
#include "filesrc.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

struct file_state {
    size_t n;
    struct cm_filesrc *files;          /* by cm_file_source.slot */
};

static void *
file_init(struct cm_sources *s, const struct cm_config *cfg)
{
    struct file_state *st = cm_xcalloc(1, sizeof(*st));

    (void)s;
    st->n = cfg->nfiles;
    st->files = cm_xcalloc(cfg->nfiles ? cfg->nfiles : 1, sizeof(*st->files));
    return st;
}

static void
file_add(void *state, const struct cm_metric *m)
{
    struct file_state *st = state;

    cm_filesrc_init(&st->files[m->source.file.slot], m->source.file.path);
}

static void
file_free(void *state)
{
    struct file_state *st = state;
    size_t i;

    if (st == NULL)
        return;
    for (i = 0; i < st->n; i++)
        cm_filesrc_free(&st->files[i]);
    free(st->files);
    free(st);
}

/* The view's file: the worker's copy of the metric's file. */
static struct cm_filesrc *
file_of(const struct cm_source_view *v)
{
    const struct file_state *st = v->state;

    return &st->files[v->metric->source.file.slot];
}

static int
file_open(struct cm_source_view *v)
{
    struct cm_filesrc *f = file_of(v);

    if (cm_filesrc_refresh(f) == 0)
        return 0;
    /* An older good load is still served within max_age (values are aged one by one). */
    if (f->loaded && v->metric->source.file.max_age > 0)
        return 0;
    /* the path and the parser's detail go to the log, never to clients */
    cm_log_request(CM_LOG_WARN, "metric %s: %s", v->metric->name, f->error);
    v->failure = "its file cannot be read";
    return -1;
}

/* A sample's value as a canonical quantity; 0 when it cannot be served (NaN, Inf, old). */
static int
sample_value(const struct cm_source_view *v, const struct cm_filesrc *f,
             const struct cm_sample *s, struct cm_value *out)
{
    out->timestamp = s->has_timestamp ? (time_t)(s->timestamp_ms / 1000) : f->mtime.tv_sec;
    out->text = s->quantity;
    return out->text != NULL &&
           cm_source_fresh(v, v->metric->source.file.max_age, out->timestamp);
}

/* A one-quantity file's value, when it matches and is fresh. */
static int
single_value(const struct cm_source_view *v, const struct cm_filesrc *f,
             const struct cm_selector *sel, struct cm_value *out)
{
    out->text = f->single_value.text;
    out->timestamp = f->mtime.tv_sec;
    return cm_selector_matches(sel, &v->metric->labels) &&
           cm_source_fresh(v, v->metric->source.file.max_age, out->timestamp);
}

static int
file_object(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
            const char *name, const struct cm_selector *metric_sel, struct cm_arena *a,
            struct cm_value *out)
{
    const struct cm_metric *m = v->metric;
    const struct cm_file_source *fs = &m->source.file;
    struct cm_filesrc *f = file_of(v);
    const struct cm_sample *s;
    const char *ns_label, *obj_label;
    size_t pos = 0;

    if (f->single)
        return single_value(v, f, metric_sel, out);
    obj_label = fs->object_label ? fs->object_label : r->singular;
    ns_label = r->namespaced ? fs->namespace_label : NULL;
    while ((s = cm_filesrc_find(f, fs->series ? fs->series : m->name, ns_label, ns,
                                obj_label, name, &pos)) != NULL) {
        struct cm_labels labels;

        if (metric_sel->n > 0) {        /* the labels matter only to a selector */
            cm_source_merge_labels(&m->labels, &s->labels, ns_label, obj_label, a, &labels);
            if (!cm_selector_matches(metric_sel, &labels))
                continue;
        }
        if (sample_value(v, f, s, out))
            return 1;
    }
    return 0;
}

/* The samples of the entry's series in namespace ns (or in none), or the file's one value. */
static int
file_each_series(const struct cm_source_view *v, const char *ns, const struct cm_selector *sel,
                 struct cm_arena *a, int (*fn)(const struct cm_series *s, void *arg), void *arg)
{
    const struct cm_metric *m = v->metric;
    const struct cm_file_source *fs = &m->source.file;
    const struct cm_filesrc *f = file_of(v);
    const char *name = fs->series ? fs->series : m->name;
    struct cm_series series;
    int any = 0;
    size_t i;

    if (f->single) {
        series.labels = m->labels;
        if (!single_value(v, f, sel, &series.value))
            return 0;
        fn(&series, arg);
        return 1;
    }
    for (i = 0; i < f->samples.n; i++) {
        const struct cm_sample *s = &f->samples.v[i];
        const char *sample_ns = cm_labels_get(&s->labels, fs->namespace_label);

        if (strcmp(s->name, name) != 0 || (sample_ns != NULL && strcmp(sample_ns, ns) != 0))
            continue;
        cm_source_merge_labels(&m->labels, &s->labels, NULL, NULL, a, &series.labels);
        if (!cm_selector_matches(sel, &series.labels) || !sample_value(v, f, s, &series.value))
            continue;
        any = 1;
        if (fn(&series, arg))
            break;
    }
    return any;
}

const struct cm_source_ops cm_source_file = {
    .name = "file",
    .init = file_init,
    .add = file_add,
    .free = file_free,
    .open = file_open,
    .object = file_object,
    .each_series = file_each_series,
};
