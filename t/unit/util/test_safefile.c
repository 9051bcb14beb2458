/*
 * safefile: the permission rules for the server's directories and token
 * files (on struct stat values, so every owner and mode is covered without
 * root), and the no-follow opens on real files and planted links.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safefile.h"
#include "fixture_tmpdir.h"

#define US 1000
#define OURS 1000

static char dir[64];

static int
setup_dir(void **s)
{
    (void)s;
    return fixture_tmpdir_make(dir, sizeof(dir), "cm-safefile");
}

static int
teardown_dir(void **s)
{
    (void)s;
    return fixture_tmpdir_remove(dir);
}

static struct stat
attrs(mode_t type, mode_t mode, uid_t uid, gid_t gid)
{
    struct stat st;

    memset(&st, 0, sizeof(st));
    st.st_mode = type | mode;
    st.st_uid = uid;
    st.st_gid = gid;
    return st;
}

static int
dir_ok(mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
    struct stat st = attrs(S_IFDIR, mode, uid, gid);

    return cm_safefile_dir_ok("/d", "the state directory", &st, US, OURS, err, errlen);
}

static void
test_directory_rules(void **s)
{
    char err[512];

    (void)s;
    assert_int_equal(dir_ok(0700, US, OURS, err, sizeof(err)), 0);
    assert_int_equal(dir_ok(0755, US, 5, err, sizeof(err)), 0);
    assert_int_equal(dir_ok(0770, US, OURS, err, sizeof(err)), 0);   /* our own group */
    assert_int_equal(dir_ok(0755, 0, 0, err, sizeof(err)), 0);       /* root's */

    assert_int_equal(dir_ok(0777, US, OURS, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/d: the state directory is writable by others (mode 0777)"));
    assert_non_null(strstr(err, "chmod 0700 /d"));
    assert_int_equal(dir_ok(01777, US, OURS, err, sizeof(err)), -1);  /* sticky: still refused */
    assert_non_null(strstr(err, "mode 1777"));
    assert_int_equal(dir_ok(0770, US, 5, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "writable by group 5, not this server's (gid 1000"));
    assert_non_null(strstr(err, "chmod g-w /d"));
    assert_int_equal(dir_ok(0700, 2000, OURS, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "belongs to uid 2000"));

    {
        struct stat st = attrs(S_IFREG, 0700, US, OURS);

        assert_int_equal(cm_safefile_dir_ok("/d", "the cache directory", &st, US, OURS, err,
                                            sizeof(err)), -1);
        assert_non_null(strstr(err, "/d: the cache directory is not a directory"));
    }
}

static int
token_ok(mode_t type, mode_t mode, uid_t uid, int flags, char *err, size_t errlen)
{
    struct stat st = attrs(type, mode, uid, 77);

    return cm_safefile_token_ok("/t", "--write-token-file", &st, US, flags, err, errlen);
}

static void
test_token_file_rules(void **s)
{
    char err[512];

    (void)s;
    assert_int_equal(token_ok(S_IFREG, 0600, US, 0, err, sizeof(err)), 0);
    assert_int_equal(token_ok(S_IFREG, 0400, US, 0, err, sizeof(err)), 0);
    assert_int_equal(token_ok(S_IFREG, 0440, 0, 0, err, sizeof(err)), 0);  /* a Secret with fsGroup */

    assert_int_equal(token_ok(S_IFREG, 0644, US, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--write-token-file /t is readable by others (mode 0644): "
                                "chmod 0600 /t"));
    assert_int_equal(token_ok(S_IFREG, 0666, US, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is writable by others (mode 0666)"));
    assert_int_equal(token_ok(S_IFREG, 0620, US, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "writable"));
    assert_int_equal(token_ok(S_IFREG, 0600, 65534, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--write-token-file /t belongs to uid 65534"));
    assert_int_equal(token_ok(S_IFDIR, 0700, US, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));

    /* the kubelet's service-account token: others may read it, never write it */
    assert_int_equal(token_ok(S_IFREG, 0644, 0, CM_SAFEFILE_OTHERS_MAY_READ, err, sizeof(err)), 0);
    assert_int_equal(token_ok(S_IFREG, 0666, 0, CM_SAFEFILE_OTHERS_MAY_READ, err, sizeof(err)), -1);
}

static void
path_in(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static void
test_check_dir_creates_and_refuses(void **s)
{
    char err[512], p[128];
    struct stat st;

    (void)s;
    path_in(p, sizeof(p), "state");
    assert_int_equal(cm_safefile_check_dir(p, "the state directory", 0700, err, sizeof(err)), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(chmod(p, 0777), 0);
    assert_int_equal(cm_safefile_check_dir(p, "the state directory", 0700, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "writable by others"));
}

static void
test_open_refuses_links(void **s)
{
    char err[512], victim[128], link[128], plain[128];
    struct stat st;
    int fd;

    (void)s;
    path_in(victim, sizeof(victim), "victim");
    path_in(link, sizeof(link), "push.db");
    path_in(plain, sizeof(plain), "plain");
    fd = open(victim, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "keep", 4), 4);
    close(fd);
    assert_int_equal(symlink(victim, link), 0);

    assert_int_equal(cm_safefile_open(link, O_RDWR | O_CREAT, 0600, err, sizeof(err)), -1);
    assert_int_equal(errno, ELOOP);
    assert_non_null(strstr(err, "push.db is a symbolic link"));
    assert_int_equal(cm_safefile_refuse_link(link, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_int_equal(cm_safefile_refuse_link(plain, err, sizeof(err)), 0);   /* missing: fine */

    /* create removes the link itself and makes a new file: the victim is untouched */
    fd = cm_safefile_create(link, 0600, err, sizeof(err));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "new file", 8), 8);
    close(fd);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, 4);

    fd = cm_safefile_open(link, O_RDWR, 0, err, sizeof(err));
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cm_safefile_open(dir, O_RDONLY, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

static void
test_check_token_on_files(void **s)
{
    char err[512], p[128];
    int fd;

    (void)s;
    path_in(p, sizeof(p), "token");
    fd = open(p, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(p, 0600), 0);
    assert_int_equal(cm_safefile_check_token(p, "bearer_token_file", 0, err, sizeof(err)), 0);
    assert_int_equal(chmod(p, 0604), 0);
    assert_int_equal(cm_safefile_check_token(p, "bearer_token_file", 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "readable by others (mode 0604)"));
    assert_int_equal(unlink(p), 0);
    assert_int_equal(cm_safefile_check_token(p, "bearer_token_file", 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot read bearer_token_file"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory_rules),
        cmocka_unit_test(test_token_file_rules),
        cmocka_unit_test_setup_teardown(test_check_dir_creates_and_refuses, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_open_refuses_links, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_check_token_on_files, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
