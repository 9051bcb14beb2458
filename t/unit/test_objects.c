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

struct collected {
    size_t n;
    const struct cm_object *v[4096];
};

static int
collect(const struct cm_object *o, void *arg)
{
    struct collected *c = arg;

    c->v[c->n++] = o;
    return 0;
}

/*
 * cm_objects_select() answers equality terms from the label index; it must
 * visit exactly the objects, in the order, that a scan with
 * cm_selector_matches() finds, for every kind of selector and namespace.
 */
static void
test_select_agrees_with_a_scan(void **state)
{
    static const char *const namespaces[] = { "a", "b", "c" };
    static const char *const selectors[] = {
        "", "app=web", "app==web", "app=none", "tier=t1", "app=web,tier=t2",
        "app in (web)", "app in (web,db)", "app notin (web)", "app!=web", "tier",
        "!tier", "app=web,!tier", "app=web,tier notin (t0,t1)", "shard=s3,app=db",
        "app=web,shard in (s1)", "zone=z", "app=db,tier=t1,shard=s2",
    };
    const struct cm_resource *pods = cm_resource_lookup("pods");
    struct cm_objects_builder *b = cm_objects_builder_new();
    struct cm_objects *objs;
    struct cm_arena a;
    struct cm_buf err;
    unsigned seed = 12345;
    size_t i, k, nsi;
    (void)state;

    for (i = 0; i < 3000; i++) {
        struct cm_label l[3];
        char name[32], tier[8], shard[8];
        size_t nl = 0;

        seed = seed * 1103515245u + 12345u;
        snprintf(name, sizeof(name), "pod-%05zu", (i * 7919) % 3000);   /* unsorted input */
        l[nl].key = "app"; l[nl++].value = (seed >> 4) % 3 == 0 ? "db" : "web";
        if ((seed >> 12) % 4 != 0) {
            snprintf(tier, sizeof(tier), "t%u", (seed >> 14) % 3);
            l[nl].key = "tier"; l[nl++].value = tier;
        }
        snprintf(shard, sizeof(shard), "s%u", (seed >> 18) % 5);
        l[nl].key = "shard"; l[nl++].value = shard;
        assert_int_equal(cm_objects_builder_add(b, pods, namespaces[(seed >> 20) % 3],
                                                name, l, nl), 0);
    }
    cm_buf_init(&err, 1024);
    assert_int_equal(cm_objects_builder_finish(b, &objs, &err), 0);
    cm_buf_free(&err);
    cm_arena_init(&a, 0);
    for (k = 0; k < sizeof(selectors) / sizeof(*selectors); k++) {
        struct cm_selector sel;
        const char *perr;

        assert_int_equal(cm_selector_parse(&sel, selectors[k], strlen(selectors[k]), &a, &perr), 0);
        for (nsi = 0; nsi <= 3; nsi++) {
            const char *ns = nsi < 3 ? namespaces[nsi] : NULL;
            struct collected got = { 0 }, want = { 0 };
            const struct cm_object *first;
            size_t n = cm_objects_range(objs, pods, ns, &first), j, visited;

            for (j = 0; j < n; j++)
                if (cm_selector_matches(&sel, &first[j].labels))
                    want.v[want.n++] = &first[j];
            visited = cm_objects_select(objs, pods, ns, &sel, collect, &got);
            assert_int_equal(visited, got.n);
            if (got.n != want.n)
                fail_msg("selector '%s' in %s: %zu objects, a scan finds %zu",
                         selectors[k], ns ? ns : "all namespaces", got.n, want.n);
            for (j = 0; j < got.n; j++)
                assert_ptr_equal(got.v[j], want.v[j]);
        }
    }
    cm_arena_free(&a);
    cm_objects_free(objs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_list),
        cmocka_unit_test(test_json_list_and_single_object),
        cmocka_unit_test(test_mistakes_are_reported),
        cmocka_unit_test(test_select_agrees_with_a_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
