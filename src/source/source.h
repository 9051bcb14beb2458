/*
 * source.h - the values of a metric, per request, from its declared source:
 *
 *   static   one quantity for every object, stamped with the request time;
 *   file     one quantity for every object, or Prometheus samples whose
 *            labels name the objects (see filesrc.h), stamped with the
 *            sample's timestamp or else the file's mtime;
 *   push     the values written to /write-metrics (see pushstore.h), each
 *            stamped with the time it was written;
 *   prometheus  one instant query per request (see promsrc.h), stamped
 *            with Prometheus' evaluation time.
 *
 * Values older than the source's max_age are not served.  When a source has
 * no value for an object (or nothing at all: a file that cannot be read), the
 * metric's fallback is served instead, stamped with the request time.
 *
 * Each kind is a backend (backend.h), found through a table indexed by the
 * kind: cm_source_backends_core (libcmcore.a) has the pure ones, static;
 * cm_source_backends_all (libcmio.a) has every kind, and is what the server
 * uses.  A kind without a backend in the table fails, and its metrics serve
 * their fallback.
 *
 * A worker owns one struct cm_sources: the mutable state its sources keep
 * between requests (the file caches, its own mapping of the push store).
 */
#ifndef CM_SOURCE_H
#define CM_SOURCE_H

#include <stdint.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "labels.h"
#include "pushstore.h"
#include "selector.h"

struct cm_sources;
struct cm_source_ops;

/* Backend tables, by kind (NULL: no backend for that kind); see backend.h. */
extern const struct cm_source_ops *const cm_source_backends_core[CM_SOURCE_NKINDS];
extern const struct cm_source_ops *const cm_source_backends_all[CM_SOURCE_NKINDS];  /* libcmio.a */

/*
 * State for every source of cfg, served by the backends of table (borrowed,
 * indexed by kind: one of the tables above).  Owned: free with
 * cm_sources_free().
 */
struct cm_sources *cm_sources_new(const struct cm_config *cfg,
                                  const struct cm_source_ops *const *table);
void cm_sources_free(struct cm_sources *s);

/* Where push sources keep their values (dir is borrowed), and how many the store holds. */
void cm_sources_set_state_dir(struct cm_sources *s, const char *dir, uint32_t push_capacity);

/* A metric's source, ready to answer one request. */
struct cm_source_view {
    const struct cm_metric *metric;
    const struct cm_source_ops *ops;   /* its backend; NULL when there is none */
    void *state;                       /* the backend's per-worker state; borrowed */
    const char *failure;               /* why the source has nothing to serve, or NULL */
    time_t now;
    void *priv[4];                     /* the backend's per-request state (see its file) */
};

struct cm_value {
    const char *text;                  /* a canonical quantity; borrowed */
    time_t timestamp;
};

/*
 * Prepares m's source for a request at time now (a file source re-reads a
 * changed file, a push source picks up new records).  Returns 0, or -1 when the source has nothing to serve,
 * with the reason in out->failure (a fallback still answers then).
 */
int cm_source_open(struct cm_sources *s, const struct cm_metric *m, time_t now,
                   struct cm_source_view *out);

/*
 * 1 if the source answers a request in one go for all its objects (a
 * prometheus source): the caller then lists the objects first and passes
 * them to cm_source_fetch() before asking for values.
 */
int cm_source_wants_objects(const struct cm_source_view *v);

/*
 * Fetches the values of the n objects names[] of resource r in namespace ns,
 * with one query.  Returns 0 (also when the source needs no fetching), or -1
 * with the reason in v->failure (allocated from a).
 */
int cm_source_fetch(struct cm_source_view *v, const struct cm_resource *r, const char *ns,
                    const char *const *names, size_t n, const struct cm_selector *metric_sel,
                    struct cm_arena *a);

/*
 * For an external metric entry: fetches the series that match sel (a
 * prometheus source queries; the others need nothing).  Returns 0, or -1 with
 * the reason in v->failure.
 */
int cm_source_fetch_series(struct cm_source_view *v, const struct cm_selector *sel,
                           struct cm_arena *a);

/*
 * The value of m for one object of resource r whose metric labels match
 * metric_sel.  Returns 1 with *out filled (text borrowed from the view or
 * allocated from a), or 0 when there is none (and no fallback).
 */
int cm_source_object(const struct cm_source_view *v, const struct cm_resource *r,
                     const char *ns, const char *name, const struct cm_selector *metric_sel,
                     struct cm_arena *a, struct cm_value *out);

/* One series of an external metric: its labels and value. */
struct cm_series {
    struct cm_labels labels;
    struct cm_value value;
};

/*
 * Calls fn for each series of external metric entry m visible in namespace
 * ns whose labels match sel, in order; stops early when fn returns non-zero.
 */
void cm_source_each_series(const struct cm_source_view *v, const char *ns,
                           const struct cm_selector *sel, struct cm_arena *a,
                           int (*fn)(const struct cm_series *s, void *arg), void *arg);

/* --- writes (the write API's store), through the backend that takes them --- */

/* How a write ended: each failure has its own HTTP answer in the write API. */
enum cm_write_result {
    CM_WRITE_OK,
    CM_WRITE_UNAVAILABLE,              /* no store to write to (503) */
    CM_WRITE_FAILED,                   /* the store failed (500) */
    CM_WRITE_FULL,                     /* the store is full, even after compacting (507) */
};

/*
 * 0 if the store can hold value under key, else -1 with the reason in err.
 * 0 too when s has no backend that takes writes (cm_sources_write_begin()
 * then refuses).
 */
int cm_sources_write_fits(const struct cm_sources *s, const struct cm_push_key *key,
                          const struct cm_push_value *value, char *err, size_t errlen);

/*
 * A write: begin (takes the writers' lock), put each value, end.  begin
 * returns CM_WRITE_OK, or CM_WRITE_UNAVAILABLE (s is NULL, no backend takes
 * writes, no store) or CM_WRITE_FAILED with the reason in err; end is called
 * after a successful begin only.  put stores value under key (a full store
 * is compacted first, keeping the records keep() accepts) and returns
 * CM_WRITE_OK, CM_WRITE_FULL or CM_WRITE_FAILED with the reason in err.
 */
enum cm_write_result cm_sources_write_begin(struct cm_sources *s, char *err, size_t errlen);
enum cm_write_result cm_sources_write_put(struct cm_sources *s, const struct cm_push_key *key,
                                          const struct cm_push_value *value,
                                          cm_pushstore_keep_fn keep, void *keep_arg,
                                          char *err, size_t errlen);
void cm_sources_write_end(struct cm_sources *s);

#endif
