/*
 * router.h - answering one HTTP request of the metrics APIs.
 *
 * A request (method, raw REQUEST_URI, a few headers, the time) goes in, a
 * response (status, content type, body bytes) comes out.  The router parses
 * the path and the query into a struct cm_ctx (ctx.h), applies the rules
 * every route shares (methods, bodies, Accept, ?pretty), and hands the
 * context to the handler of the route (src/handler/).  The FastCGI worker is
 * a thin adapter around cm_router_handle(); the unit and golden tests call
 * it directly.
 */
#ifndef CM_ROUTER_H
#define CM_ROUTER_H

#include "arena.h"
#include "ctx.h"

/*
 * Answers req from api.  res->body must be an initialized (empty) buffer;
 * per-request memory comes from a, which the caller resets afterwards.  The
 * body is written for HEAD too; the caller sends only the headers.  Never
 * fails: bad input becomes a Kubernetes Status response.
 */
void cm_router_handle(const struct cm_api *api, const struct cm_request *req,
                      struct cm_arena *a, struct cm_response *res);

#endif
