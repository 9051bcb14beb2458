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
    assert_null(get("a=1;b", "a"));                                /* ';' in a value */
    assert_string_equal(get("x=1&&y=2", "y"), "2");
    assert_string_equal(get("=v&k=w", "k"), "w");                  /* empty name skipped */
    assert_string_equal(get("sp%20ace=1", "sp ace"), "1");
    assert_null(get("", "a"));
}

/* Go's url.ParseQuery drops a pair with a ';' anywhere in it, raw (an
 * escaped %3B is a character like another); the apiserver ignores the error
 * and keeps every other pair. */
static void
test_semicolon_drops_its_pair_only(void **state)
{
    struct cm_query q;
    static const char *const raw = "a=1;b=2&c=3&d=x;y&e;=4&f=%3B&;&g=5";
    (void)state;
    assert_null(get(raw, "a"));
    assert_null(get(raw, "b"));
    assert_null(get(raw, "a=1;b"));
    assert_null(get(raw, "d"));                                    /* ';' in the value */
    assert_null(get(raw, "e"));
    assert_null(get(raw, "e;"));
    assert_string_equal(get(raw, "c"), "3");
    assert_string_equal(get(raw, "f"), ";");                       /* escaped: kept */
    assert_string_equal(get(raw, "g"), "5");
    assert_string_equal(get("labelSelector=app%3Dweb;x&labelSelector=tier%3Dfe", "labelSelector"),
                        "tier=fe");                                /* the next one is first now */
    cm_query_parse(&q, raw, strlen(raw), &arena);
    assert_int_equal(q.npairs, 3);
    assert_int_equal(q.skipped, 4);
}

static void
test_nul_values_keep_their_length(void **state)
{
    struct cm_query q;
    const struct cm_query_pair *p;
    static const char raw[] = "a=x%00y&pretty=1%00&b=%00&c=1&n%00=1";
    (void)state;
    cm_query_parse(&q, "a=x%00y", 7, &arena);
    assert_int_equal(q.npairs, 1);
    assert_int_equal(q.pair[0].value_len, 3);
    assert_memory_equal(q.pair[0].value, "x\0y", 3);

    cm_query_parse(&q, raw, sizeof(raw) - 1, &arena);
    assert_int_equal(q.npairs, 4);                                 /* "n\0" is no name */
    assert_false(cm_query_value_is(cm_query_get(&q, "a"), "x"));
    assert_false(cm_query_value_is(cm_query_get(&q, "pretty"), "1"));
    assert_non_null(p = cm_query_get(&q, "b"));
    assert_int_equal(p->value_len, 1);
    assert_false(cm_query_value_is(p, ""));
    assert_true(cm_query_value_is(cm_query_get(&q, "c"), "1"));
    assert_false(cm_query_value_is(cm_query_get(&q, "c"), "10"));
    assert_false(cm_query_value_is(cm_query_get(&q, "c"), ""));
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
        cmocka_unit_test(test_semicolon_drops_its_pair_only),
        cmocka_unit_test(test_nul_values_keep_their_length),
        cmocka_unit_test(test_too_many_pairs_overflow),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
