/*
 * kubeclient.h - requests to the kube-apiserver with libcurl: a LIST page, a
 * discovery document, a WATCH stream delivered as it arrives, or the POST of
 * a review (TokenReview, SubjectAccessReview).
 *
 * One client is one connection (kept alive between requests); use one per
 * thread.  The bearer token is read afresh from its file for every request,
 * so a rotated service-account token takes effect on the next one.
 */
#ifndef CM_KUBECLIENT_H
#define CM_KUBECLIENT_H

#include <stddef.h>

#include "kubeconn.h"

struct cm_kubeclient;

/*
 * Receives the body as it arrives, with the answer's HTTP status; a non-zero
 * return aborts the transfer.
 */
typedef int (*cm_kube_data_fn)(long status, const char *data, size_t len, void *arg);
/* Called about once a second while a transfer is open; non-zero aborts it. */
typedef int (*cm_kube_tick_fn)(void *arg);

struct cm_kube_call {
    const char *path;          /* with its query: "/api/v1/pods?limit=500" */
    const char *accept;        /* the Accept header */
    long timeout_ms;           /* the whole transfer; 0: none (a watch) */
    cm_kube_data_fn on_data;
    cm_kube_tick_fn on_tick;   /* may be NULL */
    void *arg;
    const char *body;          /* non-NULL: POST these body_len bytes of JSON */
    size_t body_len;
};

/*
 * A client for conn (borrowed: it must outlive the client).  Returns NULL
 * with the reason in err when libcurl cannot be loaded.
 */
struct cm_kubeclient *cm_kubeclient_new(const struct cm_kubeconn *conn, char *err, size_t errlen);
void cm_kubeclient_free(struct cm_kubeclient *c);

/*
 * GETs call->path (POSTs call->body to it when set).  Returns the HTTP status once the whole body has been
 * delivered (error statuses too: their body is a Status), or -1 with the
 * reason in err when there was no answer or the transfer broke off
 * (refused, TLS failure, timed out, a stream cut, aborted by a callback).
 */
long cm_kubeclient_get(struct cm_kubeclient *c, const struct cm_kube_call *call,
                       char *err, size_t errlen);

#endif
