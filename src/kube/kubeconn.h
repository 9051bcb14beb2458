/*
 * kubeconn.h - how to reach the kube-apiserver: its URL, how to verify it,
 * and how to authenticate to it.  Three ways, as client-go offers them:
 *
 *   in-cluster   KUBERNETES_SERVICE_HOST/PORT with the pod's service-account
 *                token and ca.crt (the token file is re-read as it rotates)
 *   kubeconfig   a kubeconfig file's current context (or a named one)
 *   master URL   --master-url; with a kubeconfig it overrides the server,
 *                alone it is a URL with no credentials (kubectl proxy)
 *
 * TLS is verified unless insecure-skip-tls-verify says otherwise.  This is
 * configuration only: kubeclient.h does the requests.
 */
#ifndef CM_KUBECONN_H
#define CM_KUBECONN_H

#include <stddef.h>

#include "diag.h"

#define CM_KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Every field is owned (free with cm_kubeconn_free); NULL when unset. */
struct cm_kubeconn {
    char *server;              /* "https://10.96.0.1:443", no trailing slash */
    char *ca_file;             /* PEM file to verify the server with */
    char *ca_data;             /* or PEM bytes (certificate-authority-data) */
    size_t ca_len;
    char *cert_file, *key_file;   /* a client certificate ... */
    char *cert_data, *key_data;   /* ... or its PEM bytes */
    size_t cert_len, key_len;
    char *token;               /* a bearer token */
    char *token_file;          /* or a file holding one, re-read per request */
    int insecure;              /* insecure-skip-tls-verify */
    char *origin;              /* where this came from, for messages */
};

void cm_kubeconn_free(struct cm_kubeconn *c);

/*
 * The in-cluster connection: KUBERNETES_SERVICE_HOST and _PORT from the
 * environment, sa_dir/token and sa_dir/ca.crt.  Returns 0, or -1 with the
 * reason in err.
 */
int cm_kubeconn_in_cluster(struct cm_kubeconn *out, const char *sa_dir,
                           char *err, size_t errlen);

/*
 * The connection a kubeconfig's context describes (context NULL: its
 * current-context).  Relative paths are relative to the file's directory.
 * Returns 0, or -1 with every problem in d as FILE:LINE:COLUMN: message.
 */
int cm_kubeconn_kubeconfig(struct cm_kubeconn *out, const char *path, const char *context,
                           struct cm_diag *d);

/*
 * Sets the server to url (http:// or https://), as --master-url does; the
 * rest of *c is kept.  Returns 0, or -1 with the reason in err.
 */
int cm_kubeconn_set_server(struct cm_kubeconn *c, const char *url, char *err, size_t errlen);

/*
 * Decodes standard base64 (white space ignored) into an owned buffer.
 * Returns 0 with *out (NUL-terminated) and *len_out, or -1.
 */
int cm_base64_decode(const char *in, char **out, size_t *len_out);

#endif
