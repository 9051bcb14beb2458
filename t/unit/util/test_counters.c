/*
 * The shared counters across real processes: forked children counting at
 * once into one block lose no update (the sums are exact), histograms put
 * each duration in the right bucket, and without a block counting is a
 * no-op.  Also the configuration's hash and its seqlock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counters.h"

#define CHILDREN 6
#define EACH 20000

static void
test_children_sum(void **state)
{
    struct cm_counters *c;
    pid_t pid[CHILDREN];
    char err[256];
    int i, status;
    uint64_t total = 0;
    struct cm_counters_hist h;

    (void)state;
    c = cm_counters_new(err, sizeof(err));
    assert_non_null(c);
    cm_counters_use(c);
    for (i = 0; i < CHILDREN; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            int k;

            /* every child counts the same slots, and one of its own */
            for (k = 0; k < EACH; k++) {
                cm_counters_request(CM_ROUTE_SELECTOR, CM_GV_CUSTOM_V1BETA2, 200, 1000);
                cm_counters_source_error(3);
                cm_counters_prometheus_query(2000000);
            }
            cm_counters_request(CM_ROUTE_OBJECT, CM_GV_CUSTOM_V1BETA1, 404 + i, 20000000);
            cm_counters_worker_restart();
            _exit(0);
        }
    }
    for (i = 0; i < CHILDREN; i++) {
        assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(cm_counters_requests(c, CM_ROUTE_SELECTOR, CM_GV_CUSTOM_V1BETA2, 200),
                     (uint64_t)CHILDREN * EACH);
    for (i = 0; i < CHILDREN; i++) {
        assert_int_equal(cm_counters_requests(c, CM_ROUTE_OBJECT, CM_GV_CUSTOM_V1BETA1, 404 + i), 1);
        total += cm_counters_requests(c, CM_ROUTE_OBJECT, CM_GV_CUSTOM_V1BETA1, 404 + i);
    }
    assert_int_equal(total, CHILDREN);
    assert_int_equal(cm_counters_requests(c, CM_ROUTE_SELECTOR, CM_GV_CUSTOM_V1BETA1, 200), 0);
    assert_int_equal(cm_counters_source_errors(c, 3), (uint64_t)CHILDREN * EACH);
    assert_int_equal(cm_counters_source_errors(c, 1), 0);
    assert_int_equal(cm_counters_worker_restarts(c), CHILDREN);

    /* 1 us is in the first bucket (<= 0.5 ms), 20 ms in le=0.025 (index 5) */
    cm_counters_request_hist(c, CM_ROUTE_SELECTOR, &h);
    assert_int_equal(h.count, (uint64_t)CHILDREN * EACH);
    assert_int_equal(h.bucket[0], (uint64_t)CHILDREN * EACH);
    assert_int_equal(h.sum_ns, (uint64_t)CHILDREN * EACH * 1000);
    cm_counters_request_hist(c, CM_ROUTE_OBJECT, &h);
    assert_int_equal(h.count, CHILDREN);
    assert_int_equal(h.bucket[5], CHILDREN);
    /* 2 ms: le=0.0025 (index 2) */
    cm_counters_prometheus_hist(c, &h);
    assert_int_equal(h.bucket[2], (uint64_t)CHILDREN * EACH);
    assert_int_equal(h.bucket[1] + h.bucket[3], 0);
    cm_counters_free(c);
    assert_null(cm_counters_current());
}

static void
test_bounds_and_overflow(void **state)
{
    struct cm_counters *c;
    struct cm_counters_hist h;
    char err[256];

    (void)state;
    c = cm_counters_new(err, sizeof(err));
    assert_non_null(c);
    cm_counters_use(c);
    /* exactly on a bound is in that bucket (le is "less or equal") */
    cm_counters_request(CM_ROUTE_HEALTH, CM_GV_NONE, 200, 500000);
    /* beyond every bound: the +Inf bucket only */
    cm_counters_request(CM_ROUTE_HEALTH, CM_GV_NONE, 200, 60000000000LL);
    cm_counters_request_hist(c, CM_ROUTE_HEALTH, &h);
    assert_int_equal(h.bucket[0], 1);
    assert_int_equal(h.bucket[CM_COUNTERS_NBUCKETS], 1);
    assert_int_equal(h.count, 2);
    /* out-of-range codes and routes are counted, not written out of bounds */
    cm_counters_request(CM_ROUTE_N + 3, CM_GV_N + 1, 7000, -5);
    assert_int_equal(cm_counters_requests(c, CM_ROUTE_OTHER, CM_GV_NONE, 500), 1);
    assert_int_equal(cm_counters_requests(c, CM_ROUTE_OTHER, CM_GV_NONE, 7000), 0);
    cm_counters_free(c);

    /* without a block every update is a no-op (and does not crash) */
    cm_counters_use(NULL);
    cm_counters_request(CM_ROUTE_HEALTH, CM_GV_NONE, 200, 1);
    cm_counters_source_error(1);
    cm_counters_push_store(1, 2);
    cm_counters_config_reloaded(1, "x", 1);
}

static void
test_config_and_push(void **state)
{
    struct cm_counters *c;
    char err[256], hash[CM_COUNTERS_HASH_MAX], path[] = "/tmp/cm-counters-XXXXXX";
    uint32_t count, cap;
    int known, fd;

    (void)state;
    c = cm_counters_new(err, sizeof(err));
    assert_non_null(c);
    cm_counters_use(c);
    cm_counters_push(c, &count, &cap, &known);
    assert_false(known);
    cm_counters_push_store(7, 64);
    cm_counters_push(c, &count, &cap, &known);
    assert_true(known);
    assert_int_equal(count, 7);
    assert_int_equal(cap, 64);

    cm_counters_config_loaded("aaaa", 1000);
    assert_int_equal(cm_counters_config_reloads(c, 1), 0);
    assert_int_equal(cm_counters_config_last_success(c), 1000);
    cm_counters_config_reloaded(0, "bbbb", 2000);      /* refused: nothing but the count */
    cm_counters_config_hash(c, hash, sizeof(hash));
    assert_string_equal(hash, "aaaa");
    assert_int_equal(cm_counters_config_last_success(c), 1000);
    assert_int_equal(cm_counters_config_reloads(c, 0), 1);
    cm_counters_config_reloaded(1, "cccc", 3000);
    cm_counters_config_hash(c, hash, sizeof(hash));
    assert_string_equal(hash, "cccc");
    assert_int_equal(cm_counters_config_last_success(c), 3000);
    assert_int_equal(cm_counters_config_reloads(c, 1), 1);

    /* FNV-1a 64 of "a" is af63dc4c8601ec8c (the published test vector) */
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "a", 1), 1);
    close(fd);
    assert_int_equal(cm_counters_hash_file(path, hash, sizeof(hash)), 0);
    assert_string_equal(hash, "af63dc4c8601ec8c");
    unlink(path);
    assert_int_equal(cm_counters_hash_file(path, hash, sizeof(hash)), -1);
    assert_string_equal(hash, "");
    cm_counters_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_children_sum),
        cmocka_unit_test(test_bounds_and_overflow),
        cmocka_unit_test(test_config_and_push),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
