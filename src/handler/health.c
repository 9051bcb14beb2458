#include "health.h"
#include "auth.h"
#include "objcache.h"
#include "reloadstate.h"

#include <string.h>
#include <time.h>

/*
 * One check's answer: ok, and the text after "ok: " or "failed: " in
 * detail (empty when there is nothing to say).  readiness is 1 for /readyz,
 * where a check may fail that /livez and /healthz only describe.
 */
typedef int (*check_fn)(const struct cm_ctx *ctx, int readiness, struct cm_buf *detail);

static int
ping_check(const struct cm_ctx *ctx, int readiness, struct cm_buf *detail)
{
    (void)ctx;
    (void)readiness;
    (void)detail;
    return 1;
}

/*
 * The config check always holds: a refused reload leaves the configuration
 * that was serving, so it is no reason to take the pod out of service.  Its
 * detail says so when the last reload was refused, until a reload is taken;
 * why (every FILE:LINE:COLUMN problem) is in the log, not here: health
 * answers anyone, and the problems quote paths and values of the config.
 */
static int
config_check(const struct cm_ctx *ctx, int readiness, struct cm_buf *detail)
{
    const struct cm_api *api = ctx->api;
    struct cm_reload_snapshot st;
    struct tm tm;
    char when[32];

    (void)readiness;
    if (api->reload == NULL)
        return 1;
    cm_reload_state_read(api->reload, &st);
    if (!st.last_failed)
        return 1;
    gmtime_r(&st.last_attempt, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cm_buf_addf(detail, "the last reload failed at %s, serving generation %llu (the log, "
                "and custom-metrics-fcgi check, say why)", when, (unsigned long long)st.generation);
    return 1;
}

/*
 * The objects check.  With --objects it always holds (the file was loaded
 * at start).  With the watch cache, /readyz fails until every watched
 * resource has been listed once; after that every check holds, and the
 * detail says how old the snapshot is while the kube-apiserver is away.
 */
static int
objects_check(const struct cm_ctx *ctx, int readiness, struct cm_buf *detail)
{
    const struct cm_api *api = ctx->api;
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
        cm_buf_addf(detail, "serving a snapshot %llds old:", (long long)(ctx->req->now - oldest));
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
 * The front-proxy check.  Where the front proxy's trust is expected (a CA
 * file, or the extension-apiserver-authentication ConfigMap), /readyz fails
 * until it has been read: before, every request of the aggregator would be
 * refused (401), so the pod must not be in the Service yet.  /livez and
 * /healthz only say so: restarting would not bring the ConfigMap sooner.
 * Once read, the check holds even when it names no requestheader CA (a
 * cluster without a front proxy, whose clients come with bearer tokens);
 * the detail says that certificates are refused.
 */
static int
front_proxy_check(const struct cm_ctx *ctx, int readiness, struct cm_buf *detail)
{
    const struct cm_auth *auth = ctx->api->auth;
    const struct cm_frontproxy *fp;

    if (auth == NULL || auth->ops == NULL || auth->trust_source == NULL)
        return 1;
    fp = auth->ops->frontproxy(auth->ops_arg);
    if (fp == NULL || !fp->loaded) {
        cm_buf_addf(detail, "waiting for %s to be read: the front proxy's requests are refused "
                    "meanwhile", auth->trust_source);
        return !readiness;
    }
    if (!fp->have_ca)
        cm_buf_addf(detail, "%s names no requestheader CA: requests with a client certificate "
                    "are refused", auth->trust_source);
    return 1;
}

static const struct {
    const char *name;
    check_fn run;
} checks[] = {
    { "ping", ping_check },
    { "config", config_check },
    { "objects", objects_check },
    { "front-proxy", front_proxy_check },
};

#define NCHECKS (sizeof(checks) / sizeof(*checks))

/* 1 if ?exclude names the check. */
static int
excluded(const struct cm_query *q, const char *name)
{
    size_t k;

    for (k = 0; k < q->npairs; k++)
        if (strcmp(q->pair[k].name, "exclude") == 0 && cm_query_value_is(&q->pair[k], name))
            return 1;
    return 0;
}

/*
 * /healthz, /livez, /readyz as the Go server answers them: "ok", or with
 * ?verbose one "[+]<check> ok" line per check and "<name> check passed";
 * ?exclude=<check> skips a check.  /<name>/<check> answers one check.  A
 * failing check makes a 500 listing every check ("[-]<check> failed: why"),
 * verbose or not, as the Go server does.
 */
void
cm_health_respond(struct cm_ctx *ctx)
{
    const char *name = ctx->uri.seg[0];
    const char *only = ctx->uri.nseg == 2 ? ctx->uri.seg[1] : NULL;
    int readiness = strcmp(name, "readyz") == 0, failed = 0, ok;
    struct cm_response *res = ctx->res;
    struct cm_buf detail;
    size_t i;

    cm_buf_reset(res->body);
    res->content_type = "text/plain; charset=utf-8";
    res->nosniff = 1;
    cm_buf_init(&detail, 16384);
    if (only != NULL) {
        for (i = 0; i < NCHECKS && strcmp(only, checks[i].name) != 0; i++)
            ;
        if (i == NCHECKS) {
            res->status = 404;
            CM_BUF_ADDLIT(res->body, "404 page not found\n");
        } else if (checks[i].run(ctx, readiness, &detail)) {
            res->status = 200;
            CM_BUF_ADDLIT(res->body, "ok");
        } else {
            res->status = 500;
            cm_buf_addf(res->body, "internal server error: %s\n", detail.len ? detail.data : "");
        }
        cm_buf_free(&detail);
        return;
    }
    res->status = 200;
    for (i = 0; i < NCHECKS; i++) {
        if (excluded(&ctx->query, checks[i].name)) {
            cm_buf_addf(res->body, "[+]%s excluded: ok\n", checks[i].name);
            continue;
        }
        cm_buf_reset(&detail);
        ok = checks[i].run(ctx, readiness, &detail);
        cm_buf_addf(res->body, "[%c]%s %s%s%s\n", ok ? '+' : '-', checks[i].name,
                    ok ? "ok" : "failed", detail.len || !ok ? ": " : "", detail.len ? detail.data : "");
        failed |= !ok;
    }
    cm_buf_free(&detail);
    if (failed) {
        res->status = 500;
        cm_buf_addf(res->body, "%s check failed\n", name);
    } else if (cm_query_get(&ctx->query, "verbose") == NULL) {
        cm_buf_reset(res->body);
        CM_BUF_ADDLIT(res->body, "ok");
    } else {
        cm_buf_addf(res->body, "%s check passed\n", name);
    }
}
