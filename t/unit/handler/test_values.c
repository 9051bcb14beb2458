/*
 * values.c: the items of a by-selector list are stamped from the first
 * one's bytes; each must be byte for byte the item the JSON writer makes
 * for that object alone (its by-name answer), whatever the strings hold
 * (escapes, UTF-8, invalid bytes, long names), across namespaces, with a
 * timestamp and a value per object, compact and pretty, in both versions.
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

#include "router.h"
#include "objects.h"
#include "config.h"
#include "source.h"
#include "fixture_tmpdir.h"

#define CM "/apis/custom.metrics.k8s.io/"

struct pod {
    const char *ns, *name;
    int tier1;                  /* labelled tier=t1 as well as app=web */
    const char *sample;         /* its m_file sample ("VALUE TIMESTAMP_MS"), or NULL */
};

static char long_name[254];

/* In (namespace, name) order, as the image keeps them (strcmp). */
static struct pod pods[] = {
    { "a", "amp&lt", 0, "7 1795640401000" },
    { "a", "bad\xff" "byte", 1, "1.5 1795640400000" },
    { "a", "caf\xc3\xa9", 0, NULL },
    { "a", long_name, 1, "2000 1795640400000" },
    { "a", "we\"b<1>", 0, "0.25 1795640462000" },
    { "a", "web-0", 1, "1e3 1795640400000" },
    { "a", "web-1", 0, "-4 1795640400000" },
    { "a", "web-2", 0, "3 1795640400000" },
    { "b", "web-0", 0, "5 1795640399000" },
    { "b", "x\ty", 1, "6 1795640400000" },
    { "q\"s", "web-0", 0, "8 1795640400000" },
};
#define NPODS (sizeof(pods) / sizeof(pods[0]))

static struct cm_config *cfg;
static struct cm_objects *objs;
static struct cm_sources *sources;
static struct cm_arena arena;
static struct cm_buf body;
static char dir[64];

/* The body of GET uri, which must answer 200. */
static const char *
get(const char *uri)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = "GET", .uri = uri, .now = 1795640400 };
    struct cm_response res;

    cm_arena_reset(&arena);
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    if (res.status != 200)
        fail_msg("GET %s: status %d: %s", uri, res.status, body.data);
    return body.data;
}

/* Percent-encodes every byte but the unreserved ones. */
static void
pct(char *out, size_t cap, const char *s)
{
    size_t n = 0;

    for (; *s && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
    }
    out[n] = '\0';
}

static int
setup(void **state)
{
    const struct cm_resource *r = cm_resource_lookup("pods");
    struct cm_objects_builder *b = cm_objects_builder_new();
    char path[128];
    struct cm_diag d;
    struct cm_buf err;
    FILE *f;
    size_t i;

    (void)state;
    memset(long_name, 'n', 253);
    assert_int_equal(fixture_tmpdir_make(dir, sizeof(dir), "cm-test-values"), 0);
    snprintf(path, sizeof(path), "%s/m.prom", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (i = 0; i < NPODS; i++) {
        const char *p;
        if (pods[i].sample == NULL)
            continue;
        fputs("m_file{namespace=\"", f);
        for (p = pods[i].ns; *p; p++)
            fprintf(f, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
        fputs("\",pod=\"", f);
        for (p = pods[i].name; *p; p++)
            fprintf(f, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
        fprintf(f, "\"} %s\n", pods[i].sample);
    }
    fclose(f);
    snprintf(path, sizeof(path), "%s/metrics.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "version: 1\nmetrics:\n"
               "  - name: m_static\n    resources: [pods]\n    window: 1m\n"
               "    source: {static: \"250m\"}\n"
               "  - name: m_labelled\n    resources: [pods]\n    labels: {verb: GET}\n"
               "    source: {static: \"3\"}\n"
               "  - name: m_file\n    resources: [pods]\n    window: 30s\n"
               "    source: {file: {path: %s/m.prom}}\n", dir);
    fclose(f);
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) < 0) {
        cm_diag_print(&d, stderr);
        fail();
    }
    cm_diag_free(&d);
    for (i = 0; i < NPODS; i++) {
        struct cm_label l[2] = { { "app", "web" }, { "tier", "t1" } };
        assert_int_equal(cm_objects_builder_add(b, r, pods[i].ns, pods[i].name, NULL, l,
                                                pods[i].tier1 ? 2 : 1), 0);
    }
    cm_buf_init(&err, 1024);
    assert_int_equal(cm_objects_builder_finish(b, &objs, &err), 0);
    cm_buf_free(&err);
    sources = cm_sources_new(cfg, cm_source_backends_all);
    cm_arena_init(&arena, 0);
    cm_buf_init(&body, 1u << 20);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cm_buf_free(&body);
    cm_arena_free(&arena);
    cm_sources_free(sources);
    cm_objects_free(objs);
    cm_config_free(cfg);
    return fixture_tmpdir_remove(dir);
}

/*
 * The list for `query` (a selector on every pod) in namespace ns (NULL:
 * all) must be the by-name answers' items, in order, between the same
 * head and tail; want is how many items that is.
 */
static void
list_is_by_name_items(const char *version, const char *ns, const char *metric,
                      const char *query, int pretty, size_t want)
{
    static char uri[1024], expected[1 << 16], got[1 << 16];
    const char *tail = pretty ? "\n  ]\n}" : "]}\n";      /* pretty: no newline */
    size_t i, n = 0, items = 0, head = 0;
    char ens[64], ename[800];

    for (i = 0; i < NPODS; i++) {
        const char *one, *start;
        size_t len;

        if ((ns != NULL && strcmp(pods[i].ns, ns) != 0) ||
            (strcmp(metric, "m_file") == 0 && pods[i].sample == NULL))
            continue;
        pct(ens, sizeof(ens), pods[i].ns);
        pct(ename, sizeof(ename), pods[i].name);
        snprintf(uri, sizeof(uri), CM "%s/namespaces/%s/pods/%s/%s?%s%s", version, ens, ename,
                 metric, strstr(query, "metricLabelSelector") ? "metricLabelSelector=verb%3DGET" : "",
                 pretty ? "&pretty=true" : "");
        one = get(uri);
        len = strlen(one);
        start = strchr(strstr(one, "\"items\":"), '[') + 1;
        assert_true(len > strlen(tail));
        assert_string_equal(one + len - strlen(tail), tail);
        if (items == 0) {
            head = (size_t)(start - one);
            memcpy(expected, one, head);
            n = head;
        } else {
            expected[n++] = ',';
        }
        memcpy(expected + n, start, len - strlen(tail) - head);
        n += len - strlen(tail) - head;
        items++;
    }
    assert_int_equal(items, want);
    memcpy(expected + n, tail, strlen(tail) + 1);
    if (ns != NULL)
        snprintf(uri, sizeof(uri), CM "%s/namespaces/%s/pods/%%2A/%s?%s%s", version, ns, metric,
                 query, pretty ? "&pretty=true" : "");
    else
        snprintf(uri, sizeof(uri), CM "%s/pods/%%2A/%s?%s%s", version, metric, query,
                 pretty ? "&pretty=true" : "");
    snprintf(got, sizeof(got), "%s", get(uri));
    if (strcmp(got, expected) != 0) {
        for (i = 0; got[i] == expected[i]; i++)
            ;
        fail_msg("%s: differs from the by-name items at byte %zu:\n got ...%.80s\nwant ...%.80s",
                 uri, i, got + (i > 20 ? i - 20 : 0), expected + (i > 20 ? i - 20 : 0));
    }
}

static void
test_stamped_items_are_written_items(void **state)
{
    static const char *const versions[] = { "v1beta1", "v1beta2" };
    /* one equality term (answered from the index, no labels gathered) and
     * a selector checked against each object's labels: the same objects */
    static const char *const selectors[] = {
        "labelSelector=app%3Dweb", "labelSelector=app%3Dweb%2Ctier%21%3Dt9",
    };
    size_t v, s;
    int pretty;

    (void)state;
    for (v = 0; v < 2; v++) {
        for (s = 0; s < 2; s++) {
            for (pretty = 0; pretty <= 1; pretty++) {
                list_is_by_name_items(versions[v], "a", "m_static", selectors[s], pretty, 8);
                list_is_by_name_items(versions[v], NULL, "m_static", selectors[s], pretty, NPODS);
                list_is_by_name_items(versions[v], "a", "m_file", selectors[s], pretty, 7);
                list_is_by_name_items(versions[v], NULL, "m_file", selectors[s], pretty, 10);
            }
        }
        list_is_by_name_items(versions[v], NULL, "m_labelled",
                              "labelSelector=app%3Dweb&metricLabelSelector=verb%3DGET", 0, NPODS);
    }
}

/* A list that stops at the buffer's cap fails (the router's 500), never truncates. */
static void
test_list_past_the_cap_fails(void **state)
{
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources };
    struct cm_request req = { .method = "GET", .now = 1795640400,
                              .uri = CM "v1beta1/pods/%2A/m_static?labelSelector=app%3Dweb" };
    struct cm_response res;
    struct cm_buf small;
    size_t full;

    (void)state;
    full = strlen(get(req.uri));
    cm_buf_init(&small, full - 40);          /* the last item does not fit */
    cm_arena_reset(&arena);
    memset(&res, 0, sizeof(res));
    res.body = &small;
    cm_router_handle(&api, &req, &arena, &res);
    assert_int_equal(res.status, 500);
    assert_non_null(strstr(small.data, "\"reason\":\"InternalError\""));
    cm_buf_free(&small);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stamped_items_are_written_items),
        cmocka_unit_test(test_list_past_the_cap_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
