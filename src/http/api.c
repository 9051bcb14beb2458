#include "api.h"
#include "objcache.h"
#include "discovery.h"
#include "external.h"
#include "json.h"
#include "openapi.h"
#include "query.h"
#include "status.h"
#include "uri.h"
#include "values.h"
#include "writeapi.h"

#include <string.h>
#include <strings.h>

enum route {
    R_NONE, R_HEALTH, R_OPENAPI_V2, R_ROOT, R_GROUP, R_VERSION, R_METRIC, R_EXTERNAL,
    R_BAD_PATH,
};

struct routed {
    enum route route;
    const struct cm_api_group *group;
    struct cm_metric_call call;        /* R_EXTERNAL: ns and metric */
};

const char *
cm_api_status_text(int status)
{
    switch (status) {
    case 200: return "200 OK";
    case 400: return "400 Bad Request";
    case 401: return "401 Unauthorized";
    case 404: return "404 Not Found";
    case 405: return "405 Method Not Allowed";
    case 406: return "406 Not Acceptable";
    case 413: return "413 Payload Too Large";
    case 414: return "414 URI Too Long";
    case 415: return "415 Unsupported Media Type";
    case 500: return "500 Internal Server Error";
    case 503: return "503 Service Unavailable";
    case 507: return "507 Insufficient Storage";
    }
    return "500 Internal Server Error";
}

/*
 * The routes below /apis/custom.metrics.k8s.io/{version}/, as the Go library
 * installs them (reference §2.1), with its quirk that
 * namespaces/{ns}/{x} is "invalid request path" (400).
 */
static void
route_metric(struct routed *rt, const char *const *s, size_t n)
{
    struct cm_metric_call *c = &rt->call;

    rt->route = R_NONE;
    if (n > 0 && strcmp(s[0], "namespaces") == 0) {
        if (n == 3) {
            rt->route = R_BAD_PATH;
        } else if (n == 4 && strcmp(s[2], "metrics") == 0) {
            rt->route = R_METRIC;
            c->ns = "";
            c->resource = "namespaces";
            c->name = s[1];
            c->metric = s[3];
        } else if (n == 5) {
            rt->route = R_METRIC;
            c->ns = s[1];
            c->resource = s[2];
            c->name = s[3];
            c->metric = s[4];
        }
    } else if (n == 3) {
        rt->route = R_METRIC;
        c->ns = "";
        c->resource = s[0];
        c->name = s[1];
        c->metric = s[2];
    }
}

/* Below /apis/external.metrics.k8s.io/v1beta1/: namespaces/{ns}/{metric}. */
static void
route_external(struct routed *rt, const char *const *s, size_t n)
{
    if (n == 3 && strcmp(s[0], "namespaces") == 0) {
        rt->route = R_EXTERNAL;
        rt->call.ns = s[1];
        rt->call.metric = s[2];
    }
}

static void
route(struct routed *rt, const struct cm_uri *u)
{
    const char *const *s = u->seg;
    size_t n = u->nseg;

    memset(rt, 0, sizeof(*rt));
    rt->route = R_NONE;
    if ((n == 1 || n == 2) && !u->trailing_slash &&
        (strcmp(s[0], "healthz") == 0 || strcmp(s[0], "livez") == 0 ||
         strcmp(s[0], "readyz") == 0)) {
        rt->route = R_HEALTH;
        return;
    }
    if (n == 2 && !u->trailing_slash && strcmp(s[0], "openapi") == 0 &&
        strcmp(s[1], "v2") == 0) {
        rt->route = R_OPENAPI_V2;
        return;
    }
    if (n == 0 || strcmp(s[0], "apis") != 0)
        return;
    if (n == 1) {
        if (!u->trailing_slash)
            rt->route = R_ROOT;
        return;
    }
    rt->group = cm_discovery_group_find(s[1]);
    if (rt->group == NULL)
        return;
    if (n == 2) {
        if (!u->trailing_slash)
            rt->route = R_GROUP;
        return;
    }
    if (!cm_discovery_version_known(rt->group, s[2]))
        return;
    rt->call.version = s[2];
    if (n == 3) {
        rt->route = R_VERSION;            /* a trailing slash is fine here, as in Go */
        return;
    }
    if (u->trailing_slash)
        return;
    if (rt->group->external)
        route_external(rt, s + 3, n - 3);
    else
        route_metric(rt, s + 3, n - 3);
}

/* strconv.ParseBool */
static int
parse_bool(const char *s, int *out)
{
    static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
    size_t i;

    for (i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0) { *out = 1; return 0; }
        if (strcmp(s, no[i]) == 0) { *out = 0; return 0; }
    }
    return -1;
}

/* The apiserver's isPrettyPrint: ?pretty=..., else the User-Agent. */
static int
want_pretty(const struct cm_request *req, const struct cm_query *q)
{
    const struct cm_query_pair *p = cm_query_get(q, "pretty");
    const char *ua = req->user_agent;
    int v = 0;

    if (p != NULL && p->value_len > 0) {
        if (strlen(p->value) == p->value_len)     /* "1\0" is no bool: not pretty */
            parse_bool(p->value, &v);
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

/*
 * The objects check.  With --objects it always holds (the file was loaded
 * at start).  With the watch cache, /readyz fails until every watched
 * resource has been listed once; after that every check holds, and the
 * detail says how old the snapshot is while the kube-apiserver is away.
 * Returns 1 when the check holds; detail gets the text after "ok: " or
 * "failed: " (empty when there is nothing to say).
 */
static int
objects_check(const struct cm_api *api, int readiness, time_t now, struct cm_buf *detail)
{
    struct cm_objcache_status st;
    size_t i, n, waiting = 0;
    uint64_t objects = 0;
    time_t oldest = 0;

    if (api->cache == NULL)
        return 1;
    n = cm_objcache_size(api->cache);
    for (i = 0; i < n; i++) {
        cm_objcache_status(api->cache, i, &st);
        objects += st.nobjects;
        if (st.listed_at == 0) {
            cm_buf_addf(detail, "%swaiting for the first LIST of %s%s%s", waiting++ ? "; " : "",
                        st.resource, st.message[0] ? ": " : "", st.message);
        } else if (st.broken_since != 0) {
            if (oldest == 0 || st.broken_since < oldest)
                oldest = st.broken_since;
        }
    }
    if (waiting > 0)
        return !readiness;
    if (oldest != 0) {
        cm_buf_addf(detail, "serving a snapshot %llds old:", (long long)(now - oldest));
        for (i = 0; i < n; i++) {
            cm_objcache_status(api->cache, i, &st);
            if (st.broken_since != 0)
                cm_buf_addf(detail, " %s: %s;", st.resource, st.message);
        }
        detail->data[--detail->len] = '\0';
    } else {
        cm_buf_addf(detail, "%llu objects of %zu resource%s, watched",
                    (unsigned long long)objects, n, n == 1 ? "" : "s");
    }
    return 1;
}

/*
 * /healthz, /livez, /readyz as the Go server answers them: "ok", or with
 * ?verbose one "[+]<check> ok" line per check and "<name> check passed";
 * ?exclude=<check> skips a check.  /<name>/<check> answers one check.  A
 * failing check makes a 500 listing every check ("[-]<check> failed: why"),
 * verbose or not, as the Go server does.
 */
static void
health(const struct cm_api *api, const char *name, const char *only,
       const struct cm_query *q, time_t now, struct cm_response *res)
{
    static const char *const checks[] = { "ping", "config", "objects" };
    struct cm_buf detail;
    size_t i, k;
    int found = only == NULL, objects_ok, failed = 0;

    cm_buf_reset(res->body);
    res->content_type = "text/plain; charset=utf-8";
    res->nosniff = 1;
    for (i = 0; i < sizeof(checks) / sizeof(*checks); i++)
        if (only != NULL && strcmp(only, checks[i]) == 0)
            found = 1;
    if (!found) {
        res->status = 404;
        CM_BUF_ADDLIT(res->body, "404 page not found\n");
        return;
    }
    cm_buf_init(&detail, 4096);
    objects_ok = objects_check(api, strcmp(name, "readyz") == 0, now, &detail);
    if (only != NULL) {
        int ok = strcmp(only, "objects") != 0 || objects_ok;

        res->status = ok ? 200 : 500;
        if (ok)
            CM_BUF_ADDLIT(res->body, "ok");
        else
            cm_buf_addf(res->body, "internal server error: %s\n", detail.len ? detail.data : "");
        cm_buf_free(&detail);
        return;
    }
    res->status = 200;
    for (i = 0; i < sizeof(checks) / sizeof(*checks); i++) {
        int excluded = 0, ok = strcmp(checks[i], "objects") != 0 || objects_ok;

        for (k = 0; k < q->npairs; k++)
            if (strcmp(q->pair[k].name, "exclude") == 0 && cm_query_value_is(&q->pair[k], checks[i]))
                excluded = 1;
        if (excluded)
            cm_buf_addf(res->body, "[+]%s excluded: ok\n", checks[i]);
        else if (!ok)
            cm_buf_addf(res->body, "[-]%s failed: %s\n", checks[i], detail.len ? detail.data : "");
        else if (strcmp(checks[i], "objects") == 0 && detail.len > 0)
            cm_buf_addf(res->body, "[+]%s ok: %s\n", checks[i], detail.data);
        else
            cm_buf_addf(res->body, "[+]%s ok\n", checks[i]);
        failed |= !ok && !excluded;
    }
    cm_buf_free(&detail);
    if (failed) {
        res->status = 500;
        cm_buf_addf(res->body, "%s check failed\n", name);
    } else if (cm_query_get(q, "verbose") == NULL) {
        cm_buf_reset(res->body);
        CM_BUF_ADDLIT(res->body, "ok");
    } else {
        cm_buf_addf(res->body, "%s check passed\n", name);
    }
}

static void
finish_json(struct cm_response *res, int pretty)
{
    if (!pretty)
        cm_buf_addc(res->body, '\n');
    res->status = 200;
    res->content_type = "application/json";
}

void
cm_api_handle(const struct cm_api *api, const struct cm_request *req,
              struct cm_arena *a, struct cm_response *res)
{
    struct cm_uri uri;
    struct cm_query query;
    struct routed rt;
    struct cm_json j;
    int pretty = 0, rc;

    res->status = 500;
    res->content_type = "application/json";
    res->allow = NULL;
    res->nosniff = 0;
    cm_buf_reset(res->body);

    rc = cm_uri_parse(&uri, req->uri ? req->uri : "", a);
    if (rc == CM_URI_ETOOLONG) {
        cm_status_write(res, 0, 414, "RequestURITooLong", 0, "%s", cm_uri_strerror(rc));
        return;
    }
    if (rc == CM_URI_ETOOMANY) {
        cm_status_not_found(res, 0);
        return;
    }
    if (rc != CM_URI_OK) {
        cm_status_write(res, 0, 400, "BadRequest", 0, "invalid request path: %s",
                        cm_uri_strerror(rc));
        return;
    }
    cm_query_parse(&query, uri.query, uri.query_len, a);
    pretty = want_pretty(req, &query);
    if (query.overflow) {
        cm_status_write(res, pretty, 400, "BadRequest", 0,
                        "the query has more than %d parameters", CM_QUERY_MAX_PAIRS);
        return;
    }

    if (cm_write_is_route(&uri)) {
        cm_write_respond(api, req, &uri, &query, pretty, a, res);
        return;
    }
    route(&rt, &uri);
    if (rt.route == R_NONE) {
        cm_status_not_found(res, pretty);
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        cm_status_write(res, pretty, 405, "MethodNotAllowed", 1,
                        "the server does not allow this method on the requested resource");
        res->allow = "GET, HEAD";
        return;
    }
    if (req->content_length > 0) {
        cm_status_write(res, pretty, 400, "BadRequest", 0,
                        "a %s request must not have a body", req->method);
        return;
    }
    if (rt.route == R_HEALTH) {
        health(api, uri.seg[0], uri.nseg == 2 ? uri.seg[1] : NULL, &query, req->now, res);
        return;
    }
    if (!accepts_json(req->accept)) {
        cm_status_write(res, pretty, 406, "NotAcceptable", 0,
                        "only the following media types are accepted: application/json");
        return;
    }

    cm_json_init(&j, res->body, pretty);
    switch (rt.route) {
    case R_OPENAPI_V2:
        cm_openapi_v2(res);           /* kube-openapi does not pretty-print */
        break;
    case R_ROOT:
        cm_discovery_group_list(&j);
        finish_json(res, pretty);
        break;
    case R_GROUP:
        cm_discovery_group(&j, rt.group);
        finish_json(res, pretty);
        break;
    case R_VERSION:
        cm_discovery_resource_list(&j, api->config, rt.group, rt.call.version);
        finish_json(res, pretty);
        break;
    case R_BAD_PATH:
        cm_status_write(res, pretty, 400, "BadRequest", 0, "invalid request path");
        break;
    case R_METRIC:
        cm_values_respond(api, req, &rt.call, &query, pretty, a, res);
        break;
    case R_EXTERNAL:
        cm_external_respond(api, req, rt.call.ns, rt.call.metric, &query, pretty, a, res);
        break;
    default:
        cm_status_not_found(res, pretty);
        break;
    }
    if (cm_buf_failed(res->body)) {
        cm_buf_reset(res->body);
        cm_status_write(res, pretty, 500, "InternalError", 0,
                        "the response is larger than this server allows");
    }
}
