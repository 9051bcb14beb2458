/*
 * Push sources end to end through cm_router_handle(): writes on /write-metrics
 * (single, batch, external), then reads on the metrics APIs, with a real
 * push store and token file in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "objects.h"
#include "router.h"
#include "json_at.h"
#include "source.h"
#include "fixture_tmpdir.h"

#define NOW 1795640400                 /* 2026-11-25T21:00:00Z */
#define CM "/apis/custom.metrics.k8s.io/v1beta2/"
#define EM "/apis/external.metrics.k8s.io/v1beta1/namespaces/"
#define TOKEN "s3cret-token"

static char dir[64], token_path[128];
static struct cm_config *cfg;
static struct cm_objects *objs;
static struct cm_sources *sources;
static char state_path[128];
static struct cm_arena arena;
static struct cm_buf body;
static struct cm_response res;

/* Sends one request; fails the test unless it gets want_status.  Returns the body. */
static const char *
call(const char *method, const char *uri, const char *auth, const char *type,
     const char *payload, time_t now, int want_status)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources,
                          .write_token_file = token_path };
    struct cm_request req = { .method = method, .uri = uri, .now = now,
                              .authorization = auth, .content_type = type,
                              .body = payload, .body_len = payload ? strlen(payload) : 0 };

    cm_arena_reset(&arena);
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    if (res.status != want_status)
        fail_msg("%s %s: status %d, want %d: %.*s", method, uri, res.status, want_status,
                 (int)body.len, body.data ? body.data : "");
    return body.data ? body.data : "";
}

static const char *
write_(const char *path, const char *payload, time_t now, int want_status)
{
    char uri[512];

    snprintf(uri, sizeof(uri), "/write-metrics%s", path);
    return call("POST", uri, "Bearer " TOKEN, "application/json", payload, now, want_status);
}

/* The message of the Status in the last response (a static copy). */
static const char *
message(void)
{
    static char out[1024];
    json_object *d = json_tokener_parse(body.data);

    snprintf(out, sizeof(out), "%s", json_at(d, "message"));
    json_object_put(d);
    return out;
}

/* "name=value@hh:mm:ssZ{labels}" for each item of the last list response. */
static const char *
items(void)
{
    static char out[2048];
    json_object *d = json_tokener_parse(body.data), *list;
    size_t i, len = 0;

    out[0] = '\0';
    list = json_object_object_get(d, "items");
    for (i = 0; i < json_object_array_length(list); i++) {
        json_object *it = json_object_array_get_idx(list, i), *labels;
        const char *name = json_at(it, "describedObject.name");

        if (strcmp(name, "<missing>") == 0)
            name = json_at(it, "metricName");
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s=%s@%s", i ? "," : "", name,
                                json_at(it, "value"), json_at(it, "timestamp") + 11);
        if (json_object_object_get_ex(it, "metricLabels", &labels))
            len += (size_t)snprintf(out + len, sizeof(out) - len, "%s",
                                    json_object_to_json_string_ext(labels, JSON_C_TO_STRING_PLAIN));
    }
    json_object_put(d);
    return out;
}

static void
test_write_then_read(void **state)
{
    (void)state;
    /* the test-adapter's three paths, and its bodies: a quoted quantity or a number */
    assert_string_equal(write_("/namespaces/default/pods/web-7d4b9c-x2k4p/jobs?labels=queue=a",
                               "\"300m\"", NOW - 10, 200), "");
    write_("/namespaces/default/pods/web-7d4b9c-h3j9s/jobs", "1.5e3", NOW - 5, 200);
    write_("/namespaces/default/pods/web-7d4b9c-q8z6m/jobs", " 12 \n", NOW - 5, 200);
    write_("/nodes/node-1/jobs", "-2", NOW, 200);
    write_("/namespaces/shop/metrics/jobs", "\"4Ki\"", NOW, 200);

    call("GET", CM "namespaces/default/pods/web-7d4b9c-x2k4p/jobs", NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "web-7d4b9c-x2k4p=300m@20:59:50Z");
    call("GET", CM "namespaces/default/pods/*/jobs?labelSelector=app%3Dweb", NULL, NULL, NULL,
         NOW, 200);
    assert_string_equal(items(), "web-7d4b9c-h3j9s=1500@20:59:55Z,web-7d4b9c-q8z6m=12@20:59:55Z,"
                                 "web-7d4b9c-x2k4p=300m@20:59:50Z");
    /* written labels are metric labels: metricLabelSelector matches them */
    call("GET", CM "namespaces/default/pods/*/jobs?labelSelector=app%3Dweb&metricLabelSelector=queue%3Da",
         NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "web-7d4b9c-x2k4p=300m@20:59:50Z");
    call("GET", CM "nodes/node-1/jobs", NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "node-1=-2@21:00:00Z");
    call("GET", CM "namespaces/shop/metrics/jobs", NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "shop=4Ki@21:00:00Z");

    /* a new write replaces the value and its labels */
    write_("/namespaces/default/pods/web-7d4b9c-x2k4p/jobs", "\"1\"", NOW, 200);
    call("GET", CM "namespaces/default/pods/web-7d4b9c-x2k4p/jobs?metricLabelSelector=queue%3Da",
         NULL, NULL, NULL, NOW, 404);
    assert_string_equal(message(), "the server could not find the metric jobs for pods "
                                   "web-7d4b9c-x2k4p with selector queue=a");

    /* values expire after max_age (1m), counted from the write */
    call("GET", CM "namespaces/default/pods/web-7d4b9c-h3j9s/jobs", NULL, NULL, NULL, NOW + 55, 200);
    call("GET", CM "namespaces/default/pods/web-7d4b9c-h3j9s/jobs", NULL, NULL, NULL, NOW + 56, 404);
    /* a metric with a fallback serves it for objects with no fresh value */
    call("GET", CM "namespaces/default/pods/worker-5f6d8-abcde/guarded", NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "worker-5f6d8-abcde=0@21:00:00Z");
}

static void
test_batch_is_all_or_nothing(void **state)
{
    (void)state;
    write_("", "[{\"metric\":\"jobs\",\"resource\":\"pods\",\"namespace\":\"shop\","
               "\"name\":\"cart-6c9f7-tt2lw\",\"value\":3,\"labels\":{\"queue\":\"b\"}},"
               "{\"metric\":\"jobs\",\"resource\":\"deployments.apps\",\"namespace\":\"default\","
               "\"name\":\"web\",\"value\":\"250m\"},"
               "{\"metric\":\"queue\",\"external\":true,\"namespace\":\"shop\",\"value\":7,"
               "\"labels\":{\"queue\":\"orders\"}}]", NOW, 200);
    assert_string_equal(message(), "wrote 3 values");
    call("GET", CM "namespaces/default/deployments.apps/web/jobs", NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "web=250m@21:00:00Z");

    /* the second item is bad: the first is not written either */
    write_("", "[{\"metric\":\"jobs\",\"resource\":\"pods\",\"namespace\":\"shop\","
               "\"name\":\"cart-6c9f7-tt2lw\",\"value\":\"999\"},"
               "{\"metric\":\"jobs\",\"resource\":\"services\",\"namespace\":\"default\","
               "\"name\":\"web\",\"value\":1}]", NOW, 404);
    assert_string_equal(message(), "item 1: metric jobs is not declared for services");
    call("GET", CM "namespaces/shop/pods/cart-6c9f7-tt2lw/jobs", NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "cart-6c9f7-tt2lw=3@21:00:00Z");

    write_("", "[{\"metric\":\"jobs\",\"resource\":\"pods\",\"nme\":\"x\",\"value\":1}]", NOW, 400);
    assert_non_null(strstr(message(), "item 0: unknown field \"nme\""));
    write_("", "{\"metric\":\"jobs\"}", NOW, 400);
    assert_string_equal(message(), "a batch is a JSON array of items");
}

static void
test_external_series_are_written(void **state)
{
    (void)state;
    write_("/external/namespaces/shop/queue?labels=queue=orders", "120", NOW, 200);
    write_("/external/namespaces/shop/queue?labels=queue=billing", "\"7\"", NOW, 200);
    write_("/external/queue?labels=queue=everywhere", "1", NOW, 200);
    write_("/external/namespaces/other/queue?labels=queue=elsewhere", "5", NOW, 200);
    call("GET", EM "shop/queue", NULL, NULL, NULL, NOW, 200);
    /* the entry's static labels (region) are merged under the written ones */
    assert_string_equal(items(),
                        "queue=120@21:00:00Z{\"queue\":\"orders\",\"region\":\"eu\"},"
                        "queue=7@21:00:00Z{\"queue\":\"billing\",\"region\":\"eu\"},"
                        "queue=1@21:00:00Z{\"queue\":\"everywhere\",\"region\":\"eu\"}");
    call("GET", EM "shop/queue?labelSelector=queue%3Dbilling", NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "queue=7@21:00:00Z{\"queue\":\"billing\",\"region\":\"eu\"}");
    write_("/external/static_ext", "1", NOW, 404);
    assert_string_equal(message(), "external metric static_ext does not take writes: no entry "
                                   "for it has a push source");
}

static void
test_bad_writes_change_nothing(void **state)
{
    const char *p = "/namespaces/default/pods/web-7d4b9c-x2k4p/jobs";
    (void)state;
    write_(p, "\"5\"", NOW, 200);

    call("POST", "/write-metrics/namespaces/default/pods/web-7d4b9c-x2k4p/jobs", NULL,
         "application/json", "1", NOW, 401);
    assert_string_equal(message(), "Unauthorized");
    call("POST", "/write-metrics/namespaces/default/pods/web-7d4b9c-x2k4p/jobs",
         "Bearer wrong-token!", "application/json", "1", NOW, 401);
    call("POST", "/write-metrics/namespaces/default/pods/web-7d4b9c-x2k4p/jobs",
         "Bearer " TOKEN, "application/x-www-form-urlencoded", "1", NOW, 415);
    call("GET", "/write-metrics/namespaces/default/pods/web-7d4b9c-x2k4p/jobs", NULL, NULL,
         NULL, NOW, 405);
    assert_string_equal(res.allow, "POST");
    /* and the metrics API takes no writes */
    call("POST", CM "namespaces/default/pods/web-7d4b9c-x2k4p/jobs", "Bearer " TOKEN,
         "application/json", "1", NOW, 405);

    write_(p, "\"abc\"", NOW, 400);
    assert_non_null(strstr(message(), "bad quantity 'abc'"));
    write_(p, "300m", NOW, 400);                    /* not JSON */
    write_(p, "", NOW, 400);
    write_(p, "[1]", NOW, 400);
    write_(p, "1 2", NOW, 400);
    write_("/namespaces/default/pods/web-7d4b9c-x2k4p/jobs?labels=Bad%20Key=1", "1", NOW, 400);
    assert_non_null(strstr(message(), "bad label name 'Bad Key'"));
    write_("/namespaces/default/pods/web-7d4b9c-x2k4p/jobs?labels=a=1,a=2", "1", NOW, 400);
    /* a NUL in a label is refused, not cut to a=b */
    write_("/namespaces/default/pods/web-7d4b9c-x2k4p/jobs?labels=a=b%00c,zz=top", "1", NOW, 400);
    assert_non_null(strstr(message(), "cannot contain a NUL byte"));
    write_("", "[{\"metric\":\"jobs\",\"resource\":\"pods\",\"namespace\":\"default\","
           "\"name\":\"web-7d4b9c-x2k4p\",\"value\":\"1\",\"labels\":{\"a\":\"b\\u0000c\"}}]",
           NOW, 400);
    assert_non_null(strstr(message(), "cannot contain a NUL byte"));
    /* nor is a name or a quantity with a NUL read up to it */
    write_("", "[{\"metric\":\"jobs\",\"resource\":\"pods\",\"namespace\":\"default\","
           "\"name\":\"web-7d4b9c-x2k4p\\u0000x\",\"value\":\"1\"}]", NOW, 400);
    assert_non_null(strstr(message(), "without NUL bytes"));
    write_(p, "\"7\\u0000x\"", NOW, 400);
    write_("/namespaces/default/pods/web-7d4b9c-x2k4p/nope", "1", NOW, 404);
    assert_non_null(strstr(message(), "metric nope is not declared in"));
    write_("/namespaces/default/widgets/x/jobs", "1", NOW, 404);
    write_("/namespaces/default/pods/x/static_metric", "1", NOW, 400);
    assert_string_equal(message(), "metric static_metric takes its values from its static "
                                   "source, not from writes");
    write_("/pods/web-7d4b9c-x2k4p/jobs", "1", NOW, 400);
    write_("/namespaces/Not_A_Namespace/pods/x/jobs", "1", NOW, 400);
    write_("/namespaces/default/pods/x/jobs/extra", "1", NOW, 404);

    call("GET", CM "namespaces/default/pods/web-7d4b9c-x2k4p/jobs", NULL, NULL, NULL, NOW, 200);
    assert_string_equal(items(), "web-7d4b9c-x2k4p=5@21:00:00Z");
}

static void
test_write_api_off_without_token_file(void **state)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = "POST", .uri = "/write-metrics/nodes/node-1/jobs",
                              .now = NOW, .authorization = "Bearer " TOKEN,
                              .content_type = "application/json", .body = "1", .body_len = 1 };
    (void)state;
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    assert_int_equal(res.status, 404);
    assert_string_equal(message(), "the write API is off: start the server with --write-token-file");
}

static int
setup(void **s)
{
    char path[128];
    struct cm_diag d;
    size_t skipped;
    (void)s;
    if (fixture_tmpdir_make(dir, sizeof(dir), "cm-test-write") < 0)
        return -1;
    snprintf(token_path, sizeof(token_path), "%s/token", dir);
    if (fixture_tmpdir_write(dir, "token", "\n  " TOKEN "\n") < 0)   /* white space around it is ignored */
        return -1;
    snprintf(path, sizeof(path), "%s/metrics.yaml", dir);
    if (fixture_tmpdir_write(dir, "metrics.yaml", "metrics:\n"
          "  - name: jobs\n    resources: [pods, deployments.apps, nodes, namespaces]\n"
          "    source: {push: {max_age: 1m}}\n"
          "  - name: guarded\n    resources: [pods]\n    fallback: \"0\"\n"
          "    source: {push: {}}\n"
          "  - name: static_metric\n    resources: [pods]\n    source: {static: \"1\"}\n"
          "external:\n"
          "  - name: queue\n    labels: {region: eu}\n    source: {push: {max_age: 1m}}\n"
          "  - name: static_ext\n    source: {static: \"1\"}\n") < 0)
        return -1;
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) < 0 ||
        cm_objects_load_file(&objs, TOP_SRCDIR "/examples/objects.yaml", &skipped, &d) < 0) {
        cm_diag_print(&d, stderr);
        return -1;
    }
    cm_diag_free(&d);
    snprintf(path, sizeof(path), "%s/state", dir);
    sources = cm_sources_new(cfg, cm_source_backends_all);
    snprintf(state_path, sizeof(state_path), "%s", path);
    cm_sources_set_state_dir(sources, state_path, 256);
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
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_batch_is_all_or_nothing),
        cmocka_unit_test(test_external_series_are_written),
        cmocka_unit_test(test_bad_writes_change_nothing),
        cmocka_unit_test(test_write_api_off_without_token_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
