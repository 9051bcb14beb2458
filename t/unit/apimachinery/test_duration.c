/* Durations in metrics.yaml (window:, max_age:): <integer><unit>... with units s m h d. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "duration.h"

static int64_t
seconds(const char *s)
{
    int64_t v = -1;
    const char *err = NULL;

    assert_int_equal(cm_duration_parse(s, strlen(s), &v, &err), 0);
    assert_null(err);
    return v;
}

static const char *
refused(const char *s, size_t n)
{
    int64_t v = 0;
    const char *err = NULL;

    assert_int_equal(cm_duration_parse(s, n, &v, &err), -1);
    assert_non_null(err);
    return err;
}

static void
test_accepted(void **state)
{
    (void)state;
    assert_int_equal(seconds("30s"), 30);
    assert_int_equal(seconds("1m"), 60);
    assert_int_equal(seconds("1m30s"), 90);
    assert_int_equal(seconds("1h30m"), 5400);
    assert_int_equal(seconds("2h"), 7200);
    assert_int_equal(seconds("1d"), 86400);
    assert_int_equal(seconds("366d"), CM_DURATION_MAX_SECONDS);
}

static void
test_refused(void **state)
{
    (void)state;
    assert_string_equal(refused("", 0), "a duration must not be empty (examples: 30s, 1m, 1h30m)");
    assert_string_equal(refused("0s", 2), "the duration must be positive");
    assert_string_equal(refused("367d", 4), "the duration is longer than a year");
    assert_string_equal(refused("99999999999999999999s", 21), "the duration is longer than a year");
    assert_non_null(strstr(refused("10", 2), "<integer><unit>"));
    assert_non_null(strstr(refused("1w", 2), "<integer><unit>"));
    assert_non_null(strstr(refused("m", 1), "<integer><unit>"));
    assert_non_null(strstr(refused("1.5m", 4), "<integer><unit>"));
    assert_non_null(strstr(refused("1m\0" "5s", 5), "<integer><unit>"));  /* every byte counts */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
