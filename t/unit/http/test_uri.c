/* Raw REQUEST_URI splitting and per-segment percent-decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "uri.h"

static struct cm_arena arena;

static void
ok(const char *raw, size_t nseg, const char *const *segs, int trailing, const char *query)
{
    struct cm_uri u;
    size_t i;

    assert_int_equal(cm_uri_parse(&u, raw, &arena), CM_URI_OK);
    assert_int_equal(u.nseg, nseg);
    for (i = 0; i < nseg; i++)
        assert_string_equal(u.seg[i], segs[i]);
    assert_int_equal(u.trailing_slash, trailing);
    assert_int_equal(u.query_len, strlen(query));
    assert_memory_equal(u.query, query, u.query_len);
}

static void
test_decodes_each_segment(void **state)
{
    const char *const a[] = { "apis", "g", "v1beta1", "namespaces", "ns", "pods", "*", "m" };
    const char *const b[] = { "a/b", "c" };
    const char *const c[] = { "caf\xc3\xa9+x y" };
    const char *const d[] = { "apis" };
    (void)state;
    ok("/apis/g/v1beta1/namespaces/ns/pods/%2A/m?labelSelector=app%3Dweb", 8, a, 0,
       "labelSelector=app%3Dweb");
    ok("/a%2Fb/c", 2, b, 0, "");                 /* %2F stays inside its segment */
    ok("/caf%C3%A9+x%20y", 1, c, 0, "");         /* '+' is literal in a path */
    ok("/apis/", 1, d, 1, "");
    ok("/apis#frag", 1, d, 0, "");
    ok("/apis?x=1#frag", 1, d, 0, "x=1");
    ok("/", 0, NULL, 0, "");
}

static void
test_rejects_malformed(void **state)
{
    struct cm_uri u;
    char longuri[CM_URI_MAX_LEN + 10];
    (void)state;
    assert_int_equal(cm_uri_parse(&u, "/a/%zz", &arena), CM_URI_EBADESCAPE);
    assert_int_equal(cm_uri_parse(&u, "/a/%2", &arena), CM_URI_EBADESCAPE);
    assert_int_equal(cm_uri_parse(&u, "/a/%", &arena), CM_URI_EBADESCAPE);
    assert_int_equal(cm_uri_parse(&u, "/a/b%00c", &arena), CM_URI_ENUL);
    assert_int_equal(cm_uri_parse(&u, "/a/../b", &arena), CM_URI_EDOTSEG);
    assert_int_equal(cm_uri_parse(&u, "/a/%2E%2E/b", &arena), CM_URI_EDOTSEG);
    assert_int_equal(cm_uri_parse(&u, "/a/./b", &arena), CM_URI_EDOTSEG);
    assert_int_equal(cm_uri_parse(&u, "/a//b", &arena), CM_URI_EEMPTYSEG);
    assert_int_equal(cm_uri_parse(&u, "//", &arena), CM_URI_EEMPTYSEG);
    assert_int_equal(cm_uri_parse(&u, "a/b", &arena), CM_URI_ENOTPATH);
    assert_int_equal(cm_uri_parse(&u, "", &arena), CM_URI_ENOTPATH);
    assert_int_equal(cm_uri_parse(&u, "/1/2/3/4/5/6/7/8/9/10/11/12/13", &arena), CM_URI_ETOOMANY);
    memset(longuri, 'a', sizeof(longuri));
    longuri[0] = '/';
    longuri[sizeof(longuri) - 1] = '\0';
    assert_int_equal(cm_uri_parse(&u, longuri, &arena), CM_URI_ETOOLONG);
}

static int setup(void **s) { (void)s; cm_arena_init(&arena, 0); return 0; }
static int teardown(void **s) { (void)s; cm_arena_free(&arena); return 0; }

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decodes_each_segment),
        cmocka_unit_test(test_rejects_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
