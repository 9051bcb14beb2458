/* Field selectors on a named request: NUL bytes are bytes, as in Go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fieldsel.h"

static struct cm_arena arena;

/* The message for the n bytes at s against name, or "ok". */
static const char *
check_n(const char *s, size_t n, const char *name)
{
    const char *err;

    if (cm_fieldsel_check(s, n, name, &arena, &err) == 0)
        return "ok";
    assert_non_null(err);
    return err;
}

#define CHECK(lit, name) check_n(lit, sizeof(lit) - 1, name)

static void
test_name_rule(void **state)
{
    (void)state;
    assert_string_equal(CHECK("", "web"), "ok");
    assert_string_equal(CHECK("metadata.name=web", "web"), "ok");
    assert_string_equal(CHECK("metadata.name==web,metadata.namespace=default", "web"), "ok");
    assert_string_equal(CHECK("metadata.name=db", "web"),
                        "fieldSelector metadata.name doesn't match requested name");
    assert_string_equal(CHECK("metadata.name!=web", "web"),
                        "fieldSelector metadata.name doesn't match requested name");
    assert_string_equal(CHECK("spec.nodeName=n1", "web"),
                        "\"spec.nodeName\" is not a known field selector: only \"metadata.name\", "
                        "\"metadata.namespace\"");
    assert_string_equal(CHECK("metadata.name", "web"),
                        "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
}

/* A NUL never ends a field or a value early: it was cut at before. */
static void
test_nul_is_a_byte(void **state)
{
    (void)state;
    assert_string_equal(CHECK("metadata.name=web\0x", "web"),
                        "fieldSelector metadata.name doesn't match requested name");
    assert_string_equal(CHECK("metadata.name=web\0", "web"),
                        "fieldSelector metadata.name doesn't match requested name");
    assert_string_equal(CHECK("metadata.name\0=web", "web"),
                        "\"metadata.name\\x00\" is not a known field selector: only \"metadata.name\", "
                        "\"metadata.namespace\"");
    assert_string_equal(CHECK("metadata.name=web,\0", "web"),
                        "invalid selector: 'metadata.name=web,\\x00'; can't understand '\\x00'");
    assert_string_equal(CHECK("metadata.namespace=a\0b,metadata.name=web", "web"), "ok");
    /* Go sorts the terms: "...=web" comes before "...=web\0", and names. */
    assert_string_equal(CHECK("metadata.name=web\0,metadata.name=web", "web"), "ok");
    assert_string_equal(CHECK("metadata.name=web,metadata.name=web\0", "web"), "ok");
}

/* Go sorts the terms before reading them (fields.parseSelector). */
static void
test_terms_are_read_sorted(void **state)
{
    (void)state;
    assert_string_equal(CHECK("metadata.name=web,metadata.name=db", "db"), "ok");
    assert_string_equal(CHECK("metadata.name=web,metadata.name=db", "web"),
                        "fieldSelector metadata.name doesn't match requested name");
    assert_string_equal(CHECK("z=1,b,a", "web"), "invalid selector: 'z=1,b,a'; can't understand 'a'");
    assert_string_equal(CHECK("spec.x=1,metadata.foo=2", "web"),
                        "\"metadata.foo\" is not a known field selector: only \"metadata.name\", "
                        "\"metadata.namespace\"");
    assert_string_equal(CHECK("z=a=b,a", "web"), "invalid selector: 'z=a=b,a'; can't understand 'a'");
    assert_string_equal(CHECK(",,", "web"), "ok");
}

/* Go's fields.UnescapeValue: \\ \, \= are the escapes, nothing else is. */
static void
test_value_escapes(void **state)
{
    (void)state;
    assert_string_equal(CHECK("metadata.name=we\\=b", "we=b"), "ok");
    assert_string_equal(CHECK("metadata.name=a\\,b", "a,b"), "ok");
    assert_string_equal(CHECK("metadata.name=a\\\\", "a\\"), "ok");
    assert_string_equal(CHECK("metadata.name=a=b", "a=b"),
                        "invalid field selector: unescaped character in value: 61");
    assert_string_equal(CHECK("metadata.name=a\\x", "ax"),
                        "invalid field selector: invalid escape sequence: \\x");
    assert_string_equal(CHECK("metadata.name=a\\", "a"),
                        "invalid field selector: invalid escape sequence: \\");
    /* no escape: the bytes as they are; an escape: read as UTF-8 runes */
    assert_string_equal(CHECK("metadata.name=\xff", "\xff"), "ok");
    assert_string_equal(CHECK("metadata.name=\xff\\=", "\xef\xbf\xbd="), "ok");
    assert_string_equal(CHECK("metadata.name=\xc3\xa9\\=", "\xc3\xa9="), "ok");
}

static int setup(void **s) { (void)s; cm_arena_init(&arena, 0); return 0; }
static int teardown(void **s) { (void)s; cm_arena_free(&arena); return 0; }

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_rule),
        cmocka_unit_test(test_nul_is_a_byte),
        cmocka_unit_test(test_terms_are_read_sorted),
        cmocka_unit_test(test_value_escapes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
