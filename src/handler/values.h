/*
 * values.h - MetricValueList responses: one item per described object, in the
 * shape of the requested version (v1beta1: metricName, window, selector;
 * v1beta2: metric {name, selector}, windowSeconds), and the NotFound errors
 * of the Go library (pkg/provider/errors.go).
 */
#ifndef CM_VALUES_H
#define CM_VALUES_H

#include "api.h"
#include "query.h"
#include "selector.h"

struct cm_metric_call {
    const char *version;     /* "v1beta1" or "v1beta2" */
    const char *ns;          /* "" for root-scoped requests */
    const char *resource;    /* as in the URL: "pods", "deployments.apps" */
    const char *name;        /* an object name, or "*" for a selector request */
    const char *metric;
};

void cm_values_respond(const struct cm_api *api, const struct cm_request *req,
                       const struct cm_metric_call *call, const struct cm_query *q,
                       int pretty, struct cm_arena *a, struct cm_response *res);

/*
 * Parses the selector in query parameter qname into out (an absent parameter
 * selects everything).  On a parse error writes the Go server's answer with
 * the given code and reason (400 BadRequest for labelSelector, a bare 500 for
 * metricLabelSelector) and returns -1.
 */
int cm_values_selector_param(const struct cm_query *q, const char *qname, int code,
                             const char *reason, int pretty, struct cm_arena *a,
                             struct cm_selector *out, struct cm_response *res);

#endif
