#include "guard.h"
#include "authattr.h"
#include "authcache.h"
#include "log.h"
#include "status.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define WAIT_STEP_MS 5
#define WAIT_STEP_MAX_MS 50
#define ADMIT_WAIT_MS 1000       /* the longest a request waits for a place in the review path */
#define QUICK_REVIEW_MS 250      /* ... which it does only if the last review took at most this */

static void
unauthorized(struct cm_ctx *ctx, const char *why)
{
    cm_log(CM_LOG_INFO, "401 %s %s: %s", ctx->req->method, ctx->req->uri, why);
    cm_status_write(ctx, 401, "Unauthorized", 0, "Unauthorized");
}

/* responsewriters.Forbidden: NewForbidden(GroupResource, name, message). */
static void
forbidden(struct cm_ctx *ctx, const struct cm_authattr *attrs, const char *reason)
{
    struct cm_buf msg;
    struct cm_json j;

    cm_buf_init(&msg, 65536);
    if (!attrs->resource_request) {
        cm_buf_adds(&msg, "forbidden: ");
    } else {
        cm_buf_adds(&msg, attrs->resource);
        if (*attrs->group) {
            cm_buf_addc(&msg, '.');
            cm_buf_adds(&msg, attrs->group);
        }
        if (*attrs->name) {
            cm_buf_addc(&msg, ' ');
            cm_authattr_quote(&msg, attrs->name);
        }
        cm_buf_adds(&msg, " is forbidden: ");
    }
    cm_authattr_forbidden_message(&msg, attrs, ctx->identity.user, reason);
    cm_log(CM_LOG_INFO, "403 %s %s: %s", ctx->req->method, ctx->req->uri,
           msg.len ? msg.data : "");

    cm_ctx_json_begin(ctx, &j);
    ctx->res->status = 403;
    ctx->res->nosniff = 1;
    cm_json_object_begin(&j);
    cm_json_key(&j, "kind");        cm_json_string(&j, "Status");
    cm_json_key(&j, "apiVersion");  cm_json_string(&j, "v1");
    cm_json_key(&j, "metadata");    cm_json_object_begin(&j); cm_json_object_end(&j);
    cm_json_key(&j, "status");      cm_json_string(&j, "Failure");
    cm_json_key(&j, "message");     cm_json_stringn(&j, msg.len ? msg.data : "", msg.len);
    cm_json_key(&j, "reason");      cm_json_string(&j, "Forbidden");
    cm_json_key(&j, "details");
    cm_json_object_begin(&j);
    if (attrs->resource_request) {
        if (*attrs->name) {
            cm_json_key(&j, "name");
            cm_json_string(&j, attrs->name);
        }
        if (*attrs->group) {
            cm_json_key(&j, "group");
            cm_json_string(&j, attrs->group);
        }
        if (*attrs->resource) {
            cm_json_key(&j, "kind");
            cm_json_string(&j, attrs->resource);
        }
    }
    cm_json_object_end(&j);
    cm_json_key(&j, "code");        cm_json_int(&j, 403);
    cm_json_object_end(&j);
    cm_ctx_json_end(ctx);
    cm_buf_free(&msg);
}

/* A review that could not be made: never an allow (Go: InternalError). */
static void
review_failed(struct cm_ctx *ctx, const char *what, const char *err)
{
    cm_log(CM_LOG_WARN, "%s for %s %s failed: %s", what, ctx->req->method, ctx->req->uri, err);
    cm_status_write(ctx, 500, "InternalError", 0, "Internal Server Error: \"%s\": %s failed: %s",
                    ctx->req->uri, what, err);
}

static void
busy(struct cm_ctx *ctx, const char *what)
{
    cm_log(CM_LOG_WARN, "%s for %s %s: every worker that may review is busy", what,
           ctx->req->method, ctx->req->uri);
    cm_status_write(ctx, 429, "TooManyRequests", 0,
                    "too many %ss are in flight, please try again later", what);
}

/* One question to the cluster: a TokenReview or a SubjectAccessReview. */
struct question {
    const char *what;                  /* "TokenReview", "SubjectAccessReview" */
    const char *key;                   /* the cache key; NULL: not cached */
    size_t klen;
    int64_t ttl_yes_ms, ttl_no_ms;
    /* asks; 1 yes, 0 no (value: what to cache with the answer), -1 err */
    int (*ask)(struct cm_ctx *ctx, void *arg, char *value, size_t vcap, size_t *vlen,
               char *err, size_t errlen);
    void *arg;
};

/*
 * The answer to q: from the shared cache, from the review another worker is
 * making (waiting for it up to the review timeout), or from a review of our
 * own.  Returns 1 or 0 with the answer's value in value (length *vlen), -1 with the
 * refusal written (the review failed, or too many are in flight).
 */
static int
answer(struct cm_ctx *ctx, const struct question *q, char *value, size_t vcap, size_t *vlen)
{
    const struct cm_auth *auth = ctx->api->auth;
    const struct cm_auth_ops *ops = auth->ops;
    struct cm_authcache *c = q->key ? auth->cache : NULL;
    enum cm_authcache_result r = CM_AUTHCACHE_NOROOM;
    int64_t claim = auth->review_timeout_ms + 1000, deadline = 0, started;
    int verdict = 0, step = WAIT_STEP_MS, rc;
    char err[512] = "";

    *vlen = 0;
    if (c != NULL) {
        r = cm_authcache_lookup(c, q->key, q->klen, ops->now_ms(auth->ops_arg), claim, &verdict,
                                value, vcap, vlen);
        if (r == CM_AUTHCACHE_HIT)
            return verdict;
        /* No place in the review path: while reviews are quick, wait a
         * little for one, asking the cache again meanwhile; while they are
         * slow, refuse at once, so that this worker stays free for what the
         * cache and the local rules answer.  A claim is given back first:
         * nobody may wait on a review not under way. */
        deadline = ops->now_ms(auth->ops_arg) +
                   (cm_authcache_last_review_ms(c) <= QUICK_REVIEW_MS ? ADMIT_WAIT_MS : 0);
        while (cm_authcache_enter(c) < 0) {
            if (r == CM_AUTHCACHE_CLAIMED)
                cm_authcache_finish(c, q->key, q->klen, 0, NULL, 0, 0, 0);
            if (ops->now_ms(auth->ops_arg) >= deadline) {
                busy(ctx, q->what);
                return -1;
            }
            ops->pause_ms(auth->ops_arg, step);
            step = step * 2 > WAIT_STEP_MAX_MS ? WAIT_STEP_MAX_MS : step * 2;
            r = cm_authcache_lookup(c, q->key, q->klen, ops->now_ms(auth->ops_arg), claim,
                                    &verdict, value, vcap, vlen);
            if (r == CM_AUTHCACHE_HIT)
                return verdict;
        }
        step = WAIT_STEP_MS;
        deadline = ops->now_ms(auth->ops_arg) + claim;
        while (r == CM_AUTHCACHE_PENDING) {
            int64_t now = ops->now_ms(auth->ops_arg);

            if (now >= deadline)
                break;
            ops->pause_ms(auth->ops_arg, step);
            step = step * 2 > WAIT_STEP_MAX_MS ? WAIT_STEP_MAX_MS : step * 2;
            r = cm_authcache_lookup(c, q->key, q->klen, ops->now_ms(auth->ops_arg), claim,
                                    &verdict, value, vcap, vlen);
        }
        if (r == CM_AUTHCACHE_HIT) {
            cm_authcache_leave(c);
            return verdict;
        }
        if (r == CM_AUTHCACHE_PENDING) {
            cm_authcache_leave(c);
            review_failed(ctx, q->what, "timed out waiting for another worker's review");
            return -1;
        }
    }
    started = ops->now_ms(auth->ops_arg);
    rc = q->ask(ctx, q->arg, value, vcap, vlen, err, sizeof(err));
    if (c != NULL) {
        cm_authcache_review_took(c, ops->now_ms(auth->ops_arg) - started);
        if (r == CM_AUTHCACHE_CLAIMED)
            cm_authcache_finish(c, q->key, q->klen, rc == 1, value, *vlen,
                                rc < 0 ? 0 : rc == 1 ? q->ttl_yes_ms : q->ttl_no_ms,
                                ops->now_ms(auth->ops_arg));
        cm_authcache_leave(c);
    }
    if (rc < 0) {
        review_failed(ctx, q->what, err);
        return -1;
    }
    return rc;
}

/* --- authentication ----------------------------------------------------- */

static int
ask_token(struct cm_ctx *ctx, void *arg, char *value, size_t vcap, size_t *vlen,
          char *err, size_t errlen)
{
    const struct cm_auth *auth = ctx->api->auth;
    struct cm_identity id;
    int rc = auth->ops->token_review(auth->ops_arg, arg, &id, ctx->arena, err, errlen);

    if (rc == 1) {
        id.how = CM_AUTHN_TOKEN;
        *vlen = cm_identity_encode(&id, value, vcap);
        if (*vlen == 0) {
            snprintf(err, errlen, "the reviewed user is larger than this server keeps");
            return -1;
        }
    }
    return rc;
}

/* The bearer token of an Authorization header, or NULL. */
static const char *
bearer(const char *h)
{
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    for (h += 7; *h == ' '; h++)
        ;
    return *h ? h : NULL;
}

/*
 * Who sends the request with this bearer token: a TokenReview, cached.
 * Returns 0 with ctx->identity, or -1 with the refusal written.
 */
static int
token_identity(struct cm_ctx *ctx, const char *token)
{
    const struct cm_auth *auth = ctx->api->auth;
    char key[CM_AUTHCACHE_KEY_MAX], value[CM_AUTHCACHE_VALUE_MAX];
    size_t tlen = strlen(token), vlen;
    struct question q;
    int rc;

    if (auth->mode != CM_AUTH_DELEGATED) {
        unauthorized(ctx, "a bearer token, and no cluster to review it");
        return -1;
    }
    memset(&q, 0, sizeof(q));
    q.what = "TokenReview";
    if (tlen + 4 <= sizeof(key)) {
        memcpy(key, "tok", 4);
        memcpy(key + 4, token, tlen);
        q.key = key;
        q.klen = tlen + 4;
    }
    q.ttl_yes_ms = q.ttl_no_ms = auth->token_ttl_ms;
    q.ask = ask_token;
    q.arg = (void *)token;
    rc = answer(ctx, &q, value, sizeof(value), &vlen);
    if (rc < 0)
        return -1;
    if (rc == 0 || cm_identity_decode(&ctx->identity, value, vlen, ctx->arena) < 0) {
        unauthorized(ctx, "the TokenReview did not authenticate the bearer token");
        return -1;
    }
    ctx->identity.how = CM_AUTHN_TOKEN;
    cm_identity_add_authenticated(&ctx->identity, ctx->arena);
    return 0;
}

/* Fills ctx->identity; returns 0, or -1 with a 401 written. */
static int
authenticate(struct cm_ctx *ctx)
{
    const struct cm_auth *auth = ctx->api->auth;
    const struct cm_request *req = ctx->req;
    const char *token;

    if (req->client_cert != NULL && *req->client_cert != '\0') {
        const struct cm_frontproxy *fp = auth->ops->frontproxy(auth->ops_arg);
        char cn[256], why[512];
        int rc;

        if (fp == NULL || !fp->have_ca) {
            unauthorized(ctx, "a client certificate, and no requestheader CA to verify it "
                         "(--requestheader-client-ca-file, or the "
                         "extension-apiserver-authentication ConfigMap not read yet)");
            return -1;
        }
        if (!auth->ops->verify_cert(auth->ops_arg, req->client_cert, cn, sizeof(cn), why,
                                    sizeof(why))) {
            unauthorized(ctx, why);
            return -1;
        }
        if (!cm_auth_cn_allowed(fp, cn)) {
            snprintf(why, sizeof(why), "x509: subject with cn=%s is not in the allowed list", cn);
            unauthorized(ctx, why);
            return -1;
        }
        rc = cm_identity_from_params(&ctx->identity, req->params, &fp->headers, ctx->arena, why,
                                     sizeof(why));
        if (rc < 0) {
            unauthorized(ctx, why);
            return -1;
        }
        if (rc == 1)
            return 0;
        /* no user header: not authenticated by the front proxy; go on */
    }
    token = bearer(req->authorization);
    if (token != NULL)
        return token_identity(ctx, token);
    cm_identity_anonymous(&ctx->identity);
    return 0;
}

/* --- authorization ------------------------------------------------------ */

struct sar {
    const struct cm_authattr *attrs;
    const struct cm_buf *body;
};

static int
ask_sar(struct cm_ctx *ctx, void *arg, char *value, size_t vcap, size_t *vlen,
        char *err, size_t errlen)
{
    const struct cm_auth *auth = ctx->api->auth;
    struct sar *s = arg;
    int rc;

    value[0] = '\0';
    rc = auth->ops->access_review(auth->ops_arg, s->body->data, s->body->len, value, vcap, err,
                                  errlen);
    *vlen = rc >= 0 ? strnlen(value, vcap) : 0;
    return rc;
}

/* The discovery and OpenAPI paths a front-proxy identity may read in static mode. */
static int
discovery_path(const struct cm_authattr *attrs)
{
    const char *p = attrs->path;

    return !attrs->resource_request && strcmp(attrs->verb, "get") == 0 &&
           (strcmp(p, "/apis") == 0 || strncmp(p, "/apis/", 6) == 0 ||
            strcmp(p, "/openapi/v2") == 0 || strncmp(p, "/openapi/", 9) == 0);
}

/* 0: attrs allowed for ctx->identity; -1: refused, the Status written. */
static int
authorize(struct cm_ctx *ctx, const struct cm_authattr *attrs)
{
    const struct cm_auth *auth = ctx->api->auth;
    char key[CM_AUTHCACHE_KEY_MAX], reason[CM_AUTHCACHE_VALUE_MAX];
    struct cm_buf body;
    struct question q;
    struct sar s;
    size_t vlen;
    int rc;

    if (cm_identity_in_group(&ctx->identity, CM_GROUP_MASTERS))
        return 0;
    if (auth->mode == CM_AUTH_STATIC) {
        if (cm_auth_static_allows(auth, &ctx->identity) ||
            (ctx->identity.how == CM_AUTHN_FRONT_PROXY && discovery_path(attrs)))
            return 0;
        forbidden(ctx, attrs, "");
        return -1;
    }
    cm_buf_init(&body, 1u << 20);
    cm_authattr_sar_json(&body, attrs, &ctx->identity);
    memset(&q, 0, sizeof(q));
    q.what = "SubjectAccessReview";
    q.klen = cm_authattr_key(attrs, &ctx->identity, key, sizeof(key));
    q.key = q.klen ? key : NULL;
    q.ttl_yes_ms = auth->allow_ttl_ms;
    q.ttl_no_ms = auth->deny_ttl_ms;
    q.ask = ask_sar;
    s.attrs = attrs;
    s.body = &body;
    q.arg = &s;
    if (cm_buf_failed(&body)) {
        cm_buf_free(&body);
        review_failed(ctx, q.what, "the review is larger than this server sends");
        return -1;
    }
    rc = answer(ctx, &q, reason, sizeof(reason) - 1, &vlen);
    cm_buf_free(&body);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return 0;
    reason[vlen] = '\0';
    forbidden(ctx, attrs, reason);
    return -1;
}

int
cm_guard_check(struct cm_ctx *ctx)
{
    const struct cm_auth *auth = ctx->api->auth;
    struct cm_authattr attrs;

    cm_identity_anonymous(&ctx->identity);
    if (auth == NULL || auth->mode == CM_AUTH_INSECURE) {
        ctx->identity.how = CM_AUTHN_INSECURE;
        return 0;
    }
    cm_authattr_from_path(&attrs, ctx->req->method, ctx->uri.seg, ctx->uri.nseg,
                          ctx->uri.trailing_slash, ctx->arena);
    if (cm_auth_always_allowed(auth, attrs.path))
        return 0;
    if (authenticate(ctx) < 0)
        return -1;
    return authorize(ctx, &attrs);
}

int
cm_guard_write(struct cm_ctx *ctx)
{
    const struct cm_auth *auth = ctx->api->auth;
    struct cm_authattr attrs;
    const char *token;

    if (auth == NULL || auth->mode != CM_AUTH_DELEGATED)
        return 0;
    token = bearer(ctx->req->authorization);
    if (token == NULL)
        return 0;
    if (token_identity(ctx, token) < 0)
        return -1;
    memset(&attrs, 0, sizeof(attrs));
    attrs.resource_request = 1;
    attrs.verb = "create";
    attrs.group = CM_GROUP_CUSTOM;
    attrs.version = "v1beta2";
    attrs.resource = CM_GUARD_WRITE_RESOURCE;
    attrs.subresource = attrs.name = attrs.ns = "";
    attrs.path = "/write-metrics";
    if (authorize(ctx, &attrs) < 0)
        return -1;
    return 1;
}
