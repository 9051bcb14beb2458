/*
 * The shared table across real processes: forked children asking the same
 * query at once send it once and all get its answer; after
 * CM_BREAKER_FAILURES failures nothing is sent until the back-off is over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "breaker.h"
#include "clock.h"
#include "promshare.h"

#define CHILDREN 6
#define ANSWER "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}"

struct fake {
    struct cm_promshare *share;
    volatile int *sent;              /* shared: queries that reached "Prometheus" */
    long status;
};

/*
 * The fake Prometheus: counts the query, and (as the leader) holds the
 * answer until every other child has joined, so that the test does not
 * depend on how the scheduler interleaves them (bounded: 20 s).
 */
static long
perform(void *arg, struct cm_buf *out, char *err, size_t errlen)
{
    struct fake *f = arg;
    long long until = cm_clock_ms() + 20000;
    uint64_t flights, joins = 0;

    __atomic_add_fetch(f->sent, 1, __ATOMIC_SEQ_CST);
    while (f->status == 200 && cm_clock_ms() < until) {
        struct timespec ts = { 0, 1000000 };

        cm_promshare_counts(f->share, &flights, &joins);
        if (joins >= CHILDREN - 1)
            break;
        nanosleep(&ts, NULL);
    }
    if (f->status < 0) {
        snprintf(err, errlen, "refused");
        return -1;
    }
    CM_BUF_ADDLIT(out, ANSWER);
    return f->status;
}

static void
test_one_query_for_all(void **s)
{
    char err[256];
    struct fake f;
    int i, status, ok = 0;
    pid_t pid[CHILDREN];

    (void)s;
    f.share = cm_promshare_new(err, sizeof(err));
    assert_non_null(f.share);
    f.sent = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(f.sent != MAP_FAILED);
    *f.sent = 0;
    f.status = 200;
    for (i = 0; i < CHILDREN; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            struct cm_buf out;
            long st;

            cm_buf_init(&out, 1 << 20);
            st = cm_promshare_query(f.share, "up", 2, 20000, perform, &f, &out, err, sizeof(err));
            _exit(st == 200 && out.len == sizeof(ANSWER) - 1 &&
                  memcmp(out.data, ANSWER, out.len) == 0 ? 0 : 1);
        }
    }
    for (i = 0; i < CHILDREN; i++) {
        assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
        ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    assert_int_equal(ok, CHILDREN);          /* every child got the answer */
    assert_int_equal(*f.sent, 1);            /* which was asked for once */
    munmap((void *)f.sent, sizeof(int));
    cm_promshare_free(f.share);
}

static void
test_breaker_stops_asking(void **s)
{
    char err[256];
    struct cm_buf out;
    struct fake f;
    int i, sent = 0;

    (void)s;
    f.share = cm_promshare_new(err, sizeof(err));
    assert_non_null(f.share);
    f.sent = &sent;
    f.status = -1;
    cm_buf_init(&out, 1 << 20);
    for (i = 0; i < CM_BREAKER_FAILURES; i++)
        assert_int_equal(cm_promshare_query(f.share, "up", 2, 1000, perform, &f, &out, err,
                                            sizeof(err)), -1);
    assert_int_equal(sent, CM_BREAKER_FAILURES);
    assert_string_equal(err, "refused");
    for (i = 0; i < 100; i++)
        assert_int_equal(cm_promshare_query(f.share, "up", 2, 1000, perform, &f, &out, err,
                                            sizeof(err)), -1);
    assert_int_equal(sent, CM_BREAKER_FAILURES);     /* not asked while open */
    assert_non_null(strstr(err, "not asked"));
    cm_buf_free(&out);
    cm_promshare_free(f.share);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_query_for_all),
        cmocka_unit_test(test_breaker_stops_asking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
