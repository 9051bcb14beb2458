/*
 * The Redis key layout and value text (src/push/rediskv.c), the change
 * messages, the URL of the push: block (src/config/redisurl.c), and the
 * max_age a key is stored with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rediskv.h"

static struct cm_arena arena;

static void
test_url(void **state)
{
    struct cm_redis_url u;
    char err[256];

    (void)state;
    assert_int_equal(cm_redis_url_parse("redis://redis", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "redis");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_false(u.tls);
    assert_int_equal(cm_redis_url_parse("rediss://cm@redis.infra.svc:6380/3", &u, err,
                                        sizeof(err)), 0);
    assert_true(u.tls);
    assert_string_equal(u.user, "cm");
    assert_string_equal(u.host, "redis.infra.svc");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 3);
    assert_int_equal(cm_redis_url_parse("redis://[::1]:7000/", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "::1");
    assert_true(u.ipv6);
    assert_int_equal(u.port, 7000);
}

static void
test_url_refused(void **state)
{
    static const struct { const char *url, *why; } bad[] = {
        { "http://redis", "starts with redis://" },
        { "redis://cm:hunter2@redis", "password" },
        { "redis://:hunter2@redis", "password" },
        { "redis://", "no host" },
        { "redis://redis:0", "port" },
        { "redis://redis:65536", "port" },
        { "redis://redis: 1", "port" },
        { "redis://redis:+1", "port" },
        { "redis://redis/x", "database" },
        { "redis://redis/ 1", "database" },
        { "redis://redis?db=1", "query" },
        { "redis://a@b@c", "host" },
        { "redis://red is", "host" },
        { "redis://[::1", "closing" },
        { "redis://[::1]x", "after its IPv6" },
    };
    struct cm_redis_url u;
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err[0] = '\0';
        if (cm_redis_url_parse(bad[i].url, &u, err, sizeof(err)) != -1)
            fail_msg("%s was accepted", bad[i].url);
        if (strstr(err, bad[i].why) == NULL)
            fail_msg("%s: '%s' does not say '%s'", bad[i].url, err, bad[i].why);
        assert_null(strstr(err, "hunter2"));      /* the password is never repeated */
    }
}

static void
test_key_roundtrip(void **state)
{
    static const struct cm_push_key keys[] = {
        { "jobs_waiting", "pods", "default", "web-1" },
        { "backlog", "deployments.apps", "shop", "api" },
        { "nodes_busy", "nodes", "", "node-1" },
        { "queue_ready", "", "", "app.kubernetes.io/name=q,queue=orders" },   /* '/' in NAME */
        { "queue_ready", "", "default", "" },                                /* no labels */
    };
    struct cm_buf b;
    struct cm_push_key k;
    size_t i;

    (void)state;
    cm_buf_init(&b, 4096);
    cm_redis_key(&b, "cmf:", &keys[0]);
    assert_string_equal(b.data, "cmf:v/jobs_waiting/pods/default/web-1");
    for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        cm_buf_reset(&b);
        cm_redis_key(&b, "team-a:", &keys[i]);
        if (i == 4) {          /* an external series without labels has an empty NAME */
            assert_int_equal(cm_redis_key_parse(b.data, b.len, "team-a:", &arena, &k), -1);
            continue;
        }
        assert_int_equal(cm_redis_key_parse(b.data, b.len, "team-a:", &arena, &k), 0);
        assert_string_equal(k.metric, keys[i].metric);
        assert_string_equal(k.resource, keys[i].resource);
        assert_string_equal(k.ns, keys[i].ns);
        assert_string_equal(k.name, keys[i].name);
        /* another deployment's prefix does not read it */
        assert_int_equal(cm_redis_key_parse(b.data, b.len, "cmf:", &arena, &k), -1);
    }
    assert_int_equal(cm_redis_key_parse("cmf:v/m/pods/ns", 15, "cmf:", &arena, &k), -1);
    assert_int_equal(cm_redis_key_parse("cmf:v//pods/ns/n", 16, "cmf:", &arena, &k), -1);
    assert_int_equal(cm_redis_key_parse("cmf:x/m/pods/ns/n", 17, "cmf:", &arena, &k), -1);
    assert_int_equal(cm_redis_key_parse("cmf:v/m/pods/ns/\0", 17, "cmf:", &arena, &k), -1);
    cm_buf_free(&b);
}

static void
test_value_roundtrip(void **state)
{
    struct cm_label l[2] = { { "queue", "orders" }, { "zone", "a" } };
    struct cm_push_value v = { "300m", 1796083200, { 2, l } }, got;
    struct cm_push_value bare = { "7", 5, { 0, NULL } };
    struct cm_buf b;

    (void)state;
    cm_buf_init(&b, 4096);
    cm_redis_value(&b, &v);
    assert_string_equal(b.data, "1796083200 300m queue=orders,zone=a");
    assert_int_equal(cm_redis_value_parse(b.data, b.len, &arena, &got), 0);
    assert_string_equal(got.text, "300m");
    assert_int_equal(got.timestamp, 1796083200);
    assert_int_equal(got.labels.n, 2);
    assert_string_equal(got.labels.v[1].key, "zone");
    cm_buf_reset(&b);
    cm_redis_value(&b, &bare);
    assert_string_equal(b.data, "5 7 ");
    assert_int_equal(cm_redis_value_parse(b.data, b.len, &arena, &got), 0);
    assert_int_equal(got.labels.n, 0);
    /* canonical on the way in: 0.5 is 500m */
    assert_int_equal(cm_redis_value_parse("1 0.5 ", 6, &arena, &got), 0);
    assert_string_equal(got.text, "500m");
    cm_buf_free(&b);
}

static void
test_value_refused(void **state)
{
    static const char *const bad[] = {
        "", "1", "1 2", "x 2 ", "-1 2 ", "+1 2 ", " 1 2 ", "1 2x ", "1 2 a", "1 2 =b",
        "1 2 a=b,", "1 2 a=b,a=c", "99999999999999999999999 1 ",
    };
    struct cm_push_value got;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (cm_redis_value_parse(bad[i], strlen(bad[i]), &arena, &got) != -1)
            fail_msg("'%s' was read as a value", bad[i]);
    assert_int_equal(cm_redis_value_parse("1 2 a\0=b", 8, &arena, &got), -1);
}

struct seen {
    char lines[8][200];
    size_t n;
};

static void
collect(const struct cm_push_key *k, const struct cm_push_value *v, void *arg)
{
    struct seen *s = arg;

    snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s|%s|%s|%s=%s@%lld/%zu", k->metric,
             k->resource, k->ns, k->name, v->text, (long long)v->timestamp, v->labels.n);
}

static void
test_changes(void **state)
{
    struct cm_label l = { "queue", "orders" };
    struct cm_push_key k1 = { "backlog", "pods", "default", "p-1" };
    struct cm_push_key k2 = { "queue_ready", "", "", "queue=orders" };
    struct cm_push_value v1 = { "2", 10, { 0, NULL } }, v2 = { "300m", 11, { 1, &l } };
    struct seen s = { .n = 0 };
    struct cm_buf b;

    (void)state;
    cm_buf_init(&b, 4096);
    cm_redis_change_line(&b, "cmf:", &k1, &v1);
    CM_BUF_ADDLIT(&b, "garbage line\n");
    CM_BUF_ADDLIT(&b, "other:v/backlog/pods/default/p-9 1 1 \n");  /* another prefix */
    cm_redis_change_line(&b, "cmf:", &k2, &v2);
    assert_int_equal(cm_redis_changes_each(b.data, b.len, "cmf:", &arena, collect, &s), 2);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.lines[0], "backlog|pods|default|p-1=2@10/0");
    assert_string_equal(s.lines[1], "queue_ready|||queue=orders=300m@11/1");
    cm_buf_free(&b);
}

static void
test_prefix(void **state)
{
    (void)state;
    assert_int_equal(cm_redis_prefix_ok("cmf:"), 0);
    assert_int_equal(cm_redis_prefix_ok("team-a/cm:"), 0);
    assert_int_equal(cm_redis_prefix_ok(""), -1);
    assert_int_equal(cm_redis_prefix_ok("a b"), -1);
    assert_int_equal(cm_redis_prefix_ok("cm*"), -1);
    assert_int_equal(cm_redis_prefix_ok("cm[1]"), -1);
}

static void
test_max_age(void **state)
{
    static const char yaml[] =
        "push: {store: redis, url: redis://127.0.0.1}\n"
        "metrics:\n"
        "  - name: backlog\n"
        "    resources: [pods]\n"
        "    source: {push: {max_age: 10m}}\n"
        "  - name: fixed\n"
        "    resources: [pods]\n"
        "    source: {static: '1'}\n"
        "external:\n"
        "  - name: queue_ready\n"
        "    source: {push: {max_age: 90s}}\n";
    char path[] = "/tmp/test_rediskv.XXXXXX";
    struct cm_push_key backlog = { "backlog", "pods", "default", "p" };
    struct cm_push_key wrong = { "backlog", "nodes", "", "p" };
    struct cm_push_key fixed = { "fixed", "pods", "default", "p" };
    struct cm_push_key queue = { "queue_ready", "", "", "q=1" };
    struct cm_config *cfg;
    struct cm_diag d;
    struct cm_redis_keep keep;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, sizeof(yaml) - 1), (long)sizeof(yaml) - 1);
    close(fd);
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) < 0)
        fail_msg("%s", d.text.data ? d.text.data : "?");
    unlink(path);
    assert_int_equal(cm_redis_max_age(cfg, &backlog), 600);
    assert_int_equal(cm_redis_max_age(cfg, &queue), 90);
    assert_int_equal(cm_redis_max_age(cfg, &wrong), 0);
    assert_int_equal(cm_redis_max_age(cfg, &fixed), 0);
    keep.config = cfg;
    keep.now = 1000;
    assert_true(cm_redis_keep(&queue, 910, &keep));
    assert_false(cm_redis_keep(&queue, 909, &keep));
    assert_false(cm_redis_keep(&fixed, 1000, &keep));
    cm_config_free(cfg);
    cm_diag_free(&d);
}

static int
reset(void **state)
{
    (void)state;
    cm_arena_reset(&arena);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_url, reset),
        cmocka_unit_test_setup(test_url_refused, reset),
        cmocka_unit_test_setup(test_key_roundtrip, reset),
        cmocka_unit_test_setup(test_value_roundtrip, reset),
        cmocka_unit_test_setup(test_value_refused, reset),
        cmocka_unit_test_setup(test_changes, reset),
        cmocka_unit_test_setup(test_prefix, reset),
        cmocka_unit_test_setup(test_max_age, reset),
    };
    int rc;

    cm_arena_init(&arena, 0);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cm_arena_free(&arena);
    return rc;
}
