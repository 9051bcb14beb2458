/*
 * authattr.h - the authorizer.Attributes of a request, derived as the Go
 * generic apiserver's requestinfo.go derives them (hpa-aggregator.md §6.2),
 * and what is made of them: the SubjectAccessReview body the webhook
 * authorizer sends, the key of the shared decision cache, and the
 * Forbidden message of responsewriters.Forbidden.  Pure: no I/O.
 */
#ifndef CM_AUTHATTR_H
#define CM_AUTHATTR_H

#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "identity.h"

/* Strings are borrowed (the request's arena, or static); "" when absent. */
struct cm_authattr {
    int resource_request;      /* 1: resourceAttributes; 0: nonResourceAttributes */
    const char *verb;          /* "get", "list", "create"; non-resource: the method, lower-case */
    const char *group, *version, *resource, *subresource, *name, *ns;
    const char *path;          /* the decoded path (non-resource requests) */
};

/*
 * The attributes of method on the decoded path segments seg[0..nseg), as requestinfo.go finds
 * them: /apis/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<sub>]]
 * is a resource request (GET or HEAD: "get" with a name, else "list"; POST:
 * "create"), anything else a non-resource one.  Strings are made in a.
 */
void cm_authattr_from_path(struct cm_authattr *out, const char *method,
                           const char *const *seg, size_t nseg, int trailing_slash,
                           struct cm_arena *a);

/*
 * Appends the SubjectAccessReview (authorization.k8s.io/v1) of id doing
 * attrs to out, as JSON.
 */
void cm_authattr_sar_json(struct cm_buf *out, const struct cm_authattr *attrs,
                          const struct cm_identity *id);

/*
 * The decision cache's key of (id, attrs): every field of both, NUL
 * separated, into out.  Returns its length, or 0 when it does not fit (the
 * question is then not cached).
 */
size_t cm_authattr_key(const struct cm_authattr *attrs, const struct cm_identity *id,
                       char *out, size_t cap);

/*
 * responsewriters.Forbidden's message, without NewForbidden's prefix:
 *   User "eve" cannot get resource "pods/http_requests" in API group
 *   "custom.metrics.k8s.io" in the namespace "default"
 * ("at the cluster scope" without a namespace; "cannot get path \"/apis\""
 * for non-resource requests), then ": <reason>" when reason is not empty,
 * with &, < and > replaced by entities as Go's sanitizer does.
 */
void cm_authattr_forbidden_message(struct cm_buf *out, const struct cm_authattr *attrs,
                                   const char *user, const char *reason);

/* Go's %q of s appended to out (the quoting of names in messages). */
void cm_authattr_quote(struct cm_buf *out, const char *s);

#endif
