#include "status.h"

#include <stdarg.h>

void
cm_status_write(struct cm_response *res, int pretty, int code,
                const char *reason, int with_details, const char *fmt, ...)
{
    struct cm_buf msg;
    struct cm_json j;
    va_list ap;

    cm_buf_init(&msg, 65536);
    va_start(ap, fmt);
    cm_buf_vaddf(&msg, fmt, ap);
    va_end(ap);

    cm_buf_reset(res->body);
    res->status = code;
    res->content_type = "application/json";
    cm_json_init(&j, res->body, pretty);
    cm_json_object_begin(&j);
    cm_json_key(&j, "kind");        cm_json_string(&j, "Status");
    cm_json_key(&j, "apiVersion");  cm_json_string(&j, "v1");
    cm_json_key(&j, "metadata");    cm_json_object_begin(&j); cm_json_object_end(&j);
    cm_json_key(&j, "status");      cm_json_string(&j, "Failure");
    if (msg.len > 0) {
        cm_json_key(&j, "message");
        cm_json_stringn(&j, msg.data, msg.len);
    }
    if (reason != NULL) {
        cm_json_key(&j, "reason");
        cm_json_string(&j, reason);
    }
    if (with_details) {
        cm_json_key(&j, "details");
        cm_json_object_begin(&j);
        cm_json_object_end(&j);
    }
    cm_json_key(&j, "code");        cm_json_int(&j, code);
    cm_json_object_end(&j);
    if (!pretty)
        cm_buf_addc(res->body, '\n');
    cm_buf_free(&msg);
}

void
cm_status_not_found(struct cm_response *res, int pretty)
{
    cm_status_write(res, pretty, 404, "NotFound", 1,
                    "the server could not find the requested resource");
}
