/* fieldSelector on a named request: only metadata.name pinned to the path's name passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fieldsel.h"

static struct cm_arena arena;

/* NULL when the selector s is accepted for name, else the 400 message. */
static const char *
check(const char *s, const char *name)
{
    const char *err = NULL;

    if (cm_fieldsel_check(s, strlen(s), name, &arena, &err) == 0)
        return NULL;
    assert_non_null(err);
    return err;
}

static void
test_accepted(void **state)
{
    (void)state;
    assert_null(check("", "web-1"));
    assert_null(check("metadata.name=web-1", "web-1"));
    assert_null(check("metadata.name==web-1", "web-1"));
    assert_null(check("metadata.name=*", "*"));
    assert_null(check("metadata.namespace=default,metadata.name=web-1", "web-1"));
}

static void
test_refused(void **state)
{
    static const char *const mismatch = "fieldSelector metadata.name doesn't match requested name";

    (void)state;
    assert_string_equal(check("metadata.name=other", "web-1"), mismatch);
    assert_string_equal(check("metadata.name!=web-1", "web-1"), mismatch);
    assert_string_equal(check("metadata.namespace=default", "web-1"), mismatch);
    assert_string_equal(check("status.phase=Running", "web-1"),
                        "field label not supported: status.phase");
    assert_string_equal(check("nonsense", "web-1"),
                        "invalid selector: 'nonsense'; can't understand 'nonsense'");
}

static void
test_escapes(void **state)
{
    (void)state;
    /* fields.EscapeValue: \, \= and \, stand for themselves in a value */
    assert_null(check("metadata.name=a\\,b", "a,b"));
    assert_null(check("metadata.name=a\\=b", "a=b"));
}

static int
setup(void **state)
{
    (void)state;
    cm_arena_init(&arena, 4096);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cm_arena_free(&arena);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_escapes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
