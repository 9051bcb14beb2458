/*
 * resource.h - the Kubernetes resources the server knows: their plural name,
 * API group and version, kind, and scope.
 *
 * The built-in table covers the kinds people scale on.  Other resources
 * (CRDs included) are found through the cluster's discovery
 * (kubediscovery.h) at start and added with cm_resource_add().
 */
#ifndef CM_RESOURCE_H
#define CM_RESOURCE_H

#include <stddef.h>

struct cm_resource {
    const char *plural;        /* "deployments" */
    const char *group;         /* "apps"; "" for the core group */
    const char *version;       /* "v1" */
    const char *kind;          /* "Deployment" */
    int namespaced;
    const char *group_resource;  /* "deployments.apps", or "pods": GroupResource.String() */
    const char *api_version;     /* "apps/v1", or "v1" */
    const char *singular;        /* "deployment": the label naming one in Prometheus data */
};

/*
 * Finds a resource by the name used in URLs and in metrics.yaml: the plural
 * qualified by its group ("deployments.apps"), or the bare plural when that
 * names exactly one resource ("pods", "deployments").  Returns a pointer into
 * the static table, or NULL.
 */
const struct cm_resource *cm_resource_lookup(const char *name);

/* Finds a resource by API group and kind, as an object's apiVersion and kind name it. */
const struct cm_resource *cm_resource_by_kind(const char *group, const char *kind);

/* The namespaces resource (metrics on /namespaces/{ns}/metrics/{m} describe it). */
const struct cm_resource *cm_resource_namespaces(void);

/* Iteration over the table, for diagnostics: index 0..n-1, NULL past the end. */
const struct cm_resource *cm_resource_at(size_t i);

#define CM_RESOURCE_MAX_ADDED 64

/*
 * Adds a resource the cluster serves to those the lookups find (r is
 * borrowed and must live as long as the process).  Returns 0, or -1 when
 * the table is full or already has r's group_resource.
 */
int cm_resource_add(const struct cm_resource *r);

#endif
