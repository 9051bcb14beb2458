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
 * Every write batch is also published, after the keys are set, on
 * PREFIX changes as lines "KEY VALUE\n", which every replica applies to its
 * own copy.  The default PREFIX is "cmf:"; two deployments share one Redis
 * with different prefixes.
 */
#ifndef CM_REDISKV_H
#define CM_REDISKV_H

#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "pushstore.h"

#define CM_REDIS_DEFAULT_PREFIX "cmf:"

/* redis://[USER@]HOST[:PORT][/DB] or rediss:// (TLS). */
struct cm_redis_url {
    int tls;
    char host[256];
    int port;                        /* 6379 when not given */
    int db;                          /* 0 when not given */
    char user[128];                  /* "" when not given */
};

/*
 * Parses url.  Returns 0, or -1 with the reason in err.  A password in the
 * URL is refused: it belongs in a password file, not in metrics.yaml.
 */
int cm_redis_url_parse(const char *url, struct cm_redis_url *out, char *err, size_t errlen);

/* Appends the key of k under prefix. */
void cm_redis_key(struct cm_buf *out, const char *prefix, const struct cm_push_key *k);

/*
 * Reads a key written by cm_redis_key() under prefix into out (strings from
 * a).  Returns 0, or -1 when the n bytes at s are not such a key.
 */
int cm_redis_key_parse(const char *s, size_t n, const char *prefix, struct cm_arena *a,
                       struct cm_push_key *out);

/* Appends the value text of v. */
void cm_redis_value(struct cm_buf *out, const struct cm_push_value *v);

/*
 * Reads a value text into out (strings and labels from a).  Returns 0, or -1
 * when the n bytes at s are not a well-formed value.
 */
int cm_redis_value_parse(const char *s, size_t n, struct cm_arena *a, struct cm_push_value *out);

#endif
