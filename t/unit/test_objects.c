/* The object snapshot: loading kubectl's List output, lookups and ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "objects.h"

static char path[64];

static int
load_text(const char *text, struct cm_objects **objs, size_t *skipped, struct cm_diag *d)
{
    FILE *f;
    int fd, rc;

    strcpy(path, "/tmp/cm-test-objects-XXXXXX");
    fd = mkstemp(path);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    rc = cm_objects_load_file(objs, path, skipped, d);
    unlink(path);
    return rc;
}

static void
test_example_list(void **state)
{
    struct cm_objects *objs;
    const struct cm_object *o, *first;
    const struct cm_resource *pods = cm_resource_lookup("pods");
    struct cm_diag d;
    size_t skipped, n;
    (void)state;
    cm_diag_init(&d);
    assert_int_equal(cm_objects_load_file(&objs, TOP_SRCDIR "/examples/objects.yaml", &skipped, &d), 0);
    assert_int_equal(skipped, 0);
    assert_int_equal(cm_objects_count(objs), 14);
    o = cm_objects_get(objs, pods, "default", "web-7d4b9c-x2k4p");
    assert_non_null(o);
    assert_string_equal(cm_labels_get(&o->labels, "app"), "web");
    assert_null(cm_objects_get(objs, pods, "shop", "web-7d4b9c-x2k4p"));
    n = cm_objects_range(objs, pods, "default", &first);
    assert_int_equal(n, 4);
    assert_string_equal(first[0].name, "web-7d4b9c-h3j9s");  /* sorted by name */
    assert_int_equal(cm_objects_range(objs, pods, NULL, &first), 5);
    assert_int_equal(cm_objects_range(objs, pods, "nope", &first), 0);
    o = cm_objects_get(objs, cm_resource_lookup("nodes"), "ignored-for-cluster-scope", "node-1");
    assert_non_null(o);
    assert_string_equal(o->namespace, "");
    assert_non_null(cm_objects_get(objs, cm_resource_lookup("deployments.apps"), "default", "web"));
    cm_objects_free(objs);
    cm_diag_free(&d);
}

static void
test_json_list_and_single_object(void **state)
{
    struct cm_objects *objs;
    struct cm_diag d;
    size_t skipped;
    (void)state;
    cm_diag_init(&d);
    assert_int_equal(load_text("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n"
        "        {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", "
        "\"namespace\": \"n\", \"labels\": {\"a\": \"\\u003cb\\u003e\"}}}\n    ],\n"
        "    \"kind\": \"List\"\n}\n", &objs, &skipped, &d), 0);
    assert_string_equal(cm_labels_get(&cm_objects_get(objs, cm_resource_lookup("pods"), "n", "p")->labels, "a"), "<b>");
    cm_objects_free(objs);
    assert_int_equal(load_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\n"
                               "---\napiVersion: v1\nkind: Node\nmetadata: {name: x}\n"
                               "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
                               &objs, &skipped, &d), 0);
    assert_int_equal(cm_objects_count(objs), 2);
    assert_int_equal(skipped, 1);                       /* unknown kinds are skipped */
    cm_objects_free(objs);
    cm_diag_free(&d);
}

static void
test_mistakes_are_reported(void **state)
{
    struct cm_objects *objs;
    struct cm_diag d;
    size_t skipped;
    (void)state;
    cm_diag_init(&d);
    assert_int_equal(load_text("items:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n",
                               &objs, &skipped, &d), -1);
    assert_non_null(strstr(d.text.data, ":4:13: Pod 'p' has no metadata.namespace"));
    cm_diag_free(&d);
    cm_diag_init(&d);
    assert_int_equal(load_text("items:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a}\n"
                               "- apiVersion: v1\n  kind: Node\n  metadata: {name: a}\n",
                               &objs, &skipped, &d), -1);
    assert_non_null(strstr(d.text.data, "nodes a appears more than once"));
    cm_diag_free(&d);
    cm_diag_init(&d);
    assert_int_equal(load_text("items: [\n", &objs, &skipped, &d), -1);
    assert_non_null(strstr(d.text.data, path));
    cm_diag_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_list),
        cmocka_unit_test(test_json_list_and_single_object),
        cmocka_unit_test(test_mistakes_are_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
