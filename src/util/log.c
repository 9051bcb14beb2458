#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum cm_log_level max_level = CM_LOG_INFO;
static unsigned long long request_count;
static char request_id[48];

void
cm_log_set_level(enum cm_log_level level)
{
    max_level = level;
}

static void __attribute__((format(printf, 3, 0)))
vlog(enum cm_log_level level, const char *prefix, const char *fmt, va_list ap)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    char line[1024], stamp[32];
    struct tm tm;
    time_t now;
    int n;

    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = snprintf(line, sizeof(line), "%s custom-metrics-fcgi[%ld] %s: %s",
                 stamp, (long)getpid(), names[level], prefix);
    if (n > 0 && (size_t)n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    /* One write per record, so records from several workers do not mix. */
    fprintf(stderr, "%s\n", line);
}

void
cm_log(enum cm_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (level > max_level)
        return;
    va_start(ap, fmt);
    vlog(level, "", fmt, ap);
    va_end(ap);
}

void
cm_log_request_begin(void)
{
    request_count++;
    request_id[0] = '\0';              /* formatted when first asked for */
}

const char *
cm_log_request_id(void)
{
    if (request_id[0] == '\0')
        snprintf(request_id, sizeof(request_id), "%ld-%llu", (long)getpid(), request_count);
    return request_id;
}

void
cm_log_request(enum cm_log_level level, const char *fmt, ...)
{
    char prefix[64];
    va_list ap;

    if (level > max_level)
        return;
    snprintf(prefix, sizeof(prefix), "request %s: ", cm_log_request_id());
    va_start(ap, fmt);
    vlog(level, prefix, fmt, ap);
    va_end(ap);
}

void
cm_log_url(const char *url, char *out, size_t size)
{
    const char *start = strstr(url, "://"), *end, *at = NULL, *p;

    start = start != NULL ? start + 3 : url;
    end = start + strcspn(start, "/?#");
    for (p = start; p < end; p++)
        if (*p == '@')
            at = p;
    if (size == 0)
        return;
    if (at == NULL) {
        snprintf(out, size, "%s", url);
        return;
    }
    snprintf(out, size, "%.*s%s", (int)(start - url), url, at + 1);
}

void
cm_log_excerpt(const char *s, size_t n, size_t max, char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, o = 0;

    if (size == 0)
        return;
    for (i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            if (o + 1 >= size)
                break;
            out[o++] = (char)c;
        } else {
            if (o + 4 >= size)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (i < n && o + 3 < size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
