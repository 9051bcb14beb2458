/*
 * api.h - answering one HTTP request of the custom metrics API.
 *
 * This is pure logic: a request (method, raw REQUEST_URI, a few headers, the
 * time) goes in, a response (status, content type, body bytes) comes out.
 * The FastCGI worker is a thin adapter around cm_api_handle(), and the unit
 * and golden tests call it directly.
 */
#ifndef CM_API_H
#define CM_API_H

#include <stddef.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "objects.h"

#define CM_GROUP_CUSTOM "custom.metrics.k8s.io"
#define CM_GROUP_EXTERNAL "external.metrics.k8s.io"

struct cm_sources;
struct cm_objcache;

/* What a worker serves from; borrowed.  Only the source state changes. */
struct cm_api {
    const struct cm_config *config;
    const struct cm_objects *objects;   /* NULL: no object source (see README) */
    struct cm_objcache *cache;          /* the watch cache, for health checks; the
                                           worker refreshes objects from it, else NULL */
    struct cm_sources *sources;         /* the worker's own; NULL: file and push sources fail */
    const char *write_token_file;       /* NULL: the write API (writeapi.h) is off */
};

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
};

struct cm_response {
    int status;                  /* HTTP status code */
    const char *content_type;    /* static string */
    const char *allow;           /* an Allow header for 405, else NULL */
    int nosniff;                 /* send X-Content-Type-Options: nosniff */
    struct cm_buf *body;         /* borrowed from the caller; the handler fills it */
};

/*
 * Answers req.  res->body must be an initialized (empty) buffer; per-request
 * memory comes from a, which the caller resets afterwards.  The body is
 * written for HEAD too; the caller sends only the headers.  Never fails: bad
 * input becomes a Kubernetes Status response.
 */
void cm_api_handle(const struct cm_api *api, const struct cm_request *req,
                   struct cm_arena *a, struct cm_response *res);

/* "200 OK", "404 Not Found", ...: the reason phrase for a status line. */
const char *cm_api_status_text(int status);

#endif
