#include "status.h"

#include <stdarg.h>

/* metav1.StatusDetails: present, with these members when not NULL. */
struct details {
    int present;
    const char *group, *kind;
};

static void
write_status(struct cm_response *res, int pretty, int code, const char *reason,
             const struct details *d, const struct cm_buf *msg)
{
    struct cm_json j;

    cm_buf_reset(res->body);
    res->status = code;
    res->content_type = "application/json";
    cm_json_init(&j, res->body, pretty);
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
    if (!pretty)
        cm_buf_addc(res->body, '\n');
}

void
cm_status_write(struct cm_response *res, int pretty, int code,
                const char *reason, int with_details, const char *fmt, ...)
{
    struct details d = { with_details, NULL, NULL };
    struct cm_buf msg;
    va_list ap;

    cm_buf_init(&msg, 65536);
    va_start(ap, fmt);
    cm_buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    write_status(res, pretty, code, reason, &d, &msg);
    cm_buf_free(&msg);
}

void
cm_status_not_found(struct cm_response *res, int pretty)
{
    cm_status_write(res, pretty, 404, "NotFound", 1,
                    "the server could not find the requested resource");
}

void
cm_status_method_not_supported(struct cm_response *res, int pretty, const char *group,
                               const char *resource, const char *action)
{
    struct details d = { 1, group, resource };
    struct cm_buf msg;

    cm_buf_init(&msg, 4096);
    cm_buf_addf(&msg, "%s is not supported on resources of kind \"%s%s%s\"", action,
                resource, *group ? "." : "", group);
    write_status(res, pretty, 405, "MethodNotAllowed", &d, &msg);
    cm_buf_free(&msg);
}

void
cm_status_success(struct cm_response *res, int pretty, const char *fmt, ...)
{
    struct details d = { 0, NULL, NULL };
    struct cm_buf msg;
    va_list ap;

    cm_buf_init(&msg, 4096);
    va_start(ap, fmt);
    cm_buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    write_status(res, pretty, 200, NULL, &d, &msg);
    cm_buf_free(&msg);
}
