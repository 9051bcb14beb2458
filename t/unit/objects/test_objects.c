/* The object snapshot: loading kubectl's List output, lookups, selection, images. */
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
#include "objimage.h"

static char path[64];

/* What a visit saw, copied (a view lives only during its call). */
struct seen {
    char ns[64], name[64], uid[64], labels[256];
};

struct collected {
    size_t n;
    struct seen v[4096];
};

static int
collect(const struct cm_object *o, void *arg)
{
    struct collected *c = arg;
    struct seen *s = &c->v[c->n++];
    size_t i, len = 0;

    snprintf(s->ns, sizeof(s->ns), "%s", o->namespace);
    snprintf(s->name, sizeof(s->name), "%s", o->name);
    snprintf(s->uid, sizeof(s->uid), "%s", o->uid);
    s->labels[0] = '\0';
    for (i = 0; i < o->labels.n; i++)
        len += (size_t)snprintf(s->labels + len, sizeof(s->labels) - len, "%s%s=%s",
                                i ? "," : "", o->labels.v[i].key, o->labels.v[i].value);
    return 0;
}

/* Every object of r in ns (NULL: all), in order: a selector with no terms scans. */
static void
scan(const struct cm_objects *objs, const struct cm_resource *r, const char *ns,
     struct collected *out)
{
    struct cm_selector none = { 0 };
    size_t visited;

    out->n = 0;
    visited = cm_objects_select(objs, r, ns, &none, collect, out);
    assert_int_equal(visited, out->n);
}

/* The labels of one object as "k=v,k=v", or NULL when there is no such object. */
static const char *
labels_of(const struct cm_objects *objs, const char *resource, const char *ns, const char *name)
{
    static struct collected c;
    size_t i;

    scan(objs, cm_resource_lookup(resource), ns, &c);
    for (i = 0; i < c.n; i++)
        if (strcmp(c.v[i].name, name) == 0)
            return c.v[i].labels;
    return NULL;
}

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
    struct cm_object o;
    const struct cm_resource *pods = cm_resource_lookup("pods");
    static struct collected c;
    struct cm_diag d;
    size_t skipped;
    (void)state;
    cm_diag_init(&d);
    assert_int_equal(cm_objects_load_file(&objs, TOP_SRCDIR "/examples/objects.yaml", &skipped, &d), 0);
    assert_int_equal(skipped, 0);
    assert_int_equal(cm_objects_count(objs), 14);
    assert_int_equal(cm_objects_get(objs, pods, "default", "web-7d4b9c-x2k4p", &o), 1);
    assert_string_equal(o.name, "web-7d4b9c-x2k4p");
    assert_string_equal(o.namespace, "default");
    assert_string_equal(labels_of(objs, "pods", "default", "web-7d4b9c-x2k4p"),
                        "app=web,pod-template-hash=7d4b9c,tier=frontend");
    assert_int_equal(cm_objects_get(objs, pods, "shop", "web-7d4b9c-x2k4p", &o), 0);
    scan(objs, pods, "default", &c);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.v[0].name, "web-7d4b9c-h3j9s");  /* sorted by name */
    scan(objs, pods, NULL, &c);
    assert_int_equal(c.n, 5);
    scan(objs, pods, "nope", &c);
    assert_int_equal(c.n, 0);
    assert_int_equal(cm_objects_get(objs, cm_resource_lookup("nodes"), "ignored-for-cluster-scope",
                                    "node-1", &o), 1);
    assert_string_equal(o.namespace, "");
    assert_int_equal(cm_objects_get(objs, cm_resource_lookup("deployments.apps"), "default", "web", &o), 1);
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
    struct cm_object o;
    assert_int_equal(load_text("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n"
        "        {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", "
        "\"namespace\": \"n\", \"uid\": \"6f1c\", \"labels\": {\"a\": \"\\u003cb\\u003e\"}}}\n    ],\n"
        "    \"kind\": \"List\"\n}\n", &objs, &skipped, &d), 0);
    assert_string_equal(labels_of(objs, "pods", "n", "p"), "a=<b>");
    assert_int_equal(cm_objects_get(objs, cm_resource_lookup("pods"), "n", "p", &o), 1);
    assert_string_equal(o.uid, "6f1c");
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
                                                name, NULL, l, nl), 0);
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
            static struct collected got, all;
            size_t j, w = 0, visited;

            got.n = 0;
            scan(objs, pods, ns, &all);
            visited = cm_objects_select(objs, pods, ns, &sel, collect, &got);
            assert_int_equal(visited, got.n);
            for (j = 0; j < all.n; j++) {
                struct cm_label l[8];
                struct cm_labels set = { 0, l };
                char *save = NULL, *tok, text[256];

                snprintf(text, sizeof(text), "%s", all.v[j].labels);
                for (tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                    char *eq = strchr(tok, '=');
                    *eq = '\0';
                    l[set.n].key = tok;
                    l[set.n++].value = eq + 1;
                }
                if (!cm_selector_matches(&sel, &set))
                    continue;
                if (w >= got.n || strcmp(got.v[w].name, all.v[j].name) != 0 ||
                    strcmp(got.v[w].ns, all.v[j].ns) != 0)
                    fail_msg("selector '%s' in %s: object %zu differs from a scan's",
                             selectors[k], ns ? ns : "all namespaces", w);
                w++;
            }
            if (got.n != w)
                fail_msg("selector '%s' in %s: %zu objects, a scan finds %zu",
                         selectors[k], ns ? ns : "all namespaces", got.n, w);
        }
    }
    cm_arena_free(&a);
    cm_objects_free(objs);
}

/*
 * An image is read back as built: strings shared, posts ascending, lookups
 * exact; and any image that is not well-formed (a short file, a flipped
 * offset) is refused by cm_objimage_check() before anyone reads it.
 */
static void
test_image_round_trip_and_check(void **state)
{
    struct cm_label web[] = { { "tier", "front" }, { "app", "web" } };
    struct cm_label db[] = { { "app", "db" } };
    struct cm_objimage_entry e[] = {
        { "shop", "web-2", "u2", web, 2 },
        { "default", "db-0", "u3", db, 1 },
        { "shop", "web-1", NULL, web, 2 },
    };
    const struct cm_objimage_pair *p;
    struct cm_label l[4];
    void *img;
    size_t len, dup = 99, lo, hi, i;
    unsigned char *bytes;
    (void)state;

    assert_int_equal(cm_objimage_build(e, 3, &img, &len, &dup), 0);
    assert_int_equal(cm_objimage_check(img, len), 0);
    assert_int_equal(cm_objimage_find(img, "default", "db-0"), 0);
    assert_int_equal(cm_objimage_find(img, "shop", "web-1"), 1);
    assert_int_equal(cm_objimage_find(img, "shop", "web-3"), -1);
    assert_string_equal(cm_objimage_str(img, cm_objimage_objects(img)[2].uid), "u2");
    assert_string_equal(cm_objimage_str(img, cm_objimage_objects(img)[1].uid), "");
    cm_objimage_ns_range(img, "shop", &lo, &hi);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 3);
    assert_int_equal(cm_objimage_labels(img, 1, l, 4), 2);
    assert_string_equal(l[0].key, "app");                 /* sorted by key */
    assert_string_equal(l[1].value, "front");
    p = cm_objimage_pair(img, "app", "web");
    assert_non_null(p);
    assert_int_equal(p->count, 2);
    assert_int_equal(cm_objimage_posts(img, p)[0], 1);
    assert_int_equal(cm_objimage_posts(img, p)[1], 2);
    assert_null(cm_objimage_pair(img, "app", "cache"));
    /* "app" is stored once however many objects carry it */
    {
        const char *strings = cm_objimage_str(img, 0);
        size_t n = 0, off;

        for (off = 0; off < cm_objimage_header(img)->strings_len; off += strlen(strings + off) + 1)
            n += strcmp(strings + off, "app") == 0;
        assert_int_equal(n, 1);
    }

    assert_int_equal(cm_objimage_check(img, len - 1), -1);
    bytes = img;
    for (i = 8; i < sizeof(struct cm_objimage_header); i++) {
        unsigned char keep = bytes[i];

        bytes[i] ^= 0x40;
        assert_int_equal(cm_objimage_check(img, len), -1);
        bytes[i] = keep;
    }
    /* an object's label run pointing past the labels */
    ((struct cm_objimage_object *)(bytes + cm_objimage_header(img)->objects_off))[0].nlabels = 1000;
    assert_int_equal(cm_objimage_check(img, len), -1);
    free(img);

    e[2].name = "web-2";                                  /* a repeat */
    assert_int_equal(cm_objimage_build(e, 3, &img, &len, &dup), -1);
    assert_true(dup == 0 || dup == 2);
    assert_int_equal(cm_objimage_build(e, 0, &img, &len, &dup), 0);
    assert_int_equal(cm_objimage_check(img, len), 0);
    assert_int_equal(cm_objimage_find(img, "", "x"), -1);
    free(img);
}

/*
 * A rebuilt image lists the previous image's objects in order, then the
 * changes: the builder sorts only that tail and merges.  The result must be
 * in order all the same, and a repeat across the two runs still refused.
 */
static void
test_image_sorted_head_and_changed_tail(void **state)
{
    struct cm_objimage_entry e[200];
    char names[200][16];
    void *img;
    size_t len, dup, i;
    (void)state;

    for (i = 0; i < 200; i++) {
        /* 150 in order ("a-000".."a-149"), then 50 scattered among them */
        if (i < 150)
            snprintf(names[i], sizeof(names[i]), "a-%03zu", i);
        else
            snprintf(names[i], sizeof(names[i]), "a-%03zu.%zu", (i * 37) % 150, i);
        e[i].ns = (i * 7) % 3 == 0 && i >= 150 ? "b" : "a";
        e[i].name = names[i];
        e[i].uid = "";
        e[i].labels = NULL;
        e[i].nlabels = 0;
    }
    for (i = 0; i < 150; i++)
        e[i].ns = "a";
    assert_int_equal(cm_objimage_build(e, 200, &img, &len, &dup), 0);
    assert_int_equal(cm_objimage_check(img, len), 0);
    for (i = 1; i < 200; i++) {
        const struct cm_objimage_object *o = cm_objimage_objects(img);
        int c = strcmp(cm_objimage_str(img, o[i - 1].ns), cm_objimage_str(img, o[i].ns));

        if (c == 0)
            c = strcmp(cm_objimage_str(img, o[i - 1].name), cm_objimage_str(img, o[i].name));
        assert_true(c < 0);
    }
    for (i = 0; i < 200; i++)
        assert_true(cm_objimage_find(img, e[i].ns, e[i].name) >= 0);
    free(img);

    e[199].ns = "a";                        /* the tail repeats a head object */
    e[199].name = names[42];
    assert_int_equal(cm_objimage_build(e, 200, &img, &len, &dup), -1);
    assert_true(dup == 42 || dup == 199);
}

/*
 * cm_objects_select_bare() visits exactly what cm_objects_select() visits,
 * in order, for every kind of selector; where the selector is answered
 * without labels (none, or one equality term) it gathers none.
 */
static void
test_select_bare_visits_the_same(void **state)
{
    static const char *const selectors[] = {
        "", "app=web", "app in (db)", "app=web,tier=t1", "tier", "app!=web", "tier notin (t0)",
        "app=none",
    };
    const struct cm_resource *pods = cm_resource_lookup("pods");
    struct cm_objects_builder *b = cm_objects_builder_new();
    struct cm_objects *objs;
    struct cm_arena a;
    struct cm_buf err;
    size_t i, k, nsi;
    (void)state;

    for (i = 0; i < 500; i++) {
        struct cm_label l[2] = { { "app", i % 3 ? "web" : "db" }, { "tier", i % 2 ? "t1" : "t0" } };
        char name[32], uid[32];

        snprintf(name, sizeof(name), "pod-%03zu", (i * 37) % 500);
        snprintf(uid, sizeof(uid), "uid-%zu", i);
        assert_int_equal(cm_objects_builder_add(b, pods, i % 4 ? "a" : "b", name, uid, l,
                                                i % 5 ? 2 : 1), 0);
    }
    cm_buf_init(&err, 1024);
    assert_int_equal(cm_objects_builder_finish(b, &objs, &err), 0);
    cm_buf_free(&err);
    cm_arena_init(&a, 0);
    for (k = 0; k < sizeof(selectors) / sizeof(*selectors); k++) {
        struct cm_selector sel;
        const char *perr;
        int labelless = k < 3;               /* "", one equality term */

        assert_int_equal(cm_selector_parse(&sel, selectors[k], strlen(selectors[k]), &a, &perr), 0);
        for (nsi = 0; nsi < 3; nsi++) {
            const char *ns = nsi == 0 ? "a" : nsi == 1 ? "b" : NULL;
            static struct collected full, bare;
            size_t n1, n2, j;

            full.n = bare.n = 0;
            n1 = cm_objects_select(objs, pods, ns, &sel, collect, &full);
            n2 = cm_objects_select_bare(objs, pods, ns, &sel, collect, &bare);
            assert_int_equal(n1, full.n);
            assert_int_equal(n2, bare.n);
            if (full.n != bare.n)
                fail_msg("selector '%s': %zu objects, bare %zu", selectors[k], full.n, bare.n);
            if (k < 7 && ns == NULL && full.n == 0)
                fail_msg("selector '%s' selects nothing: the test is broken", selectors[k]);
            for (j = 0; j < full.n; j++) {
                if (strcmp(full.v[j].ns, bare.v[j].ns) != 0 ||
                    strcmp(full.v[j].name, bare.v[j].name) != 0 ||
                    strcmp(full.v[j].uid, bare.v[j].uid) != 0)
                    fail_msg("selector '%s': object %zu is %s/%s, bare %s/%s", selectors[k], j,
                             full.v[j].ns, full.v[j].name, bare.v[j].ns, bare.v[j].name);
                if (labelless && bare.v[j].labels[0] != '\0')
                    fail_msg("selector '%s': bare gathered labels %s", selectors[k],
                             bare.v[j].labels);
                assert_true(full.v[j].labels[0] != '\0');
            }
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
        cmocka_unit_test(test_image_round_trip_and_check),
        cmocka_unit_test(test_image_sorted_head_and_changed_tail),
        cmocka_unit_test(test_json_list_and_single_object),
        cmocka_unit_test(test_mistakes_are_reported),
        cmocka_unit_test(test_select_agrees_with_a_scan),
        cmocka_unit_test(test_select_bare_visits_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
