#include "authsetup.h"
#include "alloc.h"
#include "arena.h"
#include "authcache.h"
#include "authio.h"
#include "frontproxy.h"
#include "log.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define AUTH_CACHE_SLOTS 1024

static struct cm_arena auth_arena;        /* the flags' lists; lives as long as the server */
static struct cm_authio authio;
static struct cm_auth auth;

static const struct cm_authcache_procs procs = { cm_proc_self, cm_proc_alive };

/* A LIST flag into list; prints and returns -1 when it is too long. */
static int
flag_list(const char *flag, const char *value, const char **list, size_t cap, size_t *n)
{
    int k = cm_frontproxy_split(value, list, cap, &auth_arena);

    if (k < 0) {
        fprintf(stderr, "custom-metrics-fcgi: --%s takes at most %zu names\n", flag, cap);
        return -1;
    }
    *n = (size_t)k;
    return 0;
}

/*
 * The authentication and authorization settings serve runs with: delegated
 * with a cluster, static without one (given a static policy), insecure
 * only when asked for.  dir is where the ConfigMap follower writes.
 * Returns 0, or -1 after printing the problem.
 */
int
cm_authsetup(const struct cm_cli *a, int cluster, const struct cm_kubeconn *conn, const char *dir,
           unsigned workers)
{
    struct cm_identity_headers *h = &authio.flags.headers;
    int rh_flags = a->rh_ca_file || a->rh_allowed_names || a->rh_user_headers ||
                   a->rh_group_headers || a->rh_extra_prefix || a->rh_uid_headers;
    int static_flags = a->static_users || a->static_groups;
    void *mem;
    size_t len;

    cm_arena_init(&auth_arena, 4096);
    memset(&auth, 0, sizeof(auth));
    if (a->insecure) {
        if (rh_flags || static_flags) {
            fprintf(stderr, "custom-metrics-fcgi: --insecure-serve-anyone turns authentication "
                    "off; it takes no --requestheader-* or --authorization-static-* flag\n");
            return -1;
        }
        auth.mode = CM_AUTH_INSECURE;
        cm_log(CM_LOG_WARN, "--insecure-serve-anyone: NO AUTHENTICATION, NO AUTHORIZATION: "
               "anyone who reaches nginx reads every metric (never run this in a cluster)");
        return 0;
    }
    if (cluster && static_flags) {
        fprintf(stderr, "custom-metrics-fcgi: --authorization-static-allow-* is for serving "
                "without a cluster; with one, every request is reviewed by it\n");
        return -1;
    }
    if (!cluster && !static_flags)
        cm_log(CM_LOG_WARN, "no cluster and no --authorization-static-allow-users/-groups: "
               "every request but the health checks is refused (403); "
               "--insecure-serve-anyone lets anyone in");
    auth.mode = cluster ? CM_AUTH_DELEGATED : CM_AUTH_STATIC;

    cm_identity_headers_default(h);
    if ((a->rh_allowed_names && flag_list("requestheader-allowed-names", a->rh_allowed_names,
                                          authio.flags.allowed_names, CM_AUTH_MAX_NAMES,
                                          &authio.flags.nallowed) < 0) ||
        (a->rh_user_headers && flag_list("requestheader-username-headers", a->rh_user_headers,
                                         h->user, CM_IDENTITY_MAX_HEADERS, &h->nuser) < 0) ||
        (a->rh_group_headers && flag_list("requestheader-group-headers", a->rh_group_headers,
                                          h->group, CM_IDENTITY_MAX_HEADERS, &h->ngroup) < 0) ||
        (a->rh_extra_prefix && flag_list("requestheader-extra-headers-prefix", a->rh_extra_prefix,
                                         h->extra_prefix, CM_IDENTITY_MAX_HEADERS,
                                         &h->nextra_prefix) < 0) ||
        (a->rh_uid_headers && flag_list("requestheader-uid-headers", a->rh_uid_headers, h->uid,
                                        CM_IDENTITY_MAX_HEADERS, &h->nuid) < 0))
        return -1;
    if (a->always_allow_paths) {
        if (flag_list("authorization-always-allow-paths", a->always_allow_paths,
                      auth.always_allow_paths, CM_AUTH_MAX_PATHS, &auth.nalways) < 0)
            return -1;
    } else {
        auth.always_allow_paths[0] = "/healthz";
        auth.always_allow_paths[1] = "/readyz";
        auth.always_allow_paths[2] = "/livez";
        auth.nalways = 3;
    }
    if ((a->static_users && flag_list("authorization-static-allow-users", a->static_users,
                                      auth.static_users, CM_AUTH_MAX_STATIC,
                                      &auth.nstatic_users) < 0) ||
        (a->static_groups && flag_list("authorization-static-allow-groups", a->static_groups,
                                       auth.static_groups, CM_AUTH_MAX_STATIC,
                                       &auth.nstatic_groups) < 0))
        return -1;
    if (a->rh_ca_file != NULL) {
        int fd = open(a->rh_ca_file, O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
            fprintf(stderr, "custom-metrics-fcgi: cannot read --requestheader-client-ca-file "
                    "%s: %m\n", a->rh_ca_file);
            return -1;
        }
        close(fd);
        authio.ca_file = a->rh_ca_file;
        auth.trust_source = "--requestheader-client-ca-file";   /* health names no path */
    } else if (cluster) {
        char *path, err[512];

        if (rh_flags)
            cm_log(CM_LOG_WARN, "--requestheader-* flags without --requestheader-client-ca-file "
                   "are ignored: the names and headers come from the ConfigMap with its CA");
        path = cm_xmalloc(strlen(dir) + sizeof(CM_AUTHIO_CONFIGMAP_FILE) + 2);
        sprintf(path, "%s/%s", dir, CM_AUTHIO_CONFIGMAP_FILE);
        authio.configmap_file = path;
        auth.trust_source = "kube-system/extension-apiserver-authentication";
        unlink(path);                       /* a previous run's: this cluster says anew */
        if (cm_authio_fetch_configmap(conn, path, err, sizeof(err)) < 0)
            cm_log(CM_LOG_WARN, "%s; retrying every %d s, and the front proxy is not trusted "
                   "until it is read", err, CM_AUTHIO_FOLLOW_S);
    } else {
        cm_log(CM_LOG_WARN, "no --requestheader-client-ca-file: no request is taken as the "
               "front proxy's; the static policy sees system:anonymous only");
    }
    authio.conn = cluster ? conn : NULL;
    authio.timeout_ms = (long)a->review_timeout_s * 1000;
    cm_authio_init(&authio);
    auth.allow_ttl_ms = a->allow_ttl_s * 1000;
    auth.deny_ttl_ms = a->deny_ttl_s * 1000;
    auth.token_ttl_ms = 10000;
    auth.review_timeout_ms = a->review_timeout_s * 1000;
    auth.ops = &cm_authio_ops;
    auth.ops_arg = &authio;
    if (cluster) {
        /* the decision cache, shared by the workers forked below */
        len = cm_authcache_bytes(AUTH_CACHE_SLOTS);
        mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
            fprintf(stderr, "custom-metrics-fcgi: cannot map the decision cache: %m\n");
            return -1;
        }
        auth.cache = cm_authcache_init(mem, len, AUTH_CACHE_SLOTS, workers > 1 ? workers - 1 : 1,
                                       &procs);
    }
    cm_log(CM_LOG_INFO, "authentication: front proxy %s%s; authorization: %s",
           authio.ca_file ? "CA " : "", authio.ca_file ? authio.ca_file
           : cluster ? "from kube-system/extension-apiserver-authentication" : "not trusted",
           cluster ? "SubjectAccessReview" : "static policy");
    return 0;
}

const struct cm_auth *
cm_authsetup_auth(void)
{
    return &auth;
}

const char *
cm_authsetup_configmap_file(void)
{
    return authio.configmap_file;
}

void
cm_authsetup_move_conn(const struct cm_kubeconn *conn)
{
    if (authio.conn != NULL)
        authio.conn = conn;
}
