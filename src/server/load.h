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
void cm_load_free(struct cm_loaded *l);

/* check's one summary line on stdout. */
void cm_load_print_summary(const struct cm_cli *a, const struct cm_loaded *l);

#endif
