#include "openapi.h"

void
cm_openapi_respond(struct cm_ctx *ctx)
{
    struct cm_response *res = ctx->res;

    cm_buf_reset(res->body);
    cm_buf_adds(res->body, cm_openapi_v2_json);
    res->status = 200;
    res->content_type = "application/json";
}
