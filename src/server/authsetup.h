/*
 * authsetup.h - who may ask, as serve's flags say: auth.h's settings
 * (delegated with a cluster, a static policy without one, insecure only
 * when asked for) and the I/O behind them (authio.h), which live as long as
 * the server and are inherited by the workers.
 */
#ifndef CM_AUTHSETUP_H
#define CM_AUTHSETUP_H

#include "auth.h"
#include "cli.h"
#include "kubeconn.h"

/*
 * Sets the settings up; dir is where the ConfigMap follower writes, workers
 * how many workers will share the decision cache.  Returns 0, or -1 after
 * printing the problem.
 */
int cm_authsetup(const struct cm_cli *a, int cluster, const struct cm_kubeconn *conn,
                 const char *dir, unsigned workers);

/* The settings (static storage, valid after cm_authsetup()). */
const struct cm_auth *cm_authsetup_auth(void);

/* The file the ConfigMap follower keeps up to date, or NULL when there is none. */
const char *cm_authsetup_configmap_file(void);

/*
 * The cluster connection moved (the reloader took it over): the reviews use
 * conn (borrowed) from now on, if they used one.
 */
void cm_authsetup_move_conn(const struct cm_kubeconn *conn);

#endif
