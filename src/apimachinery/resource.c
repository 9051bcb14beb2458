#include "resource.h"

#include <string.h>

#define CORE(plural, singular, kind, ns) { plural, "", "v1", kind, ns, plural, "v1", singular }
#define GROUPED(plural, singular, group, version, kind, ns) \
    { plural, group, version, kind, ns, plural "." group, group "/" version, singular }

static const struct cm_resource table[] = {
    CORE("namespaces", "namespace", "Namespace", 0),
    CORE("nodes", "node", "Node", 0),
    CORE("pods", "pod", "Pod", 1),
    CORE("services", "service", "Service", 1),
    CORE("endpoints", "endpoints", "Endpoints", 1),
    CORE("persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", 1),
    CORE("persistentvolumes", "persistentvolume", "PersistentVolume", 0),
    CORE("replicationcontrollers", "replicationcontroller", "ReplicationController", 1),
    CORE("configmaps", "configmap", "ConfigMap", 1),
    GROUPED("deployments", "deployment", "apps", "v1", "Deployment", 1),
    GROUPED("statefulsets", "statefulset", "apps", "v1", "StatefulSet", 1),
    GROUPED("replicasets", "replicaset", "apps", "v1", "ReplicaSet", 1),
    GROUPED("daemonsets", "daemonset", "apps", "v1", "DaemonSet", 1),
    GROUPED("jobs", "job", "batch", "v1", "Job", 1),
    GROUPED("cronjobs", "cronjob", "batch", "v1", "CronJob", 1),
    GROUPED("ingresses", "ingress", "networking.k8s.io", "v1", "Ingress", 1),
    GROUPED("horizontalpodautoscalers", "horizontalpodautoscaler", "autoscaling", "v2", "HorizontalPodAutoscaler", 1),
    GROUPED("poddisruptionbudgets", "poddisruptionbudget", "policy", "v1", "PodDisruptionBudget", 1),
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Resources found through discovery, after the built-in ones. */
static const struct cm_resource *added[CM_RESOURCE_MAX_ADDED];
static size_t nadded;

const struct cm_resource *
cm_resource_at(size_t i)
{
    if (i < NTABLE)
        return &table[i];
    return i - NTABLE < nadded ? added[i - NTABLE] : NULL;
}

const struct cm_resource *
cm_resource_lookup(const char *name)
{
    const struct cm_resource *found = NULL, *r;
    size_t i;

    for (i = 0; (r = cm_resource_at(i)) != NULL; i++)
        if (strcmp(r->group_resource, name) == 0)
            return r;
    if (strchr(name, '.') != NULL)
        return NULL;
    for (i = 0; (r = cm_resource_at(i)) != NULL; i++) {
        if (strcmp(r->plural, name) == 0) {
            if (found != NULL)
                return NULL;            /* ambiguous */
            found = r;
        }
    }
    return found;
}

const struct cm_resource *
cm_resource_by_kind(const char *group, const char *kind)
{
    const struct cm_resource *r;
    size_t i;

    for (i = 0; (r = cm_resource_at(i)) != NULL; i++)
        if (strcmp(r->group, group) == 0 && strcmp(r->kind, kind) == 0)
            return r;
    return NULL;
}

int
cm_resource_add(const struct cm_resource *r)
{
    const struct cm_resource *o;
    size_t i;

    if (nadded == CM_RESOURCE_MAX_ADDED)
        return -1;
    for (i = 0; (o = cm_resource_at(i)) != NULL; i++)
        if (strcmp(o->group_resource, r->group_resource) == 0)
            return -1;
    added[nadded++] = r;
    return 0;
}

const struct cm_resource *
cm_resource_namespaces(void)
{
    return &table[0];
}

