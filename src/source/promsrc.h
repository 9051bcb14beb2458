/*
 * promsrc.h - prometheus sources: the query a request needs, run once, and
 * its result indexed by the object each series names.
 *
 * A by-selector request sends one query covering all its objects
 * (pod=~"a|b|c"), never one per object.  A series' object is its
 * object_label; its namespace is its namespace_label, or the request's
 * namespace when the query aggregated that label away (as by (<<.GroupBy>>)
 * does), as prometheus-adapter decides.
 */
#ifndef CM_PROMSRC_H
#define CM_PROMSRC_H

#include "arena.h"
#include "config.h"
#include "promclient.h"
#include "promql.h"
#include "selector.h"

struct cm_prom_answer;

/*
 * Queries m's values for the n objects names[] of resource r in namespace ns
 * (n > 0), with metric_sel's terms among the matchers.  Returns the answer
 * (allocated from a), or NULL with a reason for clients in err (the details
 * are logged under the current request id).
 */
struct cm_prom_answer *cm_promsrc_query_objects(struct cm_promclient *c,
                                                const struct cm_prometheus *pc,
                                                const struct cm_metric *m,
                                                const struct cm_resource *r, const char *ns,
                                                const char *const *names, size_t n,
                                                const struct cm_selector *metric_sel,
                                                struct cm_arena *a, char *err, size_t errlen);

/*
 * Queries external metric entry m's series matching sel.  Returns the answer,
 * or NULL with a reason for clients in err (details logged).
 */
struct cm_prom_answer *cm_promsrc_query_external(struct cm_promclient *c,
                                                 const struct cm_prometheus *pc,
                                                 const struct cm_metric *m,
                                                 const struct cm_selector *sel,
                                                 struct cm_arena *a, char *err, size_t errlen);

/*
 * The answer of an object query whose series are res (borrowed, with every
 * string), as cm_promsrc_query_objects() makes it once Prometheus has
 * answered: series name their object by obj_label and, with ns_label (NULL
 * for cluster-scoped objects), their namespace, else request_ns.  Allocated
 * from a; for the cache's tests.
 */
struct cm_prom_answer *cm_promsrc_answer(const struct cm_prom_result *res, const char *request_ns,
                                         const char *ns_label, const char *obj_label,
                                         struct cm_arena *a);

/* Every series of the answer. */
const struct cm_prom_result *cm_promsrc_result(const struct cm_prom_answer *ans);

/*
 * The next series (index >= *pos) naming object (ns, name), or NULL; *pos
 * moves past it.  Only for answers of cm_promsrc_query_objects().
 */
const struct cm_prom_sample *cm_promsrc_find(const struct cm_prom_answer *ans, const char *ns,
                                             const char *name, size_t *pos);

#endif
