/*
 * One process's index of the push store: lookups by key and by scope, the
 * table growing past its first size, external series in order, malformed
 * records skipped, and decoded values reused until their record is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pushindex.h"
#include "pushstore.h"

#define N 3000

static struct cm_pushrec *
records(void)
{
    struct cm_pushrec *recs = calloc(N, sizeof(*recs));
    char name[32], key[CM_PUSHSTORE_KEY_MAX], err[64];
    struct cm_push_value v = { "1", 5, { 0, NULL } };
    struct cm_pushrec_copy c;
    size_t i, len;

    cm_pushrec_encode_value(&v, &c, err, sizeof(err));
    for (i = 0; i < N; i++) {
        struct cm_push_key k = { "m", i % 3 == 0 ? "" : "pods", i % 3 == 0 ? "" : "ns", name };

        snprintf(name, sizeof(name), "n%zu", i);
        len = cm_pushrec_encode_key(&k, key);
        cm_pushrec_fill(&recs[i], key, len, &c);
    }
    return recs;
}

static void
test_find_by_key_and_scope(void **s)
{
    struct cm_pushrec *recs = records();
    struct cm_pushindex idx;
    struct cm_push_scope sc;
    char key[CM_PUSHSTORE_KEY_MAX];
    size_t i;

    (void)s;
    cm_pushindex_init(&idx);
    for (i = 0; i < N; i++)
        cm_pushindex_add(&idx, &recs[i]);
    assert_int_equal(idx.n, N);
    assert_true(idx.mask + 1 >= 2 * N);
    assert_int_equal(cm_pushstore_scope(&sc, "m", "pods", "ns"), 0);
    for (i = 0; i < N; i++) {
        char name[32];
        struct cm_push_key k = { "m", i % 3 == 0 ? "" : "pods", i % 3 == 0 ? "" : "ns", name };

        snprintf(name, sizeof(name), "n%zu", i);
        assert_int_equal(cm_pushindex_find(&idx, key, cm_pushrec_encode_key(&k, key)), (long)i);
        assert_int_equal(cm_pushindex_find_in(&idx, &sc, name), i % 3 == 0 ? -1 : (long)i);
    }
    assert_int_equal(cm_pushindex_find_in(&idx, &sc, "nope"), -1);
    /* external series, in the order they were added */
    assert_int_equal(idx.next, N / 3);
    for (i = 0; i < idx.next; i++)
        assert_int_equal(idx.ext[i], 3 * i);
    cm_pushindex_reset(&idx);
    assert_int_equal(cm_pushindex_find_in(&idx, &sc, "n1"), -1);
    cm_pushindex_free(&idx);
    free(recs);
}

static void
test_malformed_record_is_skipped(void **s)
{
    struct cm_pushrec *recs = records();
    struct cm_pushindex idx;
    struct cm_push_scope sc;

    (void)s;
    recs[1].key_len = 0;
    cm_pushindex_init(&idx);
    cm_pushindex_add(&idx, &recs[0]);
    cm_pushindex_add(&idx, &recs[1]);
    cm_pushindex_add(&idx, &recs[2]);
    assert_int_equal(idx.n, 3);
    assert_null(idx.known[1].key);
    cm_pushstore_scope(&sc, "m", "pods", "ns");
    assert_int_equal(cm_pushindex_find_in(&idx, &sc, "n1"), -1);
    assert_int_equal(cm_pushindex_find_in(&idx, &sc, "n2"), 2);
    cm_pushindex_free(&idx);
    free(recs);
}

static void
test_values_are_reused_until_written(void **s)
{
    struct cm_pushrec *recs = records();
    struct cm_pushindex idx;
    struct cm_push_value v1, v2, v3, nv = { "7", 9, { 0, NULL } };
    struct cm_pushrec_copy c;
    char err[64];

    (void)s;
    cm_pushindex_init(&idx);
    cm_pushindex_add(&idx, &recs[0]);
    assert_int_equal(cm_pushindex_value(&idx, 0, &recs[0], 1, &v1), 1);
    assert_string_equal(v1.text, "1");
    /* the same epoch, or a new one with the record unwritten: the same decoded value */
    assert_int_equal(cm_pushindex_value(&idx, 0, &recs[0], 1, &v2), 1);
    assert_ptr_equal(v1.text, v2.text);
    assert_int_equal(cm_pushindex_value(&idx, 0, &recs[0], 2, &v2), 1);
    assert_ptr_equal(v1.text, v2.text);
    /* written: decoded again; the old value stays readable until the grave is emptied */
    cm_pushrec_encode_value(&nv, &c, err, sizeof(err));
    cm_pushrec_write(&recs[0], &c);
    assert_int_equal(cm_pushindex_value(&idx, 0, &recs[0], 3, &v3), 1);
    assert_string_equal(v3.text, "7");
    assert_int_equal(v3.timestamp, 9);
    assert_string_equal(v1.text, "1");
    assert_int_equal(idx.ngrave, 1);
    cm_pushindex_empty_grave(&idx);
    assert_int_equal(idx.ngrave, 0);
    cm_pushindex_free(&idx);
    free(recs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_by_key_and_scope),
        cmocka_unit_test(test_malformed_record_is_skipped),
        cmocka_unit_test(test_values_are_reused_until_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
