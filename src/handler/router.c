#include "router.h"
#include "discovery.h"
#include "external.h"
#include "guard.h"
#include "health.h"
#include "openapi.h"
#include "param.h"
#include "status.h"
#include "values.h"
#include "write.h"

#include <string.h>
#include <strings.h>

enum route {
    R_NONE, R_HEALTH, R_OPENAPI_V2, R_ROOT, R_GROUP, R_VERSION, R_METRIC, R_EXTERNAL,
    R_BAD_PATH,
};

static void bad_path(struct cm_ctx *ctx);

/* The handler of each route, and whether it answers only JSON (Accept is checked). */
static const struct {
    void (*handle)(struct cm_ctx *ctx);
    int json;
} handlers[] = {
    [R_NONE] = { cm_status_not_found, 0 },
    [R_HEALTH] = { cm_health_respond, 0 },
    [R_OPENAPI_V2] = { cm_openapi_respond, 1 },
    [R_ROOT] = { cm_discovery_root, 1 },
    [R_GROUP] = { cm_discovery_group, 1 },
    [R_VERSION] = { cm_discovery_resources, 1 },
    [R_METRIC] = { cm_values_respond, 1 },
    [R_EXTERNAL] = { cm_external_respond, 1 },
    [R_BAD_PATH] = { bad_path, 1 },
};

static void
bad_path(struct cm_ctx *ctx)
{
    cm_status_write(ctx, 400, "BadRequest", 0, "invalid request path");
}

/*
 * The routes below /apis/custom.metrics.k8s.io/{version}/, as the Go library
 * installs them (reference §2.1), with its quirk that
 * namespaces/{ns}/{x} is "invalid request path" (400).
 */
static enum route
route_metric(struct cm_route *c, const char *const *s, size_t n)
{
    if (n > 0 && strcmp(s[0], "namespaces") == 0) {
        if (n == 3)
            return R_BAD_PATH;
        if (n == 4 && strcmp(s[2], "metrics") == 0) {
            c->ns = "";
            c->resource = "namespaces";
            c->name = s[1];
            c->metric = s[3];
            return R_METRIC;
        }
        if (n == 5) {
            c->ns = s[1];
            c->resource = s[2];
            c->name = s[3];
            c->metric = s[4];
            return R_METRIC;
        }
    } else if (n == 3) {
        c->ns = "";
        c->resource = s[0];
        c->name = s[1];
        c->metric = s[2];
        return R_METRIC;
    }
    return R_NONE;
}

/* Below /apis/external.metrics.k8s.io/v1beta1/: namespaces/{ns}/{metric}. */
static enum route
route_external(struct cm_route *c, const char *const *s, size_t n)
{
    if (n == 3 && strcmp(s[0], "namespaces") == 0) {
        c->ns = s[1];
        c->metric = s[2];
        return R_EXTERNAL;
    }
    return R_NONE;
}

/* The route of u; fills c with what the path names. */
static enum route
route(const struct cm_uri *u, struct cm_route *c)
{
    const char *const *s = u->seg;
    size_t n = u->nseg;

    memset(c, 0, sizeof(*c));
    if ((n == 1 || n == 2) && !u->trailing_slash &&
        (strcmp(s[0], "healthz") == 0 || strcmp(s[0], "livez") == 0 ||
         strcmp(s[0], "readyz") == 0))
        return R_HEALTH;
    if (n == 2 && !u->trailing_slash && strcmp(s[0], "openapi") == 0 &&
        strcmp(s[1], "v2") == 0)
        return R_OPENAPI_V2;
    if (n == 0 || strcmp(s[0], "apis") != 0)
        return R_NONE;
    if (n == 1)
        return u->trailing_slash ? R_NONE : R_ROOT;
    c->group = cm_discovery_group_find(s[1]);
    if (c->group == NULL)
        return R_NONE;
    if (n == 2)
        return u->trailing_slash ? R_NONE : R_GROUP;
    if (!cm_discovery_version_known(c->group, s[2]))
        return R_NONE;
    c->version = s[2];
    if (n == 3)
        return R_VERSION;                 /* a trailing slash is fine here, as in Go */
    if (u->trailing_slash)
        return R_NONE;
    if (c->group->external)
        return route_external(c, s + 3, n - 3);
    return route_metric(c, s + 3, n - 3);
}

/* The apiserver's isPrettyPrint: ?pretty=..., else the User-Agent. */
static int
want_pretty(const struct cm_request *req, const struct cm_query *q)
{
    const struct cm_query_pair *p = cm_query_get(q, "pretty");
    const char *ua = req->user_agent;
    int v = 0;

    if (p != NULL && p->value_len > 0) {
        cm_param_parse_bool(p->value, p->value_len, &v);
        return v;
    }
    return ua != NULL && (strncmp(ua, "curl", 4) == 0 || strncmp(ua, "Wget", 4) == 0 ||
                          strncmp(ua, "Mozilla/5.0", 11) == 0);
}

/*
 * 1 if the Accept header admits plain application/json: no header, or a
 * range "* / *", "application / *" or application/json (written here with
 * spaces only to keep this comment open) without an "as=" parameter (an
 * "as=APIGroupDiscoveryList" range asks for aggregated discovery, which this
 * server answers with 406 so that the aggregator falls back to the
 * per-version documents).
 */
static int
accepts_json(const char *accept)
{
    const char *p = accept;

    if (accept == NULL || *accept == '\0')
        return 1;
    while (*p) {
        size_t len = strcspn(p, ","), tlen;
        const char *semi = memchr(p, ';', len), *params;
        const char *type = p;

        while (*type == ' ' || *type == '\t')
            type++;
        tlen = (size_t)((semi ? semi : p + len) - type);
        while (tlen > 0 && (type[tlen - 1] == ' ' || type[tlen - 1] == '\t'))
            tlen--;
        params = semi ? semi : p + len;
        if ((tlen == 3 && strncmp(type, "*/*", 3) == 0) ||
            (tlen == 13 && strncasecmp(type, "application/*", 13) == 0) ||
            (tlen == 16 && strncasecmp(type, "application/json", 16) == 0)) {
            int has_as = 0;
            const char *q = params;
            while (q < p + len) {
                const char *next = memchr(q + 1, ';', (size_t)(p + len - q - 1));
                const char *name = q + 1;
                while (name < p + len && (*name == ' ' || *name == '\t'))
                    name++;
                if ((size_t)(p + len - name) >= 3 && strncasecmp(name, "as=", 3) == 0)
                    has_as = 1;
                if (next == NULL)
                    break;
                q = next;
            }
            if (!has_as)
                return 1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

void
cm_router_handle(const struct cm_api *api, const struct cm_request *req,
                 struct cm_arena *a, struct cm_response *res)
{
    struct cm_ctx ctx;
    enum route r;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.api = api;
    ctx.req = req;
    ctx.arena = a;
    ctx.res = res;
    res->status = 500;
    res->content_type = "application/json";
    res->allow = NULL;
    res->nosniff = 0;
    cm_buf_reset(res->body);

    rc = cm_uri_parse(&ctx.uri, req->uri ? req->uri : "", a);
    if (rc == CM_URI_ETOOLONG) {
        cm_status_write(&ctx, 414, "RequestURITooLong", 0, "%s", cm_uri_strerror(rc));
        return;
    }
    if (rc == CM_URI_ETOOMANY) {
        cm_status_not_found(&ctx);
        return;
    }
    if (rc != CM_URI_OK) {
        cm_status_write(&ctx, 400, "BadRequest", 0, "invalid request path: %s",
                        cm_uri_strerror(rc));
        return;
    }
    cm_query_parse(&ctx.query, ctx.uri.query, ctx.uri.query_len, a);
    ctx.pretty = want_pretty(req, &ctx.query);
    if (ctx.query.overflow) {
        cm_status_write(&ctx, 400, "BadRequest", 0, "the query has more than %d parameters",
                        CM_QUERY_MAX_PAIRS);
        return;
    }

    if (cm_write_is_route(&ctx.uri)) {
        cm_write_respond(&ctx);           /* its own methods and bodies */
        return;
    }
    r = route(&ctx.uri, &ctx.route);
    /* who asks, and may they: before anything else is said about the path */
    if (r != R_HEALTH && cm_guard_check(&ctx) < 0)
        return;
    if (r == R_NONE) {
        cm_status_not_found(&ctx);
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        cm_status_write(&ctx, 405, "MethodNotAllowed", 1,
                        "the server does not allow this method on the requested resource");
        res->allow = "GET, HEAD";
        return;
    }
    if (req->content_length > 0) {
        cm_status_write(&ctx, 400, "BadRequest", 0, "a %s request must not have a body",
                        req->method);
        return;
    }
    if (handlers[r].json && !accepts_json(req->accept)) {
        cm_status_write(&ctx, 406, "NotAcceptable", 0,
                        "only the following media types are accepted: application/json");
        return;
    }
    handlers[r].handle(&ctx);
    if (cm_buf_failed(res->body)) {
        cm_buf_reset(res->body);
        cm_status_write(&ctx, 500, "InternalError", 0,
                        "the response is larger than this server allows");
    }
}
