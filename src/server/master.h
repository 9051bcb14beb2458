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
 * It may also supervise one helper process, the watch cache (watcher.h),
 * respawned like a worker when it dies and stopped with the pool.
 */
#ifndef CM_MASTER_H
#define CM_MASTER_H

#include "router.h"

struct cm_master_opts {
    const char *socket_path;
    int listen_fd;                /* from cm_listener_open() */
    int workers;
    int shutdown_timeout;         /* seconds */
    const struct cm_api *api;
    int health_fd;                /* -1: no health worker; else its socket */
    const char *health_socket_path;
    const struct cm_api *health_api;  /* the health worker's: no sources */
    int (*helper)(void *arg);     /* NULL: no helper; else its process's main */
    void *helper_arg;
    const char *helper_name;      /* "watch cache", for the log */
};

/* Runs until asked to stop; returns the process exit status. */
int cm_master_run(const struct cm_master_opts *opts);

#endif
