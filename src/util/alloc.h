/*
 * alloc.h - allocation policy.
 *
 * Out of memory is not a recoverable condition in this server: a worker that
 * cannot allocate aborts, nginx answers that one request with a Status 502,
 * and the master respawns the worker.  Every cm_x* function therefore either
 * returns memory or does not return at all, and callers never check for NULL.
 * Limits on *input size* are a different matter and are enforced explicitly
 * by each parser, with an error code.
 */
#ifndef CM_ALLOC_H
#define CM_ALLOC_H

#include <stddef.h>

void *cm_xmalloc(size_t size);
void *cm_xcalloc(size_t n, size_t size);
void *cm_xrealloc(void *p, size_t size);
/* Returns an owned copy of s; free() it. */
char *cm_xstrdup(const char *s);
char *cm_xstrndup(const char *s, size_t n);

#endif
