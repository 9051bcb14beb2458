#include "external.h"
#include "json.h"
#include "log.h"
#include "selector.h"
#include "source.h"
#include "param.h"
#include "status.h"

#include <string.h>

static int
write_series(const struct cm_series *s, void *arg)
{
    struct cm_json *j = ((void **)arg)[0];
    const struct cm_metric *m = ((void **)arg)[1];
    size_t i;

    cm_json_object_begin(j);
    cm_json_key(j, "metricName");   cm_json_string(j, m->name);
    cm_json_key(j, "metricLabels");
    cm_json_object_begin(j);
    for (i = 0; i < s->labels.n; i++) {         /* sorted, as Go writes a map */
        cm_json_key(j, s->labels.v[i].key);
        cm_json_string(j, s->labels.v[i].value);
    }
    cm_json_object_end(j);
    cm_json_key(j, "timestamp");    cm_json_time(j, s->value.timestamp);
    if (m->window > 0) {
        cm_json_key(j, "window");
        cm_json_int(j, m->window);
    }
    cm_json_key(j, "value");        cm_json_string(j, s->value.text);
    cm_json_object_end(j);
    return cm_buf_failed(j->out);
}

void
cm_external_respond(struct cm_ctx *ctx)
{
    const struct cm_api *api = ctx->api;
    const char *ns = ctx->route.ns, *metric = ctx->route.metric;
    struct cm_arena *a = ctx->arena;
    const struct cm_metric *m;
    struct cm_source_view *views;
    struct cm_selector sel;
    struct cm_json j;
    size_t pos = 0, n = 0, i;

    if (cm_param_flag(&ctx->query, "watch")) {
        cm_status_method_not_supported(ctx, CM_GROUP_EXTERNAL, "*", "watch");
        return;
    }
    if (cm_param_selector(ctx, "labelSelector", 400, "BadRequest", &sel) < 0)
        return;
    m = cm_config_next_external(api->config, metric, &pos);
    if (m == NULL) {
        cm_status_write(ctx, 404, "NotFound", 0,
                        "the server could not find the external metric %s", metric);
        return;
    }
    /* Every entry of this name must be able to answer before any is written. */
    views = cm_arena_alloc(a, api->config->nexternal * sizeof(*views));
    for (; m != NULL; m = cm_config_next_external(api->config, metric, &pos), n++) {
        if ((cm_source_open(api->sources, m, ctx->req->now, &views[n]) < 0 ||
             cm_source_fetch_series(&views[n], &sel, a) < 0) && !m->has_fallback) {
            cm_log_request(CM_LOG_WARN, "503: unable to fetch external metric %s: %s", metric,
                           views[n].failure);
            cm_status_write(ctx, 503, "ServiceUnavailable", 0,
                            "unable to fetch external metric %s: %s (request %s)", metric,
                            views[n].failure, cm_log_request_id());
            return;
        }
    }

    cm_ctx_json_begin(ctx, &j);
    cm_json_object_begin(&j);
    cm_json_key(&j, "kind");       cm_json_string(&j, "ExternalMetricValueList");
    cm_json_key(&j, "apiVersion"); cm_json_string(&j, CM_GROUP_EXTERNAL "/" CM_EXTERNAL_VERSION);
    cm_json_key(&j, "metadata");   cm_json_object_begin(&j); cm_json_object_end(&j);
    cm_json_key(&j, "items");
    cm_json_array_begin(&j);
    for (i = 0; i < n; i++) {
        void *arg[2] = { &j, (void *)views[i].metric };

        cm_source_each_series(&views[i], ns, &sel, a, write_series, arg);
    }
    cm_json_array_end(&j);
    cm_json_object_end(&j);
    cm_ctx_json_end(ctx);
}
