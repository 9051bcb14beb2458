/* metrics.yaml loading: values, and FILE:LINE:COLUMN for every kind of mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];

/* Writes text to a temporary file and loads it; returns the diagnostics. */
static char *
load(const char *text, struct cm_config **cfg)
{
    struct cm_diag d;
    FILE *f;
    char *out;
    int fd;

    strcpy(path, "/tmp/cm-test-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    cm_diag_init(&d);
    cm_config_load(cfg, path, &d);
    out = strdup(d.text.data ? d.text.data : "");
    cm_diag_free(&d);
    unlink(path);
    return out;
}

/* The message must appear as "<path>:<line>:<col>: <text>...". */
static void
expect(const char *yaml, const char *where_and_text)
{
    struct cm_config *cfg;
    char *diag = load(yaml, &cfg), want[512];

    assert_null(cfg);
    snprintf(want, sizeof(want), "%s:%s", path, where_and_text);
    if (strstr(diag, want) == NULL)
        fail_msg("wanted '%s' in:\n%s", want, diag);
    free(diag);
}

static void
test_valid_file(void **state)
{
    struct cm_config *cfg;
    const struct cm_metric *m;
    char *diag;
    (void)state;
    diag = load("version: 1\nmetrics:\n"
                "  - name: rps\n    resources: [pods, deployments.apps]\n"
                "    window: 1m30s\n    source:\n      static: \"1.5\"\n"
                "  - name: load\n    resources:\n      - nodes\n    source: {static: 3}\n", &cfg);
    assert_string_equal(diag, "");
    free(diag);
    assert_non_null(cfg);
    assert_int_equal(cfg->nmetrics, 2);
    m = cm_config_find(cfg, "rps");
    assert_non_null(m);
    assert_int_equal(m->window, 90);
    assert_int_equal(m->nresources, 2);
    assert_string_equal(m->resources[1]->group_resource, "deployments.apps");
    assert_string_equal(m->source.value.text, "1500m");
    assert_true(cm_metric_describes(m, cm_resource_lookup("pods")));
    assert_false(cm_metric_describes(m, cm_resource_lookup("nodes")));
    assert_string_equal(cm_config_find(cfg, "load")->source.value.text, "3");
    assert_null(cm_config_find(cfg, "nope"));
    cm_config_free(cfg);
}

static void
test_every_mistake_has_a_position(void **state)
{
    (void)state;
    expect("metrics:\n  - name: a\n    resources: [pods]\n    colour: red\n    source: {static: \"1\"}\n",
           "4:5: unknown key 'colour' in a metric");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {static: \"1\"}\n"
           "  - name: a\n    resources: [pods]\n    source: {static: \"2\"}\n",
           "5:11: duplicate metric name 'a' (first declared at line 2)");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {static: \"1x\"}\n",
           "4:22: bad quantity '1x'");
    /* static and fallback values keep every source's bound (thousandths within int64) */
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {static: \"1e400\"}\n",
           "4:22: bad quantity '1e400': the value is too large for a quantity");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    fallback: \"10P\"\n"
           "    source: {static: \"1\"}\n",
           "4:15: bad fallback '10P': the value is too large for a quantity");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    window: 5y\n    source: {static: \"1\"}\n",
           "4:13: bad duration '5y'");
    expect("metrics:\n  - name: a\n    resources: [pods, widgets]\n    source: {static: \"1\"}\n",
           "3:23: unknown resource 'widgets'");
    expect("metrics:\n  - name: a\n    resources: [pods]\n",
           "2:5: metric 'a' has no 'source'");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {influx: x}\n",
           "4:14: unknown key 'influx' in a source (known keys: static, file, push, prometheus)");
    /* push and prometheus sources */
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {push: {max_age: 0s}}\n",
           "4:30: bad duration '0s'");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {push: {maxage: 1m}}\n",
           "4:21: unknown key 'maxage' in a push source");
    expect("external:\n  - name: e\n    source: {push: {}}\n  - name: e\n    labels: {a: b}\n"
           "    source: {push: {}}\n",
           "4:11: external metric 'e' already has a push entry at line 2");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {prometheus: {query: x}}\n",
           "4:26: a prometheus source needs the top-level 'prometheus:' block");
    expect("prometheus: {url: http://p:9090}\nmetrics:\n  - name: a\n    resources: [pods]\n"
           "    source: {prometheus: {query: 'x{<<.Labels>>}'}}\n",
           "5:34: unknown placeholder at '<<.Labels>>}'");
    expect("prometheus: {url: p:9090}\nmetrics: []\n",
           "1:19: the prometheus url must start with http:// or https://");
    expect("prometheus: {url: http://p, timeout: 1h}\nmetrics: []\n", "1:38: bad timeout '1h': too long; a timeout is 1ms to 25s");
    expect("prometheus: {timeout: 1s}\nmetrics: []\n", "1:13: the prometheus block needs 'url'");
    expect("metrics:\n  - name: a/b\n    resources: [pods]\n    source: {static: \"1\"}\n",
           "2:11: a metric name is");
    expect("metrics:\n  - name: a\n   resources: [pods]\n", "3:4: ");          /* YAML syntax */
    expect("version: 2\nmetrics: []\n", "1:10: unsupported version '2'");
    expect("metric:\n  - name: a\n", "1:1: unknown key 'metric' in the top level");
}

static void
test_labels_and_external(void **state)
{
    struct cm_config *cfg;
    const struct cm_metric *m;
    size_t pos = 0;
    char *diag;
    (void)state;
    diag = load("metrics:\n"
                "  - name: rps\n    resources: [pods]\n"
                "    labels: {verb: GET, example.com/path: api, empty: \"\"}\n"
                "    source: {static: \"2\"}\n"
                "external:\n"
                "  - name: queue\n    labels: {queue: orders}\n    source: {static: \"120\"}\n"
                "  - name: backlog\n    window: 30s\n    source: {static: \"1k\"}\n"
                "  - name: queue\n    labels: {queue: billing}\n    source: {static: \"7\"}\n",
                &cfg);
    assert_string_equal(diag, "");
    free(diag);
    m = cm_config_find(cfg, "rps");
    assert_int_equal(m->source.kind, CM_SOURCE_STATIC);
    assert_false(m->has_fallback);
    assert_int_equal(m->labels.n, 3);                      /* sorted by key */
    assert_string_equal(m->labels.v[0].key, "empty");
    assert_string_equal(m->labels.v[1].key, "example.com/path");
    assert_string_equal(cm_labels_get(&m->labels, "verb"), "GET");
    assert_int_equal(cfg->nexternal, 3);
    assert_null(cm_config_find(cfg, "queue"));             /* external is its own list */
    m = cm_config_next_external(cfg, "queue", &pos);
    assert_string_equal(cm_labels_get(&m->labels, "queue"), "orders");
    assert_true(m->first_of_name);
    m = cm_config_next_external(cfg, "queue", &pos);
    assert_string_equal(cm_labels_get(&m->labels, "queue"), "billing");
    assert_false(m->first_of_name);
    assert_null(cm_config_next_external(cfg, "queue", &pos));
    pos = 0;
    m = cm_config_next_external(cfg, "backlog", &pos);
    assert_int_equal(m->window, 30);
    assert_int_equal(m->nresources, 0);
    cm_config_free(cfg);

    diag = load("external:\n  - name: only\n    source: {static: \"1\"}\n", &cfg);
    assert_string_equal(diag, "");                         /* metrics: may be left out */
    assert_int_equal(cfg->nmetrics, 0);
    free(diag);
    cm_config_free(cfg);
}

static void
test_label_and_external_mistakes(void **state)
{
    (void)state;
    expect("metrics:\n  - name: a\n    resources: [pods]\n    labels: {-bad: x}\n"
           "    source: {static: \"1\"}\n",
           "4:14: bad label name '-bad': name part must consist of alphanumeric characters");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    labels: {path: /api}\n"
           "    source: {static: \"1\"}\n",
           "4:20: bad value '/api' for label 'path': a valid label must be an empty string");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    labels: [verb]\n"
           "    source: {static: \"1\"}\n",
           "4:13: 'labels' must be a mapping");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    labels: {v: [1]}\n"
           "    source: {static: \"1\"}\n",
           "4:17: a label maps a name to a string");
    expect("external:\n  - name: q\n    resources: [pods]\n    source: {static: \"1\"}\n",
           "3:5: unknown key 'resources' in an external metric");
    expect("external:\n  - name: q\n    labels: {a: b}\n    source: {static: \"1\"}\n"
           "  - name: q\n    labels: {a: b}\n    source: {static: \"2\"}\n",
           "5:11: external metric 'q' with these labels is already declared at line 2");
    expect("external: {name: q}\n", "1:11: 'external' must be a list");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {file: {}}\n",
           "4:20: a file source needs 'path'");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {file: {path: /x, max_age: 5y}}\n",
           "4:40: bad duration '5y'");
    expect("metrics:\n  - name: a\n    resources: [pods]\n"
           "    source: {file: {path: /x, object_label: \"a b\"}}\n",
           "4:45: 'object_label' must be a label name");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {file: {path: /x, glob: y}}\n",
           "4:31: unknown key 'glob' in a file source");
    expect("metrics:\n  - name: a\n    resources: [pods]\n    source: {static: \"1\"}\n"
           "    fallback: lots\n", "5:15: bad fallback 'lots'");
    expect("version: 1\n", "1:1: missing 'metrics'");
}

static void
test_reports_every_problem(void **state)
{
    struct cm_config *cfg;
    char *diag;
    size_t lines = 0;
    const char *p;
    (void)state;
    diag = load("metrics:\n  - name: a\n    resources: [nope]\n    source: {static: \"x\"}\n"
                "  - name: b\n    resources: [pods]\n    window: 0s\n", &cfg);
    for (p = diag; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 4);   /* resource, quantity, duration, missing source */
    free(diag);
}

static void
test_missing_file(void **state)
{
    struct cm_config *cfg;
    struct cm_diag d;
    (void)state;
    cm_diag_init(&d);
    assert_int_equal(cm_config_load(&cfg, "/nonexistent/metrics.yaml", &d), -1);
    assert_string_equal(d.text.data, "/nonexistent/metrics.yaml: cannot open: No such file or directory\n");
    cm_diag_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_file),
        cmocka_unit_test(test_every_mistake_has_a_position),
        cmocka_unit_test(test_labels_and_external),
        cmocka_unit_test(test_label_and_external_mistakes),
        cmocka_unit_test(test_reports_every_problem),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
