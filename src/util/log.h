/*
 * log.h - one-line log records on stderr:
 *   2026-11-26T21:00:00Z custom-metrics-fcgi[1234] warn: message
 * nginx keeps the access log; these are the server's own events.
 *
 * Request ids: a worker numbers the requests it answers.  The id of the
 * current one, "<pid>-<n>" (the worker's pid, then its count of requests),
 * goes into the log records that hold a failure's details and into the
 * Status message the client gets instead of them, so that "grep 'request
 * 1234-56'" in the log finds what a client was only told about.  (One
 * request at a time per process: the id is process state, not thread-safe.)
 */
#ifndef CM_LOG_H
#define CM_LOG_H

#include <stddef.h>

enum cm_log_level { CM_LOG_ERROR, CM_LOG_WARN, CM_LOG_INFO, CM_LOG_DEBUG };

/* Records above this level are dropped; CM_LOG_INFO by default. */
void cm_log_set_level(enum cm_log_level level);
void cm_log(enum cm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A new request begins: the next request id.  Called by the worker per request. */
void cm_log_request_begin(void);

/*
 * The current request's id ("1234-56"); static storage, valid until the next
 * cm_log_request_begin().  Outside a worker's request loop the count is 0.
 */
const char *cm_log_request_id(void);

/* A record about the current request: "request <id>: " then the message. */
void cm_log_request(enum cm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Copies the URL at url into out (size bytes, NUL-terminated) without its
 * userinfo ("https://user:pw@host/" -> "https://host/"), for messages and
 * log records.  A URL that does not parse is printed as "(unprintable URL)"
 * rather than risk a secret.
 */
void cm_log_url(const char *url, char *out, size_t size);

/*
 * Copies at most max bytes of the n bytes at s into out (size bytes,
 * NUL-terminated) for a log record: control bytes, quotes, backslashes and
 * bytes >= 0x7f become \xNN, and "..." marks a cut.
 */
void cm_log_excerpt(const char *s, size_t n, size_t max, char *out, size_t size);

#endif
