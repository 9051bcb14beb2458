/*
 * RESP2 (src/push/resp.c): commands as Redis reads them, every reply type,
 * replies split at every byte (a partial reply is "not yet", never an error
 * or a wrong value), and malformed input refused without reading past it.
 * The reader (a connection's stream): fed in small reads, it holds no more
 * than the reply being received, and parses each reply once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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

/* A published message as Redis sends it: ["message", channel, payload]. */
static void
message(struct cm_buf *b, const char *channel, const char *payload, size_t n)
{
    const char *argv[3] = { "message", channel, payload };
    size_t lens[3] = { 7, strlen(channel), n };

    cm_resp_command(b, 3, argv, lens);     /* the same bytes: an array of bulk strings */
}

/* The i-th message's payload into buf (10 to 1209 bytes, its number first): its length. */
static size_t
payload(size_t i, char *buf)
{
    size_t n = 10 + (i * 7919) % 1200, k;

    k = (size_t)snprintf(buf, n + 1, "%zu ", i);
    memset(buf + k, 'a' + (int)(i % 26), n - k);
    buf[n] = '\0';
    return n;
}

/*
 * Steady pub/sub traffic, read in small pieces: the reader's buffer stays
 * within the largest message plus one read, whatever the stream's length;
 * a reply that is not whole yet takes nothing from the arena; every
 * message comes out whole and in order.
 */
static void
test_reader_stream_in_small_reads(void **state)
{
    static const size_t reads[] = { 1, 7, 13, 64, 500, 3, 4096, 2 };
    enum { MESSAGES = 6000 };
    struct cm_resp_reader rd;
    struct cm_buf stream;
    struct cm_resp r;
    const char *err = NULL;
    char text[1300];
    size_t off = 0, got = 0, largest = 0, most = 0, chunk_max = 4096, i, k = 0, before;
    int rc;

    (void)state;
    cm_buf_init(&stream, (size_t)64 << 20);
    for (i = 0; i < MESSAGES; i++) {
        size_t was = stream.len, n = payload(i, text);

        message(&stream, "cmf:changes", text, n);
        if (stream.len - was > largest)
            largest = stream.len - was;
    }
    cm_resp_reader_init(&rd, (size_t)64 << 20);
    while (off < stream.len) {
        size_t n = reads[k++ % (sizeof(reads) / sizeof(*reads))];

        if (n > stream.len - off)
            n = stream.len - off;
        assert_int_equal(cm_resp_reader_feed(&rd, stream.data + off, n), 0);
        off += n;
        if (rd.in.len > most)
            most = rd.in.len;
        for (;;) {
            cm_arena_reset(&arena);            /* as the replicator does, per message */
            before = arena.used_total;
            rc = cm_resp_reader_next(&rd, &arena, &r, &err);
            assert_int_not_equal(rc, -1);
            if (rc == 0) {
                assert_int_equal(arena.used_total, before);
                break;
            }
            assert_int_equal(r.type, CM_RESP_ARRAY);
            assert_int_equal(r.n, 3);
            assert_string_equal(r.v[0].str, "message");
            assert_string_equal(r.v[1].str, "cmf:changes");
            assert_int_equal(r.v[2].len, payload(got, text));
            assert_memory_equal(r.v[2].str, text, r.v[2].len);
            got++;
        }
    }
    assert_int_equal(got, MESSAGES);
    assert_int_equal(cm_resp_reader_pending(&rd), 0);
    /* bounded by one message and one read, not by the stream (megabytes) */
    assert_true(stream.len > 100 * (largest + chunk_max));
    assert_true(most <= largest + chunk_max);
    assert_true(rd.in.cap <= 2 * (largest + chunk_max) + 256);
    cm_resp_reader_free(&rd);
    cm_buf_free(&stream);
}

/*
 * One large reply (an MGET of a resync page) arriving in small reads is
 * parsed into the arena once, when it is whole: the arena holds what one
 * parse takes, not one partial parse per read.
 */
static void
test_reader_large_reply_is_parsed_once(void **state)
{
    enum { VALUES = 1000 };
    struct cm_resp_reader rd;
    struct cm_buf reply;
    struct cm_arena once;
    struct cm_resp r;
    const char *err = NULL;
    char value[64];
    size_t off, i, one;
    int rc = 0;

    (void)state;
    cm_buf_init(&reply, (size_t)1 << 20);
    cm_buf_addf(&reply, "*%d\r\n", VALUES);
    for (i = 0; i < VALUES; i++) {
        int n = snprintf(value, sizeof(value), "1796083200 %zu queue=orders", i);

        cm_buf_addf(&reply, "$%d\r\n%s\r\n", n, value);
    }
    cm_arena_init(&once, 0);
    assert_int_equal(cm_resp_parse(reply.data, reply.len, &once, &r, &err), (long)reply.len);
    one = once.used_total;
    cm_arena_free(&once);

    cm_resp_reader_init(&rd, (size_t)64 << 20);
    for (off = 0; off < reply.len; off += 16) {
        size_t n = reply.len - off < 16 ? reply.len - off : 16;

        assert_int_equal(cm_resp_reader_feed(&rd, reply.data + off, n), 0);
        rc = cm_resp_reader_next(&rd, &arena, &r, &err);
        assert_int_not_equal(rc, -1);
        if (off + n < reply.len)
            assert_int_equal(rc, 0);
    }
    assert_int_equal(rc, 1);
    assert_int_equal(r.n, VALUES);
    assert_string_equal(r.v[VALUES - 1].str, "1796083200 999 queue=orders");
    assert_int_equal(arena.used_total, one);
    cm_resp_reader_free(&rd);
    cm_buf_free(&reply);
}

/* Split at every byte, nested replies come out as cm_resp_parse() reads them whole. */
static void
test_reader_every_split(void **state)
{
    static const char two[] = "*4\r\n+OK\r\n:-42\r\n$-1\r\n*2\r\n$5\r\nhe\0lo\r\n*0\r\n"
                              "*2\r\n*1\r\n*-1\r\n$0\r\n\r\n";
    size_t cut, i;

    (void)state;
    for (cut = 0; cut <= sizeof(two) - 1; cut++) {
        struct cm_resp_reader rd;
        struct cm_resp r[2];
        const char *err = NULL;
        size_t n = 0;
        int rc;

        cm_resp_reader_init(&rd, 1024);
        for (i = 0; i < 2; i++) {               /* two reads: [0, cut) and [cut, end) */
            size_t from = i == 0 ? 0 : cut, to = i == 0 ? cut : sizeof(two) - 1;

            assert_int_equal(cm_resp_reader_feed(&rd, two + from, to - from), 0);
            while ((rc = cm_resp_reader_next(&rd, &arena, &r[n], &err)) == 1)
                n++;
            assert_int_equal(rc, 0);
        }
        assert_int_equal(n, 2);
        assert_int_equal(r[0].n, 4);
        assert_int_equal(r[0].v[3].n, 2);
        assert_memory_equal(r[0].v[3].v[0].str, "he\0lo", 5);
        assert_int_equal(r[0].v[3].v[1].type, CM_RESP_ARRAY);
        assert_int_equal(r[0].v[3].v[1].n, 0);
        assert_int_equal(r[1].n, 2);
        assert_int_equal(r[1].v[0].v[0].type, CM_RESP_NIL);
        assert_int_equal(r[1].v[1].len, 0);
        cm_resp_reader_free(&rd);
    }
}

/* Malformed bytes are refused as cm_resp_parse() refuses them; a reply past max too. */
static void
test_reader_malformed_and_too_large(void **state)
{
    static const char *const bad[] = {
        "?x\r\n", ":12a\r\n", "$3\r\nabcd\r\n", "*2\r\n+OK\r\n*1\r\n:x\r\n",
        "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*0\r\n",
    };
    struct cm_resp_reader rd;
    struct cm_resp r;
    const char *err;
    char big[300];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        cm_resp_reader_init(&rd, 1024);
        err = NULL;
        assert_int_equal(cm_resp_reader_feed(&rd, bad[i], strlen(bad[i])), 0);
        assert_int_equal(cm_resp_reader_next(&rd, &arena, &r, &err), -1);
        assert_non_null(err);
        assert_int_equal(cm_resp_parse(bad[i], strlen(bad[i]), &arena, &r, &err), -1);
        cm_resp_reader_free(&rd);
    }
    /* max 256: a 300-byte reply cannot be held; 200-byte ones, one after another, can */
    cm_resp_reader_init(&rd, 256);
    memset(big, 'x', sizeof(big));
    big[0] = '+';
    memcpy(big + 198, "\r\n", 2);
    for (i = 0; i < 20; i++) {
        assert_int_equal(cm_resp_reader_feed(&rd, big, 200), 0);
        assert_int_equal(cm_resp_reader_next(&rd, &arena, &r, &err), 1);
        assert_int_equal(r.len, 197);
    }
    memcpy(big + 198, "xx", 2);
    assert_int_equal(cm_resp_reader_feed(&rd, big, 200), 0);
    assert_int_equal(cm_resp_reader_next(&rd, &arena, &r, &err), 0);
    assert_int_equal(cm_resp_reader_feed(&rd, big, 100), -1);
    cm_resp_reader_free(&rd);
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
        cmocka_unit_test_setup(test_reader_stream_in_small_reads, reset),
        cmocka_unit_test_setup(test_reader_large_reply_is_parsed_once, reset),
        cmocka_unit_test_setup(test_reader_every_split, reset),
        cmocka_unit_test_setup(test_reader_malformed_and_too_large, reset),
    };
    int rc;

    cm_arena_init(&arena, 0);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cm_arena_free(&arena);
    return rc;
}
