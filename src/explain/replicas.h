/*
 * replicas.h - the HorizontalPodAutoscaler's arithmetic, as the controller
 * in kube-controller-manager does it (pkg/controller/podautoscaler:
 * replica_calculator.go and horizontal.go), on values already fetched.
 *
 * Values are thousandths (Quantity.MilliValue()), as the controller
 * compares them.  A metric inside the tolerance (1 - scaleDown.tolerance
 * <= ratio <= 1 + scaleUp.tolerance) keeps the current count.
 *
 * Not modelled, because only the cluster knows them: which pods are ready,
 * pending or missing a value (every pod that has a value counts as ready,
 * and the ready count of Object and External Value targets is the current
 * replica count); stabilization windows; scaling policies (how far one step
 * may go).  cm_hpa_decide() then only clamps to minReplicas..maxReplicas.
 * Also pure: the request the HPA's client sends for a metric.
 */
#ifndef CM_REPLICAS_H
#define CM_REPLICAS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hpa.h"

#define CM_HPA_TEXT_MAX 4096

/* What the metrics API answered for one metric. */
struct cm_hpa_reading {
    const char *error;             /* the metrics client's error, or NULL */
    size_t n;                      /* Pods: one per pod; Object: 1; External: one per series */
    const int64_t *milli;
};

/* One metric's proposal, or why it has none. */
struct cm_hpa_outcome {
    int ok;
    int64_t usage_milli;           /* what status.currentMetrics would say */
    double ratio;
    int within;                    /* inside the tolerance: the count stays */
    int32_t replicas;
    const char *reason;            /* on failure: the Warning event's reason */
    char event[CM_HPA_TEXT_MAX];   /* on failure: that event's message */
    char error[CM_HPA_TEXT_MAX];   /* on failure: what computeReplicasForMetric returns */
    char label[512];               /* on success: "pods metric NAME", as the controller names it */
};

/* The HPA's decision over all its metrics. */
struct cm_hpa_decision {
    int ok;                        /* 0: the controller would not rescale (see message) */
    int32_t desired;
    char message[CM_HPA_TEXT_MAX]; /* the event the controller would emit */
};

/*
 * The proposal for metric m of h at current replicas from reading r (the
 * error texts are the controller's, wrapped as it wraps them).
 */
void cm_hpa_compute(const struct cm_hpa *h, const struct cm_hpa_metric *m, int32_t current,
                    const struct cm_hpa_reading *r, struct cm_hpa_outcome *out);

/*
 * computeReplicasForMetrics + reconcileAutoscaler: the largest proposal,
 * clamped to [minReplicas, maxReplicas]; all metrics failing, or some failing
 * while the others would scale down, means no rescale.
 */
void cm_hpa_decide(const struct cm_hpa *h, int32_t current, const struct cm_hpa_outcome *o,
                   size_t n, struct cm_hpa_decision *out);

/*
 * The path and query the HPA's metrics client requests for m (Resource
 * metrics have none: returns -1).  version is the custom metrics API
 * version discovery prefers; pod_selector the scale target's selector
 * (canonical text).  Query parameters as url.Values.Encode() writes them.
 */
int cm_hpa_request(const struct cm_hpa *h, const struct cm_hpa_metric *m, const char *version,
                   const char *pod_selector, struct cm_buf *out);

#endif
