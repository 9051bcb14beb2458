/*
 * The source interface (source.c) and the static backend, linking
 * libcmcore.a alone: what a program without the I/O backends serves, the
 * fallback, max_age and label merging every backend shares, and a backend
 * added as one table entry (a test backend in the file kind's slot).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "selector.h"
#include "fixture_selector.h"
#include "fixture_tmpdir.h"

#define NOW 1795640400

static char dir[64];
static struct cm_config *cfg;
static struct cm_arena arena;

static const struct cm_metric *
metric(const char *name)
{
    const struct cm_metric *m = cm_config_find(cfg, name);

    assert_non_null(m);
    return m;
}

static const struct cm_metric *
external(const char *name)
{
    size_t pos = 0;
    const struct cm_metric *m = cm_config_next_external(cfg, name, &pos);

    assert_non_null(m);
    return m;
}

static const struct cm_resource *
pods(void)
{
    return cm_resource_lookup("pods");
}

/* "k=v,k=v=value@time;..." for every series each_series gives. */
struct collected {
    char text[512];
    size_t len;
    int calls;
};

static int
collect(const struct cm_series *s, void *arg)
{
    struct collected *c = arg;
    size_t i;

    c->calls++;
    for (i = 0; i < s->labels.n; i++)
        c->len += (size_t)snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s%s=%s",
                                   i ? "," : "", s->labels.v[i].key, s->labels.v[i].value);
    c->len += (size_t)snprintf(c->text + c->len, sizeof(c->text) - c->len, "=%s@%lld;",
                               s->value.text, (long long)s->value.timestamp);
    return 0;
}

static const char *
series_of(struct cm_sources *s, const struct cm_metric *m, const char *selector)
{
    static struct collected c;
    struct cm_source_view v;

    memset(&c, 0, sizeof(c));
    cm_source_open(s, m, NOW, &v);
    assert_int_equal(cm_source_fetch_series(&v, fixture_selector(&arena, selector), &arena), 0);
    cm_source_each_series(&v, "default", fixture_selector(&arena, selector), &arena, collect, &c);
    return c.text;
}

static void
test_static_values(void **state)
{
    struct cm_sources *s = cm_sources_new(cfg, cm_source_backends_core);
    struct cm_source_view v;
    struct cm_value val;
    const char *name = "web";
    (void)state;

    assert_int_equal(cm_source_open(s, metric("s"), NOW, &v), 0);
    assert_null(v.failure);
    assert_int_equal(cm_source_wants_objects(&v), 0);
    assert_int_equal(cm_source_fetch(&v, pods(), "default", &name, 1, fixture_selector(&arena, ""), &arena), 0);
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, "verb=GET"), &arena, &val), 1);
    assert_string_equal(val.text, "250m");
    assert_int_equal(val.timestamp, NOW);
    /* labels that do not match: no value, and no fallback either */
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, "verb=PUT"), &arena, &val), 0);

    assert_string_equal(series_of(s, external("e"), ""), "queue=orders=120@1795640400;");
    assert_string_equal(series_of(s, external("e"), "queue=billing"), "");
    cm_sources_free(s);
}

static void
test_kinds_without_a_backend_serve_their_fallback(void **state)
{
    struct cm_sources *s = cm_sources_new(cfg, cm_source_backends_core);
    struct cm_source_view v;
    struct cm_value val;
    (void)state;

    assert_int_equal(cm_source_open(s, metric("f"), NOW, &v), -1);
    assert_string_equal(v.failure, "this program has no backend for this kind of source");
    assert_int_equal(cm_source_wants_objects(&v), 0);
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "1");
    assert_int_equal(val.timestamp, NOW);
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, "verb=PUT"), &arena, &val), 0);
    /* no fallback: nothing */
    assert_int_equal(cm_source_open(s, metric("p"), NOW, &v), -1);
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, ""), &arena, &val), 0);
    assert_string_equal(series_of(s, external("ef"), ""), "queue=billing=3@1795640400;");
    assert_string_equal(series_of(s, external("ef"), "queue=orders"), "");
    cm_sources_free(s);

    /* without any source state, static sources still answer, the others fail */
    assert_int_equal(cm_source_open(NULL, metric("s"), NOW, &v), 0);
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "250m");
    assert_int_equal(cm_source_open(NULL, metric("f"), NOW, &v), -1);
    assert_string_equal(v.failure, "this server keeps no state for its sources");
}

static void
test_writes_need_a_backend_that_takes_them(void **state)
{
    struct cm_sources *s = cm_sources_new(cfg, cm_source_backends_core);
    struct cm_push_key k = { "p", "pods", "default", "web" };
    struct cm_push_value val = { "1", NOW, { 0, NULL } };
    char err[256];
    (void)state;

    assert_int_equal(cm_sources_write_fits(s, &k, &val, err, sizeof(err)), 0);
    assert_int_equal(cm_sources_write_begin(s, err, sizeof(err)), CM_WRITE_UNAVAILABLE);
    assert_string_equal(err, "this program has no store for pushed values");
    assert_int_equal(cm_sources_write_begin(NULL, err, sizeof(err)), CM_WRITE_UNAVAILABLE);
    assert_string_equal(err, "this server keeps no state");
    cm_sources_free(s);
}

static void
test_shared_helpers(void **state)
{
    static const struct cm_label fixed_v[] = { { "a", "1" }, { "b", "2" }, { "verb", "GET" } };
    static const struct cm_label own_v[] = { { "b", "3" }, { "pod", "web" }, { "z", "9" } };
    struct cm_labels fixed = { 3, (struct cm_label *)fixed_v }, own = { 3, (struct cm_label *)own_v };
    struct cm_labels out;
    struct cm_source_view v = { .now = NOW };
    char text[128];
    size_t i, len = 0;
    (void)state;

    cm_source_merge_labels(&fixed, &own, "pod", NULL, &arena, &out);
    for (i = 0; i < out.n; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s=%s,", out.v[i].key,
                                out.v[i].value);
    assert_string_equal(text, "a=1,b=3,verb=GET,z=9,");
    cm_source_merge_labels(&fixed, &own, "b", "z", &arena, &out);
    assert_int_equal(out.n, 4);
    assert_string_equal(out.v[1].value, "2");    /* own b skipped: the fixed one stays */
    assert_string_equal(out.v[2].key, "pod");

    assert_true(cm_source_fresh(&v, 0, NOW - 1000000));
    assert_true(cm_source_fresh(&v, 60, NOW - 60));
    assert_false(cm_source_fresh(&v, 60, NOW - 61));
    assert_true(cm_source_fresh(&v, 60, NOW + 5));
}

/* --- a backend of its own, in the file kind's slot ---------------------- */

struct probe {
    int adds, frees, opens, fetches;
    size_t fetched;
    const char *last_added;
};
static struct probe probe;

static void *
probe_init(struct cm_sources *s, const struct cm_config *c)
{
    (void)s;
    (void)c;
    return &probe;
}

static void
probe_add(void *state, const struct cm_metric *m)
{
    struct probe *p = state;

    p->adds++;
    p->last_added = m->name;
}

static void
probe_free(void *state)
{
    ((struct probe *)state)->frees++;
}

static int
probe_open(struct cm_source_view *v)
{
    struct probe *p = v->state;
    size_t i;

    for (i = 0; i < sizeof(v->priv) / sizeof(*v->priv); i++)
        assert_null(v->priv[i]);
    p->opens++;
    return 0;
}

/* Fetches one value for all objects at once, as a prometheus source does. */
static int
probe_fetch(struct cm_source_view *v, const struct cm_resource *r, const char *ns,
            const char *const *names, size_t n, const struct cm_selector *ms, struct cm_arena *a)
{
    struct probe *p = v->state;

    (void)r;
    (void)ns;
    (void)ms;
    p->fetches++;
    p->fetched = n;
    v->priv[0] = cm_arena_strdup(a, names[0]);
    return 0;
}

/* Only the object fetched first has a value. */
static int
probe_object(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
             const char *name, const struct cm_selector *ms, struct cm_arena *a,
             struct cm_value *out)
{
    (void)r;
    (void)ns;
    (void)ms;
    (void)a;
    if (v->priv[0] == NULL || strcmp(name, v->priv[0]) != 0)
        return 0;
    out->text = "42";
    out->timestamp = v->now - 1;
    return 1;
}

static int
probe_each_series(const struct cm_source_view *v, const char *ns, const struct cm_selector *s,
                  struct cm_arena *a, int (*fn)(const struct cm_series *s, void *arg), void *arg)
{
    struct cm_series series = { v->metric->labels, { "7", NOW } };

    (void)a;
    (void)s;
    if (strcmp(ns, "default") != 0)
        return 0;
    fn(&series, arg);
    fn(&series, arg);
    return 1;
}

static const struct cm_source_ops probe_ops = {
    .name = "probe",
    .init = probe_init,
    .add = probe_add,
    .free = probe_free,
    .open = probe_open,
    .fetch = probe_fetch,
    .object = probe_object,
    .each_series = probe_each_series,
};

static void
test_a_backend_is_one_table_entry(void **state)
{
    const struct cm_source_ops *table[CM_SOURCE_NKINDS] = {
        [CM_SOURCE_STATIC] = &cm_source_static,
        [CM_SOURCE_FILE] = &probe_ops,
    };
    const char *names[] = { "web", "db" };
    struct cm_sources *s;
    struct cm_source_view v;
    struct cm_value val;
    struct collected c;
    (void)state;

    memset(&probe, 0, sizeof(probe));
    s = cm_sources_new(cfg, table);
    assert_int_equal(probe.adds, 2);   /* f and ef: every metric and series of its kind */
    assert_string_equal(probe.last_added, "ef");

    assert_int_equal(cm_source_open(s, metric("f"), NOW, &v), 0);
    assert_int_equal(probe.opens, 1);
    assert_int_equal(cm_source_wants_objects(&v), 1);
    assert_int_equal(cm_source_fetch(&v, pods(), "default", names, 0, fixture_selector(&arena, ""), &arena), 0);
    assert_int_equal(probe.fetches, 0);    /* no objects: nothing to fetch */
    assert_int_equal(cm_source_fetch(&v, pods(), "default", names, 2, fixture_selector(&arena, ""), &arena), 0);
    assert_int_equal(probe.fetched, 2);
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "42");
    assert_int_equal(val.timestamp, NOW - 1);
    /* the backend has none for db: the metric's fallback, stamped now */
    assert_int_equal(cm_source_object(&v, pods(), "default", "db", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "1");
    assert_int_equal(val.timestamp, NOW);

    /* a failed view never reaches the backend */
    v.failure = "down";
    assert_int_equal(cm_source_wants_objects(&v), 0);
    assert_int_equal(cm_source_fetch(&v, pods(), "default", names, 2, fixture_selector(&arena, ""), &arena), 0);
    assert_int_equal(probe.fetches, 1);
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "1");

    /* series: the backend's, else the fallback */
    memset(&c, 0, sizeof(c));
    cm_source_open(s, external("ef"), NOW, &v);
    cm_source_each_series(&v, "default", fixture_selector(&arena, ""), &arena, collect, &c);
    assert_int_equal(c.calls, 2);
    assert_string_equal(c.text, "queue=billing=7@1795640400;queue=billing=7@1795640400;");
    memset(&c, 0, sizeof(c));
    cm_source_each_series(&v, "shop", fixture_selector(&arena, ""), &arena, collect, &c);
    assert_string_equal(c.text, "queue=billing=3@1795640400;");

    cm_sources_free(s);
    assert_int_equal(probe.frees, 1);
}

static int
setup(void **s)
{
    char path[128];
    struct cm_diag d;
    (void)s;
    if (fixture_tmpdir_make(dir, sizeof(dir), "cm-test-sources") < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/metrics.yaml", dir);
    if (fixture_tmpdir_write(dir, "metrics.yaml", "metrics:\n"
          "  - name: s\n    resources: [pods]\n    labels: {verb: GET}\n"
          "    source: {static: \"250m\"}\n"
          "  - name: f\n    resources: [pods]\n    labels: {verb: GET}\n    fallback: \"1\"\n"
          "    source: {file: {path: /nonexistent/f}}\n"
          "  - name: p\n    resources: [pods]\n    source: {push: {}}\n"
          "external:\n"
          "  - name: e\n    labels: {queue: orders}\n    source: {static: \"120\"}\n"
          "  - name: ef\n    labels: {queue: billing}\n    fallback: \"3\"\n"
          "    source: {file: {path: /nonexistent/ef}}\n") < 0)
        return -1;
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) < 0) {
        cm_diag_print(&d, stderr);
        return -1;
    }
    cm_diag_free(&d);
    if (fixture_tmpdir_remove(dir) < 0)
        return -1;
    cm_arena_init(&arena, 0);
    return 0;
}

static int
teardown(void **s)
{
    (void)s;
    cm_arena_free(&arena);
    cm_config_free(cfg);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_values),
        cmocka_unit_test(test_kinds_without_a_backend_serve_their_fallback),
        cmocka_unit_test(test_writes_need_a_backend_that_takes_them),
        cmocka_unit_test(test_shared_helpers),
        cmocka_unit_test(test_a_backend_is_one_table_entry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
