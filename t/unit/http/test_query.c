/* Query strings decoded as Go's url.ParseQuery + Values.Get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "query.h"

static struct cm_arena arena;

static const char *
get(const char *raw, const char *name)
{
    struct cm_query q;
    const struct cm_query_pair *p;

    cm_query_parse(&q, raw, strlen(raw), &arena);
    p = cm_query_get(&q, name);
    return p ? p->value : NULL;
}

static void
test_form_decoding(void **state)
{
    (void)state;
    assert_string_equal(get("labelSelector=app%3Dfoo%2Ctier+in+%28a%2Cb%29", "labelSelector"),
                        "app=foo,tier in (a,b)");
    assert_string_equal(get("a=1&a=2", "a"), "1");                 /* first wins */
    assert_string_equal(get("flag", "flag"), "");                  /* no '=' */
    assert_string_equal(get("a=x=y", "a"), "x=y");                 /* split at first '=' */
    assert_string_equal(get("a=%zz&a=ok", "a"), "ok");             /* bad pair skipped */
    assert_null(get("a;b=1", "a;b"));                              /* ';' in a name */
    assert_string_equal(get("x=1&&y=2", "y"), "2");
    assert_string_equal(get("=v&k=w", "k"), "w");                  /* empty name skipped */
    assert_string_equal(get("sp%20ace=1", "sp ace"), "1");
    assert_null(get("", "a"));
}

static void
test_nul_values_keep_their_length(void **state)
{
    struct cm_query q;
    (void)state;
    cm_query_parse(&q, "a=x%00y", 7, &arena);
    assert_int_equal(q.npairs, 1);
    assert_int_equal(q.pair[0].value_len, 3);
}

static void
test_too_many_pairs_overflow(void **state)
{
    char raw[CM_QUERY_MAX_PAIRS * 8 + 16];
    struct cm_query q;
    size_t i, n = 0;
    (void)state;
    for (i = 0; i <= CM_QUERY_MAX_PAIRS; i++)
        n += (size_t)snprintf(raw + n, sizeof(raw) - n, "k%zu=v&", i);
    cm_query_parse(&q, raw, n, &arena);
    assert_true(q.overflow);
}

static int setup(void **s) { (void)s; cm_arena_init(&arena, 0); return 0; }
static int teardown(void **s) { (void)s; cm_arena_free(&arena); return 0; }

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_decoding),
        cmocka_unit_test(test_nul_values_keep_their_length),
        cmocka_unit_test(test_too_many_pairs_overflow),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
