/*
 * The compactor's selection: the records keep() accepts, in order, up to
 * the new file's capacity; malformed records dropped; counting and copying
 * agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pushcompact.h"

#define N 10

static struct cm_pushrec *
records(void)
{
    struct cm_pushrec *recs = calloc(N, sizeof(*recs));
    char name[16], key[CM_PUSHSTORE_KEY_MAX], err[64], text[16];
    int64_t i;

    for (i = 0; i < N; i++) {
        struct cm_push_key k = { "m", "pods", "ns", name };
        struct cm_push_value v = { text, i, { 0, NULL } };
        struct cm_pushrec_copy c;

        snprintf(name, sizeof(name), "n%d", (int)i);
        snprintf(text, sizeof(text), "%d", (int)i);
        cm_pushrec_encode_value(&v, &c, err, sizeof(err));
        cm_pushrec_fill(&recs[i], key, cm_pushrec_encode_key(&k, key), &c);
        if (i % 2)
            cm_pushrec_write(&recs[i], &c);   /* some with a later version: the current copy is taken */
    }
    return recs;
}

/* Keeps the even timestamps. */
static int
keep_even(const struct cm_push_key *k, int64_t t, void *arg)
{
    (*(int *)arg)++;
    (void)k;
    return t % 2 == 0;
}

static int
keep_all(const struct cm_push_key *k, int64_t t, void *arg)
{
    (void)k; (void)t; (void)arg;
    return 1;
}

static void
test_copy_keeps_what_keep_accepts_in_order(void **s)
{
    struct cm_pushrec *from = records(), *to = calloc(N, sizeof(*to));
    struct cm_pushrec_copy c;
    struct cm_push_key k;
    char buf[CM_PUSHSTORE_KEY_MAX];
    int calls = 0;
    uint32_t i;

    (void)s;
    assert_int_equal(cm_pushcompact_copy(from, N, NULL, N, keep_even, &calls), N / 2);
    assert_int_equal(calls, N);
    assert_int_equal(cm_pushcompact_copy(from, N, to, N, keep_even, &calls), N / 2);
    for (i = 0; i < N / 2; i++) {
        assert_int_equal(cm_pushrec_decode_key(&to[i], buf, &k), 0);
        assert_int_equal(atoi(k.name + 1), 2 * i);
        assert_int_equal(to[i].version, 0);     /* a fresh record: its value in copy 0 */
        assert_int_equal(cm_pushrec_read(&to[i], &c, NULL), 0);
        assert_int_equal(c.timestamp, 2 * i);
    }
    free(from);
    free(to);
}

static void
test_copy_stops_at_capacity_and_drops_malformed(void **s)
{
    struct cm_pushrec *from = records(), *to = calloc(N, sizeof(*to));
    struct cm_push_key k;
    char buf[CM_PUSHSTORE_KEY_MAX];

    (void)s;
    assert_int_equal(cm_pushcompact_copy(from, N, to, 3, keep_all, NULL), 3);
    from[0].key_len = 0;               /* a malformed key */
    memset(to, 0, N * sizeof(*to));
    assert_int_equal(cm_pushcompact_copy(from, N, to, N, keep_all, NULL), N - 1);
    assert_int_equal(cm_pushrec_decode_key(&to[0], buf, &k), 0);
    assert_string_equal(k.name, "n1");
    free(from);
    free(to);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_keeps_what_keep_accepts_in_order),
        cmocka_unit_test(test_copy_stops_at_capacity_and_drops_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
