/* Label sets: sorted by key, duplicates found, lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "labels.h"

static void
test_sort_and_get(void **state)
{
    struct cm_label v[] = { { "tier", "web" }, { "app", "shop" }, { "zone", "a" }, { "b", "" } };
    struct cm_labels l = { 4, v };

    (void)state;
    assert_int_equal(cm_labels_sort(v, 4), -1);
    assert_string_equal(v[0].key, "app");
    assert_string_equal(v[1].key, "b");
    assert_string_equal(v[2].key, "tier");
    assert_string_equal(v[3].key, "zone");
    assert_string_equal(cm_labels_get(&l, "tier"), "web");
    assert_string_equal(cm_labels_get(&l, "b"), "");       /* empty value, present */
    assert_null(cm_labels_get(&l, "ti"));
    assert_null(cm_labels_get(&l, "zzz"));
}

static void
test_duplicate_key(void **state)
{
    struct cm_label v[] = { { "b", "1" }, { "a", "2" }, { "b", "3" } };
    long dup;

    (void)state;
    dup = cm_labels_sort(v, 3);
    assert_true(dup >= 0);
    assert_string_equal(v[dup].key, "b");
}

static void
test_empty_set(void **state)
{
    struct cm_labels l = { 0, NULL };

    (void)state;
    assert_int_equal(cm_labels_sort(NULL, 0), -1);
    assert_null(cm_labels_get(&l, "app"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_and_get),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_empty_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
