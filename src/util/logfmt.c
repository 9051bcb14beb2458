#include "logfmt.h"

#include <stdio.h>
#include <string.h>

int
cm_logfmt_parse(const char *name, enum cm_log_format *out)
{
    if (strcmp(name, "text") == 0)
        *out = CM_LOG_TEXT;
    else if (strcmp(name, "logfmt") == 0)
        *out = CM_LOG_LOGFMT;
    else if (strcmp(name, "json") == 0)
        *out = CM_LOG_JSON;
    else
        return -1;
    return 0;
}

/* A bounded writer that never overruns and keeps room for the closing bytes. */
struct w {
    char *p;
    size_t len, cap;                   /* cap: the bytes usable before the reserve */
    int full;
};

static void
put(struct w *w, const char *s, size_t n)
{
    if (w->full || w->len + n > w->cap) {
        w->full = 1;
        return;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void
puts_(struct w *w, const char *s)
{
    put(w, s, strlen(s));
}

/* One byte of a message, escaped for the format (quoted: inside "..."). */
static void
put_escaped(struct w *w, unsigned char c, enum cm_log_format f, int quoted)
{
    static const char hex[] = "0123456789abcdef";
    char e[8];

    if (f == CM_LOG_JSON || quoted) {
        const char *s = NULL;

        switch (c) {
        case '"': s = "\\\""; break;
        case '\\': s = "\\\\"; break;
        case '\n': s = "\\n"; break;
        case '\r': s = "\\r"; break;
        case '\t': s = "\\t"; break;
        default: break;
        }
        if (s != NULL) {
            puts_(w, s);
            return;
        }
        if (c < 0x20 || c == 0x7f) {
            if (f == CM_LOG_JSON)
                snprintf(e, sizeof(e), "\\u%04x", c);
            else
                snprintf(e, sizeof(e), "\\x%c%c", hex[c >> 4], hex[c & 15]);
            puts_(w, e);
            return;
        }
    } else if (c < 0x20 || c == 0x7f) {
        e[0] = '\\';
        e[1] = 'x';
        e[2] = hex[c >> 4];
        e[3] = hex[c & 15];
        put(w, e, 4);
        return;
    }
    put(w, (const char *)&c, 1);
}

static void
put_text(struct w *w, const char *s, enum cm_log_format f, int quoted)
{
    for (; *s && !w->full; s++) {
        size_t before = w->len;

        put_escaped(w, (unsigned char)*s, f, quoted);
        if (w->full)
            w->len = before;           /* never half an escape */
    }
}

static int
needs_quotes(const char *s)
{
    if (*s == '\0')
        return 1;
    for (; *s; s++)
        if (*s == ' ' || *s == '=' || *s == '"' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/*
 * A logfmt value, quoted when it must be.  The last value of a record
 * (last) may use the writer's reserve for its closing quote, so that a cut
 * record is still closed.
 */
static void
put_value(struct w *w, const char *s, int last, size_t size)
{
    int q = needs_quotes(s);

    if (q)
        put(w, "\"", 1);
    put_text(w, s, CM_LOG_LOGFMT, q);
    if (!q)
        return;
    if (last) {
        w->cap = size - 1;
        w->full = 0;
    }
    put(w, "\"", 1);
}

size_t
cm_logfmt_record(char *out, size_t size, enum cm_log_format f, time_t t, long pid,
                 const char *level, const char *request_id, const char *msg)
{
    struct w w = { out, 0, 0, 0 };
    char stamp[32], num[32];
    struct tm tm;
    int rid = request_id != NULL && *request_id != '\0';

    if (size == 0)
        return 0;
    if (size < 4) {
        out[0] = '\0';
        return 0;
    }
    w.cap = size - 3;                  /* room for '"', '}' and the NUL */
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(num, sizeof(num), "%ld", pid);
    switch (f) {
    case CM_LOG_TEXT:
        puts_(&w, stamp);
        puts_(&w, " custom-metrics-fcgi[");
        puts_(&w, num);
        puts_(&w, "] ");
        puts_(&w, level);
        puts_(&w, ": ");
        if (rid) {
            puts_(&w, "request ");
            put_text(&w, request_id, f, 0);
            puts_(&w, ": ");
        }
        put_text(&w, msg, f, 0);
        break;
    case CM_LOG_LOGFMT:
        puts_(&w, "ts=");
        puts_(&w, stamp);
        puts_(&w, " level=");
        puts_(&w, level);
        puts_(&w, " pid=");
        puts_(&w, num);
        if (rid) {
            puts_(&w, " request_id=");
            put_value(&w, request_id, 0, size);
        }
        puts_(&w, " msg=");
        put_value(&w, msg, 1, size);
        break;
    case CM_LOG_JSON:
        puts_(&w, "{\"ts\":\"");
        puts_(&w, stamp);
        puts_(&w, "\",\"level\":\"");
        puts_(&w, level);
        puts_(&w, "\",\"pid\":");
        puts_(&w, num);
        if (rid) {
            puts_(&w, ",\"request_id\":\"");
            put_text(&w, request_id, f, 1);
            puts_(&w, "\"");
        }
        puts_(&w, ",\"msg\":\"");
        put_text(&w, msg, f, 1);
        w.cap = size - 1;              /* the reserve: the closing "} */
        w.full = 0;
        put(&w, "\"}", 2);
        break;
    }
    out[w.len] = '\0';
    return w.len;
}
