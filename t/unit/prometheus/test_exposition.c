/*
 * The exposition writer: the exact text of families, samples, escaped
 * label values, numbers and histograms (cumulative buckets, +Inf, _sum,
 * _count), as Prometheus' text parser reads them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "exposition.h"

static struct cm_buf b;

static void
reset(void)
{
    cm_buf_reset(&b);
}

static void
test_family_and_samples(void **state)
{
    const char *l[4] = { "path", "a\\b\"c\nd", "kind", "file" };

    (void)state;
    reset();
    cm_expo_family(&b, "cmf_x_total", "counter", "Help with \\ and\na newline.");
    assert_string_equal(b.data, "# HELP cmf_x_total Help with \\\\ and\\na newline.\n"
                                "# TYPE cmf_x_total counter\n");
    reset();
    cm_expo_sample_u64(&b, "cmf_x_total", l, 2, 18446744073709551615ull);
    assert_string_equal(b.data, "cmf_x_total{path=\"a\\\\b\\\"c\\nd\",kind=\"file\"} "
                                "18446744073709551615\n");
    reset();
    cm_expo_sample(&b, "g", NULL, 0, 1795640400);
    cm_expo_sample(&b, "g", NULL, 0, 0.0005);
    cm_expo_sample(&b, "g", NULL, 0, 0.1);
    cm_expo_sample(&b, "g", NULL, 0, -2.5);
    cm_expo_sample(&b, "g", NULL, 0, NAN);
    cm_expo_sample(&b, "g", NULL, 0, INFINITY);
    cm_expo_sample(&b, "g", NULL, 0, -INFINITY);
    assert_string_equal(b.data, "g 1795640400\ng 0.0005\ng 0.1\ng -2.5\ng NaN\ng +Inf\ng -Inf\n");
}

static void
test_histogram(void **state)
{
    const double le[3] = { 0.001, 0.5, 10 };
    const uint64_t bucket[4] = { 2, 0, 3, 1 };
    const char *l[2] = { "route", "object" };

    (void)state;
    reset();
    cm_expo_histogram(&b, "h_seconds", l, 1, le, bucket, 3, 1.25);
    assert_string_equal(b.data,
        "h_seconds_bucket{route=\"object\",le=\"0.001\"} 2\n"
        "h_seconds_bucket{route=\"object\",le=\"0.5\"} 2\n"
        "h_seconds_bucket{route=\"object\",le=\"10\"} 5\n"
        "h_seconds_bucket{route=\"object\",le=\"+Inf\"} 6\n"
        "h_seconds_sum{route=\"object\"} 1.25\n"
        "h_seconds_count{route=\"object\"} 6\n");
    reset();
    cm_expo_histogram(&b, "q", NULL, 0, le, bucket, 1, 0);
    assert_string_equal(b.data,
        "q_bucket{le=\"0.001\"} 2\n"
        "q_bucket{le=\"+Inf\"} 2\n"
        "q_sum 0\n"
        "q_count 2\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_histogram),
    };
    int rc;

    cm_buf_init(&b, 1 << 20);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cm_buf_free(&b);
    return rc;
}
