/* The reloads' shared record: what the master records, every process reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reloadstate.h"

static void
test_taken_and_refused(void **state)
{
    struct cm_reload_state *s = cm_reload_state_new(100, "00000000000000aa");
    struct cm_reload_snapshot st;

    (void)state;
    assert_non_null(s);
    cm_reload_state_read(s, &st);
    assert_int_equal(st.generation, 1);
    assert_int_equal(st.reloads_ok + st.reloads_failed, 0);
    assert_int_equal(st.last_attempt, 0);
    assert_false(st.last_failed);
    assert_string_equal(st.hash, "00000000000000aa");

    cm_reload_state_record(s, CM_RELOAD_FAILED, 200, NULL, "m.yaml:1:1: bad; m.yaml:2:3: worse");
    cm_reload_state_read(s, &st);
    assert_int_equal(st.generation, 1);          /* nothing changed */
    assert_int_equal(st.reloads_failed, 1);
    assert_true(st.last_failed);
    assert_int_equal(st.last_attempt, 200);
    assert_int_equal(st.loaded_at, 100);
    assert_string_equal(st.hash, "00000000000000aa");
    assert_string_equal(st.message, "m.yaml:1:1: bad; m.yaml:2:3: worse");

    cm_reload_state_record(s, CM_RELOAD_OK, 300, "00000000000000bb", NULL);
    cm_reload_state_read(s, &st);
    assert_int_equal(st.generation, 2);
    assert_int_equal(st.reloads_ok, 1);
    assert_int_equal(st.reloads_failed, 1);
    assert_false(st.last_failed);
    assert_int_equal(st.loaded_at, 300);
    assert_string_equal(st.message, "");
    assert_string_equal(st.hash, "00000000000000bb");
    cm_reload_state_free(s);
}

static void
test_a_long_message_is_cut_not_overrun(void **state)
{
    struct cm_reload_state *s = cm_reload_state_new(1, "");
    struct cm_reload_snapshot st;
    char big[CM_RELOAD_MESSAGE_MAX * 2];

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cm_reload_state_record(s, CM_RELOAD_FAILED, 2, NULL, big);
    cm_reload_state_read(s, &st);
    assert_int_equal(strlen(st.message), CM_RELOAD_MESSAGE_MAX - 1);
    cm_reload_state_free(s);
}

/* A process forked before the record is written reads it: the page is shared. */
static void
test_shared_across_fork(void **state)
{
    struct cm_reload_state *s = cm_reload_state_new(1, "");
    int fds[2], status;
    char go;
    pid_t pid;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct cm_reload_snapshot st;

        close(fds[1]);
        if (read(fds[0], &go, 1) != 1)
            _exit(2);
        cm_reload_state_read(s, &st);
        _exit(st.generation == 3 && st.reloads_failed == 1 &&
              strcmp(st.message, "") == 0 ? 0 : 1);
    }
    close(fds[0]);
    cm_reload_state_record(s, CM_RELOAD_OK, 2, "h", NULL);
    cm_reload_state_record(s, CM_RELOAD_FAILED, 3, NULL, "bad");
    cm_reload_state_record(s, CM_RELOAD_OK, 4, "h2", NULL);
    assert_int_equal(write(fds[1], "g", 1), 1);
    close(fds[1]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    cm_reload_state_free(s);
}

static void
test_hash(void **state)
{
    (void)state;
    /* FNV-1a 64 of "a" */
    assert_true(cm_reload_hash(CM_RELOAD_HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(cm_reload_hash(CM_RELOAD_HASH_INIT, "", 0) == CM_RELOAD_HASH_INIT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taken_and_refused),
        cmocka_unit_test(test_a_long_message_is_cut_not_overrun),
        cmocka_unit_test(test_shared_across_fork),
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
