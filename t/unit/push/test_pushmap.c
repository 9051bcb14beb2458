/*
 * The push store's file and the space under it, on a real tiny filesystem
 * (a tmpfs this test mounts; skipped with the reason where it cannot mount
 * one): a full filesystem is an error on the write that needs space, never
 * SIGBUS; stored values are still read and rewritten, by this process and
 * by another one; compaction without space leaves the old file in service;
 * after space is freed, writes work again.  Also: links planted where the
 * store creates its files are refused or never followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pushcompact.h"
#include "pushmap.h"
#include "pushstore.h"
#include "fixture_tmpdir.h"

static char dir[64];
static int mounted;

static int
setup_dir(void **s)
{
    (void)s;
    mounted = 0;
    return fixture_tmpdir_make(dir, sizeof(dir), "cm-pushmap");
}

static int
teardown_dir(void **s)
{
    (void)s;
    if (mounted)
        umount2(dir, MNT_DETACH);
    return fixture_tmpdir_remove(dir);
}

/* Mounts a tmpfs of size bytes on dir, or skips the test saying why. */
static void
tiny_fs(const char *size)
{
    char opts[64];

    snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
    if (mount("tmpfs", dir, "tmpfs", 0, opts) < 0) {
        print_message("# SKIP cannot mount a tmpfs (%s): needs root or CAP_SYS_ADMIN\n",
                      strerror(errno));
        skip();
    }
    mounted = 1;
}

/* Writes path until the filesystem is full; returns the bytes written. */
static size_t
fill(const char *name)
{
    char path[128], block[4096];
    size_t total = 0;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    memset(block, 'x', sizeof(block));
    for (;;) {
        ssize_t n = write(fd, block, sizeof(block));

        if (n <= 0)
            break;
        total += (size_t)n;
    }
    assert_int_equal(errno, ENOSPC);
    close(fd);
    return total;
}

static void
unfill(const char *name)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(unlink(path), 0);
}

static int
keep_all(const struct cm_push_key *k, int64_t t, void *arg)
{
    (void)k; (void)t; (void)arg;
    return 1;
}

static int
keep_newer(const struct cm_push_key *k, int64_t t, void *arg)
{
    (void)k;
    return t >= *(int64_t *)arg;
}

static int
put(struct cm_pushstore *ps, const char *name, const char *value, int64_t t,
    cm_pushstore_keep_fn keep, void *keep_arg, char *err, size_t errlen)
{
    struct cm_push_key k = { "m", "pods", "ns", name };
    struct cm_push_value v = { value, t, { 0, NULL } };
    int rc;

    assert_int_equal(cm_pushstore_lock(ps, err, errlen), 0);
    rc = cm_pushstore_put(ps, &k, &v, keep, keep_arg, err, errlen);
    cm_pushstore_unlock(ps);
    return rc;
}

static const char *
get(struct cm_pushstore *ps, const char *name)
{
    struct cm_push_key k = { "m", "pods", "ns", name };
    struct cm_push_value v;
    char err[256];

    assert_int_equal(cm_pushstore_refresh(ps, err, sizeof(err)), 0);
    return cm_pushstore_get(ps, &k, &v) ? v.text : NULL;
}

/* In a child process: opens the store and reads values n0..n-1; exits 0 when all match. */
static void
read_in_child(uint32_t n)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct cm_pushstore *ps;
        char err[256], name[16];
        uint32_t i;

        if (cm_pushstore_open(&ps, dir, 0, 0, err, sizeof(err)) < 0)
            _exit(2);
        for (i = 0; i < n; i++) {
            struct cm_push_key k = { "m", "pods", "ns", name };
            struct cm_push_value v;

            snprintf(name, sizeof(name), "n%u", i);
            if (!cm_pushstore_get(ps, &k, &v))
                _exit(3);
        }
        cm_pushstore_close(ps);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("the reader died of signal %d", WTERMSIG(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_full_filesystem_is_an_error_not_a_signal(void **s)
{
    struct cm_pushstore *ps;
    char err[256], name[16];
    uint32_t n = 0, i;
    int rc;

    (void)s;
    tiny_fs("1m");
    assert_int_equal(cm_pushstore_open(&ps, dir, 4096, 0, err, sizeof(err)), 0);
    assert_int_equal(put(ps, "n0", "1", 1, keep_all, NULL, err, sizeof(err)), CM_PUSHSTORE_OK);
    n = 1;
    fill("filler-1");                  /* the store's first chunk is reserved: the rest is taken */
    for (;;) {
        snprintf(name, sizeof(name), "n%u", n);
        rc = put(ps, name, "1", 1, keep_all, NULL, err, sizeof(err));
        if (rc != CM_PUSHSTORE_OK)
            break;
        n++;
        assert_true(n < 4096);
    }
    assert_int_equal(rc, CM_PUSHSTORE_NOSPACE);
    assert_non_null(strstr(err, "no space left"));
    assert_null(strstr(err, dir));     /* no path for the client */
    assert_int_equal(n, CM_PUSHMAP_RESERVE_CHUNK);
    /* stored values are read, and rewritten in their own space */
    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "n%u", i);
        assert_string_equal(get(ps, name), "1");
        assert_int_equal(put(ps, name, "2", 2, keep_all, NULL, err, sizeof(err)), CM_PUSHSTORE_OK);
        assert_string_equal(get(ps, name), "2");
    }
    read_in_child(n);
    /* space freed: new values are stored again */
    unfill("filler-1");
    snprintf(name, sizeof(name), "n%u", n);
    assert_int_equal(put(ps, name, "3", 3, keep_all, NULL, err, sizeof(err)), CM_PUSHSTORE_OK);
    assert_string_equal(get(ps, name), "3");
    read_in_child(n + 1);
    cm_pushstore_close(ps);
}

static void
test_last_blocks_are_used_one_record_at_a_time(void **s)
{
    struct cm_pushstore *ps;
    char err[256], name[16];
    uint32_t n = 0;
    int rc;

    (void)s;
    tiny_fs("1m");
    assert_int_equal(cm_pushstore_open(&ps, dir, 4096, 0, err, sizeof(err)), 0);
    for (;;) {
        snprintf(name, sizeof(name), "n%u", n);
        if ((rc = put(ps, name, "1", 1, keep_all, NULL, err, sizeof(err))) != CM_PUSHSTORE_OK)
            break;
        n++;
    }
    assert_int_equal(rc, CM_PUSHSTORE_NOSPACE);
    /* more than one chunk: the records after the last whole chunk got space one by one */
    assert_true(n > CM_PUSHMAP_RESERVE_CHUNK);
    assert_true(n % CM_PUSHMAP_RESERVE_CHUNK != 0);
    read_in_child(n);
    cm_pushstore_close(ps);
}

static void
test_no_space_to_create_the_store(void **s)
{
    struct cm_pushstore *ps;
    char err[256];

    (void)s;
    tiny_fs("64k");
    fill("filler");
    assert_int_equal(cm_pushstore_open(&ps, dir, 16, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No space left on device"));
    unfill("filler");
    assert_int_equal(cm_pushstore_open(&ps, dir, 16, 0, err, sizeof(err)), 0);
    cm_pushstore_close(ps);
}

static void
test_compaction_without_space_keeps_the_old_file(void **s)
{
    struct cm_pushstore *ps;
    char err[256], name[16], tmp[128];
    int64_t cutoff = 10;
    uint32_t i;

    (void)s;
    tiny_fs("1m");
    assert_int_equal(cm_pushstore_open(&ps, dir, 16, 0, err, sizeof(err)), 0);
    for (i = 0; i < 16; i++) {
        snprintf(name, sizeof(name), "n%u", i);
        assert_int_equal(put(ps, name, "1", i < 8 ? 1 : 20, keep_newer, &cutoff, err,
                             sizeof(err)), CM_PUSHSTORE_OK);
    }
    fill("filler");
    assert_int_equal(put(ps, "new", "5", 30, keep_newer, &cutoff, err, sizeof(err)),
                     CM_PUSHSTORE_NOSPACE);
    assert_non_null(strstr(err, "to compact"));
    snprintf(tmp, sizeof(tmp), "%s/push.db.tmp", dir);
    assert_int_equal(access(tmp, F_OK), -1);      /* the half-made file is gone */
    assert_int_equal(cm_pushstore_count(ps), 16);
    assert_string_equal(get(ps, "n0"), "1");
    read_in_child(16);
    unfill("filler");
    assert_int_equal(put(ps, "new", "5", 30, keep_newer, &cutoff, err, sizeof(err)),
                     CM_PUSHSTORE_OK);
    assert_int_equal(cm_pushstore_count(ps), 9);  /* 8 fresh kept, and the new one */
    assert_null(get(ps, "n0"));
    assert_string_equal(get(ps, "n8"), "1");
    assert_string_equal(get(ps, "new"), "5");
    cm_pushstore_close(ps);
}

/* A victim file with known content, and a link to it at dir/name. */
static void
plant(const char *name, char *victim, size_t len)
{
    char link[128];
    int fd;

    snprintf(victim, len, "%s/victim", dir);
    snprintf(link, sizeof(link), "%s/%s", dir, name);
    fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "precious", 8), 8);
    close(fd);
    assert_int_equal(symlink(victim, link), 0);
}

static void
assert_untouched(const char *victim)
{
    struct stat st;

    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, 8);
}

static void
test_planted_links_are_refused(void **s)
{
    struct cm_pushstore *ps;
    char err[512], victim[128], path[128];

    (void)s;
    plant("push.db", victim, sizeof(victim));
    assert_int_equal(cm_pushstore_open(&ps, dir, 16, 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "push.db is a symbolic link"));
    assert_untouched(victim);
    snprintf(path, sizeof(path), "%s/push.db", dir);
    assert_int_equal(unlink(path), 0);

    plant("push.db.tmp", victim, sizeof(victim));
    assert_int_equal(cm_pushstore_open(&ps, dir, 16, 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "push.db.tmp is a symbolic link"));
    snprintf(path, sizeof(path), "%s/push.db.tmp", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(victim), 0);
}

static void
test_compaction_never_follows_a_link(void **s)
{
    struct cm_pushstore *ps;
    char err[512], victim[128], name[16], path[128];
    int64_t cutoff = 10;
    struct stat st;
    uint32_t i;

    (void)s;
    assert_int_equal(cm_pushstore_open(&ps, dir, 16, 1, err, sizeof(err)), 0);
    for (i = 0; i < 16; i++) {
        snprintf(name, sizeof(name), "n%u", i);
        assert_int_equal(put(ps, name, "1", 1, keep_newer, &cutoff, err, sizeof(err)),
                         CM_PUSHSTORE_OK);
    }
    /* planted while the server runs, before the compaction */
    plant("push.db.tmp", victim, sizeof(victim));
    assert_int_equal(put(ps, "new", "5", 30, keep_newer, &cutoff, err, sizeof(err)),
                     CM_PUSHSTORE_OK);
    assert_int_equal(cm_pushstore_count(ps), 1);
    assert_untouched(victim);
    snprintf(path, sizeof(path), "%s/push.db", dir);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    cm_pushstore_close(ps);
}

static void
test_reserve_marks_what_it_reserved(void **s)
{
    struct cm_pushmap m;
    char err[256], path[128];

    (void)s;
    snprintf(path, sizeof(path), "%s/push.db", dir);
    assert_int_equal(cm_pushmap_open(&m, path, "/nonexistent", 1000, 0, err, sizeof(err)),
                     CM_PUSHMAP_OK);
    assert_int_equal(m.capacity, 1000);
    assert_int_equal(m.reserved, 0);
    assert_int_equal(cm_pushmap_reserve(&m, 0, err, sizeof(err)), CM_PUSHMAP_OK);
    assert_int_equal(m.reserved, CM_PUSHMAP_RESERVE_CHUNK);
    assert_int_equal(cm_pushmap_reserve(&m, 999, err, sizeof(err)), CM_PUSHMAP_OK);
    assert_int_equal(m.reserved, 1000);  /* a chunk never runs past the capacity */
    cm_pushmap_unmap(&m);
    assert_int_equal(m.fd, -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_filesystem_is_an_error_not_a_signal, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_last_blocks_are_used_one_record_at_a_time, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_no_space_to_create_the_store, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_compaction_without_space_keeps_the_old_file,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_planted_links_are_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_compaction_never_follows_a_link, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_reserve_marks_what_it_reserved, setup_dir,
                                        teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
