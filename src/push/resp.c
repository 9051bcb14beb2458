#include "resp.h"

#include <string.h>

void
cm_resp_command(struct cm_buf *out, size_t argc, const char *const *argv, const size_t *lens)
{
    size_t i;

    cm_buf_addf(out, "*%zu\r\n", argc);
    for (i = 0; i < argc; i++) {
        cm_buf_addf(out, "$%zu\r\n", lens[i]);
        cm_buf_add(out, argv[i], lens[i]);
        CM_BUF_ADDLIT(out, "\r\n");
    }
}

/* The line at p (up to CRLF): its length, or -1 when no CRLF is in the len bytes. */
static long
line_length(const char *p, size_t len)
{
    const char *cr = len > 0 ? memchr(p, '\r', len) : NULL;

    while (cr != NULL) {
        if ((size_t)(cr - p) + 1 < len && cr[1] == '\n')
            return (long)(cr - p);
        if ((size_t)(cr - p) + 1 >= len)
            return -1;
        cr = memchr(cr + 1, '\r', len - (size_t)(cr + 1 - p));
    }
    return -1;
}

/* A decimal integer filling the n bytes at p, as RESP writes it. */
static int
parse_int(const char *p, size_t n, int64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    int neg = 0;

    if (n > 0 && p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == n || n > 20)
        return -1;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static long
parse_at(const char *p, size_t len, struct cm_arena *a, struct cm_resp *out, int depth,
         const char **err)
{
    long line, used;
    int64_t n;
    size_t i, at;

    memset(out, 0, sizeof(*out));
    if (len == 0)
        return 0;
    if ((line = line_length(p, len)) < 0)
        return len > 64 * 1024 ? (*err = "a RESP line is too long", -1) : 0;
    switch (p[0]) {
    case '+':
    case '-':
        out->type = p[0] == '+' ? CM_RESP_STATUS : CM_RESP_ERROR;
        out->len = (size_t)line - 1;
        out->str = cm_arena_strndup(a, p + 1, out->len);
        return line + 2;
    case ':':
        out->type = CM_RESP_INTEGER;
        if (parse_int(p + 1, (size_t)line - 1, &out->integer) < 0)
            return *err = "a RESP integer is malformed", -1;
        return line + 2;
    case '$':
        if (parse_int(p + 1, (size_t)line - 1, &n) < 0 || n < -1 || n > (int64_t)CM_RESP_MAX_BULK)
            return *err = "a RESP bulk length is malformed", -1;
        if (n == -1) {
            out->type = CM_RESP_NIL;
            return line + 2;
        }
        if ((size_t)line + 2 + (size_t)n + 2 > len)
            return 0;
        if (p[line + 2 + n] != '\r' || p[line + 2 + n + 1] != '\n')
            return *err = "a RESP bulk string does not end in CRLF", -1;
        out->type = CM_RESP_BULK;
        out->len = (size_t)n;
        out->str = cm_arena_strndup(a, p + line + 2, (size_t)n);
        return line + 2 + (long)n + 2;
    case '*':
        if (parse_int(p + 1, (size_t)line - 1, &n) < 0 || n < -1 || n > (int64_t)CM_RESP_MAX_ITEMS)
            return *err = "a RESP array length is malformed", -1;
        if (n == -1) {
            out->type = CM_RESP_NIL;
            return line + 2;
        }
        if (depth >= CM_RESP_MAX_DEPTH)
            return *err = "RESP arrays are nested too deep", -1;
        at = (size_t)line + 2;
        if ((size_t)n * 3 > len - at)
            return 0;                   /* each element takes 3 bytes or more ("+\r\n") */
        out->type = CM_RESP_ARRAY;
        out->n = (size_t)n;
        out->v = n > 0 ? cm_arena_alloc(a, (size_t)n * sizeof(*out->v)) : NULL;
        for (i = 0; i < (size_t)n; i++) {
            used = parse_at(p + at, len - at, a, &out->v[i], depth + 1, err);
            if (used <= 0)
                return used;
            at += (size_t)used;
        }
        return (long)at;
    }
    *err = "not a RESP reply";
    return -1;
}

long
cm_resp_parse(const char *p, size_t len, struct cm_arena *a, struct cm_resp *out,
              const char **err)
{
    return parse_at(p, len, a, out, 0, err);
}

void
cm_resp_reader_init(struct cm_resp_reader *rd, size_t max)
{
    memset(rd, 0, sizeof(*rd));
    cm_buf_init(&rd->in, max);
}

void
cm_resp_reader_free(struct cm_resp_reader *rd)
{
    cm_buf_free(&rd->in);
    memset(rd, 0, sizeof(*rd));
}

int
cm_resp_reader_feed(struct cm_resp_reader *rd, const void *p, size_t n)
{
    if (rd->off > 0) {                 /* the parsed replies go; the tail moves to the front */
        rd->in.len -= rd->off;
        memmove(rd->in.data, rd->in.data + rd->off, rd->in.len);
        if (rd->in.cap > 0)
            rd->in.data[rd->in.len] = '\0';
        rd->off = 0;
    }
    cm_buf_add(&rd->in, p, n);
    return cm_buf_failed(&rd->in) ? -1 : 0;
}

/*
 * Whether the reply at p[0..len) is whole, scanning from rd->scanned with
 * the arrays rd->depth/left left open by the last scan (element boundaries
 * only, so nothing is scanned twice but an element's first line).  Returns
 * the reply's length, 0 when it is not whole yet (the state saved), or -1
 * with *err where cm_resp_parse() would refuse it.
 */
static long
frame(struct cm_resp_reader *rd, const char *p, size_t len, const char **err)
{
    size_t at = rd->scanned, elem;
    long line;
    int64_t n;

    for (;;) {
        if (at >= len)
            break;
        if ((line = line_length(p + at, len - at)) < 0) {
            if (len - at > 64 * 1024)
                return *err = "a RESP line is too long", -1;
            break;
        }
        switch (p[at]) {
        case '+':
        case '-':
            elem = (size_t)line + 2;
            break;
        case ':':
            if (parse_int(p + at + 1, (size_t)line - 1, &n) < 0)
                return *err = "a RESP integer is malformed", -1;
            elem = (size_t)line + 2;
            break;
        case '$':
            if (parse_int(p + at + 1, (size_t)line - 1, &n) < 0 || n < -1 ||
                n > (int64_t)CM_RESP_MAX_BULK)
                return *err = "a RESP bulk length is malformed", -1;
            elem = (size_t)line + 2 + (n < 0 ? 0 : (size_t)n + 2);
            if (elem > len - at)
                goto more;
            if (n >= 0 && (p[at + line + 2 + n] != '\r' || p[at + line + 2 + n + 1] != '\n'))
                return *err = "a RESP bulk string does not end in CRLF", -1;
            break;
        case '*':
            if (parse_int(p + at + 1, (size_t)line - 1, &n) < 0 || n < -1 ||
                n > (int64_t)CM_RESP_MAX_ITEMS)
                return *err = "a RESP array length is malformed", -1;
            elem = (size_t)line + 2;
            if (n == -1)
                break;
            if (rd->depth >= CM_RESP_MAX_DEPTH)
                return *err = "RESP arrays are nested too deep", -1;
            if (n == 0)
                break;
            rd->left[rd->depth++] = n;  /* its elements follow */
            at += elem;
            continue;
        default:
            return *err = "not a RESP reply", -1;
        }
        at += elem;
        /* an element is whole: so is every array it completes */
        while (rd->depth > 0 && --rd->left[rd->depth - 1] == 0)
            rd->depth--;
        if (rd->depth == 0) {
            rd->scanned = 0;
            return (long)at;
        }
    }
more:
    rd->scanned = at;
    return 0;
}

int
cm_resp_reader_next(struct cm_resp_reader *rd, struct cm_arena *a, struct cm_resp *out,
                    const char **err)
{
    const char *p = rd->in.data + rd->off;
    size_t len = rd->in.len - rd->off;
    long whole;

    if (len == 0)
        return 0;
    whole = frame(rd, p, len, err);
    if (whole <= 0)
        return (int)whole;
    if (cm_resp_parse(p, (size_t)whole, a, out, err) != whole) {
        *err = "a RESP reply is malformed";   /* the scan and the parse disagree: never */
        return -1;
    }
    rd->off += (size_t)whole;
    if (rd->off == rd->in.len)
        rd->off = rd->in.len = 0;
    return 1;
}

size_t
cm_resp_reader_pending(const struct cm_resp_reader *rd)
{
    return rd->in.len - rd->off;
}
