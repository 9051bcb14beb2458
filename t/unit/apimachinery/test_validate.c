/* Kubernetes name rules with k8s.io/apimachinery/pkg/util/validation's texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "validate.h"

typedef int (*rule)(const char *, size_t, struct cm_buf *);

/* The findings of a rule on the n bytes at s ("" when valid); *count gets their number. */
static const char *
why(rule r, const char *s, size_t n, int *count)
{
    static char text[4096];
    struct cm_buf b;

    cm_buf_init(&b, sizeof(text));
    *count = r(s, n, &b);
    memcpy(text, b.len ? b.data : "", b.len);
    text[b.len] = '\0';
    cm_buf_free(&b);
    return text;
}

static void
test_qualified_name(void **state)
{
    char long_name[80];
    int n;

    (void)state;
    assert_string_equal(why(cm_validate_qualified_name, "app", 3, &n), "");
    assert_int_equal(n, 0);
    assert_string_equal(why(cm_validate_qualified_name, "example.com/My_name-1", 21, &n), "");
    assert_int_equal(n, 0);
    assert_string_equal(why(cm_validate_qualified_name, "-app", 4, &n),
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
        "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    assert_int_equal(n, 1);
    /* Go reports both: empty, and not matching the regex */
    assert_string_equal(why(cm_validate_qualified_name, "", 0, &n),
        "name part must be non-empty; name part must consist of alphanumeric characters, '-', "
        "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
        "or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    assert_int_equal(n, 2);
    assert_string_equal(why(cm_validate_qualified_name, "/app", 4, &n), "prefix part must be non-empty");
    memset(long_name, 'a', 64);
    assert_string_equal(why(cm_validate_qualified_name, long_name, 64, &n),
                        "name part must be no more than 63 bytes");
    assert_int_equal(n, 1);
    assert_string_equal(why(cm_validate_qualified_name, long_name, 63, &n), "");
    /* a bad prefix: the DNS-1123 subdomain rule, prefixed */
    assert_non_null(strstr(why(cm_validate_qualified_name, "Ex.com/app", 10, &n),
                           "prefix part a lowercase RFC 1123 subdomain must consist of"));
    /* a NUL byte is a character like any other, and not a valid one */
    assert_true(why(cm_validate_qualified_name, "a\0b", 3, &n)[0] != '\0');
    assert_int_equal(n, 1);
}

static void
test_label_value(void **state)
{
    char v[80];
    int n;

    (void)state;
    assert_string_equal(why(cm_validate_label_value, "", 0, &n), "");
    assert_int_equal(n, 0);
    assert_string_equal(why(cm_validate_label_value, "web-1.a_b", 9, &n), "");
    assert_string_equal(why(cm_validate_label_value, "web ", 4, &n),
        "a valid label must be an empty string or consist of alphanumeric characters, '-', "
        "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', "
        " or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    memset(v, 'x', 64);
    assert_string_equal(why(cm_validate_label_value, v, 64, &n), "must be no more than 63 bytes");
    assert_int_equal(n, 1);
    assert_true(why(cm_validate_label_value, "b\0c", 3, &n)[0] != '\0');
}

static void
test_dns1123_subdomain(void **state)
{
    char v[260];
    int n;

    (void)state;
    assert_string_equal(why(cm_validate_dns1123_subdomain, "kube-system", 11, &n), "");
    assert_string_equal(why(cm_validate_dns1123_subdomain, "a.b-c.d", 7, &n), "");
    assert_non_null(strstr(why(cm_validate_dns1123_subdomain, "A", 1, &n),
                           "a lowercase RFC 1123 subdomain must consist of lower case"));
    assert_int_equal(n, 1);
    assert_non_null(strstr(why(cm_validate_dns1123_subdomain, "a..b", 4, &n), "RFC 1123"));
    memset(v, 'a', 254);
    assert_non_null(strstr(why(cm_validate_dns1123_subdomain, v, 254, &n),
                           "must be no more than 253 bytes"));
    assert_string_equal(why(cm_validate_dns1123_subdomain, v, 253, &n), "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qualified_name),
        cmocka_unit_test(test_label_value),
        cmocka_unit_test(test_dns1123_subdomain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
