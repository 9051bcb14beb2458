/*
 * openapi.h - GET /openapi/v2: a Swagger 2.0 document describing the paths
 * and types this server serves.  The document is src/openapi-v2.json, built
 * into the binary as cm_openapi_v2_json by make.  /openapi/v3 is not served
 * (404), which kube-aggregator's downloader skips quietly.
 */
#ifndef CM_OPENAPI_H
#define CM_OPENAPI_H

#include "ctx.h"

extern const char cm_openapi_v2_json[];   /* NUL-terminated */

/* GET /openapi/v2: the document as application/json (kube-openapi does not pretty-print). */
void cm_openapi_respond(struct cm_ctx *ctx);

#endif
