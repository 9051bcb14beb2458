/*
 * reflector.h - the objects of one resource, kept as client-go's reflector
 * keeps them: a LIST replaces the whole set, then WATCH events (ADDED,
 * MODIFIED, DELETED, BOOKMARK, ERROR) change it one object at a time.
 *
 * Pure logic: the caller (watcher.c) does the HTTP and hands over the bytes.
 * The set is a published image (the base, mapped from the file every worker
 * reads) plus the changes since (the delta, in this process's heap).
 * cm_reflector_build() merges them into the next image to publish, so the
 * objects cost their memory once, in the shared image, plus what changed
 * since the last publish.
 *
 * Only namespace, name, uid and labels are kept; items may be full objects
 * or PartialObjectMetadata (what an Accept header asking for
 * as=PartialObjectMetadataList gets from a real kube-apiserver).
 */
#ifndef CM_REFLECTOR_H
#define CM_REFLECTOR_H

#include <stddef.h>

#include "resource.h"

enum cm_watch_event {
    CM_WATCH_ADDED,
    CM_WATCH_MODIFIED,
    CM_WATCH_DELETED,
    CM_WATCH_BOOKMARK,
    CM_WATCH_GONE,             /* ERROR 410: the resourceVersion expired; LIST again */
    CM_WATCH_ERROR,            /* any other ERROR event */
};

struct cm_reflector;

/* Owned; r is borrowed and must outlive it. */
struct cm_reflector *cm_reflector_new(const struct cm_resource *r);
void cm_reflector_free(struct cm_reflector *x);

/* Starts a LIST: pages are collected apart until cm_reflector_list_end(). */
void cm_reflector_list_begin(struct cm_reflector *x);

/*
 * Takes one page of a LIST (a JSON List body).  Returns 0 with the page's
 * continue token in *continue_out (owned, free() it; NULL on the last page),
 * or -1 with the reason in err for a body that is not a List.
 */
int cm_reflector_list_page(struct cm_reflector *x, const char *body, size_t len,
                           char **continue_out, char *err, size_t errlen);

/*
 * Ends a LIST: the listed objects replace the set (the delta is dropped) and
 * the List's resourceVersion becomes the one to watch from.  Returns 0 with
 * the new set's image (owned, malloc'd) to publish, or -1 with err.
 */
int cm_reflector_list_end(struct cm_reflector *x, void **img_out, size_t *len_out,
                          char *err, size_t errlen);

/*
 * Applies one watch event (one JSON line of the stream).  Returns its type,
 * or -1 with err for a line that is not an event.  For CM_WATCH_ERROR, err
 * holds the Status message.
 */
int cm_reflector_event(struct cm_reflector *x, const char *line, size_t len,
                       char *err, size_t errlen);

/* The changes applied since the base was set (0: nothing to publish). */
size_t cm_reflector_pending(const struct cm_reflector *x);

/*
 * Merges the base and the delta into a new image (owned, malloc'd) to
 * publish.  The delta is kept until cm_reflector_set_base().  Returns 0, or
 * -1 with err.
 */
int cm_reflector_build(struct cm_reflector *x, void **img_out, size_t *len_out,
                       char *err, size_t errlen);

/*
 * Makes img the base (what has been published) and drops the delta.  The
 * reflector calls release(img, len, arg) when the base is replaced or the
 * reflector freed.
 */
void cm_reflector_set_base(struct cm_reflector *x, const void *img, size_t len,
                           void (*release)(const void *img, size_t len, void *arg), void *arg);

/* The resourceVersion to watch from ("" before the first LIST). */
const char *cm_reflector_version(const struct cm_reflector *x);

/* Objects in the base image. */
size_t cm_reflector_count(const struct cm_reflector *x);

/*
 * The delay before reconnection attempt number `failures` (1 for the first
 * retry): 250 ms doubling up to max_ms, with "equal jitter" (a uniform draw
 * in the upper half) so that many servers do not retry in step.  seed is the
 * caller's rand_r() state.
 */
long cm_reflector_backoff_ms(unsigned failures, long max_ms, unsigned *seed);

#endif
