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
 * A worker owns one struct cm_sources: the mutable state its sources keep
 * between requests (the file caches, its own mapping of the push store).
 */
#ifndef CM_SOURCE_H
#define CM_SOURCE_H

#include <time.h>

#include "arena.h"
#include "config.h"
#include "filesrc.h"
#include "promcache.h"
#include "promsrc.h"
#include "pushstore.h"
#include "selector.h"

/* A push source's last lookup scope, kept by the view to hash it once per request. */
struct cm_push_memo {
    const struct cm_metric *metric;
    const struct cm_resource *resource;
    char ns[64];
    int ok;
    struct cm_push_scope scope;
};

struct cm_sources {
    size_t nfiles;
    struct cm_filesrc *files;          /* by cm_file_source.slot */
    const char *state_dir;             /* borrowed; NULL: push sources have no store */
    uint32_t push_capacity;
    struct cm_pushstore *push;         /* opened on first use, in the process using it */
    char push_error[512];
    const struct cm_prometheus *prometheus;  /* borrowed from the config */
    struct cm_promclient *prom_client; /* made on first use: one connection per worker */
    size_t nprom;
    struct cm_prom_cache **prom_caches;   /* by cm_prom_source.slot; NULL without max_age */
    struct cm_push_memo memo;          /* for the push source being read */
};

/* State for every source of cfg; owned, free with cm_sources_free(). */
struct cm_sources *cm_sources_new(const struct cm_config *cfg);
void cm_sources_free(struct cm_sources *s);

/* Where push sources keep their values (dir is borrowed), and how many the store holds. */
void cm_sources_set_state_dir(struct cm_sources *s, const char *dir, uint32_t push_capacity);

/*
 * The push store, opened on first use and brought up to date.  NULL when it
 * cannot be used, with the reason in s->push_error.  Must be called first in
 * the process that uses it (each process opens its own: see pushstore.h).
 */
struct cm_pushstore *cm_sources_push(struct cm_sources *s);

/* A metric's source, ready to answer one request. */
struct cm_source_view {
    const struct cm_metric *metric;
    struct cm_filesrc *file;           /* NULL unless a file source */
    struct cm_pushstore *push;         /* NULL unless a push source */
    struct cm_push_memo *memo;         /* the push scope last looked up in (see source.c) */
    struct cm_sources *sources;
    struct cm_prom_answer *prom;       /* a prometheus source's answer, once fetched */
    const struct cm_prom_cache *stale; /* or, when the query failed, its last good values */
    const char *failure;               /* why the source has nothing to serve, or NULL */
    time_t now;
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

#endif
