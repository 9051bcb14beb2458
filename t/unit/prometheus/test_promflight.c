/*
 * The single-flight table's decisions, on plain memory: who leads, who
 * follows, what followers get, when a slot may be reused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promflight.h"

#define DATA_MAX 256

static struct cm_promflight *
new_table(void)
{
    struct cm_promflight *t = malloc(cm_promflight_size(DATA_MAX));

    assert_non_null(t);
    cm_promflight_init(t, DATA_MAX);
    return t;
}

static enum cm_flight_role
begin(struct cm_promflight *t, const char *key, long long now, struct cm_flight_ticket *tk)
{
    return cm_promflight_begin(t, key, strlen(key), 42, now, now + 1000, tk);
}

static void
test_followers_get_the_leaders_answer(void **s)
{
    struct cm_promflight *t = new_table();
    struct cm_flight_ticket lead, f1, f2, next;
    struct cm_buf out;
    char err[128] = "";
    long status = 0;

    (void)s;
    cm_buf_init(&out, 1 << 20);
    assert_int_equal(begin(t, "up{pod=~\"a|b\"}", 0, &lead), CM_FLIGHT_LEAD);
    assert_int_equal(begin(t, "up{pod=~\"a|b\"}", 5, &f1), CM_FLIGHT_FOLLOW);
    assert_int_equal(begin(t, "up{pod=~\"a|b\"}", 6, &f2), CM_FLIGHT_FOLLOW);
    assert_int_equal(f1.slot, lead.slot);
    assert_int_equal(cm_promflight_take(t, &f1, 7, &status, &out, err, sizeof(err)), CM_FLIGHT_WAIT);
    assert_int_equal(cm_promflight_land(t, &lead, 200, "{\"status\":\"success\"}", 20, NULL, 8), 0);
    assert_int_equal(cm_promflight_take(t, &f1, 9, &status, &out, err, sizeof(err)), CM_FLIGHT_GOT);
    assert_int_equal(status, 200);
    assert_int_equal(out.len, 20);
    assert_memory_equal(out.data, "{\"status\":\"success\"}", 20);
    cm_buf_reset(&out);
    assert_int_equal(cm_promflight_take(t, &f2, 9, &status, &out, err, sizeof(err)), CM_FLIGHT_GOT);
    assert_int_equal(out.len, 20);
    /* once landed, the same query is a new flight: answers are shared, not cached */
    assert_int_equal(begin(t, "up{pod=~\"a|b\"}", 10, &next), CM_FLIGHT_LEAD);
    assert_int_equal(t->flights, 2);
    assert_int_equal(t->joins, 2);
    cm_buf_free(&out);
    free(t);
}

static void
test_keys_compared_whole(void **s)
{
    struct cm_promflight *t = new_table();
    struct cm_flight_ticket a, b, c;

    (void)s;
    assert_int_equal(begin(t, "up{pod=\"a\"}", 0, &a), CM_FLIGHT_LEAD);
    assert_int_equal(begin(t, "up{pod=\"b\"}", 0, &b), CM_FLIGHT_LEAD);     /* same length */
    assert_int_equal(begin(t, "up{pod=\"a\"} ", 0, &c), CM_FLIGHT_LEAD);    /* a prefix of it */
    assert_true(a.slot != b.slot && a.slot != c.slot && b.slot != c.slot);
    /* the same hash with other bytes must not join: forge one */
    t->slot[b.slot].hash = t->slot[a.slot].hash;
    assert_int_equal(begin(t, "up{pod=\"b\"}", 0, &c), CM_FLIGHT_LEAD);
    free(t);
}

static void
test_errors_and_large_answers(void **s)
{
    struct cm_promflight *t = new_table();
    struct cm_flight_ticket lead, f;
    char big[DATA_MAX], err[128] = "";
    struct cm_buf out;
    long status = 0;

    (void)s;
    cm_buf_init(&out, 1 << 20);
    assert_int_equal(begin(t, "q1", 0, &lead), CM_FLIGHT_LEAD);
    assert_int_equal(begin(t, "q1", 0, &f), CM_FLIGHT_FOLLOW);
    cm_promflight_land(t, &lead, -1, NULL, 0, "prometheus: Connection refused", 3);
    assert_int_equal(cm_promflight_take(t, &f, 4, &status, &out, err, sizeof(err)), CM_FLIGHT_GOT);
    assert_int_equal(status, -1);
    assert_string_equal(err, "prometheus: Connection refused");
    assert_int_equal(out.len, 0);

    memset(big, 'x', sizeof(big));
    assert_int_equal(begin(t, "q2", 10, &lead), CM_FLIGHT_LEAD);
    assert_int_equal(begin(t, "q2", 10, &f), CM_FLIGHT_FOLLOW);
    cm_promflight_land(t, &lead, 200, big, DATA_MAX - 1, NULL, 11);    /* + the key: too large */
    assert_int_equal(cm_promflight_take(t, &f, 12, &status, &out, err, sizeof(err)), CM_FLIGHT_GOT);
    assert_int_equal(status, CM_PROMFLIGHT_TOO_LARGE);
    assert_int_equal(out.len, 0);
    cm_buf_free(&out);
    free(t);
}

static void
test_a_leader_that_never_lands(void **s)
{
    struct cm_promflight *t = new_table();
    struct cm_flight_ticket lead, f, again;
    struct cm_buf out;
    char err[160] = "";
    long status = 0;

    size_t i;

    (void)s;
    cm_buf_init(&out, 1 << 20);
    for (i = 1; i < CM_PROMFLIGHT_SLOTS; i++) {         /* every other slot busy for long */
        char key[16];

        snprintf(key, sizeof(key), "busy%zu", i);
        assert_int_equal(cm_promflight_begin(t, key, strlen(key), 7, 0, 1000000, &again),
                         CM_FLIGHT_LEAD);
    }
    assert_int_equal(begin(t, "q", 0, &lead), CM_FLIGHT_LEAD);       /* deadline 1000 */
    assert_int_equal(begin(t, "q", 1, &f), CM_FLIGHT_FOLLOW);
    assert_int_equal(cm_promflight_take(t, &f, 999, &status, &out, err, sizeof(err)), CM_FLIGHT_WAIT);
    assert_int_equal(cm_promflight_take(t, &f, 1000, &status, &out, err, sizeof(err)), CM_FLIGHT_LOST);
    assert_int_equal(status, -1);
    assert_non_null(strstr(err, "did not finish in time"));
    /* past its deadline nobody joins it, and its slot may be taken again */
    assert_int_equal(begin(t, "q", 1000, &again), CM_FLIGHT_LEAD);
    assert_int_equal(again.slot, lead.slot);
    /* the late leader's answer goes nowhere */
    assert_int_equal(cm_promflight_land(t, &lead, 200, "{}", 2, NULL, 1001), -1);
    assert_int_equal(cm_promflight_take(t, &f, 1001, &status, &out, err, sizeof(err)), CM_FLIGHT_LOST);
    cm_buf_free(&out);
    free(t);
}

static void
test_full_table_and_pinned_slots(void **s)
{
    struct cm_promflight *t = new_table();
    struct cm_flight_ticket tk[CM_PROMFLIGHT_SLOTS], x, f;
    char key[32], longkey[DATA_MAX];
    size_t i;

    (void)s;
    for (i = 0; i < CM_PROMFLIGHT_SLOTS; i++) {
        snprintf(key, sizeof(key), "q%zu", i);
        assert_int_equal(cm_promflight_begin(t, key, strlen(key), 7, 0, 1000000, &tk[i]),
                         CM_FLIGHT_LEAD);
    }
    assert_int_equal(begin(t, "another", 0, &x), CM_FLIGHT_ALONE);
    /* q0 lands with a follower that has not collected yet: its slot is kept */
    assert_int_equal(begin(t, "q0", 0, &f), CM_FLIGHT_FOLLOW);
    cm_promflight_land(t, &tk[0], 200, "{}", 2, NULL, 10);
    assert_int_equal(begin(t, "another", 20, &x), CM_FLIGHT_ALONE);
    /* ... for CM_PROMFLIGHT_GRACE_MS at most (its follower may be dead) */
    assert_int_equal(begin(t, "another", 11 + CM_PROMFLIGHT_GRACE_MS, &x), CM_FLIGHT_LEAD);
    assert_int_equal(x.slot, tk[0].slot);
    /* a key that leaves too little room for an answer runs alone */
    cm_promflight_init(t, DATA_MAX);
    memset(longkey, 'k', sizeof(longkey));
    assert_int_equal(cm_promflight_begin(t, longkey, DATA_MAX / 2 + 1, 1, 0, 1000, &x),
                     CM_FLIGHT_ALONE);
    free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_followers_get_the_leaders_answer),
        cmocka_unit_test(test_keys_compared_whole),
        cmocka_unit_test(test_errors_and_large_answers),
        cmocka_unit_test(test_a_leader_that_never_lands),
        cmocka_unit_test(test_full_table_and_pinned_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
