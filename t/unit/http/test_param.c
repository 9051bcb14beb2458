/* Query parameters read as the Go apiserver's option decoders read them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "param.h"

static struct cm_arena arena;

static int
flag(const char *raw, const char *name)
{
    struct cm_query q;

    cm_query_parse(&q, raw, strlen(raw), &arena);
    return cm_param_flag(&q, name);
}

static void
test_flag(void **state)
{
    (void)state;
    assert_false(flag("", "watch"));
    assert_true(flag("watch", "watch"));           /* present, empty: true */
    assert_true(flag("watch=true", "watch"));
    assert_true(flag("watch=yes", "watch"));
    assert_true(flag("watch=00", "watch"));
    assert_false(flag("watch=0", "watch"));
    assert_false(flag("watch=false", "watch"));
    assert_false(flag("watch=FaLsE", "watch"));
    assert_true(flag("watch=0%00", "watch"));      /* "0\x00" is not "0" */
}

static void
test_parse_bool(void **state)
{
    static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
    size_t i;
    int v;

    (void)state;
    for (i = 0; i < 6; i++) {
        v = -1;
        assert_int_equal(cm_param_parse_bool(yes[i], strlen(yes[i]), &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(cm_param_parse_bool(no[i], strlen(no[i]), &v), 0);
        assert_int_equal(v, 0);
    }
    assert_int_equal(cm_param_parse_bool("yes", 3, &v), -1);
    assert_int_equal(cm_param_parse_bool("tRUE", 4, &v), -1);
    assert_int_equal(cm_param_parse_bool("true\0x", 6, &v), -1);
    assert_int_equal(cm_param_parse_bool("", 0, &v), -1);
}

static void
test_selector(void **state)
{
    struct cm_buf body;
    struct cm_response res;
    struct cm_ctx ctx;
    struct cm_selector sel;
    const char *raw = "labelSelector=app%3Dweb%2Ctier%21%3Ddb&metricLabelSelector=a+in+b";

    (void)state;
    cm_buf_init(&body, 1 << 16);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    memset(&ctx, 0, sizeof(ctx));
    ctx.res = &res;
    ctx.arena = &arena;
    cm_query_parse(&ctx.query, raw, strlen(raw), &arena);

    assert_int_equal(cm_param_selector(&ctx, "labelSelector", 400, "BadRequest", &sel), 0);
    assert_int_equal(sel.n, 2);
    assert_int_equal(cm_param_selector(&ctx, "absent", 400, "BadRequest", &sel), 0);
    assert_int_equal(sel.n, 0);                   /* absent: selects everything */
    assert_int_equal(body.len, 0);
    /* a bad selector answers with the given code and reason */
    assert_int_equal(cm_param_selector(&ctx, "metricLabelSelector", 500, NULL, &sel), -1);
    assert_int_equal(res.status, 500);
    assert_non_null(strstr(body.data, "\"status\":\"Failure\""));
    assert_null(strstr(body.data, "\"reason\""));
    cm_buf_free(&body);
}

static int
setup(void **state)
{
    (void)state;
    cm_arena_init(&arena, 4096);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cm_arena_free(&arena);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flag),
        cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_selector),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
