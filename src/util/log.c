#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum cm_log_level max_level = CM_LOG_INFO;
static enum cm_log_format format = CM_LOG_TEXT;
static unsigned long long request_count;
static char request_id[48];
static int in_request;

void
cm_log_set_level(enum cm_log_level level)
{
    max_level = level;
}

int
cm_log_level_parse(const char *name, enum cm_log_level *out)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum cm_log_level)i;
            return 0;
        }
    }
    return -1;
}

void
cm_log_set_format(enum cm_log_format f)
{
    format = f;
}

/*
 * Writes one record.  rid is the request the record is about, or NULL; in
 * the text format only cm_log_request()'s records name it (as they always
 * did), in logfmt and JSON every record written during a request does.
 */
static void __attribute__((format(printf, 3, 0)))
vlog(enum cm_log_level level, const char *rid, const char *fmt, va_list ap)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    char msg[1024], line[3072];
    size_t n;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (rid == NULL && format != CM_LOG_TEXT && in_request)
        rid = cm_log_request_id();
    n = cm_logfmt_record(line, sizeof(line) - 1, format, time(NULL), (long)getpid(),
                         names[level], rid, msg);
    line[n++] = '\n';
    /* One write per record, so records from several workers do not mix. */
    fwrite(line, 1, n, stderr);
}

void
cm_log(enum cm_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (level > max_level)
        return;
    va_start(ap, fmt);
    vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void
cm_log_request_begin(void)
{
    request_count++;
    request_id[0] = '\0';              /* formatted when first asked for */
    in_request = 1;
}

void
cm_log_request_adopt(const char *id)
{
    size_t n, i;

    if (id == NULL)
        return;
    n = strlen(id);
    if (n == 0 || n >= sizeof(request_id))
        return;
    for (i = 0; i < n; i++) {
        char c = id[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_'))
            return;
    }
    memcpy(request_id, id, n + 1);
}

void
cm_log_request_end(void)
{
    in_request = 0;
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
    va_list ap;

    if (level > max_level)
        return;
    va_start(ap, fmt);
    vlog(level, cm_log_request_id(), fmt, ap);
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
