#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static enum cm_log_level max_level = CM_LOG_INFO;

void
cm_log_set_level(enum cm_log_level level)
{
    max_level = level;
}

void
cm_log(enum cm_log_level level, const char *fmt, ...)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    char line[1024], stamp[32];
    struct tm tm;
    time_t now;
    va_list ap;
    int n;

    if (level > max_level)
        return;
    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = snprintf(line, sizeof(line), "%s custom-metrics-fcgi[%ld] %s: ",
                 stamp, (long)getpid(), names[level]);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write per record, so records from several workers do not mix. */
    fprintf(stderr, "%s\n", line);
}
