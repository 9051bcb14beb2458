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

#include "api.h"
#include "query.h"

#define CM_EXTERNAL_VERSION "v1beta1"

void cm_external_respond(const struct cm_api *api, const struct cm_request *req,
                         const char *ns, const char *metric, const struct cm_query *q,
                         int pretty, struct cm_arena *a, struct cm_response *res);

#endif
