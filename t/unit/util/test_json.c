/* JSON emitter: compact and pretty bytes, Go's string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

static void
escaped(const char *in, size_t n, const char *want)
{
    struct cm_buf b;

    cm_buf_init(&b, 1024);
    cm_json_escape(&b, in, n);
    assert_string_equal(b.data, want);
    cm_buf_free(&b);
}

static void
test_escape_like_go(void **state)
{
    (void)state;
    escaped("plain", 5, "\"plain\"");
    escaped("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    escaped("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    escaped("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    escaped("<a&b>", 5, "\"\\u003ca\\u0026b\\u003e\"");
    escaped("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");                 /* valid UTF-8 passes */
    escaped("\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\"");
    escaped("a\xffz", 3, "\"a\\ufffdz\"");                        /* invalid byte */
    escaped("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");                 /* overlong */
    escaped("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");      /* surrogate */
    escaped("a\0b", 3, "\"a\\u0000b\"");
}

static void
document(struct cm_json *j)
{
    cm_json_object_begin(j);
    cm_json_key(j, "kind");     cm_json_string(j, "X");
    cm_json_key(j, "metadata"); cm_json_object_begin(j); cm_json_object_end(j);
    cm_json_key(j, "items");    cm_json_array_begin(j); cm_json_array_end(j);
    cm_json_key(j, "list");
    cm_json_array_begin(j);
    cm_json_int(j, -42);
    cm_json_bool(j, 1);
    cm_json_null(j);
    cm_json_array_end(j);
    cm_json_object_end(j);
}

static void
test_compact_and_pretty(void **state)
{
    struct cm_buf b;
    struct cm_json j;

    (void)state;
    cm_buf_init(&b, 4096);
    cm_json_init(&j, &b, 0);
    document(&j);
    assert_string_equal(b.data,
        "{\"kind\":\"X\",\"metadata\":{},\"items\":[],\"list\":[-42,true,null]}");
    cm_buf_reset(&b);
    cm_json_init(&j, &b, 1);
    document(&j);
    assert_string_equal(b.data,
        "{\n  \"kind\": \"X\",\n  \"metadata\": {},\n  \"items\": [],\n"
        "  \"list\": [\n    -42,\n    true,\n    null\n  ]\n}");
    cm_buf_free(&b);
}

static void
test_buffer_cap_is_sticky(void **state)
{
    struct cm_buf b;

    (void)state;
    cm_buf_init(&b, 8);
    cm_buf_adds(&b, "12345");
    assert_false(cm_buf_failed(&b));
    cm_buf_adds(&b, "6789");
    assert_true(cm_buf_failed(&b));
    cm_buf_adds(&b, "x");
    assert_int_equal(b.len, 5);
    cm_buf_reset(&b);
    assert_false(cm_buf_failed(&b));
    cm_buf_free(&b);
}

/*
 * cm_json_plain_span() says which bytes JSON writes as they are: for every
 * byte b, "xby" is all plain exactly when cm_json_escape() writes it
 * between quotes unchanged; the span stops at the first byte that is not
 * (and at the NUL).
 */
static void
test_plain_span_agrees_with_escape(void **state)
{
    struct cm_buf b;
    unsigned c;

    (void)state;
    cm_buf_init(&b, 1024);
    for (c = 1; c < 256; c++) {
        char s[4] = { 'x', (char)c, 'y', '\0' };
        int as_is;

        cm_buf_reset(&b);
        cm_json_escape(&b, s, 3);
        as_is = b.len == 5 && memcmp(b.data + 1, s, 3) == 0;
        if ((cm_json_plain_span(s) == 3) != as_is)
            fail_msg("byte 0x%02x: plain span %zu, escaped as %s", c, cm_json_plain_span(s), b.data);
        if (!as_is)
            assert_int_equal(cm_json_plain_span(s), 1);
    }
    assert_int_equal(cm_json_plain_span(""), 0);
    assert_int_equal(cm_json_plain_span("web-7d4b9c-x2k4p"), 16);
    assert_int_equal(cm_json_plain_span("a<b"), 1);
    cm_buf_free(&b);
}

/* Strings with nothing to escape take a shortcut; its output and its cap are the same. */
static void
test_escape_shortcut_and_cap(void **state)
{
    struct cm_buf b;

    (void)state;
    escaped("", 0, "\"\"");
    escaped("250m", 4, "\"250m\"");
    escaped("web-0001.x_y:z", 14, "\"web-0001.x_y:z\"");
    cm_buf_init(&b, 6);
    cm_json_escape(&b, "1234", 4);          /* "1234" is 6 bytes: fits */
    assert_false(cm_buf_failed(&b));
    assert_string_equal(b.data, "\"1234\"");
    cm_json_escape(&b, "", 0);              /* 2 more: past the cap */
    assert_true(cm_buf_failed(&b));
    assert_int_equal(b.len, 6);
    cm_buf_free(&b);
}

/* cm_buf_room(): room in place, appended by cm_buf_commit(), within the cap. */
static void
test_buffer_room_and_commit(void **state)
{
    struct cm_buf b;
    char *p;

    (void)state;
    cm_buf_init(&b, 10);
    p = cm_buf_room(&b, 6);
    assert_non_null(p);
    memcpy(p, "abcdef", 6);
    assert_int_equal(b.len, 0);             /* nothing appended yet */
    cm_buf_commit(&b, 4);                   /* fewer than reserved */
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "abcd");
    p = cm_buf_room(&b, 6);                 /* exactly up to the cap */
    assert_non_null(p);
    memcpy(p, "012345", 6);
    cm_buf_commit(&b, 6);
    assert_string_equal(b.data, "abcd012345");
    assert_false(cm_buf_failed(&b));
    assert_null(cm_buf_room(&b, 1));        /* past it: refused, and sticky */
    assert_true(cm_buf_failed(&b));
    cm_buf_reset(&b);
    assert_non_null(cm_buf_room(&b, 10));
    cm_buf_free(&b);
}

/* The seed of a random test: $CM_TEST_SEED to replay one, printed either way. */
static unsigned
test_seed(const char *test)
{
    const char *env = getenv("CM_TEST_SEED");
    unsigned long seed;
    char *end;

    if (env != NULL && *env != '\0') {
        seed = strtoul(env, &end, 10);
        if (*end != '\0' || seed > 0xffffffffUL)
            fail_msg("CM_TEST_SEED='%s' is not a number up to 4294967295", env);
    } else {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        seed = ((unsigned long)now.tv_nsec ^ ((unsigned long)getpid() << 16)) & 0xffffffffUL;
    }
    printf("# %s: seed %lu (CM_TEST_SEED=%lu replays it)\n", test, seed, seed);
    fflush(stdout);
    return (unsigned)seed;
}

/* The time text is what gmtime_r() and strftime() print, at the edges and at random. */
static void
test_time_text_is_strftime(void **state)
{
    static const time_t edges[] = {
        0, 1, 59, 60, 86399, 86400, 951782400, 951868799, 951868800, 1795640400,
        4107542399, 4107542400, 4107628800, 253402300799, 253402300800, -1, -86401,
        (time_t)1 << 40,
    };
    unsigned seed = test_seed("test_time_text_is_strftime");
    char got[32], want[64];
    struct tm tm;
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(edges) / sizeof(edges[0]) + 200000; i++) {
        time_t t;

        if (i < sizeof(edges) / sizeof(edges[0])) {
            t = edges[i];
        } else {
            seed = seed * 1103515245u + 12345u;
            t = (time_t)(((uint64_t)seed << 8 ^ (uint64_t)(seed >> 7)) % 253402300800ull);
        }
        assert_non_null(gmtime_r(&t, &tm));
        strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
        n = cm_json_time_text(t, got);
        if (n != strlen(want) || strcmp(got, want) != 0)
            fail_msg("t=%lld: '%s', want '%s'", (long long)t, got, want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_like_go),
        cmocka_unit_test(test_compact_and_pretty),
        cmocka_unit_test(test_buffer_cap_is_sticky),
        cmocka_unit_test(test_plain_span_agrees_with_escape),
        cmocka_unit_test(test_escape_shortcut_and_cap),
        cmocka_unit_test(test_buffer_room_and_commit),
        cmocka_unit_test(test_time_text_is_strftime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
