/*
 * uri.h - splitting the raw REQUEST_URI into decoded path segments.
 *
 * nginx's decoded $uri (PATH_INFO) has lost information: %2F became a
 * segment boundary, dot segments were resolved, slashes merged.  So the
 * worker routes on the raw request target instead: split at '?' (and drop a
 * '#fragment', which a buggy client may send), split the path on '/', then
 * percent-decode each segment on its own.  '+' is literal in a path.
 */
#ifndef CM_URI_H
#define CM_URI_H

#include <stddef.h>

#include "arena.h"

#define CM_URI_MAX_LEN      8192   /* bytes of the whole request target */
#define CM_URI_MAX_SEGMENTS 12     /* more than any route has */

enum cm_uri_error {
    CM_URI_OK = 0,
    CM_URI_ENOTPATH = -1,     /* does not start with '/' */
    CM_URI_EBADESCAPE = -2,   /* '%' not followed by two hex digits */
    CM_URI_ENUL = -3,         /* %00 in the path */
    CM_URI_EDOTSEG = -4,      /* a "." or ".." segment (after decoding) */
    CM_URI_EEMPTYSEG = -5,    /* "//" */
    CM_URI_ETOOLONG = -6,
    CM_URI_ETOOMANY = -7,     /* more than CM_URI_MAX_SEGMENTS segments */
};

struct cm_uri {
    size_t nseg;
    const char *seg[CM_URI_MAX_SEGMENTS];  /* decoded, NUL-terminated, in the arena */
    int trailing_slash;                    /* the path ended in '/' (not "/" alone) */
    const char *query;                     /* raw text after '?', or "" */
    size_t query_len;
};

/*
 * Parses raw (a NUL-terminated request target) into out.  A raw NUL byte
 * cannot be part of a target (nginx answers such a request line 400 itself,
 * as t/badinput.sh checks), so strlen is the target's length; a %00 is
 * refused in a segment (CM_URI_ENUL) and kept, length and all, in the query.  Decoded segments
 * are allocated from a.  "/" has zero segments.  Returns CM_URI_OK or a
 * negative enum cm_uri_error; out is then unspecified.
 */
int cm_uri_parse(struct cm_uri *out, const char *raw, struct cm_arena *a);

/* A short English description of an enum cm_uri_error. */
const char *cm_uri_strerror(int err);

/*
 * Percent-decodes n bytes of src into dst (which has room for n + 1 bytes),
 * NUL-terminates it and stores the decoded length in *len_out.  With
 * plus_is_space, '+' decodes to ' ' (form encoding).  Returns 0, or -1 on a
 * malformed escape.  Decoded NUL bytes are kept; callers check the length.
 */
int cm_pct_decode(char *dst, const char *src, size_t n, int plus_is_space,
                  size_t *len_out);

#endif
