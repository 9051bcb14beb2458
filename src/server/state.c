#include "state.h"
#include "alloc.h"
#include "counters.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "promshare.h"
#include "pushstore.h"
#include "reloader.h"
#include "replicator.h"
#include "safefile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The socket's directory: where the watch cache's images go by default. */
char *
cm_state_socket_dir(const char *socket)
{
    const char *slash = strrchr(socket, '/');

    if (slash == NULL)
        return cm_xstrdup(".");
    if (slash == socket)
        return cm_xstrdup("/");
    return cm_xstrndup(socket, (size_t)(slash - socket));
}

/* --health-socket, or health.sock in the socket's directory; owned. */
char *
cm_state_health_path(const struct cm_cli *a)
{
    char *dir, *path;
    size_t n;

    if (a->health_socket != NULL)
        return cm_xstrdup(a->health_socket);
    dir = cm_state_socket_dir(a->socket);
    n = strlen(dir) + sizeof("/health.sock");
    path = cm_xmalloc(n);
    snprintf(path, n, "%s%shealth.sock", dir, strcmp(dir, "/") == 0 ? "" : "/");
    free(dir);
    return path;
}

/* The health worker's listening socket at path, or -1 after saying why. */
int
cm_state_open_health(const struct cm_cli *a, const char *path)
{
    char err[512];
    int fd;

    if (strcmp(path, a->socket) == 0) {
        fprintf(stderr, "custom-metrics-fcgi: --health-socket must differ from --socket (%s)\n",
                a->socket);
        return -1;
    }
    fd = cm_listener_open(path, CM_LISTEN_BACKLOG, err, sizeof(err));
    if (fd < 0)
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
    return fd;
}

/* What the workers share about Prometheus (promshare.h), or NULL after saying why. */
struct cm_promshare *
cm_state_open_share(void)
{
    struct cm_promshare *s;
    char err[512];

    s = cm_promshare_new(err, sizeof(err));
    if (s == NULL)
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
    return s;
}

/*
 * Refuses token files others could read or write, or that another user owns
 * (safefile.h): --write-token-file, the Prometheus bearer_token_file, the
 * push: block's password_file, and the kube-apiserver's token file (the in-cluster one may be readable by
 * others: the kubelet sets its mode).  Prints the problem; -1 on any.
 */
int
cm_state_check_token_files(const struct cm_cli *a, const struct cm_config *cfg,
                  const struct cm_kubeconn *conn, int cluster)
{
    char err[1024];
    int rc = 0;

    if (a->write_token_file != NULL &&
        cm_safefile_check_token(a->write_token_file, "--write-token-file", 0, err,
                                sizeof(err)) < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        rc = -1;
    }
    if (cfg->prometheus != NULL && cfg->prometheus->bearer_token_file != NULL &&
        cm_safefile_check_token(cfg->prometheus->bearer_token_file,
                                "the prometheus: bearer_token_file", 0, err, sizeof(err)) < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        rc = -1;
    }
    if (cfg->push.password_file != NULL &&
        cm_safefile_check_token(cfg->push.password_file, "the push: password_file", 0, err,
                                sizeof(err)) < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        rc = -1;
    }
    if (cluster && conn->token_file != NULL &&
        cm_safefile_check_token(conn->token_file, "the kube-apiserver token file",
                                strncmp(conn->token_file, CM_KUBE_SA_DIR "/",
                                        sizeof(CM_KUBE_SA_DIR)) == 0
                                    ? CM_SAFEFILE_OTHERS_MAY_READ : 0,
                                err, sizeof(err)) < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        rc = -1;
    }
    return rc;
}

/*
 * Checks what serving needs beyond the files: the push store (created here,
 * once, before the workers open it, in a directory of the server's own) and
 * a readable write token.
 */
int
cm_state_prepare(const struct cm_cli *a, const struct cm_config *cfg)
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
    if (cfg->push.kind == CM_PUSH_STORE_REDIS) {
        if (cfg->push.password_file != NULL &&
            (fd = open(cfg->push.password_file, O_RDONLY | O_CLOEXEC)) < 0) {
            fprintf(stderr, "custom-metrics-fcgi: cannot read the push block's password_file "
                    "%s: %m\n", cfg->push.password_file);
            return -1;
        }
        if (cfg->push.password_file != NULL)
            close(fd);
        if (a->state_dir == NULL) {
            fprintf(stderr, "custom-metrics-fcgi: store: redis needs --state-dir: each replica "
                    "keeps its copy of the values there\n");
            return -1;
        }
        if (cm_replicator_share(err, sizeof(err)) < 0) {
            fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
            return -1;
        }
        cm_log(CM_LOG_INFO, "pushed values in Redis %s://%s%s%s:%d/%d (key prefix %s, resync "
               "every %llds), copied to %s/%s", cfg->push.redis.tls ? "rediss" : "redis",
               cfg->push.redis.ipv6 ? "[" : "", cfg->push.redis.host,
               cfg->push.redis.ipv6 ? "]" : "", cfg->push.redis.port, cfg->push.redis.db,
               cfg->push.key_prefix,
               (long long)cfg->push.resync, a->state_dir, CM_PUSHSTORE_FILE);
    }
    if (a->state_dir == NULL) {
        if (cfg->npush > 0)
            cm_log(CM_LOG_WARN, "push sources without --state-dir: no value can be written, "
                   "and reads of them answer 503 (or their fallback)");
        return 0;
    }
    if (cm_safefile_check_dir(a->state_dir, "the state directory", 0700, err, sizeof(err)) < 0 ||
        cm_pushstore_open(&ps, a->state_dir, (uint32_t)a->push_capacity, 1, err,
                          sizeof(err)) < 0) {
        fprintf(stderr, "custom-metrics-fcgi: %s\n", err);
        return -1;
    }
    cm_log(CM_LOG_INFO, "push store %s/%s: %u of %u records in use", a->state_dir,
           CM_PUSHSTORE_FILE, cm_pushstore_count(ps), cm_pushstore_capacity(ps));
    cm_counters_push_store(cm_pushstore_count(ps), cm_pushstore_capacity(ps));
    cm_pushstore_close(ps);
    if (cfg->npush > 0 && a->write_token_file == NULL)
        cm_log(CM_LOG_WARN, "push sources without --write-token-file: the write API is off, "
               "so no value can be written");
    return 0;
}

/*
 * The self-metrics' shared counters (counters.h), mapped before the fork and
 * made this process's, with the configuration serving recorded.  Without
 * them (the mapping failed: said in the log) the server serves as before and
 * the metrics port's /metrics is a 404.  Returns them, owned, or NULL.
 */
struct cm_counters *
cm_state_open_counters(const struct cm_cli *a)
{
    struct cm_counters *c;
    char err[512], hash[CM_COUNTERS_HASH_MAX];

    c = cm_counters_new(err, sizeof(err));
    if (c == NULL) {
        cm_log(CM_LOG_WARN, "%s; serving without self-metrics", err);
        return NULL;
    }
    cm_counters_use(c);
    cm_reloader_hash(a->config, hash);     /* as reloads hash it: a file or a directory */
    cm_counters_config_loaded(hash, time(NULL));
    cm_metrics_set_version(PACKAGE_VERSION);
    return c;
}

