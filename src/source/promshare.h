/*
 * promshare.h - what the workers share about Prometheus: one single-flight
 * table (promflight.h) and the server's circuit breaker (breaker.h), in an
 * anonymous shared mapping the master makes before it forks the workers, so
 * that every worker sees the same one.
 *
 * One process-shared robust mutex guards it: its critical sections only
 * decide and copy (an answer of at most CM_PROMFLIGHT_DATA_MAX bytes); the
 * query itself runs unlocked.  A worker that dies holding the lock leaves
 * it consistent for the next one; a leader that dies mid-query leaves its
 * followers waiting no longer than the query's timeout plus
 * CM_PROMFLIGHT_GRACE_MS.  Followers sleep on a futex, never poll.
 */
#ifndef CM_PROMSHARE_H
#define CM_PROMSHARE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct cm_promshare;

/*
 * Maps a new shared table (call before fork).  Returns it, owned (free with
 * cm_promshare_free() in the process that made it), or NULL with the reason
 * in err.
 */
struct cm_promshare *cm_promshare_new(char *err, size_t errlen);
void cm_promshare_free(struct cm_promshare *s);

/*
 * Runs one query for the caller: perform(arg, out, err, errlen) sends it and
 * returns the HTTP status with the body appended to out, or -1 with the
 * reason in err (the contract of cm_promclient_query()).
 *
 * While the breaker is open, returns -1 at once with err saying so, and
 * perform is not called.  Otherwise, if another worker is running the same
 * query (key, key_len bytes), waits for its answer (at most timeout_ms plus
 * CM_PROMFLIGHT_GRACE_MS) and returns a copy of it; else performs it, lets
 * the workers that joined meanwhile have the answer, and tells the breaker
 * how it went.
 */
long cm_promshare_query(struct cm_promshare *s, const char *key, size_t key_len,
                        long timeout_ms,
                        long (*perform)(void *arg, struct cm_buf *out, char *err, size_t errlen),
                        void *arg, struct cm_buf *out, char *err, size_t errlen);

/* Queries sent and queries that joined another's flight, since the start. */
void cm_promshare_counts(struct cm_promshare *s, uint64_t *flights, uint64_t *joins);

#endif
