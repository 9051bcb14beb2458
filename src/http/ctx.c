#include "ctx.h"

void
cm_ctx_json_begin(struct cm_ctx *ctx, struct cm_json *j)
{
    cm_buf_reset(ctx->res->body);
    ctx->res->status = 200;
    ctx->res->content_type = "application/json";
    cm_json_init(j, ctx->res->body, ctx->pretty);
}

void
cm_ctx_json_end(struct cm_ctx *ctx)
{
    if (!ctx->pretty)
        cm_buf_addc(ctx->res->body, '\n');
}
