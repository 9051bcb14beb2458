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

/*
 * A connection's incoming bytes, parsed one reply at a time.  Bytes are fed
 * as they arrive (any split); the parsed ones are dropped before more are
 * appended, so the buffer holds at most the reply being received and one
 * read's bytes, however long the stream.  Whether the reply at the front is
 * whole is decided by a scan that resumes where the last one stopped, with
 * no allocation: a reply arriving in many reads is scanned once, and
 * parsed into the caller's arena once, when it is whole.
 */
struct cm_resp_reader {
    struct cm_buf in;                /* owned: in.data[off..in.len) is not parsed yet */
    size_t off;
    size_t scanned;                  /* the reply at off: bytes known whole so far */
    int depth;                       /* arrays open at scanned... */
    int64_t left[CM_RESP_MAX_DEPTH]; /* ...and the elements each still waits for */
};

/* An empty reader whose replies may be up to max bytes. */
void cm_resp_reader_init(struct cm_resp_reader *rd, size_t max);
void cm_resp_reader_free(struct cm_resp_reader *rd);

/*
 * Appends the n bytes at p, after moving the unparsed ones to the front.
 * Returns 0, or -1 when the unparsed bytes would pass max (a reply larger
 * than max: the reader is then of no further use).
 */
int cm_resp_reader_feed(struct cm_resp_reader *rd, const void *p, size_t n);

/*
 * The next reply: 1 with *out filled (strings and arrays from a), 0 when it
 * is not whole yet (nothing was taken from a), or -1 when the bytes are not
 * RESP (*err: why, static).
 */
int cm_resp_reader_next(struct cm_resp_reader *rd, struct cm_arena *a, struct cm_resp *out,
                        const char **err);

/* The bytes received and not parsed yet. */
size_t cm_resp_reader_pending(const struct cm_resp_reader *rd);

#endif
