/*
 * The circuit breaker's states: closed, open for a back-off that doubles
 * with each failed probe up to its cap, one probe at a time, closed again
 * by any success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "breaker.h"

#define PROBE_MS 3000

/* Fails n queries admitted at now. */
static void
fail_n(struct cm_breaker *b, int n, long long now)
{
    int i;

    for (i = 0; i < n; i++) {
        enum cm_breaker_verdict v = cm_breaker_admit(b, now, PROBE_MS, NULL);

        assert_int_equal(v, CM_BREAKER_ALLOW);
        cm_breaker_record(b, v, 1, now);
    }
}

static void
test_opens_after_failures_in_a_row(void **s)
{
    struct cm_breaker b;
    long long retry = 0;

    (void)s;
    cm_breaker_init(&b);
    fail_n(&b, CM_BREAKER_FAILURES - 1, 100);
    cm_breaker_record(&b, CM_BREAKER_ALLOW, 0, 100);        /* a success forgets them */
    fail_n(&b, CM_BREAKER_FAILURES - 1, 100);
    assert_int_equal(cm_breaker_admit(&b, 100, PROBE_MS, NULL), CM_BREAKER_ALLOW);
    cm_breaker_record(&b, CM_BREAKER_ALLOW, 1, 100);        /* the 5th in a row */
    assert_int_equal(cm_breaker_admit(&b, 100, PROBE_MS, &retry), CM_BREAKER_REJECT);
    assert_int_equal(retry, CM_BREAKER_BACKOFF_MIN_MS);
    assert_int_equal(cm_breaker_admit(&b, 100 + CM_BREAKER_BACKOFF_MIN_MS - 1, PROBE_MS, &retry),
                     CM_BREAKER_REJECT);
    assert_int_equal(retry, 1);
    /* late failures of queries admitted before it opened do not extend it */
    cm_breaker_record(&b, CM_BREAKER_ALLOW, 1, 500);
    assert_int_equal(cm_breaker_admit(&b, 100 + CM_BREAKER_BACKOFF_MIN_MS, PROBE_MS, NULL),
                     CM_BREAKER_PROBE);
}

static void
test_one_probe_and_doubling_backoff(void **s)
{
    struct cm_breaker b;
    long long now = 0, retry = 0, backoff = CM_BREAKER_BACKOFF_MIN_MS;
    int i;

    (void)s;
    cm_breaker_init(&b);
    fail_n(&b, CM_BREAKER_FAILURES, now);
    for (i = 0; i < 10; i++) {
        now += backoff;
        assert_int_equal(cm_breaker_admit(&b, now, PROBE_MS, NULL), CM_BREAKER_PROBE);
        /* while the probe runs, nobody else goes */
        assert_int_equal(cm_breaker_admit(&b, now + 10, PROBE_MS, &retry), CM_BREAKER_REJECT);
        assert_int_equal(retry, PROBE_MS - 10);
        cm_breaker_record(&b, CM_BREAKER_PROBE, 1, now + 20);
        now += 20;
        backoff = backoff * 2 > CM_BREAKER_BACKOFF_MAX_MS ? CM_BREAKER_BACKOFF_MAX_MS : backoff * 2;
        assert_int_equal(cm_breaker_admit(&b, now, PROBE_MS, &retry), CM_BREAKER_REJECT);
        assert_int_equal(retry, backoff);
    }
    assert_int_equal(backoff, CM_BREAKER_BACKOFF_MAX_MS);
    now += backoff;
    assert_int_equal(cm_breaker_admit(&b, now, PROBE_MS, NULL), CM_BREAKER_PROBE);
    cm_breaker_record(&b, CM_BREAKER_PROBE, 0, now);         /* it answers again */
    assert_int_equal(cm_breaker_admit(&b, now, PROBE_MS, NULL), CM_BREAKER_ALLOW);
    fail_n(&b, CM_BREAKER_FAILURES, now);                    /* and starts over from the minimum */
    assert_int_equal(cm_breaker_admit(&b, now, PROBE_MS, &retry), CM_BREAKER_REJECT);
    assert_int_equal(retry, CM_BREAKER_BACKOFF_MIN_MS);
}

static void
test_lost_probe(void **s)
{
    struct cm_breaker b;

    (void)s;
    cm_breaker_init(&b);
    fail_n(&b, CM_BREAKER_FAILURES, 0);
    assert_int_equal(cm_breaker_admit(&b, CM_BREAKER_BACKOFF_MIN_MS, PROBE_MS, NULL),
                     CM_BREAKER_PROBE);
    /* its worker died: once its time is up, another probe may go */
    assert_int_equal(cm_breaker_admit(&b, CM_BREAKER_BACKOFF_MIN_MS + PROBE_MS - 1, PROBE_MS, NULL),
                     CM_BREAKER_REJECT);
    assert_int_equal(cm_breaker_admit(&b, CM_BREAKER_BACKOFF_MIN_MS + PROBE_MS, PROBE_MS, NULL),
                     CM_BREAKER_PROBE);
}

static void
test_what_fails(void **s)
{
    (void)s;
    assert_true(cm_breaker_is_failure(-1));
    assert_true(cm_breaker_is_failure(429));
    assert_true(cm_breaker_is_failure(500));
    assert_true(cm_breaker_is_failure(503));
    assert_false(cm_breaker_is_failure(200));
    assert_false(cm_breaker_is_failure(400));    /* a bad query: Prometheus did answer */
    assert_false(cm_breaker_is_failure(401));
    assert_false(cm_breaker_is_failure(422));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_after_failures_in_a_row),
        cmocka_unit_test(test_one_probe_and_doubling_backoff),
        cmocka_unit_test(test_lost_probe),
        cmocka_unit_test(test_what_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
