/* cm_router_handle(): every route's status and JSON shape, on the example files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects.h"
#include "router.h"
#include "json_at.h"
#include "source.h"

static struct cm_config *cfg;
static struct cm_objects *objs;
static struct cm_sources *sources;
static struct cm_arena arena;
static struct cm_buf body;
static struct cm_response res;

static json_object *
call(const char *method, const char *uri, int want_status)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = method, .uri = uri, .now = 1795640400 };
    json_object *doc;

    cm_arena_reset(&arena);
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    if (res.status != want_status)
        fail_msg("%s %s: status %d, want %d: %s", method, uri, res.status, want_status, body.data);
    assert_int_equal(body.data[body.len - 1], '\n');          /* compact ends in a newline */
    doc = json_tokener_parse(body.data);
    assert_non_null(doc);
    return doc;
}


#define CM "/apis/custom.metrics.k8s.io/"

static void
test_discovery(void **state)
{
    json_object *d;
    (void)state;
    d = call("GET", "/apis", 200);
    assert_string_equal(json_at(d, "groups.0.preferredVersion.version"), "v1beta2");
    json_object_put(d);
    d = call("GET", CM "v1beta2/", 200);
    assert_string_equal(json_at(d, "groupVersion"), "custom.metrics.k8s.io/v1beta2");
    assert_string_equal(json_at(d, "resources.0.name"), "pods/http_requests_per_second");
    assert_string_equal(json_at(d, "resources.3.name"), "namespaces/queue_depth");
    assert_string_equal(json_at(d, "resources.3.namespaced"), "false");
    assert_int_equal(json_object_array_length(json_object_object_get(d, "resources")), 7);
    json_object_put(d);
}

static void
test_by_selector_returns_matching_objects_only(void **state)
{
    json_object *d;
    (void)state;
    d = call("GET", CM "v1beta1/namespaces/default/pods/%2A/http_requests_per_second"
             "?labelSelector=app%3Dweb%2Ctier+in+%28frontend%29", 200);
    assert_int_equal(json_object_array_length(json_object_object_get(d, "items")), 3);
    assert_string_equal(json_at(d, "items.0.metricName"), "http_requests_per_second");
    assert_string_equal(json_at(d, "items.0.window"), "60");
    assert_string_equal(json_at(d, "items.0.value"), "250m");
    assert_string_equal(json_at(d, "items.0.timestamp"), "2026-11-25T21:00:00Z");
    assert_string_equal(json_at(d, "items.0.describedObject.apiVersion"), "v1");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/*/http_requests_per_second?labelSelector=app!%3Dweb", 200);
    assert_int_equal(json_object_array_length(json_object_object_get(d, "items")), 1);
    assert_string_equal(json_at(d, "items.0.describedObject.name"), "worker-5f6d8-abcde");
    json_object_put(d);
}

/* The body of a GET, as bytes (owned by the caller). */
static char *
raw(const char *uri)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = "GET", .uri = uri, .now = 1795640400 };

    cm_arena_reset(&arena);
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    assert_int_equal(res.status, 200);
    return strdup(body.data);
}

/* The bytes of the only item of a by-name response. */
static char *
only_item(const char *doc, int pretty)
{
    const char *open = pretty ? "\"items\": [" : "\"items\":[";
    const char *close = pretty ? "\n  ]\n}" : "]}\n";
    const char *a = strstr(doc, open), *b = doc + strlen(doc) - strlen(close);

    assert_non_null(a);
    assert_string_equal(b, close);
    a += strlen(open);
    return strndup(a, (size_t)(b - a));
}

/*
 * Selector responses stamp their items from the first one; each item must be
 * byte for byte what the JSON writer produces for a by-name request.
 */
static void
test_selector_items_are_the_writers_bytes(void **state)
{
    static const char *const versions[] = { "v1beta1", "v1beta2" };
    static const char *const lists[][3] = {
        { "namespaces/default/pods", "http_requests_per_second", "namespaces/default/pods" },
        { "nodes", "node_load", "nodes" },
    };
    size_t v, l;
    int pretty;
    (void)state;

    for (v = 0; v < 2; v++) for (l = 0; l < 2; l++) for (pretty = 0; pretty < 2; pretty++) {
        char uri[512], *doc, *expect, *p;
        json_object *d;
        size_t i, n, len = 0;

        snprintf(uri, sizeof(uri), CM "%s/%s/%%2A/%s%s", versions[v], lists[l][0],
                 lists[l][1], pretty ? "?pretty=true" : "");
        doc = raw(uri);
        d = json_tokener_parse(doc);
        n = json_object_array_length(json_object_object_get(d, "items"));
        assert_true(n >= 2);
        expect = calloc(1, strlen(doc) + 1);
        p = strstr(doc, pretty ? "\"items\": [" : "\"items\":[");
        assert_non_null(p);
        len = (size_t)(p - doc) + strlen(pretty ? "\"items\": [" : "\"items\":[");
        memcpy(expect, doc, len);
        for (i = 0; i < n; i++) {
            char one[512], path[64], *by_name, *item;

            snprintf(path, sizeof(path), "items.%zu.describedObject.name", i);
            snprintf(one, sizeof(one), CM "%s/%s/%s/%s%s", versions[v], lists[l][2],
                     json_at(d, path), lists[l][1], pretty ? "?pretty=true" : "");
            by_name = raw(one);
            item = only_item(by_name, pretty);
            if (i > 0)
                expect[len++] = ',';
            memcpy(expect + len, item, strlen(item));
            len += strlen(item);
            free(item);
            free(by_name);
        }
        strcpy(expect + len, pretty ? "\n  ]\n}" : "]}\n");
        assert_string_equal(doc, expect);
        free(expect);
        free(doc);
        json_object_put(d);
    }
}

static void
test_by_name_and_scopes(void **state)
{
    json_object *d;
    (void)state;
    d = call("GET", CM "v1beta2/namespaces/default/deployments.apps/web/queue_depth", 200);
    assert_int_equal(json_object_array_length(json_object_object_get(d, "items")), 1);
    assert_string_equal(json_at(d, "apiVersion"), "custom.metrics.k8s.io/v1beta2");
    assert_string_equal(json_at(d, "items.0.metric.name"), "queue_depth");
    assert_string_equal(json_at(d, "items.0.metric.selector"), "null");
    assert_string_equal(json_at(d, "items.0.windowSeconds"), "<missing>");
    assert_string_equal(json_at(d, "items.0.describedObject.kind"), "Deployment");
    assert_string_equal(json_at(d, "items.0.describedObject.apiVersion"), "apps/v1");
    json_object_put(d);
    d = call("GET", CM "v1beta1/nodes/node-2/node_load", 200);
    assert_string_equal(json_at(d, "items.0.describedObject.namespace"), "<missing>");
    assert_string_equal(json_at(d, "items.0.value"), "1500m");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/shop/metrics/queue_depth", 200);
    assert_string_equal(json_at(d, "items.0.describedObject.kind"), "Namespace");
    assert_string_equal(json_at(d, "items.0.describedObject.name"), "shop");
    json_object_put(d);
}

static void
test_errors(void **state)
{
    json_object *d;
    (void)state;
    d = call("GET", CM "v1beta1/namespaces/default/pods/ghost/http_requests_per_second", 404);
    assert_string_equal(json_at(d, "message"), "the server could not find the metric http_requests_per_second for pods ghost");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/nodes/node-1/http_requests_per_second", 404);
    assert_string_equal(json_at(d, "message"), "the server could not find the metric http_requests_per_second for nodes");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/bar", 404);
    assert_string_equal(json_at(d, "message"), "the server could not find the requested resource");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/foo", 400);
    assert_string_equal(json_at(d, "message"), "invalid request path");
    json_object_put(d);
    d = call("GET", CM "v9/namespaces/default/pods/x/m", 404);
    json_object_put(d);
    d = call("DELETE", CM "v1beta1", 405);
    assert_string_equal(json_at(d, "reason"), "MethodNotAllowed");
    assert_string_equal(res.allow, "GET, HEAD");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/%2A/x?labelSelector=a%3D%3D%3Db", 400);
    assert_string_equal(json_at(d, "reason"), "BadRequest");
    json_object_put(d);
    d = call("GET", "/apis/custom.metrics.k8s.io/v1beta1/%zz", 400);
    json_object_put(d);
}

/* The text body of a GET, whose status must be want_status; borrowed. */
static const char *
text_of(const char *uri, int want_status)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = "GET", .uri = uri, .now = 0 };

    cm_buf_reset(&body);
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    assert_int_equal(res.status, want_status);
    return body.data;
}

static void
test_health_is_text(void **state)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = "GET", .uri = "/readyz", .now = 0 };
    (void)state;
    cm_buf_reset(&body);
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(body.data, "ok");
    assert_string_equal(res.content_type, "text/plain; charset=utf-8");

    assert_string_equal(text_of("/healthz?verbose", 200),
                        "[+]ping ok\n[+]config ok\n[+]objects ok\n[+]front-proxy ok\n"
                        "healthz check passed\n");
    assert_string_equal(text_of("/livez?verbose=1&exclude=objects", 200),
                        "[+]ping ok\n[+]config ok\n[+]objects excluded: ok\n[+]front-proxy ok\n"
                        "livez check passed\n");
    assert_string_equal(text_of("/readyz/ping", 200), "ok");
    text_of("/readyz/nope", 404);
}

/* A fieldSelector may only pin metadata.name to the name in the path. */
static void
test_field_selector(void **state)
{
    json_object *d;
    (void)state;
    d = call("GET", CM "v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second"
             "?fieldSelector=metadata.name%3Dweb-7d4b9c-x2k4p", 200);
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second"
             "?fieldSelector=metadata.namespace%3Ddefault,metadata.name%3D%3Dweb-7d4b9c-x2k4p", 200);
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/%2A/http_requests_per_second"
             "?fieldSelector=metadata.name%3D%2A", 200);
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second"
             "?fieldSelector=", 200);
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second"
             "?fieldSelector=metadata.name%3Dother", 400);
    assert_string_equal(json_at(d, "message"), "fieldSelector metadata.name doesn't match requested name");
    assert_string_equal(json_at(d, "reason"), "BadRequest");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second"
             "?fieldSelector=metadata.name!%3Dweb-7d4b9c-x2k4p", 400);
    assert_string_equal(json_at(d, "message"), "fieldSelector metadata.name doesn't match requested name");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/%2A/http_requests_per_second"
             "?fieldSelector=spec.nodeName%3Dn1", 400);
    assert_string_equal(json_at(d, "message"), "\"spec.nodeName\" is not a known field selector: "
                        "only \"metadata.name\", \"metadata.namespace\"");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/%2A/http_requests_per_second"
             "?fieldSelector=metadata.name", 400);
    assert_string_equal(json_at(d, "message"), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    json_object_put(d);
}

static void
test_negotiation_and_pretty(void **state)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = "GET", .uri = "/apis", .user_agent = "curl/7.88.1",
        .accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" };
    (void)state;
    cm_buf_reset(&body);
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    assert_int_equal(res.status, 406);
    req.accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    cm_buf_reset(&body);
    cm_router_handle(&api, &req, &arena, &res);
    assert_int_equal(res.status, 200);
    assert_true(strncmp(body.data, "{\n  \"kind\": \"APIGroupList\"", 26) == 0);  /* curl gets pretty */
    assert_int_not_equal(body.data[body.len - 1], '\n');
}

#define EM "/apis/external.metrics.k8s.io/v1beta1/"

static size_t
nitems(json_object *d)
{
    return json_object_array_length(json_object_object_get(d, "items"));
}

static void
test_external_metrics(void **state)
{
    json_object *d;
    (void)state;
    d = call("GET", "/apis", 200);
    assert_string_equal(json_at(d, "groups.1.name"), "external.metrics.k8s.io");
    assert_string_equal(json_at(d, "groups.1.preferredVersion.groupVersion"), "external.metrics.k8s.io/v1beta1");
    json_object_put(d);
    d = call("GET", "/apis/external.metrics.k8s.io", 200);
    assert_string_equal(json_at(d, "kind"), "APIGroup");
    assert_string_equal(json_at(d, "versions.0.version"), "v1beta1");
    json_object_put(d);
    d = call("GET", EM, 200);                  /* each name once, in file order */
    assert_int_equal(json_object_array_length(json_object_object_get(d, "resources")), 1);
    assert_string_equal(json_at(d, "resources.0.name"), "queue_messages_ready");
    assert_string_equal(json_at(d, "resources.0.namespaced"), "true");
    assert_string_equal(json_at(d, "resources.0.kind"), "ExternalMetricValueList");
    json_object_put(d);

    d = call("GET", EM "namespaces/shop/queue_messages_ready", 200);
    assert_string_equal(json_at(d, "kind"), "ExternalMetricValueList");
    assert_string_equal(json_at(d, "apiVersion"), "external.metrics.k8s.io/v1beta1");
    assert_int_equal(nitems(d), 2);
    assert_string_equal(json_at(d, "items.0.metricLabels.queue"), "orders");
    assert_string_equal(json_at(d, "items.0.value"), "120");
    assert_string_equal(json_at(d, "items.0.window"), "<missing>");
    assert_string_equal(json_at(d, "items.1.window"), "30");
    assert_string_equal(json_at(d, "items.1.timestamp"), "2026-11-25T21:00:00Z");
    json_object_put(d);
    d = call("GET", EM "namespaces/shop/queue_messages_ready?labelSelector=queue+in+%28billing%29", 200);
    assert_int_equal(nitems(d), 1);
    assert_string_equal(json_at(d, "items.0.value"), "7");
    json_object_put(d);
    d = call("GET", EM "namespaces/shop/queue_messages_ready?labelSelector=queue%3Dnone", 200);
    assert_int_equal(nitems(d), 0);
    json_object_put(d);

    d = call("GET", EM "namespaces/shop/nothing", 404);
    assert_string_equal(json_at(d, "message"), "the server could not find the external metric nothing");
    json_object_put(d);
    d = call("GET", EM "namespaces/shop/queue_messages_ready?labelSelector=%3Dx", 400);
    assert_string_equal(json_at(d, "reason"), "BadRequest");
    json_object_put(d);
    d = call("GET", EM "namespaces/shop/queue_messages_ready?watch=true", 405);
    assert_string_equal(json_at(d, "message"),
                        "watch is not supported on resources of kind \"*.external.metrics.k8s.io\"");
    assert_string_equal(json_at(d, "details.group"), "external.metrics.k8s.io");
    assert_string_equal(json_at(d, "details.kind"), "*");
    json_object_put(d);
    d = call("GET", EM "namespaces/shop/queue_messages_ready?watch=0", 200);
    json_object_put(d);
    /* the 404 paths of the Go library's tests */
    d = call("GET", EM "queue_messages_ready", 404);
    assert_string_equal(json_at(d, "message"), "the server could not find the requested resource");
    json_object_put(d);
    d = call("GET", EM "namespaces/shop", 404);
    json_object_put(d);
    d = call("GET", EM "namespaces/shop/group/queue_messages_ready", 404);
    json_object_put(d);
    d = call("GET", "/apis/external.metrics.k8s.io/v1beta2/", 404);
    json_object_put(d);
}

/* metricLabelSelector against the metric's labels: {verb: GET} in the examples. */
static void
test_metric_labels(void **state)
{
    json_object *d;
    (void)state;
    d = call("GET", CM "v1beta2/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second"
             "?metricLabelSelector=verb%3DGET%2Cregion+notin+%28eu%29", 200);
    assert_string_equal(json_at(d, "items.0.metric.selector.matchLabels.verb"), "GET");
    assert_string_equal(json_at(d, "items.0.metric.selector.matchExpressions.0.operator"), "NotIn");
    json_object_put(d);
    d = call("GET", CM "v1beta2/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second"
             "?metricLabelSelector=verb%3DPOST", 404);
    assert_string_equal(json_at(d, "message"), "the server could not find the metric "
                        "http_requests_per_second for pods web-7d4b9c-x2k4p with selector verb=POST");
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/%2A/http_requests_per_second"
             "?metricLabelSelector=verb", 200);
    assert_int_equal(nitems(d), 4);
    json_object_put(d);
    d = call("GET", CM "v1beta1/namespaces/default/pods/%2A/http_requests_per_second"
             "?metricLabelSelector=%21verb", 200);
    assert_int_equal(nitems(d), 0);
    json_object_put(d);
}

/* Resolves a local "#/definitions/X" or "#/parameters/X" reference. */
static int
ref_resolves(json_object *doc, const char *ref)
{
    json_object *section;
    const char *slash;
    char name[64];

    if (strncmp(ref, "#/", 2) != 0 || (slash = strchr(ref + 2, '/')) == NULL)
        return 0;
    snprintf(name, sizeof(name), "%.*s", (int)(slash - ref - 2), ref + 2);
    return json_object_object_get_ex(doc, name, &section) &&
           json_object_object_get_ex(section, slash + 1, NULL);
}

/* Counts the $ref members under o; fails on any that does not resolve. */
static size_t
check_refs(json_object *doc, json_object *o)
{
    size_t n = 0, i;

    if (json_object_is_type(o, json_type_array)) {
        for (i = 0; i < json_object_array_length(o); i++)
            n += check_refs(doc, json_object_array_get_idx(o, i));
    } else if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, key, val) {
            if (strcmp(key, "$ref") == 0) {
                if (!ref_resolves(doc, json_object_get_string(val)))
                    fail_msg("dangling $ref %s", json_object_get_string(val));
                n++;
            } else {
                n += check_refs(doc, val);
            }
        }
    }
    return n;
}

/* Every metric path this server routes is in the document, with a 200 schema. */
static void
test_openapi_v2(void **state)
{
    static const char *const paths[] = {
        "/apis/custom.metrics.k8s.io/v1beta1/{resource}/{name}/{metric}",
        "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{namespace}/{resource}/{name}/{metric}",
        "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{namespace}/metrics/{metric}",
        "/apis/custom.metrics.k8s.io/v1beta2/{resource}/{name}/{metric}",
        "/apis/custom.metrics.k8s.io/v1beta2/namespaces/{namespace}/{resource}/{name}/{metric}",
        "/apis/custom.metrics.k8s.io/v1beta2/namespaces/{namespace}/metrics/{metric}",
        "/apis/external.metrics.k8s.io/v1beta1/namespaces/{namespace}/{metric}",
        "/apis/custom.metrics.k8s.io/v1beta1/", "/apis/custom.metrics.k8s.io/v1beta2/",
        "/apis/external.metrics.k8s.io/v1beta1/",
    };
    json_object *d, *p, *op, *ok;
    size_t i;
    (void)state;
    d = call("GET", "/openapi/v2", 200);
    assert_string_equal(res.content_type, "application/json");
    assert_string_equal(json_at(d, "swagger"), "2.0");
    assert_string_equal(json_at(d, "info.title"), "custom-metrics-fcgi");
    assert_true(json_object_object_get_ex(d, "paths", &p));
    assert_int_equal(json_object_object_length(p), sizeof(paths) / sizeof(*paths));
    for (i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        json_object *path;
        if (!json_object_object_get_ex(p, paths[i], &path))
            fail_msg("no path %s", paths[i]);
        assert_true(json_object_object_get_ex(path, "get", &op));
        assert_true(json_object_object_get_ex(op, "responses", &ok));
        assert_true(json_object_object_get_ex(ok, "200", &ok));
        assert_true(json_object_object_get_ex(ok, "schema", NULL));
    }
    assert_true(check_refs(d, d) > 20);
    json_object_put(d);
    d = call("GET", "/openapi/v3", 404);
    json_object_put(d);
}

static int
setup(void **s)
{
    struct cm_diag d;
    size_t skipped;
    (void)s;
    cm_diag_init(&d);
    if (cm_config_load(&cfg, TOP_SRCDIR "/examples/metrics.yaml", &d) < 0 ||
        cm_objects_load_file(&objs, TOP_SRCDIR "/examples/objects.yaml", &skipped, &d) < 0)
        return -1;
    cm_diag_free(&d);
    sources = cm_sources_new(cfg, cm_source_backends_core);
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
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_by_selector_returns_matching_objects_only),
        cmocka_unit_test(test_selector_items_are_the_writers_bytes),
        cmocka_unit_test(test_by_name_and_scopes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_external_metrics),
        cmocka_unit_test(test_metric_labels),
        cmocka_unit_test(test_openapi_v2),
        cmocka_unit_test(test_health_is_text),
        cmocka_unit_test(test_field_selector),
        cmocka_unit_test(test_negotiation_and_pretty),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
