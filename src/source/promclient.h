/*
 * promclient.h - instant queries against Prometheus' HTTP API with libcurl.
 *
 * A worker keeps one client, so its connection to Prometheus stays open
 * between requests.  Every query is bounded by the configured timeout, which
 * covers connecting, sending and reading: a slow or silent Prometheus holds a
 * worker no longer than that.
 */
#ifndef CM_PROMCLIENT_H
#define CM_PROMCLIENT_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

struct cm_promclient;

/* A client with no connection yet; owned, free with cm_promclient_free(). */
struct cm_promclient *cm_promclient_new(void);
void cm_promclient_free(struct cm_promclient *c);

struct cm_promshare;

/*
 * Makes every later query of this process go through s (promshare.h):
 * identical concurrent queries of all the workers sent once, and the circuit
 * breaker.  Borrowed; call before forking the workers.  Without it (the
 * tools, the unit tests) every query is sent as asked.
 */
void cm_promclient_share(struct cm_promshare *s);

/*
 * POSTs query to PC's /api/v1/query and appends the response body to out
 * (error answers too: their body says what Prometheus objects to).  Returns
 * the HTTP status, or -1 when no answer came (refused, timed out, TLS
 * failure, unreadable token file, or not asked: the breaker is open): the
 * details (the URL without its userinfo, curl's message, the token file's
 * name) go to the log under the current request id, and err gets a message
 * for clients that names no host, address or file.
 */
long cm_promclient_query(struct cm_promclient *c, const struct cm_prometheus *pc,
                         const char *query, struct cm_buf *out, char *err, size_t errlen);

#endif
