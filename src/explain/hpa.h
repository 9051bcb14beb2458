/*
 * hpa.h - a HorizontalPodAutoscaler manifest (autoscaling/v2), as much of
 * it as decides which metrics the HPA controller fetches and how it turns
 * them into a replica count.
 *
 * Read from YAML or JSON (kubectl get hpa NAME -o yaml prints either).  The
 * metric sources kept are Pods, Object and External, the three that the
 * metrics APIs served here answer; Resource and ContainerResource metrics
 * come from metrics.k8s.io and are kept only to be reported as such.
 * Label selectors (matchLabels, matchExpressions) are turned into the text
 * the HPA's client sends (metav1.LabelSelectorAsSelector, then String()).
 */
#ifndef CM_HPA_H
#define CM_HPA_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

#define CM_HPA_METRICS_MAX 32

enum cm_hpa_source { CM_HPA_PODS, CM_HPA_OBJECT, CM_HPA_EXTERNAL, CM_HPA_RESOURCE };

enum cm_hpa_target { CM_HPA_VALUE, CM_HPA_AVERAGE_VALUE, CM_HPA_UTILIZATION };

struct cm_hpa_metric {
    enum cm_hpa_source source;
    const char *name;              /* the metric's name (Resource: cpu, memory) */
    const char *selector;          /* metric.selector as selector text; "" when none */
    const char *selector_go;       /* metric.selector as Go's %+v prints it, "<nil>" when none */
    enum cm_hpa_target target;
    int64_t target_milli;          /* value or averageValue in thousandths */
    const char *target_text;       /* as written, e.g. "500m" */
    const char *object_api_version;   /* Object: describedObject */
    const char *object_kind;
    const char *object_name;
};

struct cm_hpa {
    const char *name;
    const char *ns;                /* metadata.namespace, "default" when absent */
    int32_t min_replicas;          /* spec.minReplicas, 1 when absent */
    int32_t max_replicas;
    double tolerance_up;           /* spec.behavior.scaleUp.tolerance, else 0.1 */
    double tolerance_down;         /* spec.behavior.scaleDown.tolerance, else 0.1 */
    size_t nmetrics;
    struct cm_hpa_metric metrics[CM_HPA_METRICS_MAX];
    struct cm_arena arena;         /* owns every string above */
};

/*
 * Loads the manifest at path ("-" reads standard input) into out.  Returns
 * 0, or -1 with every problem added to d as FILE:LINE:COLUMN: message.
 * Free out with cm_hpa_free() either way.
 */
int cm_hpa_load(struct cm_hpa *out, const char *path, struct cm_diag *d);
void cm_hpa_free(struct cm_hpa *h);

/* "Pods", "Object", "External", "Resource": the type field's text. */
const char *cm_hpa_source_name(enum cm_hpa_source s);

#endif
