#include "health.h"
#include "objcache.h"
#include "reloadstate.h"

#include <string.h>
#include <time.h>

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
 * The config check always holds: a refused reload leaves the configuration
 * that was serving, so it is no reason to take the pod out of service.  Its
 * detail says so when the last reload was refused, and why (every
 * FILE:LINE:COLUMN problem), until a reload is taken.
 */
static void
config_detail(const struct cm_api *api, struct cm_buf *detail)
{
    struct cm_reload_snapshot st;
    struct tm tm;
    char when[32];

    if (api->reload == NULL)
        return;
    cm_reload_state_read(api->reload, &st);
    if (!st.last_failed)
        return;
    gmtime_r(&st.last_attempt, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cm_buf_addf(detail, "the last reload failed at %s, serving generation %llu: %s", when,
                (unsigned long long)st.generation, st.message);
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
    const struct cm_query *q = &ctx->query;
    struct cm_response *res = ctx->res;
    static const char *const checks[] = { "ping", "config", "objects" };
    struct cm_buf detail, config;
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
    objects_ok = objects_check(ctx->api, strcmp(name, "readyz") == 0, ctx->req->now, &detail);
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
    cm_buf_init(&config, CM_RELOAD_MESSAGE_MAX + 256);
    config_detail(ctx->api, &config);
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
        else if (strcmp(checks[i], "config") == 0 && config.len > 0)
            cm_buf_addf(res->body, "[+]%s ok: %s\n", checks[i], config.data);
        else
            cm_buf_addf(res->body, "[+]%s ok\n", checks[i]);
        failed |= !ok && !excluded;
    }
    cm_buf_free(&detail);
    cm_buf_free(&config);
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
