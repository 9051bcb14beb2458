/*
 * RESP2 (src/push/resp.c): commands as Redis reads them, every reply type,
 * replies split at every byte (a partial reply is "not yet", never an error
 * or a wrong value), and malformed input refused without reading past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

static struct cm_arena arena;

static long
parse(const char *p, size_t n, struct cm_resp *out, const char **err)
{
    *err = NULL;
    return cm_resp_parse(p, n, &arena, out, err);
}

static void
test_command(void **state)
{
    struct cm_buf b;
    const char *argv[] = { "SET", "k", "a\0b" };
    size_t lens[] = { 3, 1, 3 };

    (void)state;
    cm_buf_init(&b, 1024);
    cm_resp_command(&b, 3, argv, lens);
    assert_int_equal(b.len, sizeof("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n") - 1);
    assert_memory_equal(b.data, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", b.len);
    cm_buf_free(&b);
}

static void
test_types(void **state)
{
    static const char exec[] = "*4\r\n+OK\r\n:-42\r\n$-1\r\n*2\r\n$5\r\nhe\0lo\r\n$0\r\n\r\n";
    struct cm_resp r;
    const char *err;

    (void)state;
    assert_int_equal(parse("+OK\r\n", 5, &r, &err), 5);
    assert_int_equal(r.type, CM_RESP_STATUS);
    assert_string_equal(r.str, "OK");
    assert_int_equal(parse("-WRONGPASS invalid\r\n", 20, &r, &err), 20);
    assert_int_equal(r.type, CM_RESP_ERROR);
    assert_string_equal(r.str, "WRONGPASS invalid");
    assert_int_equal(parse(":9223372036854775807\r\n", 22, &r, &err), 22);
    assert_int_equal(r.integer, INT64_MAX);
    assert_int_equal(parse("*-1\r\n", 5, &r, &err), 5);
    assert_int_equal(r.type, CM_RESP_NIL);
    assert_int_equal(parse(exec, sizeof(exec) - 1, &r, &err), (long)sizeof(exec) - 1);
    assert_int_equal(r.type, CM_RESP_ARRAY);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.v[0].type, CM_RESP_STATUS);
    assert_int_equal(r.v[1].integer, -42);
    assert_int_equal(r.v[2].type, CM_RESP_NIL);
    assert_int_equal(r.v[3].type, CM_RESP_ARRAY);
    assert_int_equal(r.v[3].v[0].len, 5);
    assert_memory_equal(r.v[3].v[0].str, "he\0lo", 5);
    assert_int_equal(r.v[3].v[1].len, 0);
    assert_string_equal(r.v[3].v[1].str, "");
    /* two replies back to back: the first one's length only */
    assert_int_equal(parse("+OK\r\n+QUEUED\r\n", 14, &r, &err), 5);
    /* an array of the shortest elements is complete when its bytes are there */
    assert_int_equal(parse("*2\r\n+\r\n+\r\n", 10, &r, &err), 10);
    assert_int_equal(r.n, 2);
}

/* Every prefix of a reply is "not yet" (0); the whole of it parses. */
static void
test_every_split(void **state)
{
    static const char msg[] = "*3\r\n$7\r\nmessage\r\n$11\r\ncmf:changes\r\n$10\r\nk 1 2 a=b\n\r\n";
    struct cm_resp r;
    const char *err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(msg) - 1; i++) {
        char *copy = malloc(i ? i : 1);   /* exactly i bytes: ASan catches a read past them */

        memcpy(copy, msg, i);
        assert_int_equal(parse(copy, i, &r, &err), 0);
        assert_null(err);
        free(copy);
    }
    assert_int_equal(parse(msg, sizeof(msg) - 1, &r, &err), (long)sizeof(msg) - 1);
    assert_string_equal(r.v[0].str, "message");
    assert_int_equal(r.v[2].len, 10);
}

static void
test_malformed(void **state)
{
    static const char *const bad[] = {
        "?x\r\n", ":12a\r\n", ":\r\n", ":99999999999999999999\r\n", "$-2\r\n", "$abc\r\n",
        "$3\r\nabcd\r\n", "*-5\r\n", "*2x\r\n", "$600000000\r\n", "*2000000\r\n",
        "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
    };
    struct cm_resp r;
    const char *err;
    size_t i;
    char *line;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        assert_int_equal(parse(bad[i], strlen(bad[i]), &r, &err), -1);
        assert_non_null(err);
    }
    /* a line that never ends is refused once it is longer than any reply line */
    line = malloc(70000);
    memset(line, 'x', 70000);
    line[0] = '+';
    assert_int_equal(parse(line, 70000, &r, &err), -1);
    assert_int_equal(parse(line, 1000, &r, &err), 0);
    free(line);
}

static int
reset(void **state)
{
    (void)state;
    cm_arena_reset(&arena);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_command, reset),
        cmocka_unit_test_setup(test_types, reset),
        cmocka_unit_test_setup(test_every_split, reset),
        cmocka_unit_test_setup(test_malformed, reset),
    };
    int rc;

    cm_arena_init(&arena, 0);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cm_arena_free(&arena);
    return rc;
}
