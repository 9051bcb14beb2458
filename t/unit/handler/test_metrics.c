/*
 * /metrics through cm_router_handle(): the page the metrics port serves,
 * counting the requests the router answers (by route, group, version and
 * code), and a 404 Status wherever self-metrics are off (the API port's
 * workers) or no counters are mapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "counters.h"
#include "diag.h"
#include "metrics.h"
#include "router.h"

static struct cm_config *cfg;
static struct cm_arena arena;
static struct cm_buf body;
static struct cm_response res;

static void
call(int self, const char *method, const char *uri, int want_status)
{
    struct cm_api api = { .config = cfg, .self_metrics = self };
    struct cm_request req = { .method = method, .uri = uri, .now = 1795640400 };

    cm_arena_reset(&arena);
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    if (res.status != want_status)
        fail_msg("%s %s: status %d, want %d: %s", method, uri, res.status, want_status, body.data);
}

/* 1 if the page has the line (exactly, as one whole line). */
static int
has_line(const char *line)
{
    size_t n = strlen(line);
    const char *p = body.data;

    while ((p = strstr(p, line)) != NULL) {
        if ((p == body.data || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
        p += n;
    }
    return 0;
}

#define CM "/apis/custom.metrics.k8s.io/"

static void
test_page_counts_requests(void **state)
{
    struct cm_counters *c;
    char err[256];
    int i;

    (void)state;
    c = cm_counters_new(err, sizeof(err));
    assert_non_null(c);
    cm_counters_use(c);
    cm_counters_config_loaded("0123456789abcdef", 1795640000);
    cm_metrics_set_version("9.9.9");
    for (i = 0; i < 3; i++)
        call(0, "GET", CM "v1beta2/namespaces/default/pods/%2A/http_requests_per_second", 200);
    call(0, "GET", CM "v1beta1/namespaces/default/pods/web-1/no_such_metric", 404);
    call(0, "GET", "/apis/external.metrics.k8s.io/v1beta1", 200);
    call(0, "GET", "/nothing/here", 404);
    call(0, "GET", "/metrics", 404);                   /* not on the API port */
    assert_non_null(strstr(body.data, "\"kind\":\"Status\""));

    call(1, "GET", "/metrics", 200);
    assert_string_equal(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_true(has_line("cmf_build_info{version=\"9.9.9\"} 1"));
    assert_true(has_line("# TYPE cmf_requests_total counter"));
    assert_true(has_line("cmf_requests_total{group=\"custom.metrics.k8s.io\",version=\"v1beta2\","
                         "route=\"selector\",code=\"200\"} 3"));
    assert_true(has_line("cmf_requests_total{group=\"custom.metrics.k8s.io\",version=\"v1beta1\","
                         "route=\"object\",code=\"404\"} 1"));
    assert_true(has_line("cmf_requests_total{group=\"external.metrics.k8s.io\",version=\"v1beta1\","
                         "route=\"discovery\",code=\"200\"} 1"));
    assert_true(has_line("cmf_requests_total{group=\"\",version=\"\",route=\"other\",code=\"404\"} 2"));
    assert_true(has_line("cmf_request_duration_seconds_count{route=\"selector\"} 3"));
    assert_true(has_line("cmf_request_duration_seconds_bucket{route=\"selector\",le=\"+Inf\"} 3"));
    assert_true(has_line("cmf_config_info{hash=\"0123456789abcdef\"} 1"));
    assert_true(has_line("cmf_config_last_reload_success_timestamp_seconds 1795640000"));
    assert_true(has_line("cmf_config_reloads_total{result=\"success\"} 0"));
    assert_true(has_line("cmf_source_errors_total{kind=\"prometheus\"} 0"));
    assert_true(has_line("cmf_prometheus_query_duration_seconds_count 0"));
    assert_true(has_line("cmf_worker_restarts_total 0"));
    assert_null(strstr(body.data, "cmf_push_values"));     /* no push store known */
    assert_null(strstr(body.data, "cmf_watch_cache"));     /* no watch cache */

    /* the scrape itself is counted, under route "metrics" */
    call(1, "GET", "/metrics", 200);
    assert_true(has_line("cmf_requests_total{group=\"\",version=\"\",route=\"metrics\",code=\"200\"} 1"));
    call(1, "POST", "/metrics", 405);
    call(1, "GET", "/metrics/", 404);
    cm_counters_free(c);

    /* no counters mapped: nothing to show */
    call(1, "GET", "/metrics", 404);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_counts_requests),
    };
    struct cm_diag d;
    int rc;

    cm_diag_init(&d);
    if (cm_config_load(&cfg, TOP_SRCDIR "/examples/metrics.yaml", &d) < 0) {
        cm_diag_print(&d, stderr);
        return 1;
    }
    cm_diag_free(&d);
    cm_arena_init(&arena, 32768);
    cm_buf_init(&body, 1 << 22);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cm_arena_free(&arena);
    cm_buf_free(&body);
    cm_config_free(cfg);
    return rc;
}
