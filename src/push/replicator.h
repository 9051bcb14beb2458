/*
 * replicator.h - keeps a replica's push store (pushstore.h, the file every
 * worker reads) a copy of the values in Redis, for store: redis.
 *
 * One helper process per replica, supervised by the master like the watch
 * cache.  It subscribes to PREFIX changes (rediskv.h) and applies each
 * message to the local store; at every connection, and every resync period
 * after, it reads every key of the prefix (SCAN MATCH, then MGET), applies
 * them, and turns the local values whose key Redis no longer has into
 * expired ones.  So a replica that missed a message (a dropped connection,
 * a restart) is at most one resync period behind.  Reads never wait on
 * Redis: the workers read the local store only.
 *
 * When Redis is unreachable it reconnects with a backoff (100 ms doubling
 * to 5 s), logging the outage once and the recovery once, and tells the
 * workers since when it has been cut off (cm_replicator_down_since()): once
 * that is longer than a metric's max_age, no value of it can be fresh, and
 * reads of it answer the fallback or 503 instead of serving nothing.
 */
#ifndef CM_REPLICATOR_H
#define CM_REPLICATOR_H

#include <stdint.h>

#include "config.h"

/*
 * Runs until the process is killed (it is the helper process's main), on
 * the store in state_dir (opened here, capacity as the server's).  cfg is
 * borrowed.  Returns 1 when it cannot start.
 */
int cm_replicator_run(const struct cm_config *cfg, const char *state_dir, uint32_t capacity);

/*
 * Makes the page the replicator and the workers share (anonymous, shared
 * across fork(): call it in the master before forking).  0 (at once when
 * it is made already: a reload asks again), or -1 with err.
 */
int cm_replicator_share(char *err, size_t errlen);

/*
 * Forgets an outage of a replicator that is gone (the store was embedded
 * for a while): the next replicator says anew whether Redis is reachable.
 * In the master, with no replicator running.
 */
void cm_replicator_forget_outage(void);

/*
 * The Unix time since which the replicator has had no working connection to
 * Redis, or 0 while it follows Redis (and when there is no replicator).
 */
int64_t cm_replicator_down_since(void);

#endif
