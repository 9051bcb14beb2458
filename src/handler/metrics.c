#include "metrics.h"
#include "counters.h"
#include "exposition.h"
#include "objcache.h"
#include "status.h"

#include <stdio.h>
#include <string.h>

static const char *build_version = "unknown";

void
cm_metrics_set_version(const char *version)
{
    build_version = version;
}

static double
seconds(uint64_t ns)
{
    return (double)ns / 1e9;
}

static void
requests(struct cm_buf *b, const struct cm_counters *c)
{
    int r, gv, code;

    cm_expo_family(b, "cmf_requests_total", "counter",
                   "Requests answered, by API group, version, route and HTTP status code.");
    for (r = 0; r < CM_ROUTE_N; r++) {
        for (gv = 0; gv < CM_GV_N; gv++) {
            for (code = CM_COUNTERS_CODE_MIN; code <= CM_COUNTERS_CODE_MAX; code++) {
                uint64_t n = cm_counters_requests(c, r, gv, code);
                const char *l[8];
                char codes[8];

                if (n == 0)
                    continue;
                snprintf(codes, sizeof(codes), "%d", code);
                l[0] = "group";
                l[2] = "version";
                cm_counters_gv_names(gv, &l[1], &l[3]);
                l[4] = "route";
                l[5] = cm_counters_route_name(r);
                l[6] = "code";
                l[7] = codes;
                cm_expo_sample_u64(b, "cmf_requests_total", l, 4, n);
            }
        }
    }
    cm_expo_family(b, "cmf_request_duration_seconds", "histogram",
                   "Time from the request reaching a worker to its answer being ready, by route.");
    for (r = 0; r < CM_ROUTE_N; r++) {
        struct cm_counters_hist h;
        const char *l[2] = { "route", cm_counters_route_name(r) };

        cm_counters_request_hist(c, r, &h);
        if (h.count == 0)
            continue;
        cm_expo_histogram(b, "cmf_request_duration_seconds", l, 1, cm_counters_bucket_le,
                          h.bucket, CM_COUNTERS_NBUCKETS, seconds(h.sum_ns));
    }
}

static void
config(struct cm_buf *b, const struct cm_counters *c)
{
    const char *ok[2] = { "result", "success" }, *bad[2] = { "result", "failure" };
    char hash[CM_COUNTERS_HASH_MAX];
    const char *l[2] = { "hash", hash };

    cm_expo_family(b, "cmf_config_reloads_total", "counter",
                   "Reloads of the configuration, taken (success) or refused (failure).");
    cm_expo_sample_u64(b, "cmf_config_reloads_total", ok, 1, cm_counters_config_reloads(c, 1));
    cm_expo_sample_u64(b, "cmf_config_reloads_total", bad, 1, cm_counters_config_reloads(c, 0));
    cm_expo_family(b, "cmf_config_last_reload_success_timestamp_seconds", "gauge",
                   "When the configuration serving was loaded (Unix time).");
    cm_expo_sample(b, "cmf_config_last_reload_success_timestamp_seconds", NULL, 0,
                   (double)cm_counters_config_last_success(c));
    cm_counters_config_hash(c, hash, sizeof(hash));
    cm_expo_family(b, "cmf_config_info", "gauge",
                   "The configuration serving: the FNV-1a 64 hash of its file, as hash.");
    cm_expo_sample(b, "cmf_config_info", l, 1, 1);
}

static void
sources(struct cm_buf *b, const struct cm_counters *c)
{
    static const char *const kinds[CM_COUNTERS_SOURCE_KINDS] = {
        "static", "file", "push", "prometheus",
    };
    struct cm_counters_hist h;
    uint32_t count, capacity;
    int i, known;

    cm_expo_family(b, "cmf_source_errors_total", "counter",
                   "Times a source could not give a request its values, by kind of source.");
    for (i = 0; i < CM_COUNTERS_SOURCE_KINDS; i++) {
        const char *l[2] = { "kind", kinds[i] };

        cm_expo_sample_u64(b, "cmf_source_errors_total", l, 1, cm_counters_source_errors(c, i));
    }
    cm_counters_prometheus_hist(c, &h);
    cm_expo_family(b, "cmf_prometheus_query_duration_seconds", "histogram",
                   "Time each query to Prometheus took, whatever its outcome.");
    cm_expo_histogram(b, "cmf_prometheus_query_duration_seconds", NULL, 0,
                      cm_counters_bucket_le, h.bucket, CM_COUNTERS_NBUCKETS, seconds(h.sum_ns));
    cm_counters_push(c, &count, &capacity, &known);
    if (!known)
        return;
    cm_expo_family(b, "cmf_push_values", "gauge", "Values the push store holds.");
    cm_expo_sample_u64(b, "cmf_push_values", NULL, 0, count);
    cm_expo_family(b, "cmf_push_capacity", "gauge", "Values the push store can hold (--push-capacity).");
    cm_expo_sample_u64(b, "cmf_push_capacity", NULL, 0, capacity);
}

static void
watch_cache(struct cm_buf *b, const struct cm_objcache *cache, time_t now)
{
    size_t n = cm_objcache_size(cache), i;
    struct cm_objcache_status st;

    cm_expo_family(b, "cmf_watch_cache_objects", "gauge",
                   "Objects the watch cache holds, by resource.");
    for (i = 0; i < n; i++) {
        const char *l[2];

        cm_objcache_status(cache, i, &st);
        l[0] = "resource";
        l[1] = st.resource;
        cm_expo_sample_u64(b, "cmf_watch_cache_objects", l, 1, st.nobjects);
    }
    cm_expo_family(b, "cmf_watch_cache_last_list_timestamp_seconds", "gauge",
                   "When the last LIST of the resource completed (Unix time; 0: never).");
    for (i = 0; i < n; i++) {
        const char *l[2];

        cm_objcache_status(cache, i, &st);
        l[0] = "resource";
        l[1] = st.resource;
        cm_expo_sample(b, "cmf_watch_cache_last_list_timestamp_seconds", l, 1,
                       (double)st.listed_at);
    }
    cm_expo_family(b, "cmf_watch_cache_sync_age_seconds", "gauge",
                   "How long the resource has been out of sync with the cluster: 0 while "
                   "it is watched, else since the watch broke (absent before the first LIST).");
    for (i = 0; i < n; i++) {
        const char *l[2];

        cm_objcache_status(cache, i, &st);
        if (st.listed_at == 0)
            continue;
        l[0] = "resource";
        l[1] = st.resource;
        cm_expo_sample(b, "cmf_watch_cache_sync_age_seconds", l, 1,
                       st.broken_since == 0 || now < st.broken_since ? 0.0
                       : (double)(now - st.broken_since));
    }
    cm_expo_family(b, "cmf_watch_cache_relists_total", "counter",
                   "LISTs of the resource after the first (a watch that could not resume).");
    for (i = 0; i < n; i++) {
        const char *l[2];

        cm_objcache_status(cache, i, &st);
        l[0] = "resource";
        l[1] = st.resource;
        cm_expo_sample_u64(b, "cmf_watch_cache_relists_total", l, 1,
                           st.lists > 0 ? st.lists - 1 : 0);
    }
}

void
cm_metrics_respond(struct cm_ctx *ctx)
{
    const struct cm_counters *c = cm_counters_current();
    struct cm_buf *b = ctx->res->body;
    const char *v[2] = { "version", build_version };

    if (!ctx->api->self_metrics || c == NULL || ctx->uri.trailing_slash) {
        ctx->res->route = CM_ROUTE_OTHER;  /* not the self-metrics here: any unknown path */
        cm_status_not_found(ctx);
        return;
    }
    cm_buf_reset(b);
    ctx->res->status = 200;
    ctx->res->content_type = CM_EXPOSITION_CONTENT_TYPE;
    ctx->res->nosniff = 1;
    cm_expo_family(b, "cmf_build_info", "gauge", "The server's build: its version.");
    cm_expo_sample(b, "cmf_build_info", v, 1, 1);
    requests(b, c);
    config(b, c);
    sources(b, c);
    if (ctx->api->cache != NULL)
        watch_cache(b, ctx->api->cache, ctx->req->now);
    cm_expo_family(b, "cmf_worker_restarts_total", "counter",
                   "Processes of the pool the master respawned after they died.");
    cm_expo_sample_u64(b, "cmf_worker_restarts_total", NULL, 0, cm_counters_worker_restarts(c));
}
