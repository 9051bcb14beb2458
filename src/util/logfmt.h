/*
 * logfmt.h - one log record as one line of text, in the three formats the
 * server writes (serve --log-format):
 *
 *   text    2026-11-26T21:00:00Z custom-metrics-fcgi[1234] warn: message
 *           (the human format; a request's records say "request ID: ")
 *   logfmt  ts=2026-11-26T21:00:00Z level=warn pid=1234 request_id=ID msg="message"
 *   json    {"ts":"2026-11-26T21:00:00Z","level":"warn","pid":1234,"request_id":"ID","msg":"message"}
 *
 * request_id is left out when the record is not about a request.  In
 * logfmt a value is quoted when it holds a space, '=', '"' or is empty;
 * inside quotes \" \\ \n \r \t are escaped.  JSON escapes as RFC 8259
 * requires.  In every format a control byte (and DEL) of the message is
 * written as an escape, never raw, so one record is always one line.  Pure.
 */
#ifndef CM_LOGFMT_H
#define CM_LOGFMT_H

#include <stddef.h>
#include <time.h>

enum cm_log_format { CM_LOG_TEXT, CM_LOG_LOGFMT, CM_LOG_JSON };

/* "text", "logfmt" or "json" into *out; -1 for anything else. */
int cm_logfmt_parse(const char *name, enum cm_log_format *out);

/*
 * Writes the record into out (size bytes, NUL-terminated, no newline) and
 * returns its length.  A record that does not fit is cut at a character
 * boundary of the escaped message, and still closed ('"', '}').  level is
 * "error", "warn", "info" or "debug"; request_id is NULL or "" for none.
 */
size_t cm_logfmt_record(char *out, size_t size, enum cm_log_format f, time_t t, long pid,
                        const char *level, const char *request_id, const char *msg);

#endif
