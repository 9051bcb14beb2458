#include "reloader.h"
#include "alloc.h"
#include "buf.h"
#include "configdir.h"
#include "counters.h"
#include "log.h"
#include "promclient.h"
#include "replicator.h"
#include "safefile.h"
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cm_reloader {
    struct cm_reloader_opts o;
    struct cm_reload_state *state;
    struct cm_reload_watch *watch;
    struct cm_loaded cur;             /* serving now */
    struct cm_objcache *cache;        /* the watch cache serving now, or NULL */
    struct cm_loaded next;            /* staged */
    struct cm_objcache *next_cache;   /* staged: a new watch cache (resources changed) */
    char next_hash[17];
    int staged;
};

void
cm_reloader_hash(const char *path, char buf[17])
{
    uint64_t h = CM_RELOAD_HASH_INIT;
    char **files = NULL, chunk[65536];
    size_t n = 0, i;
    struct cm_diag d;

    cm_diag_init(&d);
    if (cm_configdir_is_dir(path)) {
        if (cm_configdir_list(path, &files, &n, &d) < 0)
            n = 0;
    } else {
        files = cm_xcalloc(1, sizeof(*files));
        files[0] = cm_xstrdup(path);
        n = 1;
    }
    for (i = 0; i < n; i++) {
        FILE *f = fopen(files[i], "rb");
        size_t got;

        h = cm_reload_hash(h, files[i], strlen(files[i]) + 1);   /* a rename is a change */
        if (f == NULL)
            continue;
        while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
            h = cm_reload_hash(h, chunk, got);
        fclose(f);
    }
    cm_configdir_free(files, n);
    cm_diag_free(&d);
    snprintf(buf, 17, "%016llx", (unsigned long long)h);
}

/* 1 if the watch cache c follows exactly res[0..n), by name, in any order. */
static int
same_resources(const struct cm_objcache *c, const struct cm_resource **res, size_t n)
{
    size_t i, k;

    if (cm_objcache_size(c) != n)
        return 0;
    for (i = 0; i < n; i++) {
        for (k = 0; k < n; k++)
            if (strcmp(cm_objcache_resource(c, k)->group_resource, res[i]->group_resource) == 0)
                break;
        if (k == n)
            return 0;
    }
    return 1;
}

static void
loaded_free(struct cm_loaded *l)
{
    cm_config_free(l->cfg);
    cm_objects_free(l->objs);
    cm_kubeconn_free(&l->conn);
    memset(l, 0, sizeof(*l));
}

/* d's problems on one line, "; " between them, into buf. */
static void
one_line(const struct cm_diag *d, char *buf, size_t len)
{
    size_t i, k = 0;

    for (i = 0; i < d->text.len && k + 1 < len; i++) {
        if (d->text.data[i] != '\n') {
            buf[k++] = d->text.data[i];
        } else if (i + 1 < d->text.len && k + 3 < len) {
            buf[k++] = ';';
            buf[k++] = ' ';
        }
    }
    buf[k] = '\0';
}

static void
refuse(struct cm_reloader *r, const char *why)
{
    struct cm_reload_snapshot st;

    cm_reload_state_read(r->state, &st);
    cm_log(CM_LOG_ERROR, "reload of %s refused; generation %llu keeps serving: %s",
           r->o.config_path, (unsigned long long)st.generation, why);
    cm_reload_state_record(r->state, CM_RELOAD_FAILED, time(NULL), NULL, why);
    cm_counters_config_reloaded(0, st.hash, time(NULL));   /* the self-metrics */
}

/*
 * What cfg's store: redis needs beyond metrics.yaml, as serve needs it at
 * start (state.c): --state-dir (state_dir), a password_file that can be read
 * and that no other user may read or write (safefile.h), and the page the
 * replicator shares with the workers (made here, in the master, before they
 * fork).  0 (at once for the embedded store), or -1 with the problem in err
 * as FILE:LINE:COLUMN: message at the push: block.
 */
static int
push_ready(const struct cm_config *cfg, const char *state_dir, char *err, size_t errlen)
{
    const struct cm_push_store *p = &cfg->push;
    char why[1024];
    int fd;

    if (p->kind != CM_PUSH_STORE_REDIS)
        return 0;
    if (state_dir == NULL) {
        snprintf(why, sizeof(why), "store: redis needs --state-dir, which this server was "
                 "started without: each replica keeps its copy of the values there");
        goto refuse;
    }
    if (p->password_file != NULL) {
        if (cm_safefile_check_token(p->password_file, "the push: password_file", 0, why,
                                    sizeof(why)) < 0)
            goto refuse;
        if ((fd = open(p->password_file, O_RDONLY | O_CLOEXEC)) < 0) {
            snprintf(why, sizeof(why), "cannot read the push: password_file %s: %s",
                     p->password_file, strerror(errno));
            goto refuse;
        }
        close(fd);
    }
    if (cm_replicator_share(why, sizeof(why)) < 0)
        goto refuse;
    return 0;
refuse:
    snprintf(err, errlen, "%s:%zu:%zu: %s", p->file ? p->file : cfg->path, p->line, p->col, why);
    return -1;
}

static int
stage(void *arg, int forced)
{
    struct cm_reloader *r = arg;
    const struct cm_resource *res[CM_OBJCACHE_MAX];
    struct cm_reload_snapshot st;
    struct cm_diag d;
    char *why;
    size_t n;
    int rc = CM_MASTER_REFUSED;

    cm_reloader_hash(r->o.config_path, r->next_hash);
    cm_reload_state_read(r->state, &st);
    if (!forced && !st.last_failed && strcmp(st.hash, r->next_hash) == 0) {
        /* an event, and the same bytes (a touch, an edit undone, a ConfigMap
         * rewritten as it was): nothing to reload.  After a refusal, the
         * bytes that serve are reloaded, which clears the refusal. */
        cm_log(CM_LOG_INFO, "%s changed on disk, to the bytes that serve (hash %s): nothing to "
               "reload", r->o.config_path, st.hash);
        return CM_MASTER_UNCHANGED;
    }
    why = cm_xmalloc(CM_RELOAD_MESSAGE_MAX);
    cm_diag_init(&d);
    memset(&r->next, 0, sizeof(r->next));
    r->next_cache = NULL;
    if (r->o.load(r->o.load_arg, &r->next, &d) < 0) {
        one_line(&d, why, CM_RELOAD_MESSAGE_MAX);
        refuse(r, why);
        loaded_free(&r->next);
        goto out;
    }
    if (push_ready(r->next.cfg, r->o.state_dir, why, CM_RELOAD_MESSAGE_MAX) < 0) {
        refuse(r, why);
        loaded_free(&r->next);
        goto out;
    }
    if (r->next.cfg->prometheus != NULL && *r->o.share == NULL) {
        char err[512];

        *r->o.share = cm_promshare_new(err, sizeof(err));
        if (*r->o.share == NULL) {
            snprintf(why, CM_RELOAD_MESSAGE_MAX, "%s", err);
            refuse(r, why);
            loaded_free(&r->next);
            goto out;
        }
        cm_promclient_share(*r->o.share);      /* the new workers inherit the mapping */
    }
    rc = CM_MASTER_STAGED;
    if (r->cache != NULL && r->next.cluster) {
        char err[512];

        n = cm_load_watched(r->next.cfg, res, CM_OBJCACHE_MAX);
        if (n > CM_OBJCACHE_MAX) {
            snprintf(why, CM_RELOAD_MESSAGE_MAX, "%s names more than %d resources; the watch "
                     "cache follows at most that many", r->o.config_path, CM_OBJCACHE_MAX - 1);
            refuse(r, why);
            loaded_free(&r->next);
            rc = CM_MASTER_REFUSED;
            goto out;
        }
        if (!same_resources(r->cache, res, n)) {
            if (cm_objcache_create(&r->next_cache, r->o.cache_dir, res, n, err,
                                   sizeof(err)) < 0) {
                snprintf(why, CM_RELOAD_MESSAGE_MAX, "%s", err);
                refuse(r, why);
                loaded_free(&r->next);
                rc = CM_MASTER_REFUSED;
                goto out;
            }
            *r->o.helper_cache = r->next_cache;
            *r->o.helper_conn = &r->next.conn;
            cm_log(CM_LOG_INFO, "reload of %s: the watch cache now follows %zu resources; "
                   "the new configuration serves once it has listed them", r->o.config_path, n);
            rc = CM_MASTER_STAGED_HELPER;
        }
    }
    r->staged = 1;
out:
    cm_diag_free(&d);
    free(why);
    return rc;
}

static int
helper_ready(void *arg)
{
    struct cm_reloader *r = arg;
    struct cm_objcache_status st;
    size_t i;

    if (r->next_cache == NULL)
        return 1;
    for (i = 0; i < cm_objcache_size(r->next_cache); i++) {
        cm_objcache_status(r->next_cache, i, &st);
        if (st.listed_at == 0)
            return 0;
    }
    return 1;
}

static void
commit(void *arg)
{
    struct cm_reloader *r = arg;
    struct cm_api *api = r->o.api;
    struct cm_loaded old = r->cur;
    size_t npairs = 0, i;

    if (!r->staged)
        return;
    r->staged = 0;
    if (r->next_cache != NULL) {
        cm_objcache_free(r->cache);
        r->cache = r->next_cache;
        r->next_cache = NULL;
    } else if (r->next.cluster && old.cluster) {
        /* the helper keeps its connection: swap it back */
        struct cm_kubeconn c = r->next.conn;

        r->next.conn = old.conn;
        old.conn = c;
    }
    r->cur = r->next;
    memset(&r->next, 0, sizeof(r->next));
    if (r->cache != NULL) {
        *r->o.helper_cache = r->cache;
        *r->o.helper_conn = &r->cur.conn;
    }
    if (r->cur.cfg->push.kind == CM_PUSH_STORE_REDIS && old.cfg->push.kind != CM_PUSH_STORE_REDIS)
        cm_replicator_forget_outage();     /* no replicator ran meanwhile */
    if (r->o.replicator_cfg != NULL)
        *r->o.replicator_cfg = r->cur.cfg;  /* before old's is freed: a respawn reads it */
    api->config = r->cur.cfg;
    api->objects = r->cache ? cm_objcache_refresh(r->cache) : r->cur.objs;
    api->cache = r->cache;
    cm_sources_free(api->sources);
    api->sources = cm_sources_new(r->cur.cfg, cm_source_backends_all);
    cm_sources_set_state_dir(api->sources, r->o.state_dir, r->o.push_capacity);
    r->o.health_api->config = api->config;
    r->o.health_api->objects = api->objects;
    r->o.health_api->cache = api->cache;
    loaded_free(&old);
    cm_reload_state_record(r->state, CM_RELOAD_OK, time(NULL), r->next_hash, NULL);
    cm_counters_config_reloaded(1, r->next_hash, time(NULL));
    for (i = 0; i < r->cur.cfg->nmetrics; i++)
        npairs += r->cur.cfg->metrics[i].nresources;
    cm_log(CM_LOG_INFO, "reloaded %s (hash %s): %zu metric%s on %zu resource%s, %zu external "
           "series", r->o.config_path, r->next_hash, r->cur.cfg->nmetrics,
           r->cur.cfg->nmetrics == 1 ? "" : "s", npairs, npairs == 1 ? "" : "s",
           r->cur.cfg->nexternal);
}

static int
drain(void *arg)
{
    struct cm_reloader *r = arg;

    return r->watch != NULL && cm_reload_watch_drain(r->watch);
}

struct cm_reloader *
cm_reloader_new(const struct cm_reloader_opts *o, struct cm_loaded *first,
                struct cm_objcache *cache, struct cm_master_reload *hooks)
{
    struct cm_reloader *r = cm_xcalloc(1, sizeof(*r));
    char hash[17], err[512];

    r->o = *o;
    cm_reloader_hash(o->config_path, hash);
    r->state = cm_reload_state_new(time(NULL), hash);
    if (r->state == NULL) {
        cm_log(CM_LOG_ERROR, "cannot map the reload record: %s", strerror(errno));
        free(r);
        return NULL;
    }
    r->cur = *first;
    memset(first, 0, sizeof(*first));
    r->cache = cache;
    if (cm_reload_watch_open(&r->watch, o->config_path, err, sizeof(err)) < 0)
        cm_log(CM_LOG_WARN, "%s; %s is reloaded on SIGHUP only", err, o->config_path);
    else
        cm_log(CM_LOG_INFO, "%s is reloaded when it changes, and on SIGHUP", o->config_path);
    memset(hooks, 0, sizeof(*hooks));
    hooks->stage = stage;
    hooks->helper_ready = helper_ready;
    hooks->commit = commit;
    hooks->drain = drain;
    hooks->arg = r;
    hooks->watch_fd = r->watch ? cm_reload_watch_fd(r->watch) : -1;
    return r;
}

const struct cm_reload_state *
cm_reloader_state(const struct cm_reloader *r)
{
    return r->state;
}

const struct cm_kubeconn *
cm_reloader_conn(const struct cm_reloader *r)
{
    return &r->cur.conn;
}

void
cm_reloader_free(struct cm_reloader *r)
{
    if (r == NULL)
        return;
    if (r->staged)
        loaded_free(&r->next);
    cm_objcache_free(r->next_cache);
    loaded_free(&r->cur);
    cm_objcache_free(r->cache);
    cm_reload_watch_free(r->watch);
    cm_reload_state_free(r->state);
    free(r);
}
