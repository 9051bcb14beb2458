/*
 * kubereview.h - the delegated authentication and authorization calls to the
 * kube-apiserver (the adapter's service account needs system:auth-delegator,
 * and the extension-apiserver-authentication-reader Role in kube-system for
 * the ConfigMap): a TokenReview, a SubjectAccessReview, and reading
 * kube-system/extension-apiserver-authentication.
 */
#ifndef CM_KUBEREVIEW_H
#define CM_KUBEREVIEW_H

#include <stddef.h>

#include "arena.h"
#include "identity.h"
#include "kubeclient.h"

#define CM_KUBE_AUTH_CONFIGMAP "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication"

/*
 * POSTs a TokenReview (authentication.k8s.io/v1) of token.  Returns 1 with
 * the user in *out (strings in a), 0 when the token is not authenticated,
 * or -1 with err when there was no usable answer.
 */
int cm_kubereview_token(struct cm_kubeclient *c, const char *token, long timeout_ms,
                        struct cm_identity *out, struct cm_arena *a, char *err, size_t errlen);

/*
 * POSTs the SubjectAccessReview body (JSON).  Returns 1 allowed, 0 denied
 * with the review's reason (maybe "") in reason, or -1 with err.
 */
int cm_kubereview_access(struct cm_kubeclient *c, const char *body, size_t len, long timeout_ms,
                         char *reason, size_t rlen, char *err, size_t errlen);

/*
 * GETs the extension-apiserver-authentication ConfigMap.  Returns 1 with its
 * "data" as JSON text in *out (malloc'd, the caller frees), 0 when it does
 * not exist, or -1 with err.
 */
int cm_kubereview_auth_configmap(struct cm_kubeclient *c, long timeout_ms, char **out,
                                 char *err, size_t errlen);

#endif
