/*
 * config.h - metrics.yaml, version 1: the metrics the server serves.
 *
 *   version: 1                    # optional
 *   prometheus:                   # optional: where prometheus sources query
 *     url: http://prometheus:9090
 *     timeout: 3s
 *   metrics:
 *     - name: pod_cpu_used_1m     # as it appears in the URL
 *       resources: [pods]         # plural resource names, group-qualified when not core
 *       labels: {verb: GET}       # optional; matched by metricLabelSelector
 *       window: 1m                # optional; window / windowSeconds in responses
 *       source:                   # exactly one of:
 *         static: "10"            #   a quantity every described object gets
 *         file: {path: P, ...}    #   values read from a file (see below)
 *         push: {max_age: 5m}     #   values written to /write-metrics
 *         prometheus: {query: Q}  #   an instant query (needs the prometheus: block)
 *   external:                     # optional: external.metrics.k8s.io series
 *     - name: queue_messages      # one entry per series; a name may repeat
 *       labels: {queue: orders}   # when the label sets differ
 *       source:
 *         static: "120"
 *
 * cm_config_load() reports every problem it finds, each as
 * FILE:LINE:COLUMN: message, and fails if there was any.  The path may be a
 * directory: every *.yaml file in it (configdir.h) is one part of the
 * configuration, read as one whole: one prometheus block among them, names
 * unique across files, and a file that holds only the prometheus block.
 */
#ifndef CM_CONFIG_H
#define CM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "labels.h"
#include "redisurl.h"
#include "quantity.h"
#include "resource.h"

#define CM_METRIC_NAME_MAX 253

enum cm_source_kind {
    CM_SOURCE_STATIC,
    CM_SOURCE_FILE,
    CM_SOURCE_PUSH,
    CM_SOURCE_PROMETHEUS,
    CM_SOURCE_NKINDS                   /* not a kind: how many there are */
};

/*
 * source: {file: {path: P, series: S, namespace_label: L, object_label: O,
 *                 max_age: D}}
 * P holds one quantity for every object, or Prometheus text exposition
 * samples named S (default: the metric's name) whose labels L (default
 * "namespace") and O (default: the resource's singular, "pod") name the
 * object.
 */
struct cm_file_source {
    const char *path;
    const char *series;
    const char *namespace_label;
    const char *object_label;          /* NULL: the resource's singular name */
    int64_t max_age;                   /* seconds; 0: no stale data is served */
    size_t slot;                       /* index of this file in a worker's source state */
};

/*
 * source: {push: {max_age: D}}
 * Values written through /write-metrics (see write.h), each served until
 * it is D old (default CM_PUSH_DEFAULT_MAX_AGE).
 */
#define CM_PUSH_DEFAULT_MAX_AGE 300
struct cm_push_source {
    int64_t max_age;                   /* seconds, > 0 */
};

/*
 * source: {prometheus: {query: Q, series: S, namespace_label: L, object_label: O,
 *                       max_age: D}}
 * Q is a template (promql.h) run as an instant query; each result series is
 * the value of the object its labels L (default "namespace"; absent: the
 * request's namespace) and O (default: the resource's singular) name.  With
 * D, a worker serves each object's last good value while it is younger than
 * D when a query fails.
 */
struct cm_prom_source {
    const char *query;
    const char *series;                /* <<.Series>>; default: the metric's name */
    const char *namespace_label;
    const char *object_label;          /* NULL: the resource's singular name */
    int64_t max_age;                   /* seconds; > 0: last good values served while Prometheus fails */
    size_t slot;                       /* index of its cache in a worker's source state */
};

/* The top-level prometheus: block, shared by every prometheus source. */
#define CM_PROM_DEFAULT_TIMEOUT_MS 3000
#define CM_PROM_MAX_TIMEOUT_MS 25000   /* below nginx's fastcgi_read_timeout */
struct cm_prometheus {
    const char *url;                   /* http:// or https://, required */
    long timeout_ms;                   /* per query: connect, send and read */
    const char *bearer_token_file;     /* re-read for every query */
    const char *ca_file, *cert_file, *key_file;
    int insecure_skip_tls_verify;
};

/*
 * The top-level push: block: where pushed values are kept.
 *
 *   push:
 *     store: redis                  # or embedded (the default: STATE_DIR/push.db)
 *     url: redis://HOST:PORT/DB     # rediss:// for TLS
 *     username: U                   # ACL user (or redis://U@HOST)
 *     password_file: F              # re-read at each connection
 *     ca_file: F                    # rediss://: the CA that signs Redis' certificate
 *     key_prefix: "cmf:"            # two deployments share a Redis with two prefixes
 *     resync: 30s                   # full resync period: the staleness bound
 *     timeout: 2s                   # per command: connect, send and read
 */
enum cm_push_store_kind { CM_PUSH_STORE_EMBEDDED, CM_PUSH_STORE_REDIS };
#define CM_REDIS_DEFAULT_RESYNC 30
#define CM_REDIS_DEFAULT_TIMEOUT_MS 2000
#define CM_REDIS_MAX_TIMEOUT_MS 10000  /* well below nginx's fastcgi_read_timeout */
struct cm_push_store {
    enum cm_push_store_kind kind;
    const char *url;                   /* as written */
    struct cm_redis_url redis;         /* parsed; user is username when given */
    const char *password_file;         /* NULL: no AUTH (or AUTH with no password: never) */
    const char *ca_file;               /* NULL: the system's CAs */
    const char *key_prefix;            /* never NULL when kind is redis */
    int64_t resync;                    /* seconds, > 0 */
    long timeout_ms;
    const char *file;                  /* the file the block is in (NULL: no block) */
    size_t line, col;                  /* where the block starts */
};

struct cm_source {
    enum cm_source_kind kind;
    struct cm_quantity value;          /* CM_SOURCE_STATIC */
    struct cm_file_source file;        /* CM_SOURCE_FILE */
    struct cm_push_source push;        /* CM_SOURCE_PUSH */
    struct cm_prom_source prom;        /* CM_SOURCE_PROMETHEUS */
};

#define CM_METRIC_LABELS_MAX 64

/* A custom metric (under metrics:) or one external series (under external:). */
struct cm_metric {
    const char *name;
    size_t nresources;                 /* 0 for external series */
    const struct cm_resource **resources;  /* static table entries */
    struct cm_labels labels;           /* static metric labels, sorted by key */
    int first_of_name;                 /* external: no earlier series has this name */
    int64_t window;                    /* seconds; 0 = not reported */
    struct cm_source source;
    int has_fallback;                  /* fallback: served when the source has no value */
    struct cm_quantity fallback;
    const char *file;                  /* the file it is in (a directory's part, or the path) */
    size_t line, col;                  /* where the entry starts */
};

struct cm_config {
    const char *path;                  /* the file, or the directory of *.yaml parts */
    size_t nmetrics;
    struct cm_metric *metrics;         /* in file order */
    size_t nexternal;
    struct cm_metric *external;        /* in file order; names may repeat */
    size_t nfiles;                     /* file sources: slots 0..nfiles-1 */
    size_t npush;                      /* metrics and external series with a push source */
    size_t nprom;                      /* prometheus sources: slots 0..nprom-1 */
    const struct cm_prometheus *prometheus;  /* NULL when there is no prometheus: block */
    struct cm_push_store push;         /* zero (embedded) when there is no push: block */
    struct cm_arena arena;             /* owns everything above */
};

/*
 * Loads path.  On success returns 0 and an owned config in *out (free it with
 * cm_config_free); on failure returns -1, *out is NULL and d holds the
 * messages.
 */
int cm_config_load(struct cm_config **out, const char *path, struct cm_diag *d);
void cm_config_free(struct cm_config *cfg);

/*
 * Finds a resource the built-in table does not know (a CRD, say), from the
 * cluster's discovery: returns it (it must outlive the configuration), or
 * NULL with the reason in why.
 */
typedef const struct cm_resource *(*cm_resource_resolver)(const char *name, void *arg,
                                                          char *why, size_t whylen);

/* cm_config_load(), asking resolve about resource names the table does not know. */
int cm_config_load_resolving(struct cm_config **out, const char *path,
                             cm_resource_resolver resolve, void *arg, struct cm_diag *d);

/* The metric called name, or NULL.  Borrowed from cfg. */
const struct cm_metric *cm_config_find(const struct cm_config *cfg, const char *name);

/*
 * The first external series called name at or after index *pos, or NULL;
 * *pos is left just past it, so a loop visits every series of one name.
 */
const struct cm_metric *cm_config_next_external(const struct cm_config *cfg,
                                                const char *name, size_t *pos);

/* 1 if the metric is declared for resource r. */
int cm_metric_describes(const struct cm_metric *m, const struct cm_resource *r);

/* 1 if the metric's values are written to it (a push source: see write.h). */
int cm_metric_takes_writes(const struct cm_metric *m);

/* The kind's name, as metrics.yaml spells it ("static", "file", ...). */
const char *cm_source_kind_name(enum cm_source_kind k);

#endif
