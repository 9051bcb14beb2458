/*
 * Request ids, URLs without userinfo and bounded excerpts (log.h), and token
 * files read whole or refused (tokenfile.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tokenfile.h"
#include "fixture_tmpdir.h"

static void
test_request_ids(void **state)
{
    char want[64], first[64];
    (void)state;

    cm_log_request_begin();
    snprintf(first, sizeof(first), "%s", cm_log_request_id());
    cm_log_request_begin();
    assert_string_not_equal(cm_log_request_id(), first);
    snprintf(want, sizeof(want), "%ld-", (long)getpid());
    assert_memory_equal(cm_log_request_id(), want, strlen(want));
    /* the same id until the next request */
    snprintf(first, sizeof(first), "%s", cm_log_request_id());
    assert_string_equal(cm_log_request_id(), first);
}

static void
test_url_without_userinfo(void **state)
{
    static const struct { const char *in, *want; } cases[] = {
        { "http://admin:S3cretPw@prom:9090/", "http://prom:9090/" },
        { "https://tok@prom.example/sub/path?x=1", "https://prom.example/sub/path?x=1" },
        { "http://a:b@c@host", "http://host" },              /* the last @ ends userinfo */
        { "http://host/p@th", "http://host/p@th" },          /* an @ in the path stays */
        { "http://host:9090", "http://host:9090" },
        { "user:pw@host/x", "host/x" },
    };
    char out[128];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cm_log_url(cases[i].in, out, sizeof(out));
        assert_string_equal(out, cases[i].want);
    }
    cm_log_url("http://admin:pw@averyveryverylonghostname/", out, 12);
    assert_null(strstr(out, "pw"));
}

static void
test_excerpt(void **state)
{
    char out[64];
    (void)state;

    cm_log_excerpt("plain text", 10, 100, out, sizeof(out));
    assert_string_equal(out, "plain text");
    cm_log_excerpt("a\"b\\c\nd\x7f", 8, 100, out, sizeof(out));
    assert_string_equal(out, "a\\x22b\\x5cc\\x0ad\\x7f");
    cm_log_excerpt("0123456789", 10, 4, out, sizeof(out));
    assert_string_equal(out, "0123...");
    cm_log_excerpt("0123456789", 10, 100, out, 6);     /* the buffer bounds it too */
    assert_true(strlen(out) < 6);
}

static char dir[64];

static const char *
token_file(const char *name, size_t n, char fill)
{
    static char path[128];
    FILE *f;
    size_t i;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("  \n", f);
    for (i = 0; i < n; i++)
        fputc(fill, f);
    fputs("\n", f);
    fclose(f);
    return path;
}

static void
test_token_files(void **state)
{
    char buf[CM_TOKEN_MAX + 1];
    const char *p;
    (void)state;

    p = token_file("t5000", 5000, 'a');
    assert_int_equal(cm_token_read(p, buf, sizeof(buf)), 5000);
    assert_int_equal(strspn(buf, "a"), 5000);
    p = token_file("tmax", CM_TOKEN_MAX - 4, 'b');   /* 4 bytes of white space around it */
    assert_int_equal(cm_token_read(p, buf, sizeof(buf)), CM_TOKEN_MAX - 4);
    p = token_file("tbig", CM_TOKEN_MAX - 3, 'c');   /* one byte too many: refused, not cut */
    errno = 0;
    assert_int_equal(cm_token_read(p, buf, sizeof(buf)), -1);
    assert_int_equal(errno, EFBIG);
    assert_string_equal(buf, "");
    assert_non_null(strstr(cm_token_strerror(EFBIG), "more than 8192 bytes"));
    p = token_file("empty", 0, 'x');
    assert_int_equal(cm_token_read(p, buf, sizeof(buf)), 0);
    errno = 0;
    assert_int_equal(cm_token_read("/nonexistent/token", buf, sizeof(buf)), -1);
    assert_int_equal(errno, ENOENT);
}

static int
setup(void **state)
{
    (void)state;
    return fixture_tmpdir_make(dir, sizeof(dir), "cm-test-log");
}

static int
teardown(void **state)
{
    (void)state;
    return fixture_tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_ids),
        cmocka_unit_test(test_url_without_userinfo),
        cmocka_unit_test(test_excerpt),
        cmocka_unit_test(test_token_files),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
