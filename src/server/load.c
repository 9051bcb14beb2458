#include "load.h"
#include "alloc.h"
#include "diag.h"
#include "kubediscovery.h"
#include "log.h"
#include "objcache.h"
#include "resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The cluster to watch, if any: --kubeconfig and/or --master-url, or the
 * in-cluster service account when neither nor --objects is given and the
 * process runs in a pod.  Returns 1 with *conn filled, 0 for no cluster, -1
 * after printing the problems.
 */
static int
load_cluster(const struct cm_cli *a, struct cm_kubeconn *conn, struct cm_diag *d)
{
    char err[512];

    memset(conn, 0, sizeof(*conn));
    if (a->kubeconfig != NULL) {
        if (cm_kubeconn_kubeconfig(conn, a->kubeconfig, a->kube_context, d) < 0)
            return -1;
    } else if (a->master_url == NULL) {
        const char *host = getenv("KUBERNETES_SERVICE_HOST");

        if (a->objects != NULL || host == NULL || *host == '\0')
            return 0;
        if (cm_kubeconn_in_cluster(conn, CM_KUBE_SA_DIR, err, sizeof(err)) < 0) {
            cm_diag_add(d, "in-cluster", 0, 0, "%s", err);
            return -1;
        }
        return 1;
    } else {
        conn->origin = cm_xstrdup("--master-url, no credentials");
    }
    if (a->master_url != NULL) {
        if (cm_kubeconn_set_server(conn, a->master_url, err, sizeof(err)) < 0) {
            cm_diag_add(d, "--master-url", 0, 0, "%s", err);
            cm_kubeconn_free(conn);
            return -1;
        }
    }
    return 1;
}

/*
 * Resource names metrics.yaml gives that the built-in table lacks: a first
 * pass of the configuration collects them (each gets a stand-in), discovery
 * finds them in the cluster, and the second pass takes its answers.
 */
struct unknown {
    size_t n;
    char *name[CM_RESOURCE_MAX_ADDED];
    struct cm_resource stand_in[CM_RESOURCE_MAX_ADDED];
    struct cm_discovered found[CM_RESOURCE_MAX_ADDED];
};

static const struct cm_resource *
collect_unknown(const char *name, void *arg, char *why, size_t whylen)
{
    struct unknown *u = arg;
    size_t i;

    for (i = 0; i < u->n; i++)
        if (strcmp(u->name[i], name) == 0)
            return &u->stand_in[i];
    if (u->n == CM_RESOURCE_MAX_ADDED) {
        snprintf(why, whylen, "more than %d resources outside the built-in table",
                 CM_RESOURCE_MAX_ADDED);
        return NULL;
    }
    u->name[u->n] = cm_xstrdup(name);
    u->stand_in[u->n].group_resource = u->name[u->n];
    return &u->stand_in[u->n++];
}

static const struct cm_resource *
discovered(const char *name, void *arg, char *why, size_t whylen)
{
    struct unknown *u = arg;
    size_t i;

    for (i = 0; i < u->n; i++)
        if (strcmp(u->name[i], name) == 0)
            break;
    if (i == u->n || u->found[i].resource == NULL) {
        snprintf(why, whylen, "unknown resource '%s': %s", name,
                 i < u->n ? u->found[i].why : "not looked up");
        return NULL;
    }
    return u->found[i].resource;
}

/* Set while a reload loads: it asks discovery once, as check does, and never waits. */
static int reloading;

/* Loads metrics.yaml; with a cluster, resources the table lacks come from its discovery. */
static int
load_config(const struct cm_cli *a, struct cm_config **cfg, const struct cm_kubeconn *conn,
            int cluster, struct cm_diag *d)
{
    static struct unknown u;
    struct cm_diag scratch;
    char err[512];
    size_t i;

    for (i = 0; i < u.n; i++)              /* a reload asks again, from scratch */
        free(u.name[i]);
    memset(&u, 0, sizeof(u));
    if (!cluster)
        return cm_config_load(cfg, a->config, d);
    cm_diag_init(&scratch);
    if (cm_config_load_resolving(cfg, a->config, collect_unknown, &u, &scratch) == 0)
        cm_config_free(*cfg);
    cm_diag_free(&scratch);
    *cfg = NULL;
    if (u.n > 0) {
        /* serve waits a little for a kube-apiserver that is starting too;
         * check says at once that it cannot be reached */
        int tries = strcmp(a->command, "serve") == 0 && !reloading ? 6 : 1, rc;
        unsigned delay_ms = 500;

        while ((rc = cm_discovery_resolve(conn, (const char *const *)u.name, u.n, u.found, err,
                                          sizeof(err))) < 0 && --tries > 0) {
            struct timespec ts = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L };

            cm_log(CM_LOG_WARN, "%s; retrying in %u ms", err, delay_ms);
            nanosleep(&ts, NULL);
            delay_ms *= 2;
        }
        if (rc < 0) {
            cm_diag_add(d, a->config, 0, 0, "%s names resources the built-in table does not "
                        "know, and %s", u.name[0], err);
            return -1;
        }
        for (i = 0; i < u.n; i++) {
            const struct cm_resource *known;

            if (u.found[i].resource == NULL)
                continue;
            /* "widgets" and "widgets.example.com" are one resource: one entry */
            known = cm_resource_lookup(u.found[i].resource->group_resource);
            if (known != NULL)
                u.found[i].resource = known;
            else if (cm_resource_add(u.found[i].resource) == 0)
                cm_log(CM_LOG_INFO, "resource %s: %s, kind %s, %s (from the cluster's discovery)",
                       u.found[i].resource->group_resource, u.found[i].resource->api_version, u.found[i].resource->kind,
                       u.found[i].resource->namespaced ? "namespaced" : "cluster-scoped");
        }
    }
    return cm_config_load_resolving(cfg, a->config, discovered, &u, d);
}

size_t
cm_load_watched(const struct cm_config *cfg, const struct cm_resource **res, size_t cap)
{
    size_t n = 0, i, k, j;

    res[n++] = cm_resource_namespaces();
    for (i = 0; i < cfg->nmetrics; i++) {
        for (k = 0; k < cfg->metrics[i].nresources; k++) {
            const struct cm_resource *r = cfg->metrics[i].resources[k];

            for (j = 0; j < n && res[j] != r; j++)
                ;
            if (j < n)
                continue;
            if (n == cap)
                return cap + 1;
            res[n++] = r;
        }
    }
    return n;
}

int
cm_load_into(const struct cm_cli *a, struct cm_loaded *out, struct cm_diag *d, int reload)
{
    int rc = 0;

    memset(out, 0, sizeof(*out));
    reloading = reload;
    out->cluster = load_cluster(a, &out->conn, d);
    if (out->cluster < 0) {
        out->cluster = 0;
        rc = -1;
    }
    if (load_config(a, &out->cfg, &out->conn, out->cluster, d) < 0)
        rc = -1;
    if (a->objects != NULL && cm_objects_load_file(&out->objs, a->objects, &out->skipped, d) < 0)
        rc = -1;
    if (out->cluster && out->cfg != NULL) {
        const struct cm_resource *res[CM_OBJCACHE_MAX];

        if (cm_load_watched(out->cfg, res, CM_OBJCACHE_MAX) > CM_OBJCACHE_MAX) {
            cm_diag_add(d, a->config, 0, 0, "names more than %d resources; the watch cache "
                        "follows at most that many", CM_OBJCACHE_MAX - 1);
            rc = -1;
        }
    }
    reloading = 0;
    return rc;
}

int
cm_load(const struct cm_cli *a, struct cm_loaded *out)
{
    struct cm_diag d;
    int rc;

    cm_diag_init(&d);
    rc = cm_load_into(a, out, &d, 0);
    cm_diag_print(&d, stderr);
    cm_diag_free(&d);
    return rc;
}

void
cm_load_free(struct cm_loaded *l)
{
    cm_objects_free(l->objs);
    cm_config_free(l->cfg);
    if (l->cluster)
        cm_kubeconn_free(&l->conn);
    memset(l, 0, sizeof(*l));
}

static size_t
count_pairs(const struct cm_config *cfg)
{
    size_t i, n = 0;

    for (i = 0; i < cfg->nmetrics; i++)
        n += cfg->metrics[i].nresources;
    return n;
}

void
cm_load_print_summary(const struct cm_cli *a, const struct cm_loaded *l)
{
    const struct cm_config *cfg = l->cfg;

    printf("%s: ok: %zu metric%s on %zu resource%s", a->config, cfg->nmetrics,
           cfg->nmetrics == 1 ? "" : "s", count_pairs(cfg), count_pairs(cfg) == 1 ? "" : "s");
    printf(", %zu external series", cfg->nexternal);
    if (l->objs != NULL)
        printf("; %s: %zu objects (%zu of unknown kinds skipped)", a->objects,
               cm_objects_count(l->objs), l->skipped);
    if (l->cluster)
        printf("; cluster %s (%s)", l->conn.server, l->conn.origin);
    printf("\n");
}

