/*
 * The prometheus backend (src/source/prometheus.c) when it has nothing to
 * serve: no prometheus: block, a Prometheus that refuses the connection (a
 * real closed port on loopback), with and without max_age.  What it serves
 * from real answers, and from its cache while Prometheus is down, is
 * t/prometheus.sh's, against a real Prometheus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "selector.h"
#include "fixture_selector.h"
#include "fixture_tmpdir.h"
#include "source.h"

#define NOW 1795640400

static char dir[64];
static struct cm_arena arena;

/* A loopback port nothing listens on: bound, then closed (connections to it are refused). */
static int
closed_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* metrics.yaml with a prometheus: block at url. */
static struct cm_config *
config(const char *url)
{
    char path[128];
    struct cm_config *cfg;
    struct cm_diag d;
    FILE *f;

    snprintf(path, sizeof(path), "%s/metrics.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "prometheus: {url: \"%s\", timeout: 2s}\n", url);
    fputs("metrics:\n"
          "  - name: rps\n    resources: [pods]\n    fallback: \"0\"\n"
          "    source: {prometheus: {query: 'sum(rate(x[1m])) by (<<.GroupBy>>)'}}\n"
          "  - name: cached\n    resources: [pods]\n"
          "    source: {prometheus: {query: 'x', max_age: 5m}}\n"
          "external:\n"
          "  - name: backlog\n    labels: {queue: orders}\n"
          "    source: {prometheus: {query: 'x'}}\n", f);
    fclose(f);
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) < 0) {
        cm_diag_print(&d, stderr);
        fail_msg("metrics.yaml does not load");
    }
    cm_diag_free(&d);
    return cfg;
}

/* metrics.yaml refuses prometheus sources without the block; a program-made config may lack it */
static void
test_without_a_prometheus_block(void **state)
{
    struct cm_config *cfg = config("http://127.0.0.1:1");
    struct cm_sources *s;
    struct cm_source_view v;
    struct cm_value val;
    (void)state;

    cfg->prometheus = NULL;
    s = cm_sources_new(cfg, cm_source_backends_all);

    assert_int_equal(cm_source_open(s, cm_config_find(cfg, "rps"), NOW, &v), -1);
    assert_string_equal(v.failure, "no prometheus: block in the configuration");
    assert_int_equal(cm_source_wants_objects(&v), 0);
    assert_int_equal(cm_source_object(&v, cm_resource_lookup("pods"), "default", "web", fixture_selector(&arena, ""),
                                      &arena, &val), 1);
    assert_string_equal(val.text, "0");
    cm_sources_free(s);
    cm_config_free(cfg);
}

static void
test_a_refused_query(void **state)
{
    char url[64];
    struct cm_config *cfg;
    struct cm_sources *s;
    struct cm_source_view v;
    struct cm_value val;
    const char *names[] = { "web", "db" };
    size_t pos = 0;
    (void)state;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
    cfg = config(url);
    s = cm_sources_new(cfg, cm_source_backends_all);

    /* the source answers for all objects at once: it wants them first */
    assert_int_equal(cm_source_open(s, cm_config_find(cfg, "rps"), NOW, &v), 0);
    assert_int_equal(cm_source_wants_objects(&v), 1);
    assert_int_equal(cm_source_fetch(&v, cm_resource_lookup("pods"), "default", names, 2,
                                     fixture_selector(&arena, ""), &arena), -1);
    assert_non_null(v.failure);
    /* the kind of failure, never the address: that goes to the log */
    assert_non_null(strstr(v.failure, "prometheus is not reachable"));
    assert_null(strstr(v.failure, "127.0.0.1"));
    assert_int_equal(cm_source_wants_objects(&v), 0);
    /* the fallback answers for each object */
    assert_int_equal(cm_source_object(&v, cm_resource_lookup("pods"), "default", "web", fixture_selector(&arena, ""),
                                      &arena, &val), 1);
    assert_string_equal(val.text, "0");
    assert_int_equal(val.timestamp, NOW);

    /* with max_age but no good answer yet, a failure too (and no fallback: nothing) */
    assert_int_equal(cm_source_open(s, cm_config_find(cfg, "cached"), NOW, &v), 0);
    assert_int_equal(cm_source_fetch(&v, cm_resource_lookup("pods"), "default", names, 1,
                                     fixture_selector(&arena, ""), &arena), -1);
    assert_int_equal(cm_source_object(&v, cm_resource_lookup("pods"), "default", "web", fixture_selector(&arena, ""),
                                      &arena, &val), 0);

    /* an external series: the query fails the same way */
    assert_int_equal(cm_source_open(s, cm_config_next_external(cfg, "backlog", &pos), NOW, &v), 0);
    assert_int_equal(cm_source_fetch_series(&v, fixture_selector(&arena, ""), &arena), -1);
    assert_non_null(strstr(v.failure, "prometheus is not reachable"));
    assert_null(strstr(v.failure, "127.0.0.1"));
    cm_sources_free(s);
    cm_config_free(cfg);
}

static int
setup(void **s)
{
    (void)s;
    if (fixture_tmpdir_make(dir, sizeof(dir), "cm-test-prom") < 0)
        return -1;
    cm_arena_init(&arena, 0);
    return 0;
}

static int
teardown(void **s)
{
    (void)s;
    cm_arena_free(&arena);
    return fixture_tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_a_prometheus_block),
        cmocka_unit_test(test_a_refused_query),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
