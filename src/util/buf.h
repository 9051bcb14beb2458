/*
 * buf.h - a growable byte buffer with a hard size cap.
 *
 * Appends never fail loudly: once the cap would be exceeded the buffer
 * becomes "too big", further appends are ignored, and the caller checks
 * cm_buf_failed() once at the end (the sticky-error style of curl's dynbuf).
 * A worker keeps one buffer across requests and cm_buf_reset()s it, so a
 * response usually costs no allocation at all.
 */
#ifndef CM_BUF_H
#define CM_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct cm_buf {
    char *data;        /* owned; NUL-terminated whenever len > 0 */
    size_t len;
    size_t cap;
    size_t max;        /* hard cap on len */
    int too_big;       /* sticky: an append was refused */
};

void cm_buf_init(struct cm_buf *b, size_t max);
void cm_buf_free(struct cm_buf *b);
/* Empties the buffer and clears the error; keeps the allocation. */
void cm_buf_reset(struct cm_buf *b);
static inline int cm_buf_failed(const struct cm_buf *b) { return b->too_big; }

/* The out-of-line halves of the appends below: grow, or fail stickily. */
void cm_buf_add_slow(struct cm_buf *b, const void *p, size_t n);
void cm_buf_addc_slow(struct cm_buf *b, char c);
char *cm_buf_room_slow(struct cm_buf *b, size_t n);

/*
 * Room to write up to n bytes in place: a pointer to the buffer's end with
 * at least n + 1 bytes of capacity behind it (borrowed, valid until the next
 * append), or NULL when n more bytes would pass the cap (the buffer has then
 * failed).  Nothing is appended until cm_buf_commit() says how many of
 * those bytes were written.  For a writer that appends many small pieces:
 * one check for all of them.
 */
static inline char *
cm_buf_room(struct cm_buf *b, size_t n)
{
    if (n < b->cap - b->len && !b->too_big)
        return b->data + b->len;
    return cm_buf_room_slow(b, n);
}

/* Appends the n bytes written at cm_buf_room()'s pointer (n <= its n). */
static inline void
cm_buf_commit(struct cm_buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

/*
 * Appends n bytes.  The capacity never exceeds max + 1, so a fit within the
 * capacity is also a fit within the cap; that keeps the common case (room
 * already there) to one comparison and a copy.
 */
static inline void
cm_buf_add(struct cm_buf *b, const void *p, size_t n)
{
    if (n < b->cap - b->len && !b->too_big) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        cm_buf_add_slow(b, p, n);
    }
}

static inline void
cm_buf_addc(struct cm_buf *b, char c)
{
    if (b->cap - b->len > 1 && !b->too_big) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
    } else {
        cm_buf_addc_slow(b, c);
    }
}

static inline void
cm_buf_adds(struct cm_buf *b, const char *s)
{
    cm_buf_add(b, s, strlen(s));
}
void cm_buf_addf(struct cm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cm_buf_vaddf(struct cm_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define CM_BUF_ADDLIT(b, lit) cm_buf_add((b), (lit), sizeof(lit) - 1)

#endif
