/*
 * write.h - the write API of push sources: POST /write-metrics/...
 *
 * The paths and bodies of the custom-metrics-apiserver test-adapter:
 *
 *   /write-metrics/namespaces/{ns}/{resource}/{name}/{metric}
 *   /write-metrics/{resource}/{name}/{metric}            (cluster-scoped objects)
 *   /write-metrics/namespaces/{ns}/metrics/{metric}      (the namespace itself)
 *
 * with a body that is a JSON quantity ("300m") or a JSON number, and
 * ?labels=k=v,... setting the metric labels of the value.  Two more paths:
 *
 *   /write-metrics/external/namespaces/{ns}/{metric}     an external series,
 *   /write-metrics/external/{metric}                     in one namespace or all
 *   /write-metrics                                       a batch: a JSON array
 *
 * A batch item is {"metric", "value", "labels"?, "namespace"?, and either
 * "resource" and "name", or "external": true}.  Every item is checked before
 * any is written: one bad item rejects the batch and changes nothing.
 *
 * Values keep the bound of every source (cm_quantity_check_range()), and with
 * an object source only objects the server serves take values (404 for
 * others, 503 while the watch cache has not listed the resource).
 *
 * A write needs "Authorization: Bearer TOKEN" with the token in the server's
 * --write-token-file (re-read on every write, so it can be rotated); without
 * that file the write API is off.  Success is 200 with an empty body (a
 * Status for a batch); failures are Kubernetes Status documents.
 */
#ifndef CM_WRITE_H
#define CM_WRITE_H

#include "ctx.h"
#include "pushstore.h"

#define CM_WRITE_BATCH_MAX 10000

/* 1 if u is a path of the write API (its first segment is write-metrics). */
int cm_write_is_route(const struct cm_uri *u);

/* Answers a request on a write API path (any method; bodies up to CM_BODY_MAX). */
void cm_write_respond(struct cm_ctx *ctx);

/*
 * Whether a stored record is still wanted when the push store is compacted:
 * its metric still has a push source describing its resource, and its value
 * is not older than that source's max_age at time now.
 */
struct cm_write_keep {
    const struct cm_config *config;
    time_t now;
};
int cm_write_keep(const struct cm_push_key *k, int64_t timestamp, void *arg);

#endif
