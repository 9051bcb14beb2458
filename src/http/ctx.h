/*
 * ctx.h - one request being answered: what came in, what the router found
 * in it, the memory it may use, and the response being built.
 *
 * The worker (src/server/worker.c) fills a struct cm_request from FastCGI
 * and calls cm_router_handle() (router.h), which parses the request into a
 * struct cm_ctx and passes that one object to a handler (src/handler/).
 * A handler takes the context and nothing else: the server's state, the
 * parsed path and query, the arena and the output flags are all in it, as
 * nginx's ngx_http_request_t and h2o's h2o_req_t carry theirs.
 *
 * This header sits below every handler and includes only what its own
 * members need (the arena, buffers, the parsed URI and query, the
 * identity); the configuration and the objects are named by pointer, and
 * the handlers that read them include their headers.  So the include graph
 * has no cycle: handlers include ctx.h and status.h, the router includes
 * the handlers, the worker includes the router.
 */
#ifndef CM_CTX_H
#define CM_CTX_H

#include <stddef.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "buf.h"
#include "identity.h"
#include "json.h"
#include "query.h"
#include "uri.h"

#define CM_GROUP_CUSTOM "custom.metrics.k8s.io"
#define CM_GROUP_EXTERNAL "external.metrics.k8s.io"

/* The largest request body read (the write API's limit; nginx allows as much). */
#define CM_BODY_MAX (1u << 20)

struct cm_config;
struct cm_objects;
struct cm_sources;
struct cm_objcache;
struct cm_api_group;
struct cm_reload_state;

/* What a worker serves from; borrowed by every request.  Only the source state changes. */
struct cm_api {
    const struct cm_config *config;
    const struct cm_objects *objects;   /* NULL: no object source (see README) */
    struct cm_objcache *cache;          /* the watch cache, for health checks; the
                                           worker refreshes objects from it, else NULL */
    struct cm_sources *sources;         /* the worker's own; NULL: only static sources answer */
    const char *write_token_file;       /* NULL: the write API (write.h) is off */
    const struct cm_auth *auth;         /* who may ask what (auth.h); NULL: anyone */
    int self_metrics;                   /* 1: /metrics answers the self-metrics (metrics.h):
                                           the health worker's, for the metrics port */
    const struct cm_reload_state *reload;  /* the reloads' shared record (reloadstate.h), for
                                           health; NULL when nothing reloads */
};

/* The request as the front end passed it; every pointer is borrowed. */
struct cm_request {
    const char *method;          /* "GET", "HEAD", ... */
    const char *uri;             /* the raw request target (REQUEST_URI) */
    const char *user_agent;      /* NULL when absent */
    const char *accept;          /* NULL when absent */
    long long content_length;    /* 0 when absent */
    time_t now;                  /* the time stamped on values */
    const char *content_type;    /* NULL when absent */
    const char *authorization;   /* NULL when absent */
    const char *body;            /* a POST's body (not NUL-terminated), else NULL */
    size_t body_len;
    const char *const *params;   /* every FastCGI param, "NAME=value", NULL-terminated;
                                    NULL when the caller has none (identity headers) */
    const char *client_cert;     /* the TLS client certificate, URL-escaped PEM
                                    ($ssl_client_escaped_cert), NULL or "" when none */
};

/* The response a handler builds; the worker turns it into FastCGI headers and body. */
struct cm_response {
    int status;                  /* HTTP status code */
    const char *content_type;    /* static string */
    const char *allow;           /* an Allow header for 405, else NULL */
    int nosniff;                 /* send X-Content-Type-Options: nosniff */
    struct cm_buf *body;         /* borrowed from the caller; the handler fills it */
    unsigned char route;         /* what the request was, for the self-metrics: an enum
                                    cm_counters_route; the router sets it */
    unsigned char gv;            /* the group and version it named: an enum cm_counters_gv */
};

/* What the router read from the path; strings are borrowed from the arena. */
/* What a write path names (the write API, write.h); CM_FORM_NONE elsewhere. */
enum cm_route_form {
    CM_FORM_NONE,
    CM_FORM_BATCH,                      /* /write-metrics: items in the body */
    CM_FORM_OBJECT,                     /* one object's value: ns, resource, name, metric */
    CM_FORM_SERIES,                     /* an external series: ns ("" for all), metric */
    CM_FORM_UNKNOWN,                    /* below /write-metrics, but no form of it */
};

struct cm_route {
    enum cm_route_form form;
    const struct cm_api_group *group;   /* NULL outside /apis/<group>/ */
    const char *version;                /* "v1beta1", "v1beta2", or NULL */
    const char *ns;                     /* "" when root-scoped */
    const char *resource;               /* as in the URL: "pods", "deployments.apps" */
    const char *name;                   /* an object name, or "*" for a selector request */
    const char *metric;
};

struct cm_ctx {
    const struct cm_api *api;           /* borrowed */
    const struct cm_request *req;       /* borrowed */
    struct cm_arena *arena;             /* per-request memory; the caller resets it */
    struct cm_response *res;            /* borrowed; filled by the handler */
    struct cm_uri uri;                  /* the parsed REQUEST_URI */
    struct cm_query query;              /* its parsed query string */
    struct cm_route route;
    int pretty;                         /* indent JSON (?pretty, or curl's User-Agent) */
    struct cm_identity identity;        /* who asks (src/handler/guard.c fills it) */
};

/*
 * Starts a 200 application/json answer: resets the body and points j at it
 * with the context's indentation.
 */
void cm_ctx_json_begin(struct cm_ctx *ctx, struct cm_json *j);

/*
 * Ends a JSON answer as the Go apiserver does: compact output gets a
 * trailing newline, pretty output none.
 */
void cm_ctx_json_end(struct cm_ctx *ctx);

#endif
