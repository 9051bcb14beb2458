#include "discovery.h"

#include <string.h>

static const char *const custom_versions[] = { "v1beta2", "v1beta1", NULL };
static const char *const external_versions[] = { "v1beta1", NULL };

static const struct cm_api_group groups[] = {
    { CM_GROUP_CUSTOM, custom_versions, 0 },
    { CM_GROUP_EXTERNAL, external_versions, 1 },
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

const struct cm_api_group *
cm_discovery_group_find(const char *name)
{
    size_t i;

    for (i = 0; i < NGROUPS; i++)
        if (strcmp(groups[i].name, name) == 0)
            return &groups[i];
    return NULL;
}

int
cm_discovery_version_known(const struct cm_api_group *g, const char *version)
{
    size_t i;

    for (i = 0; g->versions[i] != NULL; i++)
        if (strcmp(g->versions[i], version) == 0)
            return 1;
    return 0;
}

static void
group_version(struct cm_json *j, const struct cm_api_group *g, const char *version)
{
    char gv[96];

    snprintf(gv, sizeof(gv), "%s/%s", g->name, version);
    cm_json_object_begin(j);
    cm_json_key(j, "groupVersion"); cm_json_string(j, gv);
    cm_json_key(j, "version");      cm_json_string(j, version);
    cm_json_object_end(j);
}

/* The members of an APIGroup after kind/apiVersion. */
static void
group_members(struct cm_json *j, const struct cm_api_group *g)
{
    size_t i;

    cm_json_key(j, "name");
    cm_json_string(j, g->name);
    cm_json_key(j, "versions");
    cm_json_array_begin(j);
    for (i = 0; g->versions[i] != NULL; i++)
        group_version(j, g, g->versions[i]);
    cm_json_array_end(j);
    cm_json_key(j, "preferredVersion");
    group_version(j, g, g->versions[0]);
}

void
cm_discovery_root(struct cm_ctx *ctx)
{
    struct cm_json jw, *j = &jw;
    size_t i;

    cm_ctx_json_begin(ctx, j);
    /* The generic apiserver strips apiVersion from the root list. */
    cm_json_object_begin(j);
    cm_json_key(j, "kind");
    cm_json_string(j, "APIGroupList");
    cm_json_key(j, "groups");
    cm_json_array_begin(j);
    for (i = 0; i < NGROUPS; i++) {
        cm_json_object_begin(j);
        group_members(j, &groups[i]);
        cm_json_object_end(j);
    }
    cm_json_array_end(j);
    cm_json_object_end(j);
    cm_ctx_json_end(ctx);
}

void
cm_discovery_group(struct cm_ctx *ctx)
{
    const struct cm_api_group *g = ctx->route.group;
    struct cm_json jw, *j = &jw;

    cm_ctx_json_begin(ctx, j);
    cm_json_object_begin(j);
    cm_json_key(j, "kind");       cm_json_string(j, "APIGroup");
    cm_json_key(j, "apiVersion"); cm_json_string(j, "v1");
    group_members(j, g);
    cm_json_object_end(j);
    cm_ctx_json_end(ctx);
}

/* One metav1.APIResource of a metrics group. */
static void
resource_entry(struct cm_json *j, const char *name, int namespaced, const char *kind)
{
    cm_json_object_begin(j);
    cm_json_key(j, "name");         cm_json_string(j, name);
    cm_json_key(j, "singularName"); cm_json_string(j, "");
    cm_json_key(j, "namespaced");   cm_json_bool(j, namespaced);
    cm_json_key(j, "kind");         cm_json_string(j, kind);
    cm_json_key(j, "verbs");
    cm_json_array_begin(j);
    cm_json_string(j, "get");
    cm_json_array_end(j);
    cm_json_object_end(j);
}

void
cm_discovery_resources(struct cm_ctx *ctx)
{
    const struct cm_config *cfg = ctx->api->config;
    const struct cm_api_group *g = ctx->route.group;
    const char *version = ctx->route.version;
    char gv[96], name[CM_METRIC_NAME_MAX + 128];
    struct cm_json jw, *j = &jw;
    size_t i, k;

    cm_ctx_json_begin(ctx, j);
    snprintf(gv, sizeof(gv), "%s/%s", g->name, version);
    cm_json_object_begin(j);
    cm_json_key(j, "kind");         cm_json_string(j, "APIResourceList");
    cm_json_key(j, "apiVersion");   cm_json_string(j, "v1");
    cm_json_key(j, "groupVersion"); cm_json_string(j, gv);
    cm_json_key(j, "resources");
    cm_json_array_begin(j);
    if (g->external) {
        /* External metrics are namespaced and named by the metric alone. */
        for (i = 0; i < cfg->nexternal; i++)
            if (cfg->external[i].first_of_name)
                resource_entry(j, cfg->external[i].name, 1, "ExternalMetricValueList");
    } else {
        for (i = 0; i < cfg->nmetrics; i++) {
            const struct cm_metric *m = &cfg->metrics[i];

            for (k = 0; k < m->nresources; k++) {
                snprintf(name, sizeof(name), "%s/%s", m->resources[k]->group_resource, m->name);
                resource_entry(j, name, m->resources[k]->namespaced, "MetricValueList");
            }
        }
    }
    cm_json_array_end(j);
    cm_json_object_end(j);
    cm_ctx_json_end(ctx);
}
