/* The HPA controller's arithmetic and requests (src/explain/replicas.c), on values given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "quantity.h"
#include "replicas.h"

static struct cm_hpa hpa;

static int
setup(void **state)
{
    (void)state;
    memset(&hpa, 0, sizeof(hpa));
    hpa.name = "web";
    hpa.ns = "default";
    hpa.min_replicas = 1;
    hpa.max_replicas = 10;
    hpa.tolerance_up = hpa.tolerance_down = 0.1;
    return 0;
}

static struct cm_hpa_metric
metric(enum cm_hpa_source s, enum cm_hpa_target t, int64_t target_milli)
{
    struct cm_hpa_metric m;

    memset(&m, 0, sizeof(m));
    m.source = s;
    m.name = "m";
    m.selector = "";
    m.selector_go = "<nil>";
    m.target = t;
    m.target_milli = target_milli;
    m.object_api_version = "apps/v1";
    m.object_kind = "Deployment";
    m.object_name = "web";
    return m;
}

static struct cm_hpa_outcome
run(const struct cm_hpa_metric *m, int32_t current, const int64_t *v, size_t n)
{
    struct cm_hpa_reading r = { NULL, n, v };
    struct cm_hpa_outcome o;

    cm_hpa_compute(&hpa, m, current, &r, &o);
    return o;
}

static void
test_pods_average_and_tolerance(void **state)
{
    struct cm_hpa_metric m = metric(CM_HPA_PODS, CM_HPA_AVERAGE_VALUE, 1000);
    int64_t v[] = { 1000, 1000, 1001 };              /* sum 3001: the average truncates to 1000 */
    int64_t high[] = { 1100, 1100 }, over[] = { 1101, 1101 }, low[] = { 900, 900 }, under[] = { 899, 899 };
    struct cm_hpa_outcome o;

    (void)state;
    o = run(&m, 3, v, 3);
    assert_true(o.ok);
    assert_int_equal(o.usage_milli, 1000);
    assert_true(o.within);
    assert_int_equal(o.replicas, 3);
    /* the tolerance's edges are inside: 1.1 and 0.9 keep the count */
    assert_int_equal(run(&m, 2, high, 2).replicas, 2);
    assert_int_equal(run(&m, 2, low, 2).replicas, 2);
    /* just outside: ceil(ratio x pods with values) */
    assert_int_equal(run(&m, 2, over, 2).replicas, 3);     /* ceil(1.101 x 2) */
    assert_int_equal(run(&m, 2, under, 2).replicas, 2);    /* ceil(0.899 x 2) */
    /* pods with values count, not the current replicas */
    assert_int_equal(run(&m, 10, over, 2).replicas, 3);
}

static void
test_asymmetric_tolerance(void **state)
{
    struct cm_hpa_metric m = metric(CM_HPA_PODS, CM_HPA_AVERAGE_VALUE, 1000);
    int64_t up[] = { 1060 }, down[] = { 940 };

    (void)state;
    hpa.tolerance_up = 0.05;
    hpa.tolerance_down = 0.2;
    assert_false(run(&m, 4, up, 1).within);
    assert_true(run(&m, 4, down, 1).within);
    assert_int_equal(run(&m, 4, down, 1).replicas, 4);
}

static void
test_object_and_external(void **state)
{
    struct cm_hpa_metric value = metric(CM_HPA_OBJECT, CM_HPA_VALUE, 10000);
    struct cm_hpa_metric avg = metric(CM_HPA_EXTERNAL, CM_HPA_AVERAGE_VALUE, 50000);
    int64_t q[] = { 42000 }, series[] = { 120000, 31000 };
    struct cm_hpa_outcome o;

    (void)state;
    o = run(&value, 3, q, 1);
    assert_int_equal(o.usage_milli, 42000);
    assert_int_equal(o.replicas, 13);                       /* ceil(4.2 x 3) */
    assert_string_equal(o.label, "Deployment metric m");
    assert_int_equal(run(&value, 0, q, 1).replicas, 5);     /* from zero: ceil(4.2) */
    o = run(&avg, 3, series, 2);                            /* 151 over 3 pods against 50 */
    assert_true(o.within);                                  /* 151 / 150 = 1.0067 */
    assert_int_equal(o.replicas, 3);
    assert_int_equal(o.usage_milli, 50334);                 /* ceil(151000 / 3) */
    o = run(&avg, 1, series, 2);
    assert_int_equal(o.replicas, 4);                        /* ceil(151 / 50) */
    assert_string_equal(o.label, "external metric m(<nil>)");
}

static void
test_failures_are_wrapped_as_the_controller_wraps_them(void **state)
{
    struct cm_hpa_metric pods = metric(CM_HPA_PODS, CM_HPA_AVERAGE_VALUE, 1000);
    struct cm_hpa_metric obj = metric(CM_HPA_OBJECT, CM_HPA_AVERAGE_VALUE, 1000);
    struct cm_hpa_metric ext = metric(CM_HPA_EXTERNAL, CM_HPA_VALUE, 1000);
    struct cm_hpa_reading r = { "E", 0, NULL };
    struct cm_hpa_outcome o;

    (void)state;
    cm_hpa_compute(&hpa, &pods, 3, &r, &o);
    assert_false(o.ok);
    assert_string_equal(o.reason, "FailedGetPodsMetric");
    assert_string_equal(o.event, "unable to get metric m: E");
    assert_string_equal(o.error, "failed to get pods metric value: unable to get metric m: E");
    cm_hpa_compute(&hpa, &obj, 3, &r, &o);
    assert_string_equal(o.event, "unable to get metric m: Deployment on default web/E");
    assert_string_equal(o.error, "failed to get object metric value: failed to get m object "
                        "metric: unable to get metric m: Deployment on default web/E");
    cm_hpa_compute(&hpa, &ext, 3, &r, &o);
    assert_string_equal(o.reason, "FailedGetExternalMetric");
    assert_string_equal(o.event, "unable to get external metric default/m/<nil>: E");
    assert_string_equal(o.error, "failed to get external metric m: unable to get external "
                        "metric default/m/<nil>: E");
}

static void
test_decide(void **state)
{
    struct cm_hpa_outcome o[3];
    struct cm_hpa_decision d;

    (void)state;
    memset(o, 0, sizeof(o));
    o[0].ok = 1; o[0].replicas = 4; strcpy(o[0].label, "pods metric a");
    o[1].ok = 1; o[1].replicas = 7; strcpy(o[1].label, "pods metric b");
    cm_hpa_decide(&hpa, 3, o, 2, &d);
    assert_true(d.ok);
    assert_int_equal(d.desired, 7);                          /* the largest */
    assert_string_equal(d.message, "New size: 7; reason: pods metric b above target");
    o[1].replicas = 70;
    cm_hpa_decide(&hpa, 3, o, 2, &d);
    assert_int_equal(d.desired, 10);                         /* maxReplicas */
    o[0].replicas = o[1].replicas = 0;
    cm_hpa_decide(&hpa, 3, o, 2, &d);
    assert_int_equal(d.desired, 1);                          /* minReplicas */
    assert_string_equal(d.message, "New size: 1; reason: All metrics below target");
    /* one invalid: a scale-up still happens, a scale-down does not */
    o[2].ok = 0; strcpy(o[2].error, "broken");
    o[0].replicas = 5; o[1].replicas = 2;
    cm_hpa_decide(&hpa, 3, o, 3, &d);
    assert_true(d.ok);
    assert_int_equal(d.desired, 5);
    o[0].replicas = 2;
    cm_hpa_decide(&hpa, 3, o, 3, &d);
    assert_false(d.ok);
    assert_int_equal(d.desired, 3);
    assert_string_equal(d.message, "invalid metrics (1 invalid out of 3), first error is: broken");
    /* outside min..max already: brought back first, metrics unread */
    cm_hpa_decide(&hpa, 12, o, 3, &d);
    assert_int_equal(d.desired, 10);
    assert_string_equal(d.message, "New size: 10; reason: Current number of replicas above "
                        "Spec.MaxReplicas");
}

static void
test_requests(void **state)
{
    struct cm_hpa_metric pods = metric(CM_HPA_PODS, CM_HPA_AVERAGE_VALUE, 1000);
    struct cm_hpa_metric obj = metric(CM_HPA_OBJECT, CM_HPA_VALUE, 1000);
    struct cm_hpa_metric ext = metric(CM_HPA_EXTERNAL, CM_HPA_VALUE, 1000);
    struct cm_hpa_metric res = metric(CM_HPA_RESOURCE, CM_HPA_UTILIZATION, 0);
    struct cm_buf b;

    (void)state;
    cm_buf_init(&b, 4096);
    pods.selector = "verb in (GET,PUT)";
    assert_int_equal(cm_hpa_request(&hpa, &pods, "v1beta2", "app=web,tier!=db", &b), 0);
    assert_string_equal(b.data, "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/m"
                        "?labelSelector=app%3Dweb%2Ctier%21%3Ddb"
                        "&metricLabelSelector=verb+in+%28GET%2CPUT%29");
    cm_buf_reset(&b);
    assert_int_equal(cm_hpa_request(&hpa, &obj, "v1beta1", "app=web", &b), 0);
    assert_string_equal(b.data, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/"
                        "deployments.apps/web/m");
    cm_buf_reset(&b);
    obj.object_api_version = "v1";
    obj.object_kind = "Node";
    obj.object_name = "node-1";
    assert_int_equal(cm_hpa_request(&hpa, &obj, "v1beta2", "", &b), 0);
    assert_string_equal(b.data, "/apis/custom.metrics.k8s.io/v1beta2/nodes/node-1/m");
    cm_buf_reset(&b);
    obj.object_kind = "Widget";
    assert_int_equal(cm_hpa_request(&hpa, &obj, "v1beta2", "", &b), -1);
    cm_buf_reset(&b);
    ext.name = "QueueDepth";                      /* client-go lower-cases the metric */
    assert_int_equal(cm_hpa_request(&hpa, &ext, "v1beta2", "app=web", &b), 0);
    assert_string_equal(b.data, "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queuedepth");
    assert_int_equal(cm_hpa_request(&hpa, &res, "v1beta2", "", &b), -1);
    cm_buf_free(&b);
}

static void
test_milli_value(void **state)
{
    static const struct { const char *q; int64_t milli; } cases[] = {
        { "1", 1000 }, { "1500m", 1500 }, { "1.5", 1500 }, { "1n", 1 }, { "1001u", 2 },
        { "-1n", -1 }, { "2k", 2000000 }, { "1Ki", 1024000 }, { "0", 0 },
        { "100E", INT64_MAX },                   /* saturated */
    };
    struct cm_quantity q;
    const char *err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        assert_int_equal(cm_quantity_parse(cases[i].q, strlen(cases[i].q), &q, &err), 0);
        assert_int_equal(cm_quantity_milli(&q), cases[i].milli);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pods_average_and_tolerance, setup),
        cmocka_unit_test_setup(test_asymmetric_tolerance, setup),
        cmocka_unit_test_setup(test_object_and_external, setup),
        cmocka_unit_test_setup(test_failures_are_wrapped_as_the_controller_wraps_them, setup),
        cmocka_unit_test_setup(test_decide, setup),
        cmocka_unit_test_setup(test_requests, setup),
        cmocka_unit_test_setup(test_milli_value, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
