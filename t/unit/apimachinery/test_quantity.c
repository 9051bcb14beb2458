/* Quantities print as resource.Quantity.String() does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "quantity.h"

static void
test_canonical_strings(void **state)
{
    static const char *const cases[][2] = {
        { "10", "10" }, { "0", "0" }, { "-0", "0" }, { "00", "0" },
        { "250m", "250m" }, { "1000m", "1" }, { "1500m", "1500m" },
        { "1.5", "1500m" }, { "0.5", "500m" }, { ".5", "500m" },
        { "12000", "12k" }, { "1500", "1500" }, { "100M", "100M" },
        { "1e3", "1e3" }, { "1E3", "1E3" }, { "1.5e3", "1500" }, { "10e3", "10e3" },
        { "1Ki", "1Ki" }, { "1024Ki", "1Mi" }, { "1.5Gi", "1536Mi" }, { "0.5Ki", "512" },
        { "1n", "1n" }, { "0.1n", "1n" }, { "1.0000000001", "1000000001n" },
        { "-1.5", "-1500m" }, { "+1", "+1" },
        { "99999999999999999999", "99999999999999999999" },   /* decimal: not capped */
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cm_quantity q;
        const char *err;
        assert_int_equal(cm_quantity_parse(cases[i][0], strlen(cases[i][0]), &q, &err), 0);
        assert_string_equal(q.text, cases[i][1]);
    }
}

static void
test_rejects_bad_quantities(void **state)
{
    static const char *const bad[] = { "", "abc", "1x", "1Kb", "1e", "1 ", " 1", "1.2.3", "--1", "1ee3" };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cm_quantity q;
        const char *err = NULL;
        assert_int_equal(cm_quantity_parse(bad[i], strlen(bad[i]), &q, &err), -1);
        assert_non_null(err);
    }
}

/* String() of s, or "ERR". */
static const char *
show(const char *s, char *buf, size_t size)
{
    struct cm_quantity q;
    const char *err;

    if (cm_quantity_parse(s, strlen(s), &q, &err) < 0)
        return "ERR";
    snprintf(buf, size, "%s", q.text);
    return buf;
}

/* Every case of t/data/quantities.txt, as written and with each sign. */
static void
test_published_cases(void **state)
{
    FILE *f = fopen(TOP_SRCDIR "/t/data/quantities.txt", "r");
    char line[256], in[128], want[128], note[32], buf[96], signed_in[160], signed_want[160];
    int cases = 0, failures = 0;
    (void)state;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *got;
        int kept;

        note[0] = '\0';
        if (line[0] == '#' || sscanf(line, "%127s %127s %31s", in, want, note) < 2)
            continue;
        got = show(in, buf, sizeof(buf));
        cases++;
        if (strcmp(got, want) != 0) {
            print_error("%s: got %s, want %s\n", in, got, want);
            failures++;
        }
        if (strcmp(want, "ERR") == 0 || strcmp(want, "0") == 0 || in[0] == '-' || in[0] == '+')
            continue;
        kept = strcmp(in, want) == 0 && strcmp(note, "rebuilt") != 0;
        snprintf(signed_in, sizeof(signed_in), "-%s", in);
        snprintf(signed_want, sizeof(signed_want), "-%s", want);
        got = show(signed_in, buf, sizeof(buf));
        cases++;
        if (strcmp(got, signed_want) != 0) {
            print_error("%s: got %s, want %s\n", signed_in, got, signed_want);
            failures++;
        }
        snprintf(signed_in, sizeof(signed_in), "+%s", in);
        snprintf(signed_want, sizeof(signed_want), "%s%s", kept ? "+" : "", want);
        got = show(signed_in, buf, sizeof(buf));
        cases++;
        if (strcmp(got, signed_want) != 0) {
            print_error("%s: got %s, want %s\n", signed_in, got, signed_want);
            failures++;
        }
    }
    fclose(f);
    print_message("%d quantity cases\n", cases);
    assert_true(cases > 600);
    assert_int_equal(failures, 0);
}

/* Floats as prometheus-adapter serves them: NewMilliQuantity(int64(v*1000), DecimalSI). */
static void
test_from_double(void **state)
{
    static const struct { double v; const char *want; } cases[] = {
        { 1.5, "1500m" }, { 2, "2" }, { 0, "0" }, { -0.25, "-250m" },
        { 0.0004, "0" },                 /* truncated toward zero */
        { -0.0009, "0" }, { 0.001, "1m" }, { 1234.5678, "1234567m" },
        { 1e6, "1M" }, { 1.5e9, "1500M" }, { 42e12, "42T" }, { 0.1, "100m" },
        { 9.2e15, "9200T" }, { -7e15, "-7P" }, { 123456789.123, "123456789123m" },
    };
    struct cm_quantity q;
    const char *err;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        assert_int_equal(cm_quantity_from_double(cases[i].v, &q, &err), 0);
        assert_string_equal(q.text, cases[i].want);
    }
    assert_int_equal(cm_quantity_from_double(NAN, &q, &err), -1);
    assert_string_equal(err, "the value is NaN");
    assert_int_equal(cm_quantity_from_double(INFINITY, &q, &err), -1);
    assert_string_equal(err, "the value is infinite");
    assert_int_equal(cm_quantity_from_double(-INFINITY, &q, &err), -1);
    assert_int_equal(cm_quantity_from_double(9.3e15, &q, &err), -1);
    assert_string_equal(err, "the value is too large for a quantity");
    assert_int_equal(cm_quantity_from_double(-9.3e15, &q, &err), -1);

    cm_quantity_from_milli(INT64_MAX, &q);
    assert_string_equal(q.text, "9223372036854775807m");
    cm_quantity_from_milli(INT64_MIN, &q);
    assert_string_equal(q.text, "-9223372036854775808m");
    cm_quantity_from_milli(-3000, &q);
    assert_string_equal(q.text, "-3");
}

/* Parsed quantities keep the bound of sampled ones: thousandths within int64. */
static void
test_check_range(void **state)
{
    static const char *const in[] = {
        "0", "1", "-1", "1n", "9223372036854775807m", "-9223372036854775808m",
        "9223372036854775.807", "9223372036854775", "9P", "8Pi", "9e15",
        "1e-400", "0e400", "123456789012345678901234567890e-20",
    };
    static const char *const out[] = {
        "9223372036854775808m", "-9223372036854775809m", "9223372036854775.808", "1e400",
        "9223372036854776", "10P", "8Ei", "10e15", "1e19", "1e2147483647",
        "123456789012345678901234567890e-10",
    };
    struct cm_quantity q;
    const char *err;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(in) / sizeof(*in); i++) {
        assert_int_equal(cm_quantity_parse(in[i], strlen(in[i]), &q, &err), 0);
        if (cm_quantity_check_range(&q, &err) != 0)
            fail_msg("%s: refused", in[i]);
    }
    for (i = 0; i < sizeof(out) / sizeof(*out); i++) {
        if (cm_quantity_parse(out[i], strlen(out[i]), &q, &err) < 0)
            continue;                  /* refused already: out of range either way */
        if (cm_quantity_check_range(&q, &err) != -1)
            fail_msg("%s (%s): accepted", out[i], q.text);
        assert_string_equal(err, "the value is too large for a quantity");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_strings),
        cmocka_unit_test(test_rejects_bad_quantities),
        cmocka_unit_test(test_published_cases),
        cmocka_unit_test(test_from_double),
        cmocka_unit_test(test_check_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
