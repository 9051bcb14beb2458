/* The Prometheus text exposition parser behind file sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expfmt.h"

static struct cm_arena arena;

static int
parse(const char *text, struct cm_samples *out, char *err)
{
    cm_arena_reset(&arena);
    return cm_expfmt_parse(text, strlen(text), &arena, out, err, 256);
}

static void
test_samples(void **state)
{
    struct cm_samples s;
    char err[256];
    (void)state;
    assert_int_equal(parse("# HELP q Queue length.\n# TYPE q gauge\n"
                           "q{namespace=\"default\",pod=\"web-1\"} 12.5\n"
                           "\n   \t\n"
                           "q { pod = \"a\\\"b\\\\c\\nd\" , zone=\"x\", } -Inf 1795640400123\n"
                           "up 1\r\n"
                           "ns:rate_5m{a=\"\"} 1e-3\n"
                           "nan_value NaN\n"
                           "last +Inf", &s, err), 0);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.v[0].name, "q");
    assert_int_equal(s.v[0].labels.n, 2);
    assert_string_equal(s.v[0].labels.v[0].key, "namespace");   /* sorted */
    assert_string_equal(cm_labels_get(&s.v[0].labels, "pod"), "web-1");
    assert_true(s.v[0].value == 12.5);
    assert_false(s.v[0].has_timestamp);
    assert_string_equal(cm_labels_get(&s.v[1].labels, "pod"), "a\"b\\c\nd");
    assert_true(isinf(s.v[1].value) && s.v[1].value < 0);
    assert_true(s.v[1].has_timestamp);
    assert_true(s.v[1].timestamp_ms == 1795640400123LL);
    assert_string_equal(s.v[2].name, "up");
    assert_string_equal(s.v[3].name, "ns:rate_5m");
    assert_string_equal(cm_labels_get(&s.v[3].labels, "a"), "");
    assert_true(s.v[3].value == 1e-3);
    assert_true(isnan(s.v[4].value));
    assert_true(isinf(s.v[5].value) && s.v[5].value > 0);

    assert_int_equal(parse("", &s, err), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(parse("# only a comment", &s, err), 0);
    assert_int_equal(s.n, 0);
}

static void
test_many_samples_grow(void **state)
{
    static char text[200000];
    struct cm_samples s;
    char err[256];
    size_t i, len = 0;
    (void)state;
    for (i = 0; i < 5000; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "m{pod=\"p%zu\"} %zu\n", i, i);
    assert_int_equal(parse(text, &s, err), 0);
    assert_int_equal(s.n, 5000);
    assert_string_equal(cm_labels_get(&s.v[4321].labels, "pod"), "p4321");
    assert_true(s.v[4999].value == 4999);
}

/* Every malformed line fails the whole file with LINE:COLUMN. */
static void
test_errors(void **state)
{
    static const struct { const char *text, *err; } cases[] = {
        { "q 1\n{a=\"b\"} 2\n", "2:1: expected a metric name" },
        { "9lives 1", "1:1: expected a metric name" },
        { "q{a=\"b\" 1", "1:9: expected ',' or '}' after a label" },
        { "q{a=b} 1", "1:5: expected a quoted label value" },
        { "q{a:b=\"c\"} 1", "1:4: expected '=' after label name 'a'" },
        { "q{=\"c\"} 1", "1:3: expected a label name or '}'" },
        { "q{a=\"b\",a=\"c\"} 1", "1:15: label 'a' appears twice" },
        { "q{a=\"\\t\"} 1", "1:5: expected a quoted label value" },
        { "q{a=\"open\n\"} 1", "1:5: expected a quoted label value" },
        { "q", "1:2: expected a value" },
        { "q 12x", "1:3: bad value '12x'" },
        { "q 0x", "1:3: bad value '0x'" },
        { "q nanx", "1:3: bad value 'nanx'" },
        { "q 1 12.5", "1:5: bad timestamp '12.5'" },
        { "q 1 2 3", "1:7: unexpected text after the sample" },
        { "q 1\nq 2 99999999999999999999", "2:5: bad timestamp" },
        { "q 1\nq\0 2", "2:2: a NUL byte in the file" },
    };
    struct cm_samples s;
    char err[256];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        size_t n = strlen(cases[i].text);
        if (strcmp(cases[i].text, "q 1\nq") == 0)
            n = 8;                                    /* the case with a NUL */
        cm_arena_reset(&arena);
        if (cm_expfmt_parse(cases[i].text, n, &arena, &s, err, sizeof(err)) == 0)
            fail_msg("accepted: %s", cases[i].text);
        if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
            fail_msg("%s: got '%s', want '%s'", cases[i].text, err, cases[i].err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_many_samples_grow),
        cmocka_unit_test(test_errors),
    };
    int rc;

    cm_arena_init(&arena, 0);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cm_arena_free(&arena);
    return rc;
}
