/*
 * counters.h - the server's own metrics, shared by every process of the pool.
 *
 * One block of anonymous shared memory, mapped by the master before it
 * forks, so that the workers, the health worker and the watch cache all
 * count into the same numbers: a request counted by any worker is in the
 * page the health worker serves on the metrics port.  Every update is one
 * relaxed atomic add (or store) on a fixed slot, with no lock and no
 * allocation, so counting costs the request path a few nanoseconds; readers
 * load each slot once (a scrape may see one request's count before its
 * latency, never a torn number).
 *
 * The functions below act on the process's current block, set by
 * cm_counters_use() (main does it before forking); with none set each is a
 * no-op, so code that counts works unchanged in tests and tools.
 *
 * For the configuration reload (issue 17 item 1): call
 * cm_counters_config_reloaded(ok, hash, now) after each reload attempt; the
 * metrics port then shows cmf_config_reloads_total{result}, the time of the
 * last success and cmf_config_info{hash}.
 */
#ifndef CM_COUNTERS_H
#define CM_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* What a request was, for cmf_requests_total{route} and its latency. */
enum cm_counters_route {
    CM_ROUTE_OTHER,          /* a path no route serves (404), or a malformed one */
    CM_ROUTE_HEALTH,         /* /healthz /livez /readyz */
    CM_ROUTE_SELF,           /* /metrics on the metrics port */
    CM_ROUTE_OPENAPI,
    CM_ROUTE_DISCOVERY,      /* /apis, /apis/G, /apis/G/V */
    CM_ROUTE_OBJECT,         /* a custom metric of one object, by name */
    CM_ROUTE_SELECTOR,       /* a custom metric of the objects a selector picks (name *) */
    CM_ROUTE_EXTERNAL,
    CM_ROUTE_WRITE,          /* /write-metrics */
    CM_ROUTE_N
};

/* The API group and version a request named, for cmf_requests_total{group,version}. */
enum cm_counters_gv {
    CM_GV_NONE,              /* group="" version="" */
    CM_GV_CUSTOM_V1BETA1,
    CM_GV_CUSTOM_V1BETA2,
    CM_GV_EXTERNAL_V1BETA1,
    CM_GV_CUSTOM,            /* the group alone (/apis/custom.metrics.k8s.io) */
    CM_GV_EXTERNAL,
    CM_GV_N
};

#define CM_COUNTERS_CODE_MIN 100  /* status codes 100..599 are counted one by one */
#define CM_COUNTERS_CODE_MAX 599
#define CM_COUNTERS_NCODES (CM_COUNTERS_CODE_MAX - CM_COUNTERS_CODE_MIN + 1)

/* Histogram upper bounds in seconds (the +Inf bucket is implied). */
#define CM_COUNTERS_NBUCKETS 14
extern const double cm_counters_bucket_le[CM_COUNTERS_NBUCKETS];

#define CM_COUNTERS_SOURCE_KINDS 4     /* static, file, push, prometheus (config.h's order) */
#define CM_COUNTERS_RESOURCES 64       /* the watch cache's resources, by its index */
#define CM_COUNTERS_HASH_MAX 72

struct cm_counters;                    /* the shared block; owned by the master */

/* A histogram as read: per-bucket counts (not cumulative), the sum in ns. */
struct cm_counters_hist {
    uint64_t bucket[CM_COUNTERS_NBUCKETS + 1];   /* the last one: above every bound */
    uint64_t count;
    uint64_t sum_ns;
};

/*
 * Maps a zeroed block shared with the processes forked afterwards.
 * Returns it (free with cm_counters_free() in the process that made it),
 * or NULL with the reason in err.
 */
struct cm_counters *cm_counters_new(char *err, size_t errlen);
void cm_counters_free(struct cm_counters *c);

/* Makes c (borrowed; NULL: none) the block this process counts into. */
void cm_counters_use(struct cm_counters *c);
/* The current block, or NULL. */
struct cm_counters *cm_counters_current(void);

/* Monotonic nanoseconds, for the durations given below. */
int64_t cm_counters_now_ns(void);

/* ---- updates (each a no-op without a current block) ----------------------- */

/* One request answered with HTTP status code after ns nanoseconds. */
void cm_counters_request(enum cm_counters_route route, enum cm_counters_gv gv, int code,
                         int64_t ns);
/* A source of kind (enum cm_source_kind) failed to give a request its values. */
void cm_counters_source_error(int kind);
/* One query to Prometheus took ns nanoseconds (whatever its outcome). */
void cm_counters_prometheus_query(int64_t ns);
/* The push store holds count values of at most capacity. */
void cm_counters_push_store(uint32_t count, uint32_t capacity);
/* The master respawned a process of the pool that had died. */
void cm_counters_worker_restart(void);
/*
 * A configuration was loaded (ok) or refused (!ok) at time now; hash names
 * the configuration now serving (copied, at most CM_COUNTERS_HASH_MAX - 1
 * bytes; NULL keeps the current one).  At start main records the first
 * load as the configuration serving, without counting it as a reload
 * (cm_counters_config_loaded).
 */
void cm_counters_config_reloaded(int ok, const char *hash, time_t now);
void cm_counters_config_loaded(const char *hash, time_t now);

/* ---- reads (for the exposition, src/handler/metrics.c) -------------------- */

uint64_t cm_counters_requests(const struct cm_counters *c, enum cm_counters_route route,
                              enum cm_counters_gv gv, int code);
void cm_counters_request_hist(const struct cm_counters *c, enum cm_counters_route route,
                              struct cm_counters_hist *out);
void cm_counters_prometheus_hist(const struct cm_counters *c, struct cm_counters_hist *out);
uint64_t cm_counters_source_errors(const struct cm_counters *c, int kind);
void cm_counters_push(const struct cm_counters *c, uint32_t *count, uint32_t *capacity,
                      int *known);
uint64_t cm_counters_worker_restarts(const struct cm_counters *c);
uint64_t cm_counters_config_reloads(const struct cm_counters *c, int ok);
time_t cm_counters_config_last_success(const struct cm_counters *c);
/* The serving configuration's hash into out (size bytes); "" when none was set. */
void cm_counters_config_hash(const struct cm_counters *c, char *out, size_t size);

/*
 * The hash cmf_config_info reports for the file at path: FNV-1a 64 of its
 * bytes, 16 lowercase hex digits, into out (at least 17 bytes).  Returns 0,
 * or -1 (out "") when the file cannot be read.
 */
int cm_counters_hash_file(const char *path, char *out, size_t size);

/* Route and group/version label values. */
const char *cm_counters_route_name(enum cm_counters_route route);
void cm_counters_gv_names(enum cm_counters_gv gv, const char **group, const char **version);

#endif
