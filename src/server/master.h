/*
 * master.h - the supervising process of the worker pool.
 *
 * The master opens nothing but the listening socket and never handles a
 * request.  It forks the workers, respawns any that dies (immediately the
 * first time, then with exponential backoff while workers keep dying young),
 * and on SIGTERM or SIGINT stops the pool gracefully: it shuts the listening
 * socket (idle workers return from accept), lets workers finish the request
 * they are serving, kills stragglers after the shutdown timeout, removes the
 * socket and returns 0.
 *
 * It also runs the health worker when given its socket: a worker of its
 * own on a socket of its own, that nginx sends /healthz, /livez and /readyz
 * to, and that never opens a source, so that no slow source can keep health
 * waiting behind the work.  Respawned and stopped like the others.
 *
 * It may also supervise helper processes, the watch cache (watcher.h) and
 * the Redis replicator (replicator.h), each respawned like a worker when it
 * dies and stopped with the pool.  A helper may run only while its
 * configuration wants it (wanted()), and may be restarted with every
 * generation (restart_per_generation: the replicator, whose configuration
 * is the one committed), never side by side with its predecessor.
 *
 * Reloads (struct cm_master_reload): on SIGHUP, or when the watch
 * descriptor reports a change (debounced: a burst of events is one reload),
 * the master asks the hooks to stage a new configuration.  Refused: nothing
 * changes.  Staged: the master starts a new generation of workers (and of
 * the health worker) from it, then sends SIGTERM to the old ones, which
 * finish the request they serve and exit.  The listening socket stays open
 * throughout, so no connection is refused, and each request is answered by
 * one worker, from one whole configuration.  When the watch cache must
 * follow (its resources changed), helpers[0] (the watch cache) restarts
 * first and the new generation waits until it is ready (or
 * CM_MASTER_HELPER_WAIT_MS).
 */
#ifndef CM_MASTER_H
#define CM_MASTER_H

#include "router.h"

#define CM_MASTER_HELPERS_MAX 2

/* A helper process: its main (the process's exit status), and its name for the log. */
struct cm_master_helper {
    int (*main)(void *arg);
    void *arg;
    const char *name;             /* "watch cache" */
    /* NULL: always runs; else it runs only while wanted(arg) is 1 (asked at each start) */
    int (*wanted)(void *arg);
    /* 1: stopped and started again (when wanted) with each new generation, before its workers */
    int restart_per_generation;
};

#define CM_MASTER_DEBOUNCE_MS     200    /* quiet time after the last change before a reload */
#define CM_MASTER_DEBOUNCE_MAX_MS 2000   /* ...but no later than this after the first */
#define CM_MASTER_HELPER_WAIT_MS  60000  /* the longest wait for a restarted helper */

enum { CM_MASTER_UNCHANGED = -2, CM_MASTER_REFUSED = -1, CM_MASTER_STAGED = 0,
       CM_MASTER_STAGED_HELPER = 1 };

struct cm_master_reload {
    /*
     * Loads the configuration again as "check" does.  Returns
     * CM_MASTER_UNCHANGED (not forced, and the files hold the bytes that
     * serve: nothing to do), CM_MASTER_REFUSED (nothing changed; the hook
     * said why), CM_MASTER_STAGED (commit() will install it), or
     * CM_MASTER_STAGED_HELPER (helpers[0], the watch cache, must restart
     * first: its arg already describes the new one).  forced is 1 for a
     * SIGHUP, which reloads whatever the bytes (the files the configuration
     * names may have changed), 0 for a change the watch reported.
     */
    int (*stage)(void *arg, int forced);
    /* With CM_MASTER_STAGED_HELPER: 1 once the new helper is ready. */
    int (*helper_ready)(void *arg);
    /* Makes the staged configuration the api (and health_api) new workers get. */
    void (*commit)(void *arg);
    /* 1 when watch_fd's pending events may have changed the configuration. */
    int (*drain)(void *arg);
    void *arg;
    int watch_fd;                 /* -1: SIGHUP only; else raises SIGIO (reload.h) */
};

struct cm_master_opts {
    const char *socket_path;
    int listen_fd;                /* from cm_listener_open() */
    int workers;
    int shutdown_timeout;         /* seconds */
    const struct cm_api *api;
    int health_fd;                /* -1: no health worker; else its socket */
    const char *health_socket_path;
    const struct cm_api *health_api;  /* the health worker's: no sources */
    struct cm_master_helper helpers[CM_MASTER_HELPERS_MAX];
    int nhelpers;
    const struct cm_master_reload *reload;  /* NULL: SIGHUP is ignored */
};

/* Runs until asked to stop; returns the process exit status. */
int cm_master_run(const struct cm_master_opts *opts);

#endif
