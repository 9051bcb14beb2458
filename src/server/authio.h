/*
 * authio.h - the I/O behind authentication and authorization (auth.h's
 * ops): the requestheader CA bundle and its verification of client
 * certificates with libcrypto, the reviews sent to the kube-apiserver, and
 * the follower of the extension-apiserver-authentication ConfigMap.
 *
 * Trust comes from --requestheader-client-ca-file (re-read when the file
 * changes) or, with a cluster and no such flag, from the ConfigMap: the
 * watch-cache helper re-reads it every CM_AUTHIO_FOLLOW_S seconds and
 * writes its data to a file beside the cache images, which every worker
 * re-reads when it changes.  Either way a rotated CA takes effect without
 * restarting anything.
 */
#ifndef CM_AUTHIO_H
#define CM_AUTHIO_H

#include <stdint.h>
#include <sys/types.h>

#include "arena.h"
#include "auth.h"
#include "kubeconn.h"

#define CM_AUTHIO_FOLLOW_S 5             /* the ConfigMap is re-read this often */
#define CM_AUTHIO_CONFIGMAP_FILE "extension-apiserver-authentication.json"
#define CM_AUTHIO_VERDICTS 16            /* certificate verdicts each worker keeps */

struct cm_authio_verdict {
    unsigned char fingerprint[32];       /* SHA-256 of the escaped PEM */
    uint64_t ca_generation;
    int64_t until_ms;
    int ok;
    char cn[256], why[256];
};

/* One per process; the master fills the settings, each worker keeps its own state. */
struct cm_authio {
    /* settings (borrowed) */
    const struct cm_kubeconn *conn;      /* NULL: no cluster */
    const char *ca_file;                 /* --requestheader-client-ca-file, or NULL */
    const char *configmap_file;          /* the follower's file, when ca_file is NULL */
    struct cm_frontproxy flags;          /* names and headers from the flags */
    long timeout_ms;
    /* state */
    struct cm_kubeclient *client;        /* made on first use, after fork */
    void *store;                         /* X509_STORE * */
    uint64_t ca_generation;
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
    off_t size;
    int64_t checked_ms;
    struct cm_frontproxy fp;             /* in force; strings in arena */
    struct cm_arena arena;
    struct cm_authio_verdict verdict[CM_AUTHIO_VERDICTS];
    unsigned next_verdict;
};

extern const struct cm_auth_ops cm_authio_ops;

void cm_authio_init(struct cm_authio *io);

/*
 * Reads the ConfigMap once and writes its data to path (if it changed).
 * Returns 1 written or unchanged, 0 when the ConfigMap does not exist, -1
 * with err.
 */
int cm_authio_fetch_configmap(const struct cm_kubeconn *conn, const char *path,
                              char *err, size_t errlen);

/* Re-reads the ConfigMap into path every CM_AUTHIO_FOLLOW_S seconds, for ever (a thread). */
void *cm_authio_follow(void *arg);

struct cm_authio_follow_args {
    const struct cm_kubeconn *conn;
    const char *path;
};

#endif
