/*
 * The push backend (src/source/push.c) through the source interface: values
 * written with cm_sources_write_*() into a real push store in a temporary
 * directory, read back per object and per external series, aged by max_age,
 * and the answers of a store that is missing or full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "selector.h"
#include "fixture_selector.h"
#include "fixture_tmpdir.h"
#include "source.h"

#define NOW 1795640400

static char dir[64];
static struct cm_config *cfg;
static struct cm_arena arena;

static const struct cm_resource *
pods(void)
{
    return cm_resource_lookup("pods");
}

static int
keep_all(const struct cm_push_key *k, int64_t timestamp, void *arg)
{
    (void)k;
    (void)timestamp;
    (void)arg;
    return 1;
}

/* Writes one value (labels "k=v" or ""), as the write API does: begin, put, end. */
static enum cm_write_result
write_one(struct cm_sources *s, const char *metric, const char *resource, const char *ns,
          const char *name, const char *value, time_t at, const char *label)
{
    struct cm_label l = { "verb", label };
    struct cm_push_key k = { metric, resource, ns, name };
    struct cm_push_value v = { value, at, { *label ? 1 : 0, &l } };
    enum cm_write_result rc;
    char err[512];

    if (*label && strchr(label, '=')) {
        l.key = cm_arena_strndup(&arena, label, (size_t)(strchr(label, '=') - label));
        l.value = strchr(label, '=') + 1;
    }
    assert_int_equal(cm_sources_write_fits(s, &k, &v, err, sizeof(err)), 0);
    rc = cm_sources_write_begin(s, err, sizeof(err));
    if (rc != CM_WRITE_OK)
        return rc;
    rc = cm_sources_write_put(s, &k, &v, keep_all, NULL, err, sizeof(err));
    return cm_sources_write_end(s, rc, err, sizeof(err));
}

/* The value of metric for pod ns/name at time now ("-" when there is none). */
static const char *
value_at(struct cm_sources *s, const char *metric, const char *ns, const char *name,
         time_t now, const char *metric_sel)
{
    static char out[64];
    struct cm_source_view v;
    struct cm_value val;

    assert_int_equal(cm_source_open(s, cm_config_find(cfg, metric), now, &v), 0);
    if (!cm_source_object(&v, pods(), ns, name, fixture_selector(&arena, metric_sel), &arena, &val))
        return "-";
    snprintf(out, sizeof(out), "%s@%lld", val.text, (long long)(val.timestamp - NOW));
    return out;
}

struct collected {
    char text[512];
    size_t len;
    int calls, stop_after;
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
    c->len += (size_t)snprintf(c->text + c->len, sizeof(c->text) - c->len, ":%s;",
                               s->value.text);
    return c->stop_after > 0 && c->calls >= c->stop_after;
}

static const char *
series_in(struct cm_sources *s, const char *ns, const char *selector, int stop_after)
{
    static struct collected c;
    struct cm_source_view v;
    size_t pos = 0;

    memset(&c, 0, sizeof(c));
    c.stop_after = stop_after;
    assert_int_equal(cm_source_open(s, cm_config_next_external(cfg, "queue", &pos), NOW, &v), 0);
    assert_int_equal(cm_source_wants_objects(&v), 0);
    cm_source_each_series(&v, ns, fixture_selector(&arena, selector), &arena, collect, &c);
    return c.text;
}

/* dir/sub, made (once) and kept for the whole run. */
static const char *
subdir(const char *sub)
{
    char *p = cm_arena_alloc(&arena, 128);

    snprintf(p, 128, "%s/%s", dir, sub);
    if (access(p, F_OK) != 0)
        assert_int_equal(mkdir(p, 0700), 0);
    return p;
}

/* A worker's sources, keeping push values in dir/sub with room for capacity. */
static struct cm_sources *
sources_in(const char *sub, uint32_t capacity)
{
    struct cm_sources *s = cm_sources_new(cfg, cm_source_backends_all);

    cm_sources_set_state_dir(s, subdir(sub), capacity);
    return s;
}

static void
test_without_a_state_dir(void **state)
{
    struct cm_sources *s = cm_sources_new(cfg, cm_source_backends_all);
    struct cm_source_view v;
    struct cm_value val;
    char err[512];
    (void)state;

    assert_int_equal(cm_source_open(s, cm_config_find(cfg, "jobs"), NOW, &v), -1);
    /* clients are told the kind of failure; the reason (no --state-dir) goes to the log */
    assert_string_equal(v.failure, "the push store is not available");
    /* the metric's fallback still answers */
    assert_int_equal(cm_source_object(&v, pods(), "default", "web", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "0");
    assert_int_equal(cm_sources_write_begin(s, err, sizeof(err)), CM_WRITE_UNAVAILABLE);
    assert_string_equal(err, "push values are not kept: the server runs without --state-dir");
    cm_sources_free(s);
}

static void
test_written_values_are_read(void **state)
{
    /* two workers' sources on one directory: each opens its own store */
    struct cm_sources *w = sources_in("read", 64), *r = sources_in("read", 64);
    (void)state;

    assert_int_equal(write_one(w, "jobs", "pods", "default", "web", "3", NOW - 10, "verb=GET"),
                     CM_WRITE_OK);
    assert_int_equal(write_one(w, "jobs", "pods", "shop", "web", "5", NOW - 20, ""), CM_WRITE_OK);

    assert_string_equal(value_at(r, "jobs", "default", "web", NOW, ""), "3@-10");
    assert_string_equal(value_at(r, "jobs", "shop", "web", NOW, ""), "5@-20");
    /* the metric's labels with the written ones */
    assert_string_equal(value_at(r, "jobs", "default", "web", NOW, "tier=web,verb=GET"), "3@-10");
    /* a selector the value does not match: the fallback when it matches the metric's labels */
    assert_string_equal(value_at(r, "jobs", "default", "web", NOW, "verb=POST"), "-");
    assert_string_equal(value_at(r, "jobs", "default", "web", NOW, "!verb"), "0@0");
    /* no value written: the fallback, stamped now */
    assert_string_equal(value_at(r, "jobs", "default", "db", NOW, ""), "0@0");
    /* no fallback: nothing */
    assert_string_equal(value_at(r, "bare", "default", "web", NOW, ""), "-");
    /* max_age (1m): 61 s after it was written a value is not served */
    assert_string_equal(value_at(r, "jobs", "default", "web", NOW + 50, ""), "3@-10");
    assert_string_equal(value_at(r, "jobs", "default", "web", NOW + 51, ""), "0@51");
    /* a later write is seen on the next open of the same worker's view */
    assert_int_equal(write_one(w, "jobs", "pods", "default", "web", "4", NOW, ""), CM_WRITE_OK);
    assert_string_equal(value_at(r, "jobs", "default", "web", NOW, ""), "4@0");
    cm_sources_free(w);
    cm_sources_free(r);
}

static void
test_one_view_many_namespaces(void **state)
{
    struct cm_sources *s = sources_in("scopes", 64);
    struct cm_source_view v;
    struct cm_value val;
    char ns[80];
    (void)state;

    write_one(s, "bare", "pods", "a", "x", "1", NOW, "");
    write_one(s, "bare", "pods", "b", "x", "2", NOW, "");
    assert_int_equal(cm_source_open(s, cm_config_find(cfg, "bare"), NOW, &v), 0);
    /* objects of several namespaces through one view, back and forth */
    assert_int_equal(cm_source_object(&v, pods(), "a", "x", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "1");
    assert_int_equal(cm_source_object(&v, pods(), "b", "x", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "2");
    assert_int_equal(cm_source_object(&v, pods(), "a", "x", fixture_selector(&arena, ""), &arena, &val), 1);
    assert_string_equal(val.text, "1");
    /* a namespace too long for any key has no value (and no crash) */
    memset(ns, 'n', sizeof(ns) - 1);
    ns[sizeof(ns) - 1] = '\0';
    assert_int_equal(cm_source_object(&v, pods(), ns, "x", fixture_selector(&arena, ""), &arena, &val), 0);
    cm_sources_free(s);
}

static void
test_external_series(void **state)
{
    struct cm_sources *s = sources_in("external", 64);
    (void)state;

    /* written without a namespace: served in every namespace; with one: only there */
    write_one(s, "queue", "", "", "host=a", "1", NOW, "host=a");
    write_one(s, "queue", "", "shop", "host=b", "2", NOW, "host=b");
    write_one(s, "queue", "", "", "host=c", "3", NOW - 120, "host=c");    /* too old */
    assert_string_equal(series_in(s, "default", "", 0), "host=a,region=eu:1;");
    assert_string_equal(series_in(s, "shop", "", 0), "host=a,region=eu:1;host=b,region=eu:2;");
    assert_string_equal(series_in(s, "shop", "host=b", 0), "host=b,region=eu:2;");
    assert_string_equal(series_in(s, "shop", "", 1), "host=a,region=eu:1;");   /* fn stops it */
    /* none match: the entry's fallback, with its own labels */
    assert_string_equal(series_in(s, "default", "host=b", 0), "");
    assert_string_equal(series_in(s, "default", "region=eu,!host", 0), "region=eu:9;");
    cm_sources_free(s);
}

static void
test_full_store_and_values_that_do_not_fit(void **state)
{
    struct cm_sources *s = sources_in("full", 4);
    struct cm_push_key k = { "jobs", "pods", "default", NULL };
    struct cm_push_value v = { "1", NOW, { 0, NULL } };
    char name[16], big[1024], err[512];
    int i;
    (void)state;

    for (i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "pod-%d", i);
        assert_int_equal(write_one(s, "jobs", "pods", "default", name, "1", NOW, ""), CM_WRITE_OK);
    }
    /* every record is wanted: the fifth does not fit, and the four stay */
    assert_int_equal(write_one(s, "jobs", "pods", "default", "pod-4", "1", NOW, ""), CM_WRITE_FULL);
    assert_string_equal(value_at(s, "jobs", "default", "pod-3", NOW, ""), "1@0");

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    k.name = big;
    assert_int_equal(cm_sources_write_fits(s, &k, &v, err, sizeof(err)), -1);
    assert_true(strlen(err) > 0);
    cm_sources_free(s);
}

static int
setup(void **s)
{
    char path[128];
    struct cm_diag d;
    (void)s;
    if (fixture_tmpdir_make(dir, sizeof(dir), "cm-test-push") < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/metrics.yaml", dir);
    if (fixture_tmpdir_write(dir, "metrics.yaml", "metrics:\n"
          "  - name: jobs\n    resources: [pods]\n    labels: {tier: web}\n    fallback: \"0\"\n"
          "    source: {push: {max_age: 1m}}\n"
          "  - name: bare\n    resources: [pods]\n    source: {push: {}}\n"
          "external:\n"
          "  - name: queue\n    labels: {region: eu}\n    fallback: \"9\"\n"
          "    source: {push: {max_age: 1m}}\n") < 0)
        return -1;
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) < 0) {
        cm_diag_print(&d, stderr);
        return -1;
    }
    cm_diag_free(&d);
    cm_arena_init(&arena, 0);
    return 0;
}

static int
teardown(void **s)
{
    (void)s;
    cm_arena_free(&arena);
    cm_config_free(cfg);
    return fixture_tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_a_state_dir),
        cmocka_unit_test(test_written_values_are_read),
        cmocka_unit_test(test_one_view_many_namespaces),
        cmocka_unit_test(test_external_series),
        cmocka_unit_test(test_full_store_and_values_that_do_not_fit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
