/* Quantities print as resource.Quantity.String() does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "quantity.h"

static void
test_canonical_strings(void **state)
{
    static const char *const cases[][2] = {
        { "10", "10" }, { "0", "0" }, { "-0", "0" }, { "00", "0" },
        { "250m", "250m" }, { "1000m", "1" }, { "1500m", "1500m" },
        { "1.5", "1500m" }, { "0.5", "500m" }, { ".5", "500m" },
        { "12000", "12k" }, { "1500", "1500" }, { "100M", "100M" },
        { "1e3", "1e3" }, { "1E3", "1E3" }, { "1.5e3", "1500" }, { "10e3", "10e3" },
        { "1Ki", "1Ki" }, { "1024Ki", "1Mi" }, { "1.5Gi", "1536Mi" }, { "0.5Ki", "512" },
        { "1n", "1n" }, { "0.1n", "1n" }, { "1.0000000001", "1000000001n" },
        { "-1.5", "-1500m" }, { "+1", "+1" },
        { "99999999999999999999", "9223372036854775807" },
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cm_quantity q;
        const char *err;
        assert_int_equal(cm_quantity_parse(cases[i][0], strlen(cases[i][0]), &q, &err), 0);
        assert_string_equal(q.text, cases[i][1]);
    }
}

static void
test_rejects_bad_quantities(void **state)
{
    static const char *const bad[] = { "", "abc", "1x", "1Kb", "1e", "1 ", " 1", "1.2.3", "--1", "1ee3" };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cm_quantity q;
        const char *err = NULL;
        assert_int_equal(cm_quantity_parse(bad[i], strlen(bad[i]), &q, &err), -1);
        assert_non_null(err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_strings),
        cmocka_unit_test(test_rejects_bad_quantities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
