/*
 * health.h - /healthz, /livez and /readyz as the Go generic apiserver
 * answers them: "ok", or with ?verbose one "[+]<check> ok" line per check
 * and "<name> check passed"; ?exclude=<check> skips a check; /<name>/<check>
 * answers one check.  A failing check makes a 500 listing every check
 * ("[-]<check> failed: why"), verbose or not.
 *
 * The checks are ping, config, objects and front-proxy.  Only /readyz
 * fails, and only for two reasons (/livez and /healthz describe them and
 * hold, so that the kubelet does not restart a pod that is waiting):
 *   objects      with the watch cache, until every watched resource has been
 *                listed once; later the detail says how old the snapshot is
 *                while the kube-apiserver is away
 *   front-proxy  until the front proxy's trust (auth->trust_source: the CA
 *                file, or the ConfigMap) has been read: every request of the
 *                aggregator would be refused meanwhile
 */
#ifndef CM_HEALTH_H
#define CM_HEALTH_H

#include "ctx.h"

/* Answers a health path: ctx->uri is /healthz, /livez or /readyz, with an optional check. */
void cm_health_respond(struct cm_ctx *ctx);

#endif
