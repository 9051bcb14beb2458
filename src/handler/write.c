#include "write.h"
#include "guard.h"
#include "log.h"
#include "source.h"
#include "status.h"
#include "tokenfile.h"
#include "writebody.h"
#include "writeitem.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* "Bearer TOKEN" with the token of the token file, compared in constant time. */
static int
authorize(const char *token_file, const char *header, struct cm_write_failure *f)
{
    char want[CM_TOKEN_MAX + 1];
    const char *got;
    size_t i, n;
    unsigned char diff = 0;

    /* The file's name and what is wrong with it go to the log only. */
    switch (cm_token_read(token_file, want, sizeof(want))) {
    case -1:
        cm_log_request(CM_LOG_ERROR, "cannot read the write token file %s: %s", token_file,
                       cm_token_strerror(errno));
        return cm_write_fail(f, 500, "InternalError", "the write API cannot check tokens: its token "
                    "cannot be read (request %s)", cm_log_request_id());
    case 0:
        cm_log_request(CM_LOG_ERROR, "the write token file %s is empty", token_file);
        return cm_write_fail(f, 500, "InternalError", "the write API cannot check tokens: its token "
                    "is empty (request %s)", cm_log_request_id());
    }
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return cm_write_fail(f, 401, "Unauthorized", "Unauthorized");
    for (got = header + 7; *got == ' '; got++)
        ;
    n = strlen(want);
    if (strlen(got) != n)
        return cm_write_fail(f, 401, "Unauthorized", "Unauthorized");
    for (i = 0; i < n; i++)
        diff |= (unsigned char)(got[i] ^ want[i]);
    return diff == 0 ? 0 : cm_write_fail(f, 401, "Unauthorized", "Unauthorized");
}

static int
is_json(const char *content_type)
{
    size_t n;

    if (content_type == NULL)
        return 0;
    n = strcspn(content_type, "; \t");
    return n == 16 && strncasecmp(content_type, "application/json", 16) == 0;
}

/*
 * The items a request writes: one from its path (ctx->route, as the router
 * read it) with its value in the body, or a batch from the body.
 */
static int
read_items(struct cm_ctx *ctx, struct cm_write_item **out, size_t *nout,
           struct cm_write_failure *f)
{
    const struct cm_route *rt = &ctx->route;
    const struct cm_query_pair *lp;
    struct cm_write_item *it;

    switch (rt->form) {
    case CM_FORM_BATCH:
        return cm_write_body_batch(ctx->req, ctx->arena, out, nout, f);
    case CM_FORM_OBJECT:
    case CM_FORM_SERIES:
        break;
    default:
        return cm_write_fail(f, 404, "NotFound", "the server could not find the requested resource");
    }
    it = cm_arena_zalloc(ctx->arena, sizeof(*it));
    it->ns = rt->ns ? rt->ns : "";
    it->metric = rt->metric;
    if (rt->form == CM_FORM_OBJECT) {
        it->resource = rt->resource;
        it->name = rt->name;
    }
    lp = cm_query_get(&ctx->query, "labels");
    if (lp != NULL && cm_write_body_labels(lp->value, lp->value_len, ctx->arena, &it->labels, f) < 0)
        return -1;
    if (cm_write_body_value(ctx->req, ctx->arena, it, f) < 0)
        return -1;
    *out = it;
    *nout = 1;
    return 0;
}

/* Writes every item under one lock. */
static int
store(const struct cm_api *api, struct cm_write_item *items, size_t n, time_t now, struct cm_write_failure *f)
{
    struct cm_write_keep keep = { api->config, now };
    enum cm_write_result rc;
    char err[512];
    size_t i;

    rc = cm_sources_write_begin(api->sources, err, sizeof(err));
    if (rc == CM_WRITE_UNAVAILABLE) {
        cm_log_request(CM_LOG_ERROR, "cannot keep pushed values: %s", err);
        return cm_write_fail(f, 503, "ServiceUnavailable", "cannot keep pushed values: the push store "
                    "is not available (request %s)", cm_log_request_id());
    }
    if (rc != CM_WRITE_OK) {
        cm_log_request(CM_LOG_ERROR, "%s", err);
        return cm_write_fail(f, 500, "InternalError", "cannot lock the push store (request %s)",
                    cm_log_request_id());
    }
    for (i = 0; i < n && rc == CM_WRITE_OK; i++)
        rc = cm_sources_write_put(api->sources, &items[i].key, &items[i].val, cm_write_keep,
                                  &keep, err, sizeof(err));
    rc = cm_sources_write_end(api->sources, rc, err, sizeof(err));
    if (rc == CM_WRITE_UNAVAILABLE)      /* the backend logged the details */
        return cm_write_fail(f, 503, "ServiceUnavailable", "cannot keep pushed values: %s (request %s)",
                    err, cm_log_request_id());
    if (rc == CM_WRITE_FULL)
        return cm_write_fail(f, 507, "InsufficientStorage", "%s", err);
    if (rc != CM_WRITE_OK) {
        cm_log_request(CM_LOG_ERROR, "%s", err);
        return cm_write_fail(f, 500, "InternalError", "cannot write the push store (request %s)",
                    cm_log_request_id());
    }
    return 0;
}

void
cm_write_respond(struct cm_ctx *ctx)
{
    const struct cm_api *api = ctx->api;
    const struct cm_request *req = ctx->req;
    struct cm_response *res = ctx->res;
    struct cm_write_failure f;
    struct cm_write_item *items = NULL;
    size_t n = 0, i;

    if (api->write_token_file == NULL) {
        cm_status_write(ctx, 404, "NotFound", 0,
                        "the write API is off: start the server with --write-token-file");
        return;
    }
    if (authorize(api->write_token_file, req->authorization, &f) < 0) {
        /* not the token file's: a cluster token may still be allowed (guard.h) */
        int rc = f.code == 401 ? cm_guard_write(ctx) : 0;

        if (rc < 0)
            return;
        if (rc == 0)
            goto failed;
    }
    if (req->body_len > CM_BODY_MAX) {
        cm_write_fail(&f, 413, "RequestEntityTooLarge", "the body of a write is at most %u bytes",
             CM_BODY_MAX);
        goto failed;
    }
    if (!is_json(req->content_type)) {
        cm_write_fail(&f, 415, "UnsupportedMediaType", "the body of a write is application/json, not %s",
             req->content_type && *req->content_type ? req->content_type : "untyped");
        goto failed;
    }
    if (read_items(ctx, &items, &n, &f) < 0)
        goto failed;
    for (i = 0; i < n; i++) {
        if (cm_write_item_resolve(api, &items[i], req->now, ctx->arena, &f) < 0) {
            if (ctx->route.form == CM_FORM_BATCH) {        /* say which item of a batch */
                cm_status_write(ctx, f.code, f.reason, 0, "item %zu: %s", i, f.msg);
                return;
            }
            goto failed;
        }
    }
    if (store(api, items, n, req->now, &f) < 0)
        goto failed;
    if (ctx->route.form == CM_FORM_BATCH) {
        cm_status_success(ctx, "wrote %zu value%s", n, n == 1 ? "" : "s");
    } else {
        res->status = 200;
        res->content_type = "text/plain; charset=utf-8";
    }
    return;
failed:
    cm_status_write(ctx, f.code, f.reason, 0, "%s", f.msg);
}
