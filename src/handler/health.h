/*
 * health.h - /healthz, /livez and /readyz as the Go generic apiserver
 * answers them: "ok", or with ?verbose one "[+]<check> ok" line per check
 * and "<name> check passed"; ?exclude=<check> skips a check; /<name>/<check>
 * answers one check.  A failing check makes a 500 listing every check
 * ("[-]<check> failed: why"), verbose or not.
 *
 * The checks are ping, config and objects.  Only objects can fail: with the
 * watch cache, /readyz fails until every watched resource has been listed
 * once (/livez and /healthz do not), and the detail says how old the
 * snapshot is while the kube-apiserver is away.
 */
#ifndef CM_HEALTH_H
#define CM_HEALTH_H

#include "ctx.h"

/* Answers a health path: ctx->uri is /healthz, /livez or /readyz, with an optional check. */
void cm_health_respond(struct cm_ctx *ctx);

#endif
