/*
 * rediskv.h - where pushed values live in Redis, and how they are written
 * there.  Pure: text in, text out.
 *
 * Each value is one string key, so that Redis expires it by itself at its
 * metric's max_age:
 *
 *   PREFIX v/METRIC/RESOURCE/NAMESPACE/NAME  ->  "TIMESTAMP QUANTITY LABELS"
 *
 * RESOURCE is the GroupResource ("pods", "deployments.apps"; empty for an
 * external series), NAMESPACE is empty for cluster-scoped objects and
 * series written without one, NAME is the object's name or, for an external
 * series, its labels as k=v,k=v.  Metric names, resources and namespaces
 * cannot hold a '/', so NAME is everything after the fourth.  The value is
 * the Unix time it was written, the canonical quantity and the value's own
 * labels as k=v,k=v (empty when none), separated by single spaces, e.g.
 *
 *   cmf:v/jobs_waiting/pods/default/web-1  ->  "1796083200 300m queue=orders"
 *
 * Every write batch is also published, in the same MULTI/EXEC as its SETs,
 * on the channel PREFIX changes as lines "KEY VALUE\n", which every replica
 * applies to its own copy.  The default PREFIX is "cmf:"; two deployments
 * share one Redis with different prefixes.  A prefix is 1 to 64 bytes
 * without space, control characters or Redis' glob characters (*?[]\\), so
 * that the pattern PREFIXv/(star) matches only its own keys.
 */
#ifndef CM_REDISKV_H
#define CM_REDISKV_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "config.h"
#include "buf.h"
#include "pushkey.h"
#include "redisurl.h"

#define CM_REDIS_DEFAULT_PREFIX "cmf:"

/* Appends the key of k under prefix. */
void cm_redis_key(struct cm_buf *out, const char *prefix, const struct cm_push_key *k);

/*
 * Reads a key written by cm_redis_key() under prefix into out (strings from
 * a).  Returns 0, or -1 when the n bytes at s are not such a key.
 */
int cm_redis_key_parse(const char *s, size_t n, const char *prefix, struct cm_arena *a,
                       struct cm_push_key *out);

/* 0 if prefix may be a key prefix (see above), else -1. */
int cm_redis_prefix_ok(const char *prefix);

/* Appends the value text of v. */
void cm_redis_value(struct cm_buf *out, const struct cm_push_value *v);

/*
 * Reads a value text into out (strings and labels from a).  Returns 0, or -1
 * when the n bytes at s are not a well-formed value.
 */
int cm_redis_value_parse(const char *s, size_t n, struct cm_arena *a, struct cm_push_value *out);

/*
 * The max_age of the metric entry that takes writes for k (metrics.yaml's
 * push source: seconds, > 0), or 0 when no entry of cfg takes them: Redis
 * expires the key after that long.
 */
int64_t cm_redis_max_age(const struct cm_config *cfg, const struct cm_push_key *k);

/* cm_pushstore_keep_fn for values from Redis: k is declared and fresh at now. */
struct cm_redis_keep {
    const struct cm_config *config;    /* borrowed */
    int64_t now;
};
int cm_redis_keep(const struct cm_push_key *k, int64_t timestamp, void *arg);

/* Appends one line of a change message: "KEY VALUE\n". */
void cm_redis_change_line(struct cm_buf *out, const char *prefix, const struct cm_push_key *k,
                          const struct cm_push_value *v);

/*
 * Calls fn for each line of the change message msg (n bytes), with the key
 * and value it carries (strings from a, which the caller may reset after
 * each call returns).  Lines that are not "KEY VALUE" of this prefix are
 * skipped and counted.  Returns the number skipped.
 */
size_t cm_redis_changes_each(const char *msg, size_t n, const char *prefix, struct cm_arena *a,
                             void (*fn)(const struct cm_push_key *k, const struct cm_push_value *v,
                                        void *arg),
                             void *arg);

#endif
