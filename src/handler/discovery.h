/*
 * discovery.h - the discovery documents of the two API groups served:
 *
 *   /apis                              APIGroupList (custom, then external)
 *   /apis/<group>                      APIGroup
 *   /apis/<group>/<version>            APIResourceList
 *
 * custom.metrics.k8s.io serves v1beta2 and v1beta1 and lists one
 * "<resource>/<metric>" entry per declared pair; v1beta2 is preferred, as it
 * is in a cluster whose APIService objects give v1beta2 the higher
 * versionPriority.  external.metrics.k8s.io serves v1beta1 and lists each
 * external metric name once.
 */
#ifndef CM_DISCOVERY_H
#define CM_DISCOVERY_H

#include "ctx.h"

struct cm_api_group {
    const char *name;                  /* "custom.metrics.k8s.io" */
    const char *const *versions;       /* preferred first; NULL-terminated */
    int external;                      /* 1 for external.metrics.k8s.io */
};

/* The group called name, or NULL.  Static. */
const struct cm_api_group *cm_discovery_group_find(const char *name);

/* 1 if g serves version. */
int cm_discovery_version_known(const struct cm_api_group *g, const char *version);

/* GET /apis: the APIGroupList. */
void cm_discovery_root(struct cm_ctx *ctx);

/* GET /apis/<group>: the APIGroup of ctx->route.group. */
void cm_discovery_group(struct cm_ctx *ctx);

/* GET /apis/<group>/<version>: the APIResourceList of ctx->route's group and version. */
void cm_discovery_resources(struct cm_ctx *ctx);

#endif
