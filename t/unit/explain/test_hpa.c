/* HorizontalPodAutoscaler manifests (src/explain/hpa.c): what is kept, and the errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hpa.h"

static char path[256];

/* Writes text to a scratch file; returns its path. */
static const char *
scratch(const char *text)
{
    FILE *f;
    int fd;

    snprintf(path, sizeof(path), "%s/cm-hpa-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void
test_golden_manifest(void **state)
{
    struct cm_hpa h;
    struct cm_diag d;

    (void)state;
    cm_diag_init(&d);
    assert_int_equal(cm_hpa_load(&h, TOP_SRCDIR "/t/explain/object-external.yaml", &d), 0);
    assert_string_equal(h.name, "web");
    assert_string_equal(h.ns, "default");
    assert_int_equal(h.min_replicas, 2);
    assert_int_equal(h.max_replicas, 12);
    assert_true(h.tolerance_up == 0.1 && h.tolerance_down == 0.1);
    assert_int_equal(h.nmetrics, 3);
    assert_int_equal(h.metrics[0].source, CM_HPA_OBJECT);
    assert_string_equal(h.metrics[0].object_kind, "Deployment");
    assert_int_equal(h.metrics[0].target, CM_HPA_VALUE);
    assert_int_equal(h.metrics[0].target_milli, 10000);
    assert_string_equal(h.metrics[0].selector_go, "<nil>");
    assert_int_equal(h.metrics[1].source, CM_HPA_EXTERNAL);
    assert_int_equal(h.metrics[1].target, CM_HPA_AVERAGE_VALUE);
    /* canonical (sorted) for the request, as written for Go's %+v */
    assert_string_equal(h.metrics[1].selector, "queue in (billing,orders)");
    assert_string_equal(h.metrics[1].selector_go,
        "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{"
        "LabelSelectorRequirement{Key:queue,Operator:In,Values:[orders billing],},},}");
    cm_hpa_free(&h);
    cm_diag_free(&d);
}

static void
test_selectors_and_defaults(void **state)
{
    struct cm_hpa h;
    struct cm_diag d;

    (void)state;
    cm_diag_init(&d);
    assert_int_equal(cm_hpa_load(&h, scratch(
        "apiVersion: autoscaling/v2\n"
        "kind: HorizontalPodAutoscaler\n"
        "metadata: {name: x}\n"
        "spec:\n"
        "  maxReplicas: 5\n"
        "  behavior: {scaleDown: {tolerance: 0.25}}\n"
        "  metrics:\n"
        "  - type: Pods\n"
        "    pods:\n"
        "      metric:\n"
        "        name: rps\n"
        "        selector:\n"
        "          matchLabels: {zone: b, verb: GET}\n"
        "          matchExpressions:\n"
        "          - {key: tier, operator: DoesNotExist}\n"
        "          - {key: env, operator: Exists}\n"
        "      target: {type: AverageValue, averageValue: 1500m}\n"
        "  - type: Resource\n"
        "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n"), &d), 0);
    unlink(path);
    assert_string_equal(h.ns, "default");
    assert_int_equal(h.min_replicas, 1);
    assert_true(h.tolerance_down == 0.25 && h.tolerance_up == 0.1);
    assert_string_equal(h.metrics[0].selector, "env,!tier,verb=GET,zone=b");
    assert_string_equal(h.metrics[0].selector_go,
        "&LabelSelector{MatchLabels:map[string]string{verb: GET,zone: b,},MatchExpressions:"
        "[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:DoesNotExist,"
        "Values:[],},LabelSelectorRequirement{Key:env,Operator:Exists,Values:[],},},}");
    assert_int_equal(h.metrics[0].target_milli, 1500);
    assert_int_equal(h.metrics[1].source, CM_HPA_RESOURCE);
    assert_string_equal(h.metrics[1].name, "cpu");
    cm_hpa_free(&h);
    cm_diag_free(&d);
}

static void
test_problems_have_positions(void **state)
{
    struct cm_hpa h;
    struct cm_diag d;

    (void)state;
    cm_diag_init(&d);
    assert_int_equal(cm_hpa_load(&h, TOP_SRCDIR "/t/explain/bad.yaml", &d), -1);
    assert_int_equal(d.count, 2);
    assert_non_null(strstr(d.text.data, "/t/explain/bad.yaml:7:5: a Pods metric's target.type "
                                        "must be AverageValue\n"));
    assert_non_null(strstr(d.text.data, "/t/explain/bad.yaml:11:11: type is Pods, Object, "
                                        "External, Resource or ContainerResource, not \"Bogus\"\n"));
    cm_hpa_free(&h);
    cm_diag_free(&d);

    cm_diag_init(&d);
    assert_int_equal(cm_hpa_load(&h, scratch(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n"), &d), -1);
    unlink(path);
    assert_non_null(strstr(d.text.data, ":1:1: this is apps/v1 Deployment, not an "
                                        "autoscaling/v2 HorizontalPodAutoscaler"));
    cm_hpa_free(&h);
    cm_diag_free(&d);

    cm_diag_init(&d);
    assert_int_equal(cm_hpa_load(&h, scratch(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n"
        "spec:\n  minReplicas: 3\n  maxReplicas: 2\n  metrics:\n  - type: External\n"
        "    external:\n      metric: {name: q, selector: {matchExpressions: [{key: a, operator: In}]}}\n"
        "      target: {type: Value, value: \"-1\"}\n"), &d), -1);
    unlink(path);
    assert_non_null(strstr(d.text.data, "spec needs 1 <= minReplicas <= maxReplicas"));
    assert_non_null(strstr(d.text.data, "values: for 'In', 'NotIn' operators, values set can't be empty"));
    cm_hpa_free(&h);
    cm_diag_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_manifest),
        cmocka_unit_test(test_selectors_and_defaults),
        cmocka_unit_test(test_problems_have_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
