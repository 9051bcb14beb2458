/*
 * objcache.h - the watch cache's shared state: one image file per watched
 * resource, and a control page every process of the pair maps.
 *
 *   DIR/objects.<resource>.snap   the resource's objects (objimage.h); a new
 *                                 version is written beside it and renamed
 *                                 over it, so a reader maps one whole version
 *   control page                  per resource: a generation bumped after
 *                                 each rename, when the last LIST completed,
 *                                 since when the watch is broken, and the
 *                                 last problem; anonymous shared memory made
 *                                 by the master before it forks
 *
 * The watcher process (watcher.c) writes; each worker, before each request,
 * compares the generations with the ones it mapped (one load each) and maps
 * what changed.  A worker keeps its mapping for the whole request, so no
 * request sees two versions, and the pages of an image are shared by every
 * process that maps it: the objects cost their memory once.
 */
#ifndef CM_OBJCACHE_H
#define CM_OBJCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "objects.h"
#include "resource.h"

#define CM_OBJCACHE_MAX 64           /* resources watched at most */

struct cm_objcache;                  /* owned by the master; inherited by fork */

/*
 * Makes the control page for resources res[0..n) and removes images a
 * previous run left in dir (they describe a cluster we have not listed).
 * Returns 0, or -1 with the reason in err.
 */
int cm_objcache_create(struct cm_objcache **out, const char *dir,
                       const struct cm_resource *const *res, size_t n,
                       char *err, size_t errlen);
void cm_objcache_free(struct cm_objcache *c);

size_t cm_objcache_size(const struct cm_objcache *c);
const struct cm_resource *cm_objcache_resource(const struct cm_objcache *c, size_t i);

/* ---- the writer (the watcher process) ---------------------------------- */

/*
 * Publishes img (len bytes) as resource i's objects: writes it to a new
 * file, renames it into place, maps it and bumps the generation.  Returns 0
 * with the mapping in *mapped_out (release it with cm_objcache_unmap), or -1
 * with err (nothing changed).
 */
int cm_objcache_publish(struct cm_objcache *c, size_t i, const void *img, size_t len,
                        const void **mapped_out, char *err, size_t errlen);
/* Unmaps a mapping of cm_objcache_publish(); the release function of an image. */
void cm_objcache_unmap(const void *img, size_t len, void *arg);

/* Marks that a LIST of resource i completed at time t (and counts it). */
void cm_objcache_set_listed(struct cm_objcache *c, size_t i, time_t t);
/*
 * Sets resource i's watch state: broken_since 0 while it is watched, else
 * the time it stopped being; message says what went wrong ("" for nothing).
 */
void cm_objcache_set_state(struct cm_objcache *c, size_t i, time_t broken_since,
                           const char *message);

/* ---- readers ----------------------------------------------------------- */

/*
 * The current objects of every watched resource, mapping the images whose
 * generation moved since the last call.  A resource not yet published has
 * no objects.  Borrowed; valid until the next call.
 */
const struct cm_objects *cm_objcache_refresh(struct cm_objcache *c);

struct cm_objcache_status {
    const char *resource;
    uint64_t generation;             /* 0: nothing published yet */
    uint64_t nobjects;
    time_t listed_at;                /* 0: no LIST has completed */
    uint64_t lists;                  /* LISTs completed (relists: all but the first) */
    time_t broken_since;             /* 0: watching */
    char message[256];
};

/* Resource i's state as the watcher last set it (a consistent copy). */
void cm_objcache_status(const struct cm_objcache *c, size_t i, struct cm_objcache_status *out);

#endif
