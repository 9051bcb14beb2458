/*
 * guard.h - the router's authentication and authorization step, before any
 * handler runs (auth.h describes the modes and the rules).
 *
 * Authentication fills ctx->identity: a verified front-proxy certificate
 * with an allowed CN makes the identity headers count; a bearer token is
 * checked with a TokenReview; otherwise the request is system:anonymous.  A
 * certificate or token that fails is a 401 Status ("Unauthorized", as Go
 * answers).  Authorization then allows group system:masters locally, asks
 * the static policy or a SubjectAccessReview (answers shared through the
 * decision cache), and refuses with Go's 403 Forbidden Status.
 */
#ifndef CM_GUARD_H
#define CM_GUARD_H

#include "ctx.h"

/*
 * Authenticates and authorizes ctx's request (health paths are the
 * caller's to skip).  Returns 0 when it may go on, or -1 with the refusal
 * written to ctx->res.
 */
int cm_guard_check(struct cm_ctx *ctx);

/*
 * The write API's second way in, after its token file refused the bearer
 * token: a cluster token whose TokenReview authenticates it and whose
 * SubjectAccessReview allows verb "create" on resource "values" in group
 * custom.metrics.k8s.io.  Returns 1 when allowed, 0 when there is no
 * cluster to ask (the caller's own refusal stands), or -1 with the refusal
 * written.
 */
int cm_guard_write(struct cm_ctx *ctx);

#define CM_GUARD_WRITE_RESOURCE "values"

#endif
