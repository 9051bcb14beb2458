/*
 * status.h - metav1.Status error bodies, byte for byte as the Go apiserver
 * writes them:
 *   {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 *    "message":"...","reason":"NotFound","details":{},"code":404}
 */
#ifndef CM_STATUS_H
#define CM_STATUS_H

#include "ctx.h"

/*
 * Replaces the response with a Status of the given code.  reason may be NULL
 * (Go's StatusReasonUnknown: the key is left out); with_details writes the
 * empty "details":{} of Go's generic server responses.
 */
void cm_status_write(struct cm_ctx *ctx, int code, const char *reason, int with_details,
                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A Status "Success" with code 200 and the given message. */
void cm_status_success(struct cm_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The generic 404: "the server could not find the requested resource". */
void cm_status_not_found(struct cm_ctx *ctx);

/*
 * apimachinery's NewMethodNotSupported: 405 MethodNotAllowed, "<action> is
 * not supported on resources of kind \"<resource>.<group>\"", with details
 * {group, kind: resource}.
 */
void cm_status_method_not_supported(struct cm_ctx *ctx, const char *group,
                                    const char *resource, const char *action);

/* "200 OK", "404 Not Found", ...: the reason phrase for a status line. */
const char *cm_status_text(int status);

#endif
