/*
 * values.h - MetricValueList responses: one item per described object, in the
 * shape of the requested version (v1beta1: metricName, window, selector;
 * v1beta2: metric {name, selector}, windowSeconds), and the NotFound errors
 * of the Go library (pkg/provider/errors.go).
 */
#ifndef CM_VALUES_H
#define CM_VALUES_H

#include "ctx.h"

/*
 * GET .../{resource}/{name}/{metric} and the namespaced and namespace forms:
 * the values of ctx->route.metric for the named object, or for every object
 * matching ?labelSelector= when the name is "*".  ?metricLabelSelector=
 * filters by the metric's labels; ?fieldSelector= may only repeat the name.
 */
void cm_values_respond(struct cm_ctx *ctx);

#endif
