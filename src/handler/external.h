/*
 * external.h - external.metrics.k8s.io/v1beta1 reads:
 *
 *   GET /apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{metric}?labelSelector=S
 *
 * answered with an ExternalMetricValueList holding every series declared
 * under external: with that name whose labels match S, in file order.
 */
#ifndef CM_EXTERNAL_H
#define CM_EXTERNAL_H

#include "ctx.h"

#define CM_EXTERNAL_VERSION "v1beta1"

/* GET .../namespaces/{ns}/{metric}: ctx->route's ns and metric. */
void cm_external_respond(struct cm_ctx *ctx);

#endif
