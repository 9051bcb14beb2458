#include "expfmt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct lexer {
    const char *p, *end, *line_start;
    size_t line;
    struct cm_arena *a;
    char *err;
    size_t errlen;
};

static int
fail(struct lexer *lx, const char *fmt, ...)
{
    va_list ap;
    int k = snprintf(lx->err, lx->errlen, "%zu:%zu: ", lx->line,
                     (size_t)(lx->p - lx->line_start) + 1);

    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < lx->errlen)
        vsnprintf(lx->err + k, lx->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static void
skip_blanks(struct lexer *lx)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
        lx->p++;
}

static int
name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int
name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (colons only when metric is set) */
static const char *
read_name(struct lexer *lx, int metric)
{
    const char *s = lx->p;

    if (lx->p >= lx->end || !name_start(*lx->p) || (!metric && *lx->p == ':'))
        return NULL;
    while (lx->p < lx->end && name_char(*lx->p) && (metric || *lx->p != ':'))
        lx->p++;
    return cm_arena_strndup(lx->a, s, (size_t)(lx->p - s));
}

/* A double-quoted label value with \\ \" \n escapes; on failure lx->p stays put. */
static const char *
read_value(struct lexer *lx)
{
    const char *s, *q = lx->p;
    char *out, *o;

    if (q >= lx->end || *q != '"')
        return NULL;
    s = ++q;
    while (q < lx->end && *q != '"' && *q != '\n')
        q += *q == '\\' && q + 1 < lx->end ? 2 : 1;
    if (q >= lx->end || *q != '"')
        return NULL;
    o = out = cm_arena_alloc(lx->a, (size_t)(q - s) + 1);
    for (; s < q; s++) {
        if (*s != '\\') {
            *o++ = *s;
            continue;
        }
        s++;
        if (*s == 'n')
            *o++ = '\n';
        else if (*s == '\\' || *s == '"')
            *o++ = *s;
        else
            return NULL;
    }
    *o = '\0';
    lx->p = q + 1;
    return out;
}

/* The token up to the next blank or end of line. */
static size_t
token(struct lexer *lx, const char **start)
{
    *start = lx->p;
    while (lx->p < lx->end && *lx->p != ' ' && *lx->p != '\t' && *lx->p != '\n' &&
           *lx->p != '\r')
        lx->p++;
    return (size_t)(lx->p - *start);
}

/* strconv.ParseFloat's spellings: decimal or hex floats, NaN, [+-]Inf(inity). */
static int
parse_float(const char *s, size_t n, double *out)
{
    char buf[64], *end;
    size_t i;

    if (n == 0 || n >= sizeof(buf))
        return -1;
    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '.' || s[i] == '+' || s[i] == '-'))
            return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strcasecmp(buf, "nan") == 0) {
        *out = NAN;
        return 0;
    }
    /* Out of range is ±Inf or 0, as Go gives it; only "nan" needs its own spelling. */
    *out = strtod(buf, &end);
    if (*end != '\0' || strncasecmp(buf + (*buf == '+' || *buf == '-'), "nan", 3) == 0)
        return -1;
    return 0;
}

static int
parse_int64(const char *s, size_t n, int64_t *out)
{
    char buf[32], *end;
    long long v;

    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
        return -1;
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

static int
parse_labels(struct lexer *lx, struct cm_sample *smp)
{
    struct cm_label lv[CM_EXPFMT_MAX_LABELS], *copy;
    size_t n = 0;
    long dup;

    lx->p++;                                          /* '{' */
    for (;;) {
        const char *key, *value;

        skip_blanks(lx);
        if (lx->p < lx->end && *lx->p == '}')
            break;
        key = read_name(lx, 0);
        if (key == NULL)
            return fail(lx, "expected a label name or '}'");
        skip_blanks(lx);
        if (lx->p >= lx->end || *lx->p != '=')
            return fail(lx, "expected '=' after label name '%s'", key);
        lx->p++;
        skip_blanks(lx);
        value = read_value(lx);
        if (value == NULL)
            return fail(lx, "expected a quoted label value (escapes: \\\\ \\\" \\n)");
        if (n == CM_EXPFMT_MAX_LABELS)
            return fail(lx, "more than %d labels", CM_EXPFMT_MAX_LABELS);
        lv[n].key = key;
        lv[n].value = value;
        n++;
        skip_blanks(lx);
        if (lx->p < lx->end && *lx->p == ',') {
            lx->p++;
            continue;
        }
        if (lx->p >= lx->end || *lx->p != '}')
            return fail(lx, "expected ',' or '}' after a label");
        break;
    }
    lx->p++;                                          /* '}' */
    dup = cm_labels_sort(lv, n);
    if (dup >= 0)
        return fail(lx, "label '%s' appears twice", lv[dup].key);
    copy = cm_arena_alloc(lx->a, (n ? n : 1) * sizeof(*copy));
    memcpy(copy, lv, n * sizeof(*copy));
    smp->labels.n = n;
    smp->labels.v = copy;
    return 0;
}

static int
parse_sample(struct lexer *lx, struct cm_sample *smp)
{
    const char *tok;
    size_t len;

    memset(smp, 0, sizeof(*smp));
    smp->name = read_name(lx, 1);
    if (smp->name == NULL)
        return fail(lx, "expected a metric name");
    skip_blanks(lx);
    if (lx->p < lx->end && *lx->p == '{' && parse_labels(lx, smp) < 0)
        return -1;
    skip_blanks(lx);
    len = token(lx, &tok);
    lx->p = tok;
    if (parse_float(tok, len, &smp->value) < 0)
        return fail(lx, len ? "bad value '%.*s'" : "expected a value%.*s", (int)(len > 64 ? 64 : len), tok);
    lx->p += len;
    skip_blanks(lx);
    if (lx->p < lx->end && *lx->p != '\n' && *lx->p != '\r') {
        len = token(lx, &tok);
        lx->p = tok;
        if (parse_int64(tok, len, &smp->timestamp_ms) < 0)
            return fail(lx, "bad timestamp '%.*s' (milliseconds since the epoch)",
                        (int)(len > 64 ? 64 : len), tok);
        smp->has_timestamp = 1;
        lx->p += len;
        skip_blanks(lx);
    }
    if (lx->p < lx->end && *lx->p == '\r')
        lx->p++;
    if (lx->p < lx->end && *lx->p != '\n')
        return fail(lx, "unexpected text after the sample");
    return 0;
}

int
cm_expfmt_parse(const char *text, size_t n, struct cm_arena *a,
                struct cm_samples *out, char *err, size_t errlen)
{
    struct lexer lx = { text, text + n, text, 1, a, err, errlen };
    size_t cap = 64;

    out->n = 0;
    out->v = cm_arena_alloc(a, cap * sizeof(*out->v));
    if (errlen > 0)
        err[0] = '\0';
    {
        const char *nul = memchr(text, '\0', n), *q;

        if (nul != NULL) {               /* text must be text: find its line */
            for (q = text; q < nul; q++) {
                if (*q == '\n') {
                    lx.line++;
                    lx.line_start = q + 1;
                }
            }
            lx.p = nul;
            return fail(&lx, "a NUL byte in the file");
        }
    }
    while (lx.p < lx.end) {
        lx.line_start = lx.p;
        skip_blanks(&lx);
        if (lx.p < lx.end && *lx.p != '\n' && *lx.p != '#' && *lx.p != '\r') {
            if (out->n == CM_EXPFMT_MAX_SAMPLES)
                return fail(&lx, "more than %d samples", CM_EXPFMT_MAX_SAMPLES);
            if (out->n == cap) {
                struct cm_sample *bigger = cm_arena_alloc(a, 2 * cap * sizeof(*bigger));
                memcpy(bigger, out->v, cap * sizeof(*bigger));
                out->v = bigger;
                cap *= 2;
            }
            if (parse_sample(&lx, &out->v[out->n]) < 0)
                return -1;
            out->n++;
        }
        while (lx.p < lx.end && *lx.p != '\n')      /* the rest of a comment line */
            lx.p++;
        if (lx.p < lx.end) {
            lx.p++;
            lx.line++;
        }
    }
    return 0;
}
