/*
 * The pure half of prometheus sources: templates, matchers (quoting for
 * PromQL and RE2), and /api/v1/query answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "promql.h"

static void
test_templates(void **s)
{
    struct cm_promql_vars v = { "http_requests_total", "namespace=\"default\"", "pod" };
    struct cm_buf out;
    size_t at = 0;

    (void)s;
    assert_int_equal(cm_promql_check("sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<< .GroupBy >>)", &at), 0);
    assert_int_equal(cm_promql_check("x{<<.LabelMatchers>>} << 2", &at), -1);
    assert_int_equal(at, 22);
    assert_int_equal(cm_promql_check("<<.GroupBySlice>>", &at), -1);
    assert_int_equal(cm_promql_check("<<.Resource>>", &at), -1);
    cm_buf_init(&out, 4096);
    cm_promql_render("sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<< .GroupBy >>)", &v, &out);
    assert_string_equal(out.data, "sum(rate(http_requests_total{namespace=\"default\"}[2m])) by (pod)");
    cm_buf_free(&out);
}

static void
test_matchers(void **s)
{
    const char *names[] = { "web-1", "web.2", "a\"b\\c" };
    struct cm_selector sel;
    struct cm_arena a;
    struct cm_buf out;
    const char *err;

    (void)s;
    cm_arena_init(&a, 0);
    cm_buf_init(&out, 4096);
    cm_promql_match_eq(&out, "namespace", "default");
    cm_promql_match_any(&out, "pod", names, 1);
    assert_string_equal(out.data, "namespace=\"default\",pod=\"web-1\"");
    cm_buf_reset(&out);
    /* a regex matching exactly these names: RE2 metacharacters escaped, then the string escaped */
    cm_promql_match_any(&out, "pod", names, 3);
    assert_string_equal(out.data, "pod=~\"web-1|web\\\\.2|a\\\"b\\\\\\\\c\"");
    cm_buf_reset(&out);
    {
        static const char text[] = "verb=GET,code!=500,tier in (a,b),!gone,here,x notin (y)";

        assert_int_equal(cm_selector_parse(&sel, text, sizeof(text) - 1, &a, &err), 0);
    }
    cm_promql_match_selector(&out, &sel);
    assert_string_equal(out.data, "code!=\"500\",gone=\"\",here!=\"\",tier=~\"a|b\",verb=\"GET\",x!~\"y\"");
    cm_buf_free(&out);
    cm_arena_free(&a);
}

static void
test_answers(void **s)
{
    static const char vec[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"__name__\":\"q\",\"pod\":\"p1\",\"namespace\":\"default\"},\"value\":[1795640400.5,\"12.5\"]},"
        "{\"metric\":{},\"value\":[1795640400,\"NaN\"]}]}}";
    static const char err_body[] =
        "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse error: unexpected\"}";
    static const char matrix[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}";
    struct cm_prom_result r;
    struct cm_arena a;
    char err[256];

    (void)s;
    cm_arena_init(&a, 0);
    assert_int_equal(cm_prom_parse(vec, sizeof(vec) - 1, &a, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.v[0].labels.n, 2);               /* __name__ left out, sorted */
    assert_string_equal(r.v[0].labels.v[0].key, "namespace");
    assert_true(r.v[0].value == 12.5 && r.v[0].timestamp == 1795640400.5);
    assert_true(r.v[1].value != r.v[1].value);          /* NaN */
    assert_int_equal(cm_prom_parse(err_body, sizeof(err_body) - 1, &a, &r, err, sizeof(err)), -1);
    assert_string_equal(err, "bad_data: 1:5: parse error: unexpected");
    assert_int_equal(cm_prom_parse(matrix, sizeof(matrix) - 1, &a, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "returns a matrix"));
    assert_int_equal(cm_prom_parse("<html>", 6, &a, &r, err, sizeof(err)), -1);
    assert_string_equal(err, "the answer is not a Prometheus API response");
    cm_arena_free(&a);
}

/* Nulls and wrong types where strings belong: an error, never a crash (json-c gives null as NULL). */
static void
test_answers_with_nulls(void **s)
{
    static const char *const bodies[] = {
        "{\"status\":null}",
        "{\"status\":7}",
        "[\"status\"]",
        "{\"status\":\"error\",\"errorType\":null,\"error\":null}",
        "{\"status\":\"success\",\"data\":null}",
        "{\"status\":\"success\",\"data\":{\"resultType\":null,\"result\":[]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":null}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":null}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[null]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
            "[{\"metric\":null,\"value\":null}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
            "[{\"metric\":{\"pod\":null},\"value\":[1,\"2\"]}]}}",
    };
    struct cm_prom_result r;
    struct cm_arena a;
    char err[256];
    size_t i;

    (void)s;
    cm_arena_init(&a, 0);
    for (i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
        err[0] = '\0';
        if (cm_prom_parse(bodies[i], strlen(bodies[i]), &a, &r, err, sizeof(err)) != -1)
            fail_msg("%s: parsed", bodies[i]);
        assert_int_equal(r.n, 0);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(cm_prom_parse(bodies[3], strlen(bodies[3]), &a, &r, err, sizeof(err)), -1);
    assert_string_equal(err, "error: (no message)");
    cm_arena_free(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_matchers),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_answers_with_nulls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
