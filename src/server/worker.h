/*
 * worker.h - a FastCGI worker process: accepts requests from nginx on the
 * shared listening socket, one at a time, and answers them with
 * cm_router_handle().  This file is the only one that knows libfcgi.
 */
#ifndef CM_WORKER_H
#define CM_WORKER_H

#include "router.h"

#include <sys/types.h>

/*
 * Serves until the listening socket is shut down (the master does that to
 * stop the pool) or SIGTERM arrives; a request in flight is finished first.
 * `master` is the parent's pid: if the master dies, the worker stops and
 * shuts the listening socket so that no orphaned pool keeps serving.
 * Returns the process exit status.
 */
int cm_worker_run(int listen_fd, pid_t master, const struct cm_api *api);

#endif
