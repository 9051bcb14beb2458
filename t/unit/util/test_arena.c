/* The per-request arena and the bounded output buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "buf.h"

static void
test_arena_alignment_and_growth(void **state)
{
    struct cm_arena a;
    size_t i;

    (void)state;
    cm_arena_init(&a, 256);
    for (i = 1; i < 200; i++) {
        char *p = cm_arena_alloc(&a, i);

        assert_non_null(p);
        assert_int_equal((uintptr_t)p % sizeof(void *), 0);
        memset(p, 0xab, i);                  /* ASan: the whole size is usable */
    }
    /* larger than a chunk: still served, whole */
    {
        char *big = cm_arena_alloc(&a, 100000);
        assert_non_null(big);
        memset(big, 1, 100000);
    }
    cm_arena_free(&a);
}

static void
test_arena_zalloc_and_strings(void **state)
{
    struct cm_arena a;
    unsigned char *z;
    char *s;
    size_t i;

    (void)state;
    cm_arena_init(&a, 64);
    z = cm_arena_zalloc(&a, 300);
    for (i = 0; i < 300; i++)
        assert_int_equal(z[i], 0);
    s = cm_arena_strndup(&a, "abcdef", 3);
    assert_string_equal(s, "abc");
    s = cm_arena_strndup(&a, "a\0b", 3);        /* n bytes are copied, NUL included */
    assert_memory_equal(s, "a\0b", 4);
    assert_string_equal(cm_arena_strdup(&a, "pods"), "pods");
    cm_arena_free(&a);
}

static void
test_arena_reset_reuses_memory(void **state)
{
    struct cm_arena a;
    void *first, *again;

    (void)state;
    cm_arena_init(&a, 4096);
    first = cm_arena_alloc(&a, 100);
    cm_arena_alloc(&a, 100);
    cm_arena_reset(&a);
    again = cm_arena_alloc(&a, 100);
    assert_ptr_equal(first, again);             /* a request after reset reuses the chunk */
    cm_arena_free(&a);
}

static void
test_buf_bounded(void **state)
{
    struct cm_buf b;
    size_t i;

    (void)state;
    cm_buf_init(&b, 64);
    cm_buf_adds(&b, "kind");
    cm_buf_addc(&b, ':');
    cm_buf_addf(&b, "%d-%s", 42, "x");
    assert_int_equal(b.len, 9);
    assert_string_equal(b.data, "kind:42-x");
    assert_false(cm_buf_failed(&b));
    for (i = 0; i < 100; i++)
        cm_buf_addc(&b, 'y');                   /* past the limit: refused, marked */
    assert_true(cm_buf_failed(&b));
    assert_true(b.len <= 64);
    cm_buf_reset(&b);
    assert_false(cm_buf_failed(&b));
    assert_int_equal(b.len, 0);
    cm_buf_add(&b, "a\0b", 3);                  /* bytes, not C strings */
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 3);
    cm_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment_and_growth),
        cmocka_unit_test(test_arena_zalloc_and_strings),
        cmocka_unit_test(test_arena_reset_reuses_memory),
        cmocka_unit_test(test_buf_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
