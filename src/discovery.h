/*
 * discovery.h - the discovery documents: /apis (APIGroupList),
 * /apis/custom.metrics.k8s.io (APIGroup) and /apis/custom.metrics.k8s.io/<v>
 * (APIResourceList, one "<resource>/<metric>" entry per declared pair).
 *
 * Both versions are served and listed; v1beta2 is preferred, as it is in a
 * cluster whose APIService objects give v1beta2 the higher versionPriority.
 */
#ifndef CM_DISCOVERY_H
#define CM_DISCOVERY_H

#include "config.h"
#include "json.h"

/* The versions served, preferred first; NULL-terminated. */
extern const char *const cm_custom_versions[];

/* 1 if version is one of cm_custom_versions. */
int cm_discovery_version_known(const char *version);

void cm_discovery_group_list(struct cm_json *j);
void cm_discovery_group(struct cm_json *j);
void cm_discovery_resource_list(struct cm_json *j, const struct cm_config *cfg,
                                const char *version);

#endif
