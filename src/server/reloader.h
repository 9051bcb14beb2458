/*
 * reloader.h - the master's configuration reloads (the hooks of struct
 * cm_master_reload): load everything "check" loads, with the same code;
 * refuse the result whole when there is any problem (one log line with
 * every FILE:LINE:COLUMN problem, and the shared reload record that
 * /healthz?verbose and the self-metrics read); else stage it, restart the
 * watch cache first when the resources it must follow changed, and commit
 * it into the api the next generation of workers is forked with, and into
 * the replicator's argument (the master restarts the replicator with every
 * generation: it always runs with the configuration committed).  A store:
 * redis configuration also needs what serve needs for it at start
 * (--state-dir, a password_file it may read), or it is refused.
 */
#ifndef CM_RELOADER_H
#define CM_RELOADER_H

#include "config.h"
#include "kubeconn.h"
#include "load.h"
#include "master.h"
#include "objcache.h"
#include "objects.h"
#include "promshare.h"
#include "reload.h"
#include "reloadstate.h"
#include "router.h"


/* Loads what "check" validates into *out; problems go to d; returns 0 or -1. */
typedef int (*cm_reloader_load_fn)(void *arg, struct cm_loaded *out, struct cm_diag *d);

struct cm_reloader_opts {
    const char *config_path;          /* --config: a file or a directory */
    cm_reloader_load_fn load;
    void *load_arg;
    struct cm_api *api;               /* the workers' (sources owned by the reloader) */
    struct cm_api *health_api;        /* the health worker's: no sources */
    const char *state_dir;            /* for the push sources */
    uint32_t push_capacity;
    const char *cache_dir;            /* where a new watch cache keeps its images */
    const struct cm_kubeconn **helper_conn;   /* the watch cache helper's arguments, */
    struct cm_objcache **helper_cache;        /* updated for its restart */
    struct cm_promshare **share;      /* made when a reload brings the first prometheus source */
    const struct cm_config **replicator_cfg;  /* the replicator helper's argument: set to
                                                 each committed configuration (borrowed) */
};

struct cm_reloader;

/*
 * Takes over what serves now (first: its configuration, objects, cluster,
 * and the watch cache or NULL) and makes the shared reload record; fills
 * *hooks for the master (watching the configuration for changes with
 * inotify, or SIGHUP only when that cannot be done, with a warning).
 * Returns NULL if the record cannot be mapped.
 */
struct cm_reloader *cm_reloader_new(const struct cm_reloader_opts *o, struct cm_loaded *first,
                                    struct cm_objcache *cache, struct cm_master_reload *hooks);
void cm_reloader_free(struct cm_reloader *r);

/* The shared record (reloadstate.h), for the api's health checks and the self-metrics. */
const struct cm_reload_state *cm_reloader_state(const struct cm_reloader *r);

/* The cluster connection serving now (borrowed), for the watch cache helper. */
const struct cm_kubeconn *cm_reloader_conn(const struct cm_reloader *r);

/* The hex FNV-1a of the configuration's bytes (every part of a directory) into buf[17]. */
void cm_reloader_hash(const char *path, char buf[17]);

#endif
