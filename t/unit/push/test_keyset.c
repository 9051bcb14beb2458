/*
 * The replicator's set of applied keys (src/push/keyset.c): a resync's
 * sweep removes exactly the keys neither seen nor added since it began,
 * across growth, with a replayable random workload against a model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyset.h"

static void
count_gone(const char *key, size_t n, void *arg)
{
    (void)key;
    (void)n;
    ++*(size_t *)arg;
}

static void
test_sweep(void **state)
{
    struct cm_keyset *s = cm_keyset_new();
    size_t calls = 0;

    (void)state;
    cm_keyset_add(s, "cmf:v/a/pods/ns/1", 17);
    cm_keyset_add(s, "cmf:v/a/pods/ns/2", 17);
    cm_keyset_add(s, "cmf:v/a/pods/ns/2", 17);      /* once only */
    assert_int_equal(cm_keyset_count(s), 2);
    cm_keyset_begin(s);
    cm_keyset_add(s, "cmf:v/a/pods/ns/2", 17);      /* seen by this resync */
    cm_keyset_add(s, "cmf:v/a/pods/ns/3", 17);      /* new in it */
    assert_int_equal(cm_keyset_sweep(s, count_gone, &calls), 1);
    assert_int_equal(calls, 1);
    assert_false(cm_keyset_has(s, "cmf:v/a/pods/ns/1", 17));
    assert_true(cm_keyset_has(s, "cmf:v/a/pods/ns/2", 17));
    assert_true(cm_keyset_has(s, "cmf:v/a/pods/ns/3", 17));
    /* keys are bytes: a prefix of a key is another key */
    assert_false(cm_keyset_has(s, "cmf:v/a/pods/ns/", 16));
    cm_keyset_free(s);
}

/* A random workload of adds, resyncs and sweeps against an array model. */
static void
test_random_against_model(void **state)
{
    enum { KEYS = 3000, STEPS = 20000 };
    static unsigned char in[KEYS], mark[KEYS];
    const char *env = getenv("CM_TEST_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    struct cm_keyset *s = cm_keyset_new();
    size_t i, step, want;
    char key[32];

    (void)state;
    printf("# seed %u (CM_TEST_SEED=%u replays it)\n", seed, seed);
    srand(seed);
    memset(in, 0, sizeof(in));
    memset(mark, 0, sizeof(mark));
    for (step = 0; step < STEPS; step++) {
        int op = rand() % 100;

        if (op < 97) {
            i = (size_t)rand() % KEYS;
            snprintf(key, sizeof(key), "k/%zu", i);
            cm_keyset_add(s, key, strlen(key));
            in[i] = mark[i] = 1;
        } else if (op < 99) {
            cm_keyset_begin(s);
            memset(mark, 0, sizeof(mark));
        } else {
            for (i = 0, want = 0; i < KEYS; i++)
                want += in[i] && !mark[i];
            assert_int_equal(cm_keyset_sweep(s, NULL, NULL), want);
            for (i = 0; i < KEYS; i++)
                in[i] = in[i] && mark[i];
        }
    }
    for (i = 0, want = 0; i < KEYS; i++) {
        snprintf(key, sizeof(key), "k/%zu", i);
        assert_int_equal(cm_keyset_has(s, key, strlen(key)), in[i]);
        want += in[i];
    }
    assert_int_equal(cm_keyset_count(s), want);
    cm_keyset_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
