/*
 * resp.h - the Redis serialization protocol (RESP2), both ways.
 *
 * Commands go out as arrays of bulk strings; replies come back as simple
 * strings (+OK), errors (-ERR ...), integers (:1), bulk strings ($3\r\nabc,
 * $-1 for nil) and arrays (*2 ..., *-1 for nil), nested.  Pure: bytes in,
 * bytes out, no I/O, so that the parser can be fuzzed and tested alone.
 */
#ifndef CM_RESP_H
#define CM_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

#define CM_RESP_MAX_DEPTH 8
#define CM_RESP_MAX_ITEMS (1u << 20)     /* elements in one array */
#define CM_RESP_MAX_BULK (512u << 20)    /* Redis' own limit for a string */

enum cm_resp_type {
    CM_RESP_STATUS, CM_RESP_ERROR, CM_RESP_INTEGER, CM_RESP_BULK, CM_RESP_ARRAY, CM_RESP_NIL,
};

struct cm_resp {
    enum cm_resp_type type;
    int64_t integer;                 /* CM_RESP_INTEGER */
    const char *str;                 /* STATUS, ERROR, BULK: NUL-terminated copy, from the arena */
    size_t len;                      /* its length (a bulk string may hold NUL bytes) */
    size_t n;                        /* ARRAY: elements */
    struct cm_resp *v;
};

/* Appends the command argv[0..argc) (lens[i] bytes each) to out. */
void cm_resp_command(struct cm_buf *out, size_t argc, const char *const *argv, const size_t *lens);

/*
 * Parses one reply from the len bytes at p into *out (strings and arrays
 * from a).  Returns the bytes it took (> 0), 0 when the reply is not
 * complete yet, or -1 when the bytes are not RESP (*err: why, static).
 */
long cm_resp_parse(const char *p, size_t len, struct cm_arena *a, struct cm_resp *out,
                   const char **err);

#endif
