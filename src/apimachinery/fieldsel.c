#include "fieldsel.h"
#include "buf.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TERMS 32

/* Fields and values keep their length: a NUL byte is a byte like another. */
struct term {
    const char *field, *value;
    size_t flen, vlen;
    int neq;
};

/* The next unescaped c at or after s[i] (or n). */
static size_t
find_unescaped(const char *s, size_t n, size_t i, char c)
{
    for (; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            i++;
            continue;
        }
        if (s[i] == c)                  /* not strchr: it finds a NUL too */
            return i;
    }
    return n;
}

static void add_text(struct cm_buf *b, const char *s, size_t n);

/*
 * Go's fields.UnescapeValue on s[0..n): "\\", "\," and "\=" are the escapes,
 * any other escape and an unescaped ',' or '=' are errors.  On success
 * returns the value (allocated from a) with its length in *len_out; on error
 * returns NULL with Go's message appended to msg.  As in Go, a value with
 * something to unescape is read rune by rune, so a byte that is not UTF-8
 * comes out as U+FFFD.
 */
static char *
unescape_value(const char *s, size_t n, struct cm_arena *a, size_t *len_out,
               struct cm_buf *msg)
{
    char *out, *w;
    size_t i = 0, width;
    int in_slash = 0;

    if (memchr(s, '\\', n) == NULL && memchr(s, ',', n) == NULL && memchr(s, '=', n) == NULL) {
        *len_out = n;
        return cm_arena_strndup(a, s, n);
    }
    out = w = cm_arena_alloc(a, 3 * n + 1);
    for (; i < n; i += width) {
        const char *rune = s + i;
        size_t rlen;

        if (cm_validate_utf8_rune(s + i, n - i, &width) < 0) {
            rune = "\xef\xbf\xbd";                       /* U+FFFD */
            rlen = 3;
        } else {
            rlen = width;
        }
        if (in_slash) {
            if (rlen == 1 && (*rune == '\\' || *rune == ',' || *rune == '=')) {
                *w++ = *rune;
            } else {
                CM_BUF_ADDLIT(msg, "invalid field selector: invalid escape sequence: \\");
                add_text(msg, rune, rlen);
                return NULL;
            }
            in_slash = 0;
        } else if (rlen == 1 && *rune == '\\') {
            in_slash = 1;
        } else if (rlen == 1 && (*rune == ',' || *rune == '=')) {
            /* Go formats the rune with %v: its number */
            cm_buf_addf(msg, "invalid field selector: unescaped character in value: %d", *rune);
            return NULL;
        } else {
            memcpy(w, rune, rlen);
            w += rlen;
        }
    }
    if (in_slash) {
        CM_BUF_ADDLIT(msg, "invalid field selector: invalid escape sequence: \\");
        return NULL;
    }
    *w = '\0';
    *len_out = (size_t)(w - out);
    return out;
}

/* Appends s[0..n) for a message; a NUL byte, which would end the message
 * text, is written "\x00". */
static void
add_text(struct cm_buf *b, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '\0')
            CM_BUF_ADDLIT(b, "\\x00");
        else
            cm_buf_addc(b, s[i]);
    }
}

/* One term as written, between unescaped commas. */
struct span {
    const char *p;
    size_t len;
};

/* Go's string order: bytes compared as unsigned, a prefix first. */
static int
cmp_span(const void *x, const void *y)
{
    const struct span *a = x, *b = y;
    int c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);

    return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

static int
is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* The message in b, copied into a; frees b. */
static const char *
take(struct cm_buf *b, struct cm_arena *a)
{
    const char *r = cm_arena_strndup(a, b->data ? b->data : "", b->len);

    cm_buf_free(b);
    return r;
}

int
cm_fieldsel_check(const char *s, size_t n, const char *name,
                  struct cm_arena *a, const char **err_out)
{
    struct term t[MAX_TERMS];
    struct span raw[MAX_TERMS];
    size_t nraw = 0, nt = 0, start = 0, i;
    const struct term *pinned = NULL;
    struct cm_buf msg;

    *err_out = NULL;
    if (n == 0)
        return 0;                                   /* fields.Everything() */
    for (;;) {                                      /* Go's splitTerms */
        size_t end = find_unescaped(s, n, start, ',');

        if (end > start) {                          /* Go skips empty terms */
            if (nraw == MAX_TERMS) {
                *err_out = cm_arena_strdup(a, "the fieldSelector has too many terms");
                return -1;
            }
            raw[nraw].p = s + start;
            raw[nraw].len = end - start;
            nraw++;
        }
        if (end == n)
            break;
        start = end + 1;
    }
    /* Go sorts the terms before it reads them: that order decides which
     * error is reported and which metadata.name term is the name. */
    if (nraw > 1)
        qsort(raw, nraw, sizeof(*raw), cmp_span);
    for (i = 0; i < nraw; i++) {
        const char *p = raw[i].p;
        size_t len = raw[i].len, op, vstart;

        /* Go's splitTerm: the first position where "!=", "==" or "="
         * starts, escapes not considered; only the value is unescaped. */
        for (op = 0; op < len; op++)
            if (p[op] == '=' || (p[op] == '!' && op + 1 < len && p[op + 1] == '='))
                break;
        if (op == len) {
            cm_buf_init(&msg, 16384);
            CM_BUF_ADDLIT(&msg, "invalid selector: '");
            add_text(&msg, s, n);
            CM_BUF_ADDLIT(&msg, "'; can't understand '");
            add_text(&msg, p, len);
            CM_BUF_ADDLIT(&msg, "'");
            *err_out = take(&msg, a);
            return -1;
        }
        t[nt].neq = p[op] == '!';
        vstart = op + (t[nt].neq || (op + 1 < len && p[op + 1] == '=') ? 2 : 1);
        t[nt].field = p;
        t[nt].flen = op;
        cm_buf_init(&msg, 16384);
        t[nt].value = unescape_value(p + vstart, len - vstart, a, &t[nt].vlen, &msg);
        if (t[nt].value == NULL) {
            *err_out = take(&msg, a);
            return -1;
        }
        cm_buf_free(&msg);
        nt++;
    }
    for (i = 0; i < nt; i++) {
        if (!is(t[i].field, t[i].flen, "metadata.name") &&
            !is(t[i].field, t[i].flen, "metadata.namespace")) {
            /* runtime.DefaultMetaV1FieldSelectorConversion */
            cm_buf_init(&msg, 16384);
            cm_validate_quote(&msg, t[i].field, t[i].flen);
            CM_BUF_ADDLIT(&msg, " is not a known field selector: only \"metadata.name\", "
                          "\"metadata.namespace\"");
            *err_out = take(&msg, a);
            return -1;
        }
    }
    if (nt == 0)
        return 0;
    for (i = 0; i < nt && pinned == NULL; i++)
        if (!t[i].neq && is(t[i].field, t[i].flen, "metadata.name"))
            pinned = &t[i];
    if (pinned == NULL || !is(pinned->value, pinned->vlen, name)) {
        *err_out = "fieldSelector metadata.name doesn't match requested name";
        return -1;
    }
    return 0;
}
