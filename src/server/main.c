/*
 * main.c - the command line: "serve" runs the master and its workers,
 * "check" validates metrics.yaml (and an objects file) without serving.
 */
#include "alloc.h"
#include "router.h"
#include "config.h"
#include "diag.h"
#include "explain.h"
#include "listener.h"
#include "log.h"
#include "kubeconn.h"
#include "kubediscovery.h"
#include "master.h"
#include "objcache.h"
#include "objects.h"
#include "promclient.h"
#include "promshare.h"
#include "pushstore.h"
#include "reloader.h"
#include "source.h"
#include "watcher.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define LISTEN_BACKLOG 1024

static const char usage_text[] =
    "usage: custom-metrics-fcgi serve --config FILE --socket PATH [options]\n"
    "       custom-metrics-fcgi check --config FILE [--objects FILE | --kubeconfig FILE\n"
    "                                 [--kube-context NAME] | --master-url URL]\n"
    "       custom-metrics-fcgi explain --hpa FILE --url URL --replicas N --selector S [...]\n"
    "                                 (explain --help for its options)\n"
    "       custom-metrics-fcgi --help | --version\n"
    "\n"
    "A Kubernetes metrics API server (custom.metrics.k8s.io and\n"
    "external.metrics.k8s.io): FastCGI workers behind nginx, serving the\n"
    "metrics declared in metrics.yaml.\n"
    "\n"
    "serve options:\n"
    "  -c, --config FILE|DIR      metrics.yaml to serve, or a directory whose *.yaml\n"
    "                             files are its parts (required); reloaded when it\n"
    "                             changes and on SIGHUP, if check would accept it\n"
    "  -s, --socket PATH          unix socket for nginx; its directory must be the\n"
    "                             server's own (created 0750 if missing) (required)\n"
    "      --health-socket PATH   unix socket for nginx's /healthz, /livez and /readyz,\n"
    "                             served by a worker of its own that no slow source can\n"
    "                             hold up (default: health.sock beside --socket)\n"
    "  -w, --workers N            worker processes (default: the number of CPUs)\n"
    "  -o, --objects FILE         the objects that exist: a Kubernetes List in YAML or\n"
    "                             JSON, as 'kubectl get ... -o yaml' prints it\n"
    "      --kubeconfig FILE      watch the objects of the cluster this kubeconfig's\n"
    "                             current context names\n"
    "      --kube-context NAME    the kubeconfig context to use instead\n"
    "      --master-url URL       the kube-apiserver's URL (with --kubeconfig: instead\n"
    "                             of its server; alone: no credentials, e.g. kubectl proxy)\n"
    "                             Neither, no --objects, and KUBERNETES_SERVICE_HOST set:\n"
    "                             the in-cluster service account\n"
    "      --cache-dir DIR        where the watch cache keeps its images (default: the\n"
    "                             socket's directory)\n"
    "      --watch-retry-max S    the longest wait between attempts to reach the\n"
    "                             kube-apiserver (default 30)\n"
    "      --shutdown-timeout S   seconds to let requests finish on SIGTERM (default 10)\n"
    "  -v, --verbose              log debug records\n"
    "\n"
    "check validates metrics.yaml (and --objects, or the kubeconfig, and with a\n"
    "cluster the resources only its discovery knows), prints one summary line and\n"
    "exits 0, or prints every problem as FILE:LINE:COLUMN: message and exits 1.\n";

struct args {
    const char *command;
    const char *config;
    const char *socket;
    const char *health_socket;
    const char *objects;
    const char *kubeconfig;
    const char *kube_context;
    const char *master_url;
    const char *cache_dir;
    int watch_retry_max;
    const char *state_dir;
    const char *write_token_file;
    int push_capacity;
    int workers;
    int shutdown_timeout;
};

static int
parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "socket", required_argument, NULL, 's' },
        { "health-socket", required_argument, NULL, 'H' },
        { "workers", required_argument, NULL, 'w' },
        { "objects", required_argument, NULL, 'o' },
        { "shutdown-timeout", required_argument, NULL, 'T' },
        { "state-dir", required_argument, NULL, 'S' },
        { "push-capacity", required_argument, NULL, 'P' },
        { "write-token-file", required_argument, NULL, 'W' },
        { "kubeconfig", required_argument, NULL, 'K' },
        { "kube-context", required_argument, NULL, 'X' },
        { "master-url", required_argument, NULL, 'M' },
        { "cache-dir", required_argument, NULL, 'D' },
        { "watch-retry-max", required_argument, NULL, 'R' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(a, 0, sizeof(*a));
    a->shutdown_timeout = 10;
    a->watch_retry_max = CM_WATCHER_RETRY_MAX_MS / 1000;
    a->workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (a->workers < 1)
        a->workers = 1;
    if (argc >= 2 && argv[1][0] != '-') {
        a->command = argv[1];
        argv++;
        argc--;
    }
    while ((c = getopt_long(argc, argv, "c:s:w:o:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->config = optarg; break;
        case 's': a->socket = optarg; break;
        case 'H': a->health_socket = optarg; break;
        case 'o': a->objects = optarg; break;
        case 'S': a->state_dir = optarg; break;
        case 'W': a->write_token_file = optarg; break;
        case 'K': a->kubeconfig = optarg; break;
        case 'X': a->kube_context = optarg; break;
        case 'M': a->master_url = optarg; break;
        case 'D': a->cache_dir = optarg; break;
        case 'R':
            if (parse_int(optarg, 1, 300, &a->watch_retry_max) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --watch-retry-max takes seconds from 1 to 300\n");
                return 2;
            }
            break;
        case 'P':
            if (parse_int(optarg, 16, (int)CM_PUSHSTORE_MAX_CAPACITY, &a->push_capacity) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --push-capacity takes a number from 16 to %u\n",
                        CM_PUSHSTORE_MAX_CAPACITY);
                return 2;
            }
            break;
        case 'w':
            if (parse_int(optarg, 1, 1024, &a->workers) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --workers takes a number from 1 to 1024\n");
                return 2;
            }
            break;
        case 'T':
            if (parse_int(optarg, 0, 3600, &a->shutdown_timeout) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --shutdown-timeout takes seconds from 0 to 3600\n");
                return 2;
            }
            break;
        case 'v': cm_log_set_level(CM_LOG_DEBUG); break;
        case 'h': fputs(usage_text, stdout); exit(0);
        case 'V': printf("custom-metrics-fcgi %s\n", PACKAGE_VERSION); exit(0);
        default:
            fputs("Try 'custom-metrics-fcgi --help'.\n", stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "custom-metrics-fcgi: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (a->command == NULL) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (strcmp(a->command, "serve") != 0 && strcmp(a->command, "check") != 0) {
        fprintf(stderr, "custom-metrics-fcgi: unknown command '%s' (serve or check)\n", a->command);
        return 2;
    }
    if (a->config == NULL) {
        fprintf(stderr, "custom-metrics-fcgi: %s needs --config FILE\n", a->command);
        return 2;
    }
    if (a->objects != NULL && (a->kubeconfig != NULL || a->master_url != NULL)) {
        fprintf(stderr, "custom-metrics-fcgi: --objects or a cluster (--kubeconfig, "
                "--master-url), not both\n");
        return 2;
    }
    if (a->kube_context != NULL && a->kubeconfig == NULL) {
        fprintf(stderr, "custom-metrics-fcgi: --kube-context needs --kubeconfig\n");
        return 2;
    }
    if (strcmp(a->command, "serve") == 0 && a->socket == NULL) {
        fprintf(stderr, "custom-metrics-fcgi: serve needs --socket PATH\n");
        return 2;
    }
    return 0;
}

/*
 * The cluster to watch, if any: --kubeconfig and/or --master-url, or the
 * in-cluster service account when neither nor --objects is given and the
 * process runs in a pod.  Returns 1 with *conn filled, 0 for no cluster, -1
 * after printing the problems.
 */
static int
load_cluster(const struct args *a, struct cm_kubeconn *conn, struct cm_diag *d)
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
load_config(const struct args *a, struct cm_config **cfg, const struct cm_kubeconn *conn,
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

/*
 * Loads what both commands validate (and a reload loads again: reloader.h),
 * adding every problem to d; returns -1 on any.
 */
static int
load_into(const struct args *a, struct cm_loaded *out, struct cm_diag *d)
{
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->cluster = load_cluster(a, &out->conn, d);
    if (out->cluster < 0)
        rc = -1;
    if (load_config(a, &out->cfg, &out->conn, out->cluster > 0, d) < 0)
        rc = -1;
    if (a->objects != NULL && cm_objects_load_file(&out->objs, a->objects, &out->skipped, d) < 0)
        rc = -1;
    if (out->cluster < 0)
        out->cluster = 0;
    if (out->cluster && out->cfg != NULL) {
        const struct cm_resource *res[CM_OBJCACHE_MAX];

        if (cm_reloader_watched(out->cfg, res, CM_OBJCACHE_MAX) > CM_OBJCACHE_MAX) {
            cm_diag_add(d, a->config, 0, 0, "names more than %d resources; the watch cache "
                        "follows at most that many", CM_OBJCACHE_MAX - 1);
            rc = -1;
        }
    }
    return rc;
}

static int
reload_load(void *arg, struct cm_loaded *out, struct cm_diag *d)
{
    int rc;

    reloading = 1;
    rc = load_into(arg, out, d);
    reloading = 0;
    return rc;
}

/* Loads what both commands validate; prints problems and returns -1 on any. */
static int
load(const struct args *a, struct cm_config **cfg, struct cm_objects **objs,
     size_t *skipped, struct cm_kubeconn *conn, int *cluster)
{
    struct cm_loaded l;
    struct cm_diag d;
    int rc;

    cm_diag_init(&d);
    rc = load_into(a, &l, &d);
    *cfg = l.cfg;
    *objs = l.objs;
    *skipped = l.skipped;
    *conn = l.conn;
    *cluster = l.cluster;
    cm_diag_print(&d, stderr);
    cm_diag_free(&d);
    return rc;
}

struct watch_args {
    const struct cm_kubeconn *conn;
    struct cm_objcache *cache;
    long retry_max_ms;
};

static int
watch_main(void *arg)
{
    struct watch_args *w = arg;

    return cm_watcher_run(w->conn, w->cache, w->retry_max_ms);
}

/* The socket's directory: where the watch cache's images go by default. */
static char *
socket_dir(const char *socket)
{
    const char *slash = strrchr(socket, '/');

    if (slash == NULL)
        return cm_xstrdup(".");
    if (slash == socket)
        return cm_xstrdup("/");
    return cm_xstrndup(socket, (size_t)(slash - socket));
}

/* --health-socket, or health.sock in the socket's directory; owned. */
static char *
health_socket_path(const struct args *a)
{
    char *dir, *path;
    size_t n;

    if (a->health_socket != NULL)
        return cm_xstrdup(a->health_socket);
    dir = socket_dir(a->socket);
    n = strlen(dir) + sizeof("/health.sock");
    path = cm_xmalloc(n);
    snprintf(path, n, "%s%shealth.sock", dir, strcmp(dir, "/") == 0 ? "" : "/");
    free(dir);
    return path;
}

/* The health worker's listening socket at path, or -1 after saying why. */
static int
open_health(const struct args *a, const char *path)
{
    char err[512];
    int fd;

    if (strcmp(path, a->socket) == 0) {
        fprintf(stderr, "custom-metrics-fcgi: --health-socket must differ from --socket (%s)\n",
                a->socket);
        return -1;
    }
    fd = cm_listener_open(path, LISTEN_BACKLOG, err, sizeof(err));
    if (fd < 0)
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
    return fd;
}

/* What the workers share about Prometheus (promshare.h), or NULL after saying why. */
static struct cm_promshare *
open_share(void)
{
    struct cm_promshare *s;
    char err[512];

    s = cm_promshare_new(err, sizeof(err));
    if (s == NULL)
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
    return s;
}

/*
 * Checks what serving needs beyond the files: the push store (created here,
 * once, before the workers open it) and a readable write token.
 */
static int
prepare_state(const struct args *a, const struct cm_config *cfg)
{
    struct cm_pushstore *ps;
    char err[512];
    int fd;

    if (a->write_token_file != NULL) {
        fd = open(a->write_token_file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "custom-metrics-fcgi: cannot read --write-token-file %s: %m\n",
                    a->write_token_file);
            return -1;
        }
        close(fd);
    }
    if (a->state_dir == NULL) {
        if (cfg->npush > 0)
            cm_log(CM_LOG_WARN, "push sources without --state-dir: no value can be written, "
                   "and reads of them answer 503 (or their fallback)");
        return 0;
    }
    if (cm_pushstore_open(&ps, a->state_dir, (uint32_t)a->push_capacity, 1, err,
                          sizeof(err)) < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        return -1;
    }
    cm_log(CM_LOG_INFO, "push store %s/%s: %u of %u records in use", a->state_dir,
           CM_PUSHSTORE_FILE, cm_pushstore_count(ps), cm_pushstore_capacity(ps));
    cm_pushstore_close(ps);
    if (cfg->npush > 0 && a->write_token_file == NULL)
        cm_log(CM_LOG_WARN, "push sources without --write-token-file: the write API is off, "
               "so no value can be written");
    return 0;
}

static size_t
count_pairs(const struct cm_config *cfg)
{
    size_t i, n = 0;

    for (i = 0; i < cfg->nmetrics; i++)
        n += cfg->metrics[i].nresources;
    return n;
}

int
main(int argc, char **argv)
{
    struct args a;
    struct cm_config *cfg = NULL;
    struct cm_objects *objs = NULL;
    struct cm_objcache *cache = NULL;
    struct cm_kubeconn conn;
    struct watch_args wa;
    struct cm_api api, health_api;
    struct cm_master_opts mo;
    struct cm_promshare *share = NULL;
    struct cm_reloader_opts ro;
    struct cm_reloader *reloader = NULL;
    struct cm_master_reload hooks;
    struct cm_loaded first;
    char *health_path = NULL, *cache_dir = NULL;
    size_t skipped;
    char err[512];
    int rc, cluster = 0;

    if (argc > 1 && strcmp(argv[1], "explain") == 0)
        return cm_explain_main(argc - 1, argv + 1);    /* a client: src/explain/ */
    rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc;
    if (load(&a, &cfg, &objs, &skipped, &conn, &cluster) < 0) {
        if (strcmp(a.command, "serve") == 0)
            fprintf(stderr, "custom-metrics-fcgi: not starting: fix the problems above\n");
        cm_objects_free(objs);
        cm_config_free(cfg);
        return 1;
    }

    if (strcmp(a.command, "check") == 0) {
        printf("%s: ok: %zu metric%s on %zu resource%s", a.config, cfg->nmetrics,
               cfg->nmetrics == 1 ? "" : "s", count_pairs(cfg), count_pairs(cfg) == 1 ? "" : "s");
        printf(", %zu external series", cfg->nexternal);
        if (objs != NULL)
            printf("; %s: %zu objects (%zu of unknown kinds skipped)", a.objects,
                   cm_objects_count(objs), skipped);
        if (cluster)
            printf("; cluster %s (%s)", conn.server, conn.origin);
        printf("\n");
        cm_objects_free(objs);
        cm_config_free(cfg);
        cm_kubeconn_free(&conn);
        return 0;
    }

    if (cluster) {
        const struct cm_resource *res[CM_OBJCACHE_MAX];
        size_t n = cm_reloader_watched(cfg, res, CM_OBJCACHE_MAX);
        char *dir = a.cache_dir ? cm_xstrdup(a.cache_dir) : socket_dir(a.socket);

        if (n > CM_OBJCACHE_MAX) {
            fprintf(stderr, "custom-metrics-fcgi: %s names more than %d resources; the watch "
                    "cache follows at most that many\n", a.config, CM_OBJCACHE_MAX - 1);
            free(dir);
            cm_config_free(cfg);
            cm_kubeconn_free(&conn);
            return 1;
        }
        if (cm_objcache_create(&cache, dir, res, n, err, sizeof(err)) < 0) {
            fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
            free(dir);
            cm_config_free(cfg);
            cm_kubeconn_free(&conn);
            return 1;
        }
        cm_log(CM_LOG_INFO, "objects from %s (%s); cache images in %s", conn.server,
               conn.origin, dir);
        free(dir);
    } else if (objs == NULL) {
        cm_log(CM_LOG_WARN, "no --objects and no cluster: by-name requests answer for any "
               "object name, by-selector requests answer an empty list");
    }
    else
        cm_log(CM_LOG_INFO, "%s: %zu objects (%zu of unknown kinds skipped)",
               a.objects, cm_objects_count(objs), skipped);

    if (prepare_state(&a, cfg) < 0) {
        cm_objects_free(objs);
        cm_config_free(cfg);
        return 1;
    }
    mo.listen_fd = cm_listener_open(a.socket, LISTEN_BACKLOG, err, sizeof(err));
    if (mo.listen_fd < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        cm_objects_free(objs);
        cm_config_free(cfg);
        return 1;
    }
    health_path = health_socket_path(&a);
    mo.health_fd = open_health(&a, health_path);
    if (mo.health_fd < 0 || (cfg->prometheus != NULL && (share = open_share()) == NULL)) {
        if (mo.health_fd >= 0)
            cm_listener_close(mo.health_fd, health_path);
        cm_listener_close(mo.listen_fd, a.socket);
        free(health_path);
        cm_objects_free(objs);
        cm_objcache_free(cache);
        cm_kubeconn_free(&conn);
        cm_config_free(cfg);
        return 1;
    }
    cm_promclient_share(share);            /* the workers inherit the mapping */
    api.config = cfg;
    api.objects = cache ? cm_objcache_refresh(cache) : objs;
    api.cache = cache;
    api.sources = cm_sources_new(cfg, cm_source_backends_all);  /* each worker mutates its own copy */
    cm_sources_set_state_dir(api.sources, a.state_dir, (uint32_t)a.push_capacity);
    api.write_token_file = a.write_token_file;
    mo.socket_path = a.socket;
    mo.workers = a.workers;
    mo.shutdown_timeout = a.shutdown_timeout;
    mo.api = &api;
    health_api = api;                      /* the same checks, and no source to wait on */
    health_api.sources = NULL;
    health_api.write_token_file = NULL;
    mo.health_socket_path = health_path;
    mo.health_api = &health_api;
    mo.helper = NULL;
    mo.reload = NULL;
    api.reload = health_api.reload = NULL;
    wa.conn = &conn;
    wa.cache = cache;
    wa.retry_max_ms = a.watch_retry_max * 1000L;
    if (cache != NULL) {
        mo.helper = watch_main;
        mo.helper_arg = &wa;
        mo.helper_name = "watch cache";
    }
    cache_dir = a.cache_dir ? cm_xstrdup(a.cache_dir) : socket_dir(a.socket);
    memset(&ro, 0, sizeof(ro));
    ro.config_path = a.config;
    ro.load = reload_load;
    ro.load_arg = &a;
    ro.api = &api;
    ro.health_api = &health_api;
    ro.state_dir = a.state_dir;
    ro.push_capacity = (uint32_t)a.push_capacity;
    ro.cache_dir = cache_dir;
    ro.helper_conn = &wa.conn;
    ro.helper_cache = &wa.cache;
    ro.share = &share;
    first.cfg = cfg;
    first.objs = objs;
    first.skipped = skipped;
    first.conn = conn;
    first.cluster = cluster;
    reloader = cm_reloader_new(&ro, &first, cache, &hooks);
    if (reloader != NULL) {
        /* the reloader owns what serves now, and frees it */
        cfg = NULL;
        objs = NULL;
        cache = NULL;
        memset(&conn, 0, sizeof(conn));
        mo.reload = &hooks;
        api.reload = health_api.reload = cm_reloader_state(reloader);
        wa.conn = cm_reloader_conn(reloader);  /* its copy of the connection */
    }
    rc = cm_master_run(&mo);
    cm_reloader_free(reloader);
    cm_promshare_free(share);
    free(health_path);
    free(cache_dir);
    cm_sources_free(api.sources);
    cm_objects_free(objs);
    cm_objcache_free(cache);
    cm_kubeconn_free(&conn);
    cm_config_free(cfg);
    return rc;
}
