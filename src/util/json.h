/*
 * json.h - a streaming JSON writer that produces the bytes Go's
 * encoding/json produces.
 *
 * Compact mode matches json.Marshal; pretty mode matches
 * json.MarshalIndent(v, "", "  "): members on their own lines, "key": value,
 * and empty objects and arrays written as {} and [].  Strings are escaped as
 * Go escapes them: \" \\ \n \r \t \b \f, other control bytes as \u00XX,
 * <, > and & as \u003c \u003e \u0026, U+2028 and U+2029 as \u2028 \u2029,
 * and every byte of invalid UTF-8 as \ufffd.
 *
 * The writer appends to a borrowed cm_buf and inherits its sticky error: the
 * caller checks cm_buf_failed() once when the document is complete.  The
 * caller is responsible for well-formedness (keys only inside objects, one
 * value after each key); nesting deeper than CM_JSON_MAX_DEPTH is a bug.
 */
#ifndef CM_JSON_H
#define CM_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define CM_JSON_MAX_DEPTH 32

struct cm_json {
    struct cm_buf *out;                        /* borrowed */
    int pretty;
    int depth;
    int after_key;                             /* next value follows "key": */
    unsigned char empty[CM_JSON_MAX_DEPTH];    /* container still has no member */
};

void cm_json_init(struct cm_json *j, struct cm_buf *out, int pretty);

void cm_json_object_begin(struct cm_json *j);
void cm_json_object_end(struct cm_json *j);
void cm_json_array_begin(struct cm_json *j);
void cm_json_array_end(struct cm_json *j);

/* A member name inside an object; the next call writes its value. */
void cm_json_key(struct cm_json *j, const char *key);

void cm_json_string(struct cm_json *j, const char *s);
void cm_json_stringn(struct cm_json *j, const char *s, size_t n);
void cm_json_int(struct cm_json *j, int64_t v);
void cm_json_bool(struct cm_json *j, int v);
/* A number with a fixed count of decimals; NaN and infinities are written as null. */
void cm_json_double(struct cm_json *j, double v, int decimals);
void cm_json_null(struct cm_json *j);

/* A metav1.Time: t as an RFC 3339 string in UTC, to the second. */
void cm_json_time(struct cm_json *j, time_t t);

/* The text of cm_json_time() (no quotes) into out; returns its length. */
size_t cm_json_time_text(time_t t, char out[32]);

/* Appends s as a JSON string literal, escaped as described above. */
void cm_json_escape(struct cm_buf *out, const char *s, size_t n);

/*
 * The length of the longest prefix of the NUL-terminated s that JSON writes
 * as it is (no byte of it needs escaping).  s[result] == '\0' means all of
 * s does: its literal is then '"' s '"', and the result is strlen(s).
 */
/* 1 for each byte JSON writes as it is (json.c), 0 for NUL and the others. */
extern const unsigned char cm_json_plain[256];

static inline size_t
cm_json_plain_span(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (cm_json_plain[*p])
        p++;
    return (size_t)(p - (const unsigned char *)s);
}

#endif
