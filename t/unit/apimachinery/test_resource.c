/* The resource table: lookups by URL name and by kind, and resources added from discovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "resource.h"

static void
test_lookup(void **state)
{
    const struct cm_resource *r;

    (void)state;
    r = cm_resource_lookup("pods");
    assert_non_null(r);
    assert_string_equal(r->kind, "Pod");
    assert_string_equal(r->api_version, "v1");
    assert_string_equal(r->group_resource, "pods");
    assert_true(r->namespaced);
    r = cm_resource_lookup("deployments.apps");
    assert_non_null(r);
    assert_ptr_equal(r, cm_resource_lookup("deployments"));   /* bare plural, unambiguous */
    assert_string_equal(r->api_version, "apps/v1");
    assert_string_equal(r->singular, "deployment");
    assert_false(cm_resource_lookup("nodes")->namespaced);
    assert_null(cm_resource_lookup("deployments.extensions"));
    assert_null(cm_resource_lookup("pod"));
    assert_null(cm_resource_lookup(""));
    assert_ptr_equal(cm_resource_namespaces(), cm_resource_lookup("namespaces"));
}

static void
test_by_kind(void **state)
{
    (void)state;
    assert_ptr_equal(cm_resource_by_kind("apps", "StatefulSet"), cm_resource_lookup("statefulsets"));
    assert_ptr_equal(cm_resource_by_kind("", "Pod"), cm_resource_lookup("pods"));
    assert_null(cm_resource_by_kind("", "Deployment"));      /* the group is part of the kind */
}

static void
test_added_resources(void **state)
{
    static const struct cm_resource widgets = {
        "widgets", "example.com", "v1", "Widget", 1, "widgets.example.com", "example.com/v1",
        "widget" };
    static const struct cm_resource other_pods = {
        "pods", "metrics.example.com", "v1", "PodMetric", 1, "pods.metrics.example.com",
        "metrics.example.com/v1", "pod" };
    static const struct cm_resource other_widgets = {
        "widgets", "other.io", "v1", "Widget", 0, "widgets.other.io", "other.io/v1", "widget" };
    size_t i, n = 0;

    (void)state;
    assert_null(cm_resource_lookup("widgets"));
    assert_int_equal(cm_resource_add(&widgets), 0);
    assert_ptr_equal(cm_resource_lookup("widgets"), &widgets);
    assert_ptr_equal(cm_resource_lookup("widgets.example.com"), &widgets);
    assert_int_equal(cm_resource_add(&widgets), -1);          /* once */
    /* the core group's "pods" is its GroupResource: an exact match, never ambiguous */
    assert_int_equal(cm_resource_add(&other_pods), 0);
    assert_string_equal(cm_resource_lookup("pods")->kind, "Pod");
    assert_ptr_equal(cm_resource_lookup("pods.metrics.example.com"), &other_pods);
    /* a second group serving "widgets" makes the bare plural ambiguous */
    assert_int_equal(cm_resource_add(&other_widgets), 0);
    assert_null(cm_resource_lookup("widgets"));
    assert_ptr_equal(cm_resource_lookup("widgets.other.io"), &other_widgets);
    for (i = 0; cm_resource_at(i) != NULL; i++)
        n += cm_resource_at(i) == &widgets;
    assert_int_equal(n, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_by_kind),
        cmocka_unit_test(test_added_resources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
