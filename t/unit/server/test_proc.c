/* cm_proc_alive(): a live child is alive; a dead one is not, reaped or not (a zombie). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

static void
test_alive_dead_and_zombie(void **state)
{
    int fds[2];
    char c;
    pid_t pid;

    (void)state;
    assert_int_equal(cm_proc_self(), (int)getpid());
    assert_int_equal(cm_proc_alive(cm_proc_self()), 1);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {                      /* waits for its parent to close the pipe, then exits */
        close(fds[1]);
        (void)!read(fds[0], &c, 1);
        _exit(0);
    }
    close(fds[0]);
    assert_int_equal(cm_proc_alive((int)pid), 1);
    close(fds[1]);                       /* the child exits; not reaped, it is a zombie */
    {
        siginfo_t si;                    /* wait for the exit without reaping it */
        assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    }
    assert_int_equal(cm_proc_alive((int)pid), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(cm_proc_alive((int)pid), 0);
    assert_int_equal(cm_proc_alive(0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alive_dead_and_zombie),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
