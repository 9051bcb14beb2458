/*
 * auth.h - who may ask this server what: the settings of authentication and
 * authorization, and the operations that need I/O, which the server wires in.
 *
 *   delegated  a cluster is known: the front proxy's certificate and headers
 *              (hpa-aggregator.md §3.7), else a bearer token checked by a
 *              TokenReview, else system:anonymous; then a SubjectAccessReview
 *              per question, answers shared by every worker (authcache.h)
 *   static     no cluster (--objects): the front proxy as above, then the
 *              users and groups of --authorization-static-allow-*
 *   insecure   --insecure-serve-anyone: nobody is asked anything
 *
 * The health paths and --authorization-always-allow-paths skip both steps;
 * group system:masters is allowed without a review, as in the generic
 * apiserver.  The step itself is src/handler/guard.c; this header holds
 * only types, so that the pure core never links libcurl or libcrypto.
 */
#ifndef CM_AUTH_H
#define CM_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "identity.h"

#define CM_AUTH_MAX_NAMES 32           /* --requestheader-allowed-names */
#define CM_AUTH_MAX_PATHS 32           /* --authorization-always-allow-paths */
#define CM_AUTH_MAX_STATIC 64          /* --authorization-static-allow-{users,groups} */

struct cm_authcache;

enum cm_auth_mode {
    CM_AUTH_INSECURE,
    CM_AUTH_DELEGATED,
    CM_AUTH_STATIC,
};

/*
 * The front proxy as it is trusted now (the flags, or the
 * extension-apiserver-authentication ConfigMap as last read).  Borrowed
 * from the ops' owner; valid until the next request.
 */
struct cm_frontproxy {
    int loaded;                        /* the trust settings have been read (0 while the
                                          ConfigMap's first answer is awaited) */
    int have_ca;                       /* a requestheader CA is known */
    const char *allowed_names[CM_AUTH_MAX_NAMES];
    size_t nallowed;                   /* 0: any CN the CA signed */
    struct cm_identity_headers headers;
};

/* What needs I/O; every call may block up to the review timeout. */
struct cm_auth_ops {
    /* The front-proxy settings in force (reloads them when they changed). */
    const struct cm_frontproxy *(*frontproxy)(void *arg);
    /*
     * Verifies a client certificate, given as nginx's $ssl_client_escaped_cert
     * (URL-escaped PEM), against the requestheader CA bundle: chain, clientAuth
     * usage, validity.  Returns 1 with its Subject CN in cn, or 0 with the
     * reason in why.
     */
    int (*verify_cert)(void *arg, const char *escaped_pem, char *cn, size_t cnlen,
                       char *why, size_t whylen);
    /*
     * A TokenReview of token: 1 with the user in *out (strings in a), 0 when
     * the token is not authenticated, -1 with err when no answer came.
     */
    int (*token_review)(void *arg, const char *token, struct cm_identity *out,
                        struct cm_arena *a, char *err, size_t errlen);
    /*
     * Sends the SubjectAccessReview body (JSON): 1 allowed, 0 denied (with
     * the review's reason, maybe empty, in reason), -1 with err when no
     * answer came.
     */
    int (*access_review)(void *arg, const char *body, size_t len, char *reason, size_t rlen,
                         char *err, size_t errlen);
    int64_t (*now_ms)(void *arg);      /* a monotonic clock */
    void (*pause_ms)(void *arg, int ms);
};

/* The settings; every pointer is borrowed for the server's life. */
struct cm_auth {
    enum cm_auth_mode mode;
    const char *always_allow_paths[CM_AUTH_MAX_PATHS];   /* "/x" exact; ending in a star: a prefix */
    size_t nalways;
    const char *static_users[CM_AUTH_MAX_STATIC];
    size_t nstatic_users;
    const char *static_groups[CM_AUTH_MAX_STATIC];
    size_t nstatic_groups;
    int64_t allow_ttl_ms;              /* --authorization-webhook-cache-authorized-ttl */
    int64_t deny_ttl_ms;               /* --authorization-webhook-cache-unauthorized-ttl */
    int64_t token_ttl_ms;              /* TokenReview answers (Go: 10 s) */
    int64_t review_timeout_ms;         /* the longest a review may take */
    struct cm_authcache *cache;        /* shared by the workers; NULL: nothing cached */
    const struct cm_auth_ops *ops;     /* NULL in insecure mode */
    void *ops_arg;
    const char *trust_source;          /* where the front proxy's trust comes from (the CA
                                          file, or the ConfigMap), named by /readyz, which
                                          fails until ops->frontproxy() has read it; NULL:
                                          none is expected (insecure, or static without one) */
};

/* 1 if path (decoded) matches an always-allow pattern ("/x" exactly, "/x/ *" as a prefix). */
int cm_auth_always_allowed(const struct cm_auth *auth, const char *path);

/* 1 if the static policy lets id read: its user, or one of its groups, is listed. */
int cm_auth_static_allows(const struct cm_auth *auth, const struct cm_identity *id);

/* 1 if cn is allowed by fp (an empty list allows any). */
int cm_auth_cn_allowed(const struct cm_frontproxy *fp, const char *cn);

#endif
