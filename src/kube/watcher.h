/*
 * watcher.h - the watch cache's process: one thread per watched resource,
 * each a reflector (reflector.h) fed over HTTP (kubeclient.h) and
 * publishing images (objcache.h) for the workers.
 *
 * Each thread LISTs its resource (in pages of 500), publishes the set, then
 * WATCHes from the List's resourceVersion and publishes the changes at most
 * every CM_WATCHER_PUBLISH_MS (sooner is wasted work: an image is rebuilt
 * whole).  An ERROR 410 Gone, or a 410 answer, means the resourceVersion is
 * too old: it LISTs again at once.  A stream that breaks off, a refused
 * connection, a 401: the thread records the problem, keeps the last image
 * served, and LISTs again after a capped, jittered backoff.  A watch the
 * server ends normally (timeoutSeconds) is resumed from the last version.
 *
 * Request handling never waits for any of this: workers read the last
 * published images.
 */
#ifndef CM_WATCHER_H
#define CM_WATCHER_H

#include "kubeconn.h"
#include "objcache.h"

#define CM_WATCHER_PUBLISH_MS 100

#define CM_WATCHER_RETRY_MAX_MS 30000

/*
 * Runs the watch cache for every resource of cache, forever (the master
 * stops the process with a signal).  conn and cache are borrowed; retries
 * back off up to retry_max_ms.  Returns an exit status only when it cannot
 * start.
 */
int cm_watcher_run(const struct cm_kubeconn *conn, struct cm_objcache *cache, long retry_max_ms);

/* The API path of resource r's collection: "/api/v1/pods", "/apis/apps/v1/deployments". */
void cm_watcher_path(const struct cm_resource *r, char *buf, size_t len);

#endif
