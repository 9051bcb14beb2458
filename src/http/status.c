#include "status.h"

#include <stdarg.h>

/* metav1.StatusDetails: present, with these members when not NULL. */
struct details {
    int present;
    const char *group, *kind;
};

static void
write_status(struct cm_ctx *ctx, int code, const char *reason,
             const struct details *d, const struct cm_buf *msg)
{
    struct cm_json j;

    cm_ctx_json_begin(ctx, &j);
    ctx->res->status = code;
    cm_json_object_begin(&j);
    cm_json_key(&j, "kind");        cm_json_string(&j, "Status");
    cm_json_key(&j, "apiVersion");  cm_json_string(&j, "v1");
    cm_json_key(&j, "metadata");    cm_json_object_begin(&j); cm_json_object_end(&j);
    cm_json_key(&j, "status");      cm_json_string(&j, code < 400 ? "Success" : "Failure");
    if (msg->len > 0) {
        cm_json_key(&j, "message");
        cm_json_stringn(&j, msg->data, msg->len);
    }
    if (reason != NULL) {
        cm_json_key(&j, "reason");
        cm_json_string(&j, reason);
    }
    if (d->present) {
        cm_json_key(&j, "details");
        cm_json_object_begin(&j);
        if (d->group != NULL && *d->group) {
            cm_json_key(&j, "group");
            cm_json_string(&j, d->group);
        }
        if (d->kind != NULL && *d->kind) {
            cm_json_key(&j, "kind");
            cm_json_string(&j, d->kind);
        }
        cm_json_object_end(&j);
    }
    cm_json_key(&j, "code");        cm_json_int(&j, code);
    cm_json_object_end(&j);
    cm_ctx_json_end(ctx);
}

void
cm_status_write(struct cm_ctx *ctx, int code, const char *reason, int with_details,
                const char *fmt, ...)
{
    struct details d = { with_details, NULL, NULL };
    struct cm_buf msg;
    va_list ap;

    cm_buf_init(&msg, 65536);
    va_start(ap, fmt);
    cm_buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    write_status(ctx, code, reason, &d, &msg);
    cm_buf_free(&msg);
}

void
cm_status_not_found(struct cm_ctx *ctx)
{
    cm_status_write(ctx, 404, "NotFound", 1,
                    "the server could not find the requested resource");
}

void
cm_status_method_not_supported(struct cm_ctx *ctx, const char *group,
                               const char *resource, const char *action)
{
    struct details d = { 1, group, resource };
    struct cm_buf msg;

    cm_buf_init(&msg, 4096);
    cm_buf_addf(&msg, "%s is not supported on resources of kind \"%s%s%s\"", action,
                resource, *group ? "." : "", group);
    write_status(ctx, 405, "MethodNotAllowed", &d, &msg);
    cm_buf_free(&msg);
}

void
cm_status_success(struct cm_ctx *ctx, const char *fmt, ...)
{
    struct details d = { 0, NULL, NULL };
    struct cm_buf msg;
    va_list ap;

    cm_buf_init(&msg, 4096);
    va_start(ap, fmt);
    cm_buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    write_status(ctx, 200, NULL, &d, &msg);
    cm_buf_free(&msg);
}

const char *
cm_status_text(int status)
{
    switch (status) {
    case 200: return "200 OK";
    case 400: return "400 Bad Request";
    case 401: return "401 Unauthorized";
    case 403: return "403 Forbidden";
    case 404: return "404 Not Found";
    case 405: return "405 Method Not Allowed";
    case 406: return "406 Not Acceptable";
    case 413: return "413 Payload Too Large";
    case 414: return "414 URI Too Long";
    case 415: return "415 Unsupported Media Type";
    case 429: return "429 Too Many Requests";
    case 500: return "500 Internal Server Error";
    case 503: return "503 Service Unavailable";
    case 507: return "507 Insufficient Storage";
    }
    return "500 Internal Server Error";
}
