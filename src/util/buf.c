#include "buf.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cm_buf_init(struct cm_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->too_big = 0;
}

void
cm_buf_free(struct cm_buf *b)
{
    free(b->data);
    cm_buf_init(b, b->max);
}

void
cm_buf_reset(struct cm_buf *b)
{
    b->len = 0;
    b->too_big = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Makes room for n more bytes plus a NUL; returns 0 or -1 (cap reached). */
static int
reserve(struct cm_buf *b, size_t n)
{
    size_t want, cap;

    if (b->too_big)
        return -1;
    if (n > b->max || b->len > b->max - n) {
        b->too_big = 1;
        return -1;
    }
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    if (b->max < (size_t)-1 && cap > b->max + 1)
        cap = b->max + 1;           /* see cm_buf_add(): cap bounds len */
    b->data = cm_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

void
cm_buf_add_slow(struct cm_buf *b, const void *p, size_t n)
{
    if (reserve(b, n) < 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

char *
cm_buf_room_slow(struct cm_buf *b, size_t n)
{
    if (reserve(b, n) < 0)
        return NULL;
    return b->data + b->len;
}

void
cm_buf_addc_slow(struct cm_buf *b, char c)
{
    if (reserve(b, 1) < 0)
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void
cm_buf_vaddf(struct cm_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || reserve(b, (size_t)n) < 0)
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void
cm_buf_addf(struct cm_buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cm_buf_vaddf(b, fmt, ap);
    va_end(ap);
}
