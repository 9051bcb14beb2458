/*
 * log.h - one-line log records on stderr:
 *   2026-11-26T21:00:00Z custom-metrics-fcgi[1234] warn: message
 * nginx keeps the access log; these are the server's own events.
 */
#ifndef CM_LOG_H
#define CM_LOG_H

enum cm_log_level { CM_LOG_ERROR, CM_LOG_WARN, CM_LOG_INFO, CM_LOG_DEBUG };

/* Records above this level are dropped; CM_LOG_INFO by default. */
void cm_log_set_level(enum cm_log_level level);
void cm_log(enum cm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
