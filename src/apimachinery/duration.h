/*
 * duration.h - durations in metrics.yaml, such as window: 1m.
 *
 * A duration is one or more <integer><unit> terms, units s, m, h and d:
 * "30s", "1m", "1m30s", "2h", "1d".  It must be positive and at most a year,
 * and is reported in whole seconds (the API's window / windowSeconds).
 */
#ifndef CM_DURATION_H
#define CM_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define CM_DURATION_MAX_SECONDS (366LL * 24 * 3600)

/* Returns 0 and the seconds in *out, or -1 with *err_out set (static text). */
int cm_duration_parse(const char *s, size_t n, int64_t *out, const char **err_out);

#endif
