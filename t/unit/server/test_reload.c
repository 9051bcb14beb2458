/*
 * What the reload watch (inotify on the configuration's directory) reports:
 * the ways a file is replaced (write, rename, a ConfigMap's ..data swap),
 * the parts of a configuration directory, and nothing for other files; each
 * event raises SIGIO, which the watch blocks for the caller to wait on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reload.h"
#include "fixture_tmpdir.h"

static char dir[64], file[128];

static int
setup(void **state)
{
    (void)state;
    if (fixture_tmpdir_make(dir, sizeof(dir), "cm-test-reload") < 0)
        return -1;
    snprintf(file, sizeof(file), "%s/metrics.yaml", dir);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    return fixture_tmpdir_remove(dir);
}

static void
put(const char *name, const char *text)
{
    assert_int_equal(fixture_tmpdir_write(dir, name, text), 0);
}

static void
rename_in(const char *from, const char *to)
{
    char a[256], b[256];

    snprintf(a, sizeof(a), "%s/%s", dir, from);
    snprintf(b, sizeof(b), "%s/%s", dir, to);
    assert_int_equal(rename(a, b), 0);
}

/* Waits (at most 30 s, a deadline against a hang) for the SIGIO an event raises. */
static int
got_sigio(void)
{
    struct timespec ts = { 30, 0 };
    sigset_t io;

    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    return sigtimedwait(&io, NULL, &ts) == SIGIO;
}

static void
test_a_file_replaced_every_way(void **state)
{
    struct cm_reload_watch *w;
    char err[256], p[256];

    (void)state;
    put("metrics.yaml", "a");
    assert_int_equal(cm_reload_watch_open(&w, file, err, sizeof(err)), 0);
    assert_int_equal(cm_reload_watch_drain(w), 0);      /* nothing yet */

    put("metrics.yaml", "b");                            /* written in place */
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 1);
    assert_int_equal(cm_reload_watch_drain(w), 0);      /* drained */

    put(".metrics.yaml.swp", "c");                       /* an editor's new copy... */
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 0);      /* ...is not the file */
    rename_in(".metrics.yaml.swp", "metrics.yaml");      /* until renamed over it */
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 1);

    put("other.yaml", "d");                              /* another file of the directory */
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 0);

    /* a ConfigMap volume: ..data swapped to a new directory */
    snprintf(p, sizeof(p), "%s/..2026_1", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 0);
    snprintf(p, sizeof(p), "%s/..data_tmp", dir);
    assert_int_equal(symlink("..2026_1", p), 0);
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 0);
    rename_in("..data_tmp", "..data");
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 1);

    unlink(file);                                        /* gone: a reload says so */
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 1);
    cm_reload_watch_free(w);
}

static void
test_a_directory_of_parts(void **state)
{
    struct cm_reload_watch *w;
    char err[256];

    (void)state;
    put("a.yaml", "a");
    assert_int_equal(cm_reload_watch_open(&w, dir, err, sizeof(err)), 0);
    put("b.yaml", "b");                                  /* a part added */
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 1);
    put("notes.txt", "n");                               /* not a part */
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 0);
    put(".a.yaml.tmp", "x");                             /* hidden: not a part */
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 0);
    rename_in(".a.yaml.tmp", "a.yaml");
    assert_true(got_sigio());
    assert_int_equal(cm_reload_watch_drain(w), 1);
    cm_reload_watch_free(w);
}

static void
test_a_missing_directory(void **state)
{
    struct cm_reload_watch *w;
    char err[256];

    (void)state;
    assert_int_equal(cm_reload_watch_open(&w, "/nonexistent-cm-dir/metrics.yaml", err,
                                          sizeof(err)), -1);
    assert_null(w);
    assert_non_null(strstr(err, "cannot watch /nonexistent-cm-dir: "));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_file_replaced_every_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_directory_of_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_missing_directory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
