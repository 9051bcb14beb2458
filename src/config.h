/*
 * config.h - metrics.yaml, version 1: the metrics the server serves.
 *
 *   version: 1                    # optional
 *   metrics:
 *     - name: pod_cpu_used_1m     # as it appears in the URL
 *       resources: [pods]         # plural resource names, group-qualified when not core
 *       window: 1m                # optional; window / windowSeconds in responses
 *       source:
 *         static: "10"            # a quantity every described object gets
 *
 * cm_config_load() reports every problem it finds, each as
 * FILE:LINE:COLUMN: message, and fails if there was any.
 */
#ifndef CM_CONFIG_H
#define CM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "quantity.h"
#include "resource.h"

#define CM_METRIC_NAME_MAX 253

enum cm_source_kind {
    CM_SOURCE_STATIC,
};

struct cm_source {
    enum cm_source_kind kind;
    struct cm_quantity value;          /* CM_SOURCE_STATIC */
};

struct cm_metric {
    const char *name;
    size_t nresources;
    const struct cm_resource **resources;  /* static table entries */
    int64_t window;                    /* seconds; 0 = not reported */
    struct cm_source source;
    size_t line, col;                  /* where the entry starts */
};

struct cm_config {
    const char *path;
    size_t nmetrics;
    struct cm_metric *metrics;         /* in file order */
    struct cm_arena arena;             /* owns everything above */
};

/*
 * Loads path.  On success returns 0 and an owned config in *out (free it with
 * cm_config_free); on failure returns -1, *out is NULL and d holds the
 * messages.
 */
int cm_config_load(struct cm_config **out, const char *path, struct cm_diag *d);
void cm_config_free(struct cm_config *cfg);

/* The metric called name, or NULL.  Borrowed from cfg. */
const struct cm_metric *cm_config_find(const struct cm_config *cfg, const char *name);

/* 1 if the metric is declared for resource r. */
int cm_metric_describes(const struct cm_metric *m, const struct cm_resource *r);

#endif
