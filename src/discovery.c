#include "discovery.h"
#include "api.h"

#include <string.h>

const char *const cm_custom_versions[] = { "v1beta2", "v1beta1", NULL };

int
cm_discovery_version_known(const char *version)
{
    size_t i;

    for (i = 0; cm_custom_versions[i] != NULL; i++)
        if (strcmp(cm_custom_versions[i], version) == 0)
            return 1;
    return 0;
}

static void
group_version(struct cm_json *j, const char *version)
{
    char gv[64];

    snprintf(gv, sizeof(gv), "%s/%s", CM_GROUP_CUSTOM, version);
    cm_json_object_begin(j);
    cm_json_key(j, "groupVersion"); cm_json_string(j, gv);
    cm_json_key(j, "version");      cm_json_string(j, version);
    cm_json_object_end(j);
}

/* The members of an APIGroup after kind/apiVersion. */
static void
group_members(struct cm_json *j)
{
    size_t i;

    cm_json_key(j, "name");
    cm_json_string(j, CM_GROUP_CUSTOM);
    cm_json_key(j, "versions");
    cm_json_array_begin(j);
    for (i = 0; cm_custom_versions[i] != NULL; i++)
        group_version(j, cm_custom_versions[i]);
    cm_json_array_end(j);
    cm_json_key(j, "preferredVersion");
    group_version(j, cm_custom_versions[0]);
}

void
cm_discovery_group_list(struct cm_json *j)
{
    /* The generic apiserver strips apiVersion from the root list. */
    cm_json_object_begin(j);
    cm_json_key(j, "kind");
    cm_json_string(j, "APIGroupList");
    cm_json_key(j, "groups");
    cm_json_array_begin(j);
    cm_json_object_begin(j);
    group_members(j);
    cm_json_object_end(j);
    cm_json_array_end(j);
    cm_json_object_end(j);
}

void
cm_discovery_group(struct cm_json *j)
{
    cm_json_object_begin(j);
    cm_json_key(j, "kind");       cm_json_string(j, "APIGroup");
    cm_json_key(j, "apiVersion"); cm_json_string(j, "v1");
    group_members(j);
    cm_json_object_end(j);
}

void
cm_discovery_resource_list(struct cm_json *j, const struct cm_config *cfg,
                           const char *version)
{
    char gv[64], name[CM_METRIC_NAME_MAX + 128];
    size_t i, k;

    snprintf(gv, sizeof(gv), "%s/%s", CM_GROUP_CUSTOM, version);
    cm_json_object_begin(j);
    cm_json_key(j, "kind");         cm_json_string(j, "APIResourceList");
    cm_json_key(j, "apiVersion");   cm_json_string(j, "v1");
    cm_json_key(j, "groupVersion"); cm_json_string(j, gv);
    cm_json_key(j, "resources");
    cm_json_array_begin(j);
    for (i = 0; i < cfg->nmetrics; i++) {
        const struct cm_metric *m = &cfg->metrics[i];

        for (k = 0; k < m->nresources; k++) {
            snprintf(name, sizeof(name), "%s/%s", m->resources[k]->group_resource, m->name);
            cm_json_object_begin(j);
            cm_json_key(j, "name");         cm_json_string(j, name);
            cm_json_key(j, "singularName"); cm_json_string(j, "");
            cm_json_key(j, "namespaced");   cm_json_bool(j, m->resources[k]->namespaced);
            cm_json_key(j, "kind");         cm_json_string(j, "MetricValueList");
            cm_json_key(j, "verbs");
            cm_json_array_begin(j);
            cm_json_string(j, "get");
            cm_json_array_end(j);
            cm_json_object_end(j);
        }
    }
    cm_json_array_end(j);
    cm_json_object_end(j);
}
