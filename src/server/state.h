/*
 * state.h - what serve sets up on disk and in shared memory before it
 * forks: the sockets' paths, the health socket, the push store (and the
 * Redis copy's checks), the token files' modes, the Prometheus flight table
 * and the self-metrics' counters.  Each function prints or logs its
 * problem; the ones returning int give 0 or -1.
 */
#ifndef CM_STATE_H
#define CM_STATE_H

#include "cli.h"
#include "config.h"
#include "kubeconn.h"

#define CM_LISTEN_BACKLOG 4096       /* the kernel caps it at net.core.somaxconn */

struct cm_promshare;
struct cm_counters;

/* The socket's directory: where the watch cache's images go by default; owned. */
char *cm_state_socket_dir(const char *socket);

/* --health-socket, or health.sock in the socket's directory; owned. */
char *cm_state_health_path(const struct cm_cli *a);

/* The health worker's listening socket at path, or -1 after saying why. */
int cm_state_open_health(const struct cm_cli *a, const char *path);

/* What the workers share about Prometheus (promshare.h), owned, or NULL after saying why. */
struct cm_promshare *cm_state_open_share(void);

/*
 * Refuses token files others could read or write, or that another user owns
 * (safefile.h): --write-token-file, the Prometheus bearer_token_file, the
 * push: block's password_file, and the kube-apiserver's token file.
 */
int cm_state_check_token_files(const struct cm_cli *a, const struct cm_config *cfg,
                               const struct cm_kubeconn *conn, int cluster);

/* The push store (created once, before the workers open it), a readable write token, Redis' needs. */
int cm_state_prepare(const struct cm_cli *a, const struct cm_config *cfg);

/* The self-metrics' counters, mapped before the fork and made this process's; owned, or NULL. */
struct cm_counters *cm_state_open_counters(const struct cm_cli *a);

#endif
