/*
 * main.c - custom-metrics-fcgi: "serve" runs the master and its workers,
 * "check" validates metrics.yaml (and an objects file, or the cluster)
 * without serving, "explain" is a client (src/explain/).  This file is the
 * wiring: the command line is cli.c, loading load.c, what is set up before
 * the fork state.c and authsetup.c, the processes master.c.
 */
#include "alloc.h"
#include "authio.h"
#include "authsetup.h"
#include "cli.h"
#include "counters.h"
#include "explain.h"
#include "listener.h"
#include "load.h"
#include "log.h"
#include "master.h"
#include "objcache.h"
#include "promclient.h"
#include "promshare.h"
#include "reloader.h"
#include "replicator.h"
#include "router.h"
#include "source.h"
#include "state.h"
#include "watcher.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct watch_args {
    const struct cm_kubeconn *conn;
    struct cm_objcache *cache;
    long retry_max_ms;
    struct cm_authio_follow_args follow;   /* path NULL: no ConfigMap to follow */
};

static int
watch_main(void *arg)
{
    struct watch_args *w = arg;
    pthread_t t;

    if (w->follow.path != NULL &&
        pthread_create(&t, NULL, cm_authio_follow, &w->follow) != 0)
        cm_log(CM_LOG_ERROR, "cannot start following extension-apiserver-authentication");
    return cm_watcher_run(w->conn, w->cache, w->retry_max_ms);
}

struct replicate_args {
    const struct cm_config *cfg;       /* the configuration serving: the reloader updates it */
    const char *state_dir;
    uint32_t capacity;
};

static int
replicate_main(void *arg)
{
    struct replicate_args *r = arg;

    return cm_replicator_run(r->cfg, r->state_dir, r->capacity);
}

/* The replicator runs while the configuration serving keeps its values in Redis. */
static int
replicate_wanted(void *arg)
{
    const struct replicate_args *r = arg;

    return r->cfg->push.kind == CM_PUSH_STORE_REDIS;
}

/* What serve holds while it runs; released at main()'s one cleanup label. */
struct serve {
    struct cm_loaded loaded;
    struct cm_objcache *cache;
    char *cache_dir;
    char *health_path;
    struct cm_promshare *share;
    struct cm_counters *counters;
    struct cm_master_opts mo;
    struct cm_api api, health_api;
    struct watch_args wa;
    struct replicate_args ra;
    struct cm_reloader_opts ro;
    struct cm_reloader *reloader;
    struct cm_master_reload hooks;
};

/* What a reload loads (reloader.h): what check loads, with the same code. */
static int
reload_load(void *arg, struct cm_loaded *out, struct cm_diag *d)
{
    return cm_load_into(arg, out, d, 1);
}

/*
 * Hands what serves now to the reloader (reloader.h), which then owns it,
 * and gives the master its hooks.  Without the reloader (its record could
 * not be mapped: logged) the server serves without reloads.
 */
static void
wire_reload(const struct cm_cli *a, struct serve *sv)
{
    struct cm_reloader_opts *ro = &sv->ro;

    memset(ro, 0, sizeof(*ro));
    ro->config_path = a->config;
    ro->load = reload_load;
    ro->load_arg = (void *)a;
    ro->api = &sv->api;
    ro->health_api = &sv->health_api;
    ro->state_dir = a->state_dir;
    ro->push_capacity = (uint32_t)a->push_capacity;
    if (sv->cache_dir == NULL)
        sv->cache_dir = a->cache_dir ? cm_xstrdup(a->cache_dir) : cm_state_socket_dir(a->socket);
    ro->cache_dir = sv->cache_dir;
    ro->helper_conn = &sv->wa.conn;
    ro->helper_cache = &sv->wa.cache;
    ro->share = &sv->share;
    ro->replicator_cfg = &sv->ra.cfg;
    sv->mo.reload = NULL;
    sv->api.reload = sv->health_api.reload = NULL;
    sv->reloader = cm_reloader_new(ro, &sv->loaded, sv->cache, &sv->hooks);
    if (sv->reloader == NULL)
        return;
    sv->cache = NULL;                          /* the reloader's now, with the loaded files */
    sv->mo.reload = &sv->hooks;
    sv->api.reload = sv->health_api.reload = cm_reloader_state(sv->reloader);
    sv->wa.conn = cm_reloader_conn(sv->reloader);  /* its copy of the connection */
    sv->wa.follow.conn = sv->wa.conn;
    cm_authsetup_move_conn(sv->wa.conn);       /* the reviews' connection moved with it */
}

/*
 * The watch cache, when there is a cluster: its images in --cache-dir (or
 * the socket's directory).  Returns 0, or -1 after saying why.
 */
static int
open_cache(const struct cm_cli *a, struct serve *sv)
{
    const struct cm_resource *res[CM_OBJCACHE_MAX];
    const struct cm_config *cfg = sv->loaded.cfg;
    size_t n = cm_load_watched(cfg, res, CM_OBJCACHE_MAX);
    char shown[1024], err[512];

    if (n > CM_OBJCACHE_MAX) {
        fprintf(stderr, "custom-metrics-fcgi: %s names more than %d resources; the watch "
                "cache follows at most that many\n", a->config, CM_OBJCACHE_MAX - 1);
        return -1;
    }
    sv->cache_dir = a->cache_dir ? cm_xstrdup(a->cache_dir) : cm_state_socket_dir(a->socket);
    if (cm_objcache_create(&sv->cache, sv->cache_dir, res, n, err, sizeof(err)) < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        return -1;
    }
    cm_log_url(sv->loaded.conn.server, shown, sizeof(shown));     /* without its userinfo */
    cm_log(CM_LOG_INFO, "objects from %s (%s); cache images in %s", shown,
           sv->loaded.conn.origin, sv->cache_dir);
    return 0;
}

/* The workers' API and the health worker's, and the helpers the master supervises. */
static void
wire(const struct cm_cli *a, struct serve *sv)
{
    const struct cm_config *cfg = sv->loaded.cfg;
    struct cm_master_opts *mo = &sv->mo;

    cm_promclient_share(sv->share);            /* the workers inherit the mapping */
    sv->api.config = cfg;
    sv->api.objects = sv->cache ? cm_objcache_refresh(sv->cache) : sv->loaded.objs;
    sv->api.cache = sv->cache;
    sv->api.sources = cm_sources_new(cfg, cm_source_backends_all);  /* each worker's own copy */
    cm_sources_set_state_dir(sv->api.sources, a->state_dir, (uint32_t)a->push_capacity);
    sv->api.write_token_file = a->write_token_file;
    sv->api.auth = cm_authsetup_auth();
    sv->api.self_metrics = 0;
    sv->health_api = sv->api;                  /* the same checks, and no source to wait on */
    sv->health_api.sources = NULL;
    sv->health_api.write_token_file = NULL;
    sv->health_api.self_metrics = 1;           /* the metrics port's /metrics goes to it */
    mo->socket_path = a->socket;
    mo->workers = a->workers;
    mo->shutdown_timeout = a->shutdown_timeout;
    mo->api = &sv->api;
    mo->health_socket_path = sv->health_path;
    mo->health_api = &sv->health_api;
    mo->nhelpers = 0;
    /* set even without a cluster: a reload updates them for the helper it restarts */
    sv->wa.conn = &sv->loaded.conn;
    sv->wa.cache = sv->cache;
    sv->wa.retry_max_ms = a->watch_retry_max * 1000L;
    sv->wa.follow.conn = &sv->loaded.conn;
    sv->wa.follow.path = cm_authsetup_configmap_file();
    if (sv->cache != NULL) {
        mo->helpers[mo->nhelpers++] = (struct cm_master_helper){ watch_main, &sv->wa, "watch cache",
                                                                 NULL, 0 };
    }
    /* with a state directory a reload may bring store: redis, or change it: the
     * replicator runs while the configuration serving wants it, and restarts
     * with each generation (its cfg is then the one committed) */
    sv->ra.cfg = cfg;
    if (a->state_dir != NULL) {
        sv->ra.state_dir = a->state_dir;
        sv->ra.capacity = (uint32_t)a->push_capacity;
        mo->helpers[mo->nhelpers++] = (struct cm_master_helper){ replicate_main, &sv->ra,
                                                                 "replicator", replicate_wanted, 1 };
    }
}

int
main(int argc, char **argv)
{
    struct cm_cli a;
    struct serve sv;
    char err[512];
    int rc;

    if (argc > 1 && strcmp(argv[1], "explain") == 0)
        return cm_explain_main(argc - 1, argv + 1);    /* a client: src/explain/ */
    rc = cm_cli_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    memset(&sv, 0, sizeof(sv));
    sv.mo.listen_fd = sv.mo.health_fd = -1;
    rc = 1;
    if (cm_load(&a, &sv.loaded) < 0) {
        if (strcmp(a.command, "serve") == 0)
            fprintf(stderr, "custom-metrics-fcgi: not starting: fix the problems above\n");
        goto out;
    }
    if (strcmp(a.command, "check") == 0) {
        cm_load_print_summary(&a, &sv.loaded);
        rc = 0;
        goto out;
    }

    sv.counters = cm_state_open_counters(&a);   /* before the fork, and before the push store */
    if (sv.loaded.cluster) {
        if (open_cache(&a, &sv) < 0)
            goto out;
    } else if (sv.loaded.objs == NULL) {
        cm_log(CM_LOG_WARN, "no --objects and no cluster: by-name requests answer for any "
               "object name, by-selector requests answer an empty list");
    } else {
        cm_log(CM_LOG_INFO, "%s: %zu objects (%zu of unknown kinds skipped)",
               a.objects, cm_objects_count(sv.loaded.objs), sv.loaded.skipped);
    }
    if (cm_state_check_token_files(&a, sv.loaded.cfg, &sv.loaded.conn, sv.loaded.cluster) < 0 ||
        cm_authsetup(&a, sv.loaded.cluster, &sv.loaded.conn, sv.cache_dir,
                     (unsigned)a.workers) < 0 ||
        cm_state_prepare(&a, sv.loaded.cfg) < 0)
        goto out;
    sv.mo.listen_fd = cm_listener_open(a.socket, CM_LISTEN_BACKLOG, err, sizeof(err));
    if (sv.mo.listen_fd < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        goto out;
    }
    sv.health_path = cm_state_health_path(&a);
    sv.mo.health_fd = cm_state_open_health(&a, sv.health_path);
    if (sv.mo.health_fd < 0 ||
        (sv.loaded.cfg->prometheus != NULL && (sv.share = cm_state_open_share()) == NULL)) {
        if (sv.mo.health_fd >= 0)
            cm_listener_close(sv.mo.health_fd, sv.health_path);
        cm_listener_close(sv.mo.listen_fd, a.socket);
        goto out;
    }
    wire(&a, &sv);
    wire_reload(&a, &sv);                   /* after wire(): it takes over what serves */
    rc = cm_master_run(&sv.mo);             /* it closes the sockets when it stops */
out:
    cm_reloader_free(sv.reloader);
    cm_counters_free(sv.counters);
    cm_promshare_free(sv.share);
    free(sv.health_path);
    cm_sources_free(sv.api.sources);
    cm_objcache_free(sv.cache);
    free(sv.cache_dir);
    cm_load_free(&sv.loaded);
    return rc;
}
