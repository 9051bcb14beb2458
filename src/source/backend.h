/*
 * backend.h - the interface a kind of source implements, in the manner of
 * libgit2's ODB backends: one ops table per kind, one file per kind.
 *
 *   static.c      the configured quantity (pure: in libcmcore.a)
 *   file.c        a file, re-read when it changes (libcmio.a)
 *   push.c        the values written to /write-metrics, in the push store (libcmio.a)
 *   prometheus.c  one instant query per request (libcmio.a)
 *
 * source.c owns what every kind shares (the per-worker struct cm_sources,
 * the fallback, max_age, merging labels) and calls a metric's backend
 * through the table passed to cm_sources_new(), indexed by the metric's
 * kind.  A backend keeps its per-worker state behind the pointer its init()
 * returns, and its per-request state in the view's priv[] words: no
 * globals.  Only source.c calls these functions.
 *
 * Adding a kind: a new file defining a struct cm_source_ops, its entry in
 * the table of the library it belongs to (cm_source_backends_core in
 * source.c for a pure one, cm_source_backends_all in backends.c for one
 * that does I/O), and the config parser's part (the kind's name and block).
 */
#ifndef CM_SOURCE_BACKEND_H
#define CM_SOURCE_BACKEND_H

#include "source.h"

/* A worker's source state: owned by the worker, made by cm_sources_new(). */
struct cm_sources {
    const struct cm_source_ops *const *ops;  /* by kind; borrowed; NULL entries: no backend */
    void *state[CM_SOURCE_NKINDS];           /* by kind: what each backend's init() made */
    const struct cm_source_ops *writer;      /* the backend that takes writes, or NULL */
    void *writer_state;                      /* its state */
    const char *state_dir;                   /* borrowed; NULL: push values are not kept */
    uint32_t push_capacity;
};

struct cm_source_ops {
    const char *name;                        /* the kind, as metrics.yaml names it */

    /*
     * Optional.  Makes the worker's state for this kind (owned by s, freed
     * with free()); add() is then called with it for each metric and
     * external series of this kind.  s is borrowed and outlives the state,
     * so the backend may read s->state_dir later (it is set after init).
     */
    void *(*init)(struct cm_sources *s, const struct cm_config *cfg);
    void (*add)(void *state, const struct cm_metric *m);
    void (*free)(void *state);

    /*
     * Prepares v for a request; v->metric, v->state and v->now are set and
     * v->priv[] is zero.  Returns 0, or -1 with the reason in v->failure
     * (borrowed from the state or static).  The I/O a request needs (a
     * stat(), a refresh of the push store) happens here or in fetch().
     */
    int (*open)(struct cm_source_view *v);

    /*
     * Optional: a backend that answers for many objects in one go sets
     * these (see cm_source_wants_objects()).  Same contracts as
     * cm_source_fetch() and cm_source_fetch_series(); only called on a view
     * without a failure, fetch() only with n > 0.
     */
    int (*fetch)(struct cm_source_view *v, const struct cm_resource *r, const char *ns,
                 const char *const *names, size_t n, const struct cm_selector *metric_sel,
                 struct cm_arena *a);
    int (*fetch_series)(struct cm_source_view *v, const struct cm_selector *sel,
                        struct cm_arena *a);

    /*
     * The value for one object whose labels match metric_sel: 1 with *out
     * filled, or 0 when the backend has none (source.c then tries the
     * fallback).  Only called on a view without a failure.
     */
    int (*object)(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
                  const char *name, const struct cm_selector *metric_sel, struct cm_arena *a,
                  struct cm_value *out);

    /*
     * Calls fn for each series visible in ns matching sel, stopping when fn
     * returns non-zero.  Returns 1 if fn was called, 0 when there was no
     * series to give (source.c then tries the fallback).  Only called on a
     * view without a failure.
     */
    int (*each_series)(const struct cm_source_view *v, const char *ns,
                       const struct cm_selector *sel, struct cm_arena *a,
                       int (*fn)(const struct cm_series *s, void *arg), void *arg);

    /*
     * Optional, for the one backend that takes writes (the write API's):
     * same contracts as cm_sources_write_fits(), _begin(), _put(), _end(),
     * on the state init() made.
     */
    int (*write_fits)(void *state, const struct cm_push_key *k, const struct cm_push_value *v,
                      char *err, size_t errlen);
    enum cm_write_result (*write_begin)(void *state, char *err, size_t errlen);
    enum cm_write_result (*write_put)(void *state, const struct cm_push_key *k,
                                      const struct cm_push_value *v, cm_pushstore_keep_fn keep,
                                      void *keep_arg, char *err, size_t errlen);
    void (*write_end)(void *state);
};

extern const struct cm_source_ops cm_source_static;      /* static.c */
extern const struct cm_source_ops cm_source_file;        /* file.c */
extern const struct cm_source_ops cm_source_push;        /* push.c */
extern const struct cm_source_ops cm_source_prometheus;  /* prometheus.c */

/* --- shared by the backends (source.c) ------------------------------------ */

/* 1 if a value stamped t may still be served at v->now under max_age (<= 0: no limit). */
int cm_source_fresh(const struct cm_source_view *v, int64_t max_age, time_t t);

/*
 * The labels a value gives its metric: fixed (the metric's static labels),
 * overridden by own (a sample's, a write's) except the keys skip1 and skip2
 * (those naming the object; NULL: none).  Both inputs sorted by key; *out
 * is sorted too, allocated from a, pointing at the inputs' strings.
 */
void cm_source_merge_labels(const struct cm_labels *fixed, const struct cm_labels *own,
                            const char *skip1, const char *skip2, struct cm_arena *a,
                            struct cm_labels *out);

#endif
