/*
 * load.h - what serve and check load before anything else: the cluster
 * connection (if any), metrics.yaml (resources outside the built-in table
 * resolved through the cluster's discovery), and the objects file.  Every
 * problem is printed as FILE:LINE:COLUMN: message.
 */
#ifndef CM_LOAD_H
#define CM_LOAD_H

#include <stddef.h>

#include "cli.h"
#include "config.h"
#include "diag.h"
#include "kubeconn.h"
#include "objects.h"

/* What was loaded; each member owned, freed with cm_load_free(). */
struct cm_loaded {
    struct cm_config *cfg;
    struct cm_objects *objs;           /* NULL without --objects */
    size_t skipped;                    /* objects of kinds the server does not know */
    struct cm_kubeconn conn;           /* valid when cluster */
    int cluster;
};

/* Loads everything a's command validates.  Returns 0, or -1 after printing every problem. */
int cm_load(const struct cm_cli *a, struct cm_loaded *out);

/*
 * The same, with the problems added to d (not printed): what a reload runs
 * (reload 1: discovery is asked once, as check does, and never waited for).
 */
int cm_load_into(const struct cm_cli *a, struct cm_loaded *out, struct cm_diag *d, int reload);
void cm_load_free(struct cm_loaded *l);

/*
 * The resources the watch cache follows for cfg: namespaces and every one
 * metrics.yaml names.  Returns how many (up to cap into res), or cap + 1
 * when there are more.
 */
size_t cm_load_watched(const struct cm_config *cfg, const struct cm_resource **res, size_t cap);

/* check's one summary line on stdout. */
void cm_load_print_summary(const struct cm_cli *a, const struct cm_loaded *l);

#endif
