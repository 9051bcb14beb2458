/*
 * File sources (src/source/file.c) end to end through cm_router_handle(): real
 * files in a temporary directory, replaced the way writers replace them
 * (write, then rename).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objects.h"
#include "router.h"
#include "json_at.h"
#include "source.h"
#include "fixture_tmpdir.h"

#define NOW 1795640400                 /* 2026-11-25T21:00:00Z */
#define CM "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/"
#define EM "/apis/external.metrics.k8s.io/v1beta1/namespaces/"

static char dir[64];
static struct cm_config *cfg;
static struct cm_objects *objs;
static struct cm_sources *sources;
static struct cm_arena arena;
static struct cm_buf body;
static struct cm_response res;

static void
path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* Writes name the way a careful writer does: a new file renamed over it, stamped mtime. */
static void
publish(const char *name, const char *text, time_t mtime)
{
    char tmp[128], final[128];
    struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };
    FILE *f;

    path_of(tmp, sizeof(tmp), ".tmp");
    path_of(final, sizeof(final), name);
    f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(utimensat(AT_FDCWD, tmp, times, 0), 0);
    assert_int_equal(rename(tmp, final), 0);
}

static json_object *
get(const char *uri, time_t now, int want_status)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = "GET", .uri = uri, .now = now };

    cm_arena_reset(&arena);
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    if (res.status != want_status)
        fail_msg("%s: status %d, want %d: %s", uri, res.status, want_status, body.data);
    return json_tokener_parse(body.data);
}


/* The message of an error response (a static copy). */
static const char *
message_of(const char *uri, time_t now, int want_status)
{
    static char out[1024];
    json_object *d = get(uri, now, want_status);

    snprintf(out, sizeof(out), "%s", json_at(d, "message"));
    json_object_put(d);
    return out;
}

/* "name=value@time,..." for the items of a MetricValueList. */
static char *
summary(json_object *d)
{
    static char out[1024];
    json_object *items = json_object_object_get(d, "items");
    size_t i, len = 0;

    out[0] = '\0';
    for (i = 0; i < json_object_array_length(items); i++) {
        json_object *it = json_object_array_get_idx(items, i);
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s=%s@%s", i ? "," : "",
                                json_at(it, "describedObject.name"), json_at(it, "value"),
                                json_at(it, "timestamp") + 11);
    }
    json_object_put(d);
    return out;
}

static void
test_samples_name_objects(void **state)
{
    (void)state;
    publish("q.prom",
            "# TYPE q gauge\n"
            "q{namespace=\"default\",pod=\"web-7d4b9c-x2k4p\",verb=\"GET\"} 12.5\n"
            "q{namespace=\"default\",pod=\"web-7d4b9c-x2k4p\",verb=\"POST\"} 3\n"
            "q{namespace=\"default\",pod=\"web-7d4b9c-h3j9s\"} 0.25 1795640340000\n"
            "q{namespace=\"default\",pod=\"web-7d4b9c-q8z6m\"} NaN\n"
            "q{namespace=\"shop\",pod=\"web-7d4b9c-x2k4p\"} 99\n"
            "q{namespace=\"default\",deployment=\"web\"} 1e3\n"
            "other{namespace=\"default\",pod=\"worker-5f6d8-abcde\"} 5\n",
            NOW - 30);
    /* by selector: the NaN pod and pods without a sample are left out; the
     * sample's own timestamp wins over the file's mtime */
    assert_string_equal(summary(get(CM "pods/*/q", NOW, 200)),
                        "web-7d4b9c-h3j9s=250m@20:59:00Z,web-7d4b9c-x2k4p=12500m@20:59:30Z");
    assert_string_equal(summary(get(CM "pods/*/q?metricLabelSelector=verb%3DPOST", NOW, 200)),
                        "web-7d4b9c-x2k4p=3@20:59:30Z");
    assert_string_equal(summary(get(CM "deployments.apps/web/q", NOW, 200)), "web=1k@20:59:30Z");
    json_object_put(get(CM "pods/web-7d4b9c-q8z6m/q", NOW, 404));
    json_object_put(get(CM "pods/worker-5f6d8-abcde/q", NOW, 404));
    assert_string_equal(message_of(CM "pods/web-7d4b9c-x2k4p/q?metricLabelSelector=verb%3DPUT", NOW, 404),
                        "the server could not find the metric q for pods web-7d4b9c-x2k4p with selector verb=PUT");
}

static void
test_replaced_file_is_reread(void **state)
{
    (void)state;
    publish("one", "250m\n", NOW - 5);
    assert_string_equal(summary(get(CM "pods/web-7d4b9c-x2k4p/single", NOW, 200)),
                        "web-7d4b9c-x2k4p=250m@20:59:55Z");
    publish("one", "2\n", NOW - 5);          /* same mtime and size class: a new inode */
    assert_string_equal(summary(get(CM "pods/web-7d4b9c-x2k4p/single", NOW, 200)),
                        "web-7d4b9c-x2k4p=2@20:59:55Z");
    /* out of the bound every source keeps: not served (it was "10e399") */
    publish("one", "1e400\n", NOW - 4);
    json_object_put(get(CM "pods/web-7d4b9c-x2k4p/single", NOW, 503));
}

static void
test_bad_file_keeps_good_values_within_max_age(void **state)
{
    json_object *d;
    (void)state;
    publish("aged.prom", "aged{namespace=\"default\",pod=\"web-7d4b9c-x2k4p\"} 7\n", NOW);
    assert_string_equal(summary(get(CM "pods/web-7d4b9c-x2k4p/aged", NOW, 200)),
                        "web-7d4b9c-x2k4p=7@21:00:00Z");
    publish("aged.prom", "aged{pod=} 8\n", NOW + 10);
    /* within max_age (1m): the last good value with its real timestamp */
    assert_string_equal(summary(get(CM "pods/web-7d4b9c-x2k4p/aged", NOW + 30, 200)),
                        "web-7d4b9c-x2k4p=7@21:00:00Z");
    /* past it: no value */
    json_object_put(get(CM "pods/web-7d4b9c-x2k4p/aged", NOW + 61, 404));

    /* without max_age a broken file is a 503; where it broke is in the log, not here */
    publish("q.prom", "q{namespace=\"default\"} 1\nq 2 x\n", NOW);
    d = get(CM "pods/web-7d4b9c-x2k4p/q", NOW, 503);
    assert_string_equal(json_at(d, "reason"), "ServiceUnavailable");
    assert_non_null(strstr(json_at(d, "message"), "its file cannot be read (request "));
    assert_null(strstr(json_at(d, "message"), "q.prom"));
    json_object_put(d);
}

static void
test_missing_file_and_fallback(void **state)
{
    json_object *d;
    (void)state;
    d = get(CM "pods/*/missing", NOW, 503);
    assert_non_null(strstr(json_at(d, "message"), "its file cannot be read (request "));
    assert_null(strstr(json_at(d, "message"), "missing.prom"));
    json_object_put(d);
    /* the fallback answers for every object, stamped now */
    assert_string_equal(summary(get(CM "pods/*/guarded?labelSelector=app%3Dweb", NOW, 200)),
                        "web-7d4b9c-h3j9s=0@21:00:00Z,web-7d4b9c-q8z6m=0@21:00:00Z,"
                        "web-7d4b9c-x2k4p=0@21:00:00Z");
    publish("missing.prom", "missing{namespace=\"default\",pod=\"web-7d4b9c-x2k4p\"} 4\n", NOW);
    assert_string_equal(summary(get(CM "pods/*/guarded?labelSelector=app%3Dweb", NOW, 200)),
                        "web-7d4b9c-h3j9s=0@21:00:00Z,web-7d4b9c-q8z6m=0@21:00:00Z,"
                        "web-7d4b9c-x2k4p=4@21:00:00Z");
}

static void
test_external_series_from_a_file(void **state)
{
    json_object *d;
    (void)state;
    publish("ext.prom",
            "queue_ready{queue=\"orders\"} 120\n"
            "queue_ready{queue=\"billing\",namespace=\"shop\"} 7\n"
            "queue_ready{queue=\"mail\",namespace=\"default\"} Inf\n", NOW);
    d = get(EM "shop/queue_ready", NOW, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(d, "items")), 2);
    assert_string_equal(json_at(d, "items.0.metricLabels.queue"), "orders");
    assert_string_equal(json_at(d, "items.1.metricLabels.namespace"), "shop");
    assert_string_equal(json_at(d, "items.1.value"), "7");
    json_object_put(d);
    d = get(EM "default/queue_ready?labelSelector=queue%3Dmail", NOW, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(d, "items")), 0);
    json_object_put(d);
}

/* A one-quantity file as an external series: its value while fresh, then the fallback. */
static void
test_one_quantity_file_as_a_series(void **state)
{
    json_object *d;
    (void)state;
    publish("level", "3\n", NOW - 30);
    d = get(EM "default/level", NOW, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(d, "items")), 1);
    assert_string_equal(json_at(d, "items.0.value"), "3");
    assert_string_equal(json_at(d, "items.0.metricLabels.tank"), "a");
    assert_string_equal(json_at(d, "items.0.timestamp"), "2026-11-25T20:59:30Z");
    json_object_put(d);
    d = get(EM "default/level?labelSelector=tank%3Db", NOW, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(d, "items")), 0);
    json_object_put(d);
    /* 61 s old, past max_age (1m): the fallback, stamped with the request's time */
    d = get(EM "default/level", NOW + 31, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(d, "items")), 1);
    assert_string_equal(json_at(d, "items.0.value"), "5");
    assert_string_equal(json_at(d, "items.0.timestamp"), "2026-11-25T21:00:31Z");
    json_object_put(d);
}

static int
setup(void **s)
{
    char path[128];
    struct cm_diag d;
    size_t skipped;
    FILE *f;
    (void)s;
    if (fixture_tmpdir_make(dir, sizeof(dir), "cm-test-source") < 0)
        return -1;
    path_of(path, sizeof(path), "metrics.yaml");
    f = fopen(path, "w");
    fprintf(f, "metrics:\n"
               "  - name: q\n    resources: [pods, deployments.apps]\n"
               "    source: {file: {path: %s/q.prom}}\n"
               "  - name: single\n    resources: [pods]\n"
               "    source: {file: {path: %s/one}}\n"
               "  - name: aged\n    resources: [pods]\n"
               "    source: {file: {path: %s/aged.prom, max_age: 1m}}\n"
               "  - name: missing\n    resources: [pods]\n"
               "    source: {file: {path: %s/missing.prom}}\n"
               "  - name: guarded\n    resources: [pods]\n    fallback: \"0\"\n"
               "    source: {file: {path: %s/missing.prom, series: missing}}\n"
               "external:\n"
               "  - name: queue_ready\n    source: {file: {path: %s/ext.prom}}\n"
               "  - name: level\n    labels: {tank: a}\n    fallback: \"5\"\n"
               "    source: {file: {path: %s/level, max_age: 1m}}\n",
            dir, dir, dir, dir, dir, dir, dir);
    fclose(f);
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) < 0 ||
        cm_objects_load_file(&objs, TOP_SRCDIR "/examples/objects.yaml", &skipped, &d) < 0) {
        cm_diag_print(&d, stderr);
        return -1;
    }
    cm_diag_free(&d);
    sources = cm_sources_new(cfg, cm_source_backends_all);
    cm_arena_init(&arena, 0);
    cm_buf_init(&body, 1 << 20);
    return 0;
}

static int
teardown(void **s)
{
    (void)s;
    cm_buf_free(&body);
    cm_arena_free(&arena);
    cm_sources_free(sources);
    cm_objects_free(objs);
    cm_config_free(cfg);
    return fixture_tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_name_objects),
        cmocka_unit_test(test_replaced_file_is_reread),
        cmocka_unit_test(test_bad_file_keeps_good_values_within_max_age),
        cmocka_unit_test(test_missing_file_and_fallback),
        cmocka_unit_test(test_external_series_from_a_file),
        cmocka_unit_test(test_one_quantity_file_as_a_series),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
