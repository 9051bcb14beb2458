/*
 * A configuration directory: which files are its parts, and the parts read
 * as one configuration (one prometheus block, names unique across files,
 * every problem naming its file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "configdir.h"
#include "fixture_tmpdir.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
    assert_int_equal(fixture_tmpdir_write(dir, name, text), 0);
}

static void
link_to(const char *target, const char *name)
{
    char p[256];

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_int_equal(symlink(target, p), 0);
}

static int
setup(void **state)
{
    (void)state;
    return fixture_tmpdir_make(dir, sizeof(dir), "cm-test-configdir");
}

static int
teardown(void **state)
{
    (void)state;
    return fixture_tmpdir_remove(dir);
}

/* Loads the directory; returns the diagnostics (owned), *cfg NULL on failure. */
static char *
load_dir(struct cm_config **cfg)
{
    struct cm_diag d;
    char *out;

    cm_diag_init(&d);
    cm_config_load(cfg, dir, &d);
    out = strdup(d.text.data ? d.text.data : "");
    cm_diag_free(&d);
    return out;
}

static const char metric_a[] = "metrics:\n  - name: a\n    resources: [pods]\n    source: {static: \"1\"}\n";

static void
test_parts_are_the_yaml_files(void **state)
{
    char **paths, want[256];
    size_t n;
    struct cm_diag d;

    (void)state;
    put("b.yaml", metric_a);
    put("a.yaml", metric_a);
    put("notes.txt", "x");
    put(".hidden.yaml", metric_a);
    put("c.yml", metric_a);                  /* only .yaml, as the issue says */
    assert_int_equal(mkdir(strcat(strcpy(want, dir), "/sub.yaml"), 0700), 0);
    link_to("nowhere.yaml", "dangling.yaml");
    link_to("a.yaml", "linked.yaml");
    cm_diag_init(&d);
    assert_int_equal(cm_configdir_list(dir, &paths, &n, &d), 0);
    assert_int_equal(n, 3);
    snprintf(want, sizeof(want), "%s/a.yaml", dir);
    assert_string_equal(paths[0], want);
    snprintf(want, sizeof(want), "%s/b.yaml", dir);
    assert_string_equal(paths[1], want);
    snprintf(want, sizeof(want), "%s/linked.yaml", dir);
    assert_string_equal(paths[2], want);
    cm_configdir_free(paths, n);
    assert_int_equal(d.count, 0);
    cm_diag_free(&d);
    assert_true(cm_configdir_is_dir(dir));
    assert_false(cm_configdir_is_dir("/dev/null"));
}

static void
test_configmap_layout(void **state)
{
    struct cm_config *cfg;
    char p[256], *diag;

    (void)state;
    /* a ConfigMap volume: keys are links into ..data, itself a link */
    snprintf(p, sizeof(p), "%s/..2026_12_01_1", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    put("..2026_12_01_1/one.yaml", metric_a);
    put("..2026_12_01_1/two.yaml", "external:\n  - name: q\n    source: {static: \"2\"}\n");
    link_to("..2026_12_01_1", "..data");
    link_to("..data/one.yaml", "one.yaml");
    link_to("..data/two.yaml", "two.yaml");
    diag = load_dir(&cfg);
    assert_string_equal(diag, "");
    assert_non_null(cfg);
    assert_int_equal(cfg->nmetrics, 1);
    assert_int_equal(cfg->nexternal, 1);
    assert_string_equal(cfg->path, dir);
    snprintf(p, sizeof(p), "%s/two.yaml", dir);
    assert_string_equal(cfg->external[0].file, p);
    cm_config_free(cfg);
    free(diag);
}

static void
test_one_whole_configuration(void **state)
{
    struct cm_config *cfg;
    char *diag;

    (void)state;
    /* the prometheus block in a later file serves an earlier file's source */
    put("a.yaml", "metrics:\n  - name: rps\n    resources: [pods]\n"
        "    source: {prometheus: {query: 'sum(<<.Series>>)'}}\n");
    put("b.yaml", "metrics:\n  - name: b\n    resources: [pods]\n    source: {file: {path: /x}}\n");
    put("z.yaml", "prometheus: {url: 'http://prom:9090'}\n");
    diag = load_dir(&cfg);
    assert_string_equal(diag, "");
    assert_non_null(cfg);
    assert_int_equal(cfg->nmetrics, 2);
    assert_string_equal(cfg->metrics[0].name, "rps");
    assert_string_equal(cfg->metrics[1].name, "b");
    assert_int_equal(cfg->nprom, 1);
    assert_int_equal(cfg->nfiles, 1);
    assert_string_equal(cfg->prometheus->url, "http://prom:9090");
    cm_config_free(cfg);
    free(diag);
}

/* text must appear in the diagnostics as "<dir>/<text>" (or "<dir><text>" for ":..."). */
static void
expect(const char *text)
{
    struct cm_config *cfg;
    char *diag = load_dir(&cfg), want[512];

    assert_null(cfg);
    snprintf(want, sizeof(want), "%s%s%s", dir, text[0] == ':' ? "" : "/", text);
    if (strstr(diag, want) == NULL)
        fail_msg("wanted '%s' in:\n%s", want, diag);
    free(diag);
}

static void
test_mistakes_name_their_file(void **state)
{
    char want[512];

    (void)state;
    put("a.yaml", metric_a);
    put("b.yaml", "prometheus: {url: 'http://p:9090'}\n");
    put("c.yaml", "prometheus: {url: 'http://q:9090'}\nmetrics:\n  - name: a\n"
        "    resources: [pods]\n    source: {static: \"1\"}\n  - name: c\n    resources: [gizmos]\n"
        "    source: {static: \"1\"}\n");
    put("d.yaml", "metrics: [\n");
    expect("c.yaml:1:13: a second 'prometheus' block (the first is at ");
    snprintf(want, sizeof(want), "c.yaml:3:11: duplicate metric name 'a' (first declared at %s/a.yaml:2)", dir);
    expect(want);
    expect("c.yaml:7:17: unknown resource 'gizmos'");
    expect("d.yaml:2:1: ");            /* a syntax error, with every other problem */
}

static void
test_empty_directory(void **state)
{
    (void)state;
    put("only.txt", "x");
    expect(": the directory has no *.yaml file");
}

static void
test_no_metric_anywhere(void **state)
{
    (void)state;
    put("prom.yaml", "prometheus: {url: 'http://p:9090'}\n");
    expect(": no file of the directory declares a metric");
}

static void
test_a_file_still_needs_metrics(void **state)
{
    (void)state;
    put("a.yaml", metric_a);
    put("b.yaml", "version: 1\n");
    expect("b.yaml:1:1: missing 'metrics'");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parts_are_the_yaml_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configmap_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_whole_configuration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mistakes_name_their_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_metric_anywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_file_still_needs_metrics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
