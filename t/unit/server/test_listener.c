/*
 * The FastCGI socket: born 0660 by the umask at bind(), whatever the
 * process's umask, and never chmod()ed by path afterwards (a path is
 * followed: a link swapped in after bind() would pass the mode on to its
 * target).  chmod() is this file's own here, counting its calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listener.h"
#include "fixture_tmpdir.h"

static char dir[64], sock[128];
static int chmods;

/* Every chmod() of the program, the listener's included. */
int
chmod(const char *path, mode_t mode)
{
    (void)path;
    (void)mode;
    chmods++;
    return 0;
}

static int
setup(void **state)
{
    (void)state;
    if (fixture_tmpdir_make(dir, sizeof(dir), "cm-test-listener") < 0)
        return -1;
    snprintf(sock, sizeof(sock), "%s/fcgi.sock", dir);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    return fixture_tmpdir_remove(dir);
}

static void
test_socket_mode_from_the_umask(void **state)
{
    static const mode_t umasks[] = { 0, 022, 077 };
    struct stat st;
    char err[256];
    size_t i;
    int fd;

    (void)state;
    for (i = 0; i < sizeof(umasks) / sizeof(umasks[0]); i++) {
        mode_t old = umask(umasks[i]);

        chmods = 0;
        fd = cm_listener_open(sock, 16, err, sizeof(err));
        if (fd < 0)
            fail_msg("%s", err);
        assert_int_equal(umask(old), umasks[i]);        /* the caller's umask is given back */
        assert_int_equal(lstat(sock, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0660);
        assert_int_equal(chmods, 0);
        cm_listener_close(fd, sock);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_socket_mode_from_the_umask, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
