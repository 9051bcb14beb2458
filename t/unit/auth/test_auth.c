/*
 * Authentication and authorization, the pure parts: identity headers as
 * nginx passes them, requestinfo's attributes, the SubjectAccessReview body,
 * Go's Forbidden messages, the shared decision cache, and the router's
 * guard step with a table of stand-in operations (the reviews' I/O is
 * t/auth.sh's, against the kube-apiserver double).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authattr.h"
#include "config.h"
#include "authcache.h"
#include "frontproxy.h"
#include "identity.h"
#include "router.h"

static struct cm_arena arena;

/* ---- identity headers --------------------------------------------------- */

static void
test_identity_headers(void **state)
{
    /* nginx 1.22: one param per header line, and each param is one value, never split */
    const char *params[] = {
        "HTTP_HOST=x", "HTTP_X_REMOTE_USER=", "HTTP_X_OTHER_USER=ann",
        "HTTP_X_REMOTE_GROUP=system:serviceaccounts",
        "HTTP_X_REMOTE_GROUP=g1, g2", "HTTP_X_REMOTE_GROUP=", "HTTP_X_REMOTE_GROUP= \t",
        "HTTP_X_REMOTE_EXTRA_AUTHENTICATION.KUBERNETES.IO%2FCREDENTIAL_ID=JTI=abc",
        "HTTP_X_REMOTE_EXTRA_SCOPES=a", "HTTP_X_REMOTE_EXTRA_SCOPES=b, c",
        "HTTP_X_REMOTE_EXTRA_SCOPES=",
        "HTTP_X_REMOTE_UID=5c3a", NULL,
    };
    struct cm_identity_headers h;
    struct cm_identity id;
    char err[128];

    (void)state;
    cm_identity_headers_default(&h);
    h.user[h.nuser++] = "X-Other-User";
    assert_int_equal(cm_identity_from_params(&id, params, &h, &arena, err, sizeof(err)), 1);
    assert_string_equal(id.user, "ann");          /* the first non-empty one */
    assert_int_equal(id.how, CM_AUTHN_FRONT_PROXY);
    assert_string_equal(id.uid, "5c3a");
    /* Go's allHeaderValues: every value whole, blank ones left out */
    assert_int_equal(id.ngroups, 3);
    assert_string_equal(id.groups[0], "system:serviceaccounts");
    assert_string_equal(id.groups[1], "g1, g2");
    assert_string_equal(id.groups[2], "system:authenticated");
    assert_int_equal(id.nextra, 2);
    assert_string_equal(id.extra[0].key, "authentication.kubernetes.io/credential-id");
    assert_int_equal(id.extra[0].nvalues, 1);
    assert_string_equal(id.extra[0].values[0], "JTI=abc");
    /* Go's newExtra: every value whole, an empty one too */
    assert_string_equal(id.extra[1].key, "scopes");
    assert_int_equal(id.extra[1].nvalues, 3);
    assert_string_equal(id.extra[1].values[0], "a");
    assert_string_equal(id.extra[1].values[1], "b, c");
    assert_string_equal(id.extra[1].values[2], "");
}

/*
 * A group whose name holds ", " is one group, as in Go: splitting it would
 * give the user a group they were never given (here system:masters, which
 * is allowed without a review).
 */
static void
test_identity_group_not_split(void **state)
{
    const char *params[] = { "HTTP_X_REMOTE_USER=mallory",
                             "HTTP_X_REMOTE_GROUP=oidc:team, system:masters", NULL };
    struct cm_identity_headers h;
    struct cm_identity id;
    char err[128];

    (void)state;
    cm_identity_headers_default(&h);
    assert_int_equal(cm_identity_from_params(&id, params, &h, &arena, err, sizeof(err)), 1);
    assert_int_equal(id.ngroups, 2);
    assert_string_equal(id.groups[0], "oidc:team, system:masters");
    assert_string_equal(id.groups[1], "system:authenticated");
    assert_false(cm_identity_in_group(&id, CM_GROUP_MASTERS));
}

static void
test_identity_no_user(void **state)
{
    const char *params[] = { "HTTP_X_REMOTE_GROUP=system:masters", "HTTP_X_REMOTE_USER=", NULL };
    struct cm_identity_headers h;
    struct cm_identity id;
    char err[128];

    (void)state;
    cm_identity_headers_default(&h);
    assert_int_equal(cm_identity_from_params(&id, params, &h, &arena, err, sizeof(err)), 0);
}

static void
test_identity_groups_added(void **state)
{
    /* the aggregator's own requests carry no groups: system:authenticated is added once */
    const char *none[] = { "HTTP_X_REMOTE_USER=system:kube-aggregator", NULL };
    const char *has[] = { "HTTP_X_REMOTE_USER=u", "HTTP_X_REMOTE_GROUP=system:authenticated", NULL };
    const char *anon[] = { "HTTP_X_REMOTE_USER=system:anonymous", NULL };
    struct cm_identity_headers h;
    struct cm_identity id;
    char err[128];

    (void)state;
    cm_identity_headers_default(&h);
    assert_int_equal(cm_identity_from_params(&id, none, &h, &arena, err, sizeof(err)), 1);
    assert_int_equal(id.ngroups, 1);
    assert_string_equal(id.groups[0], "system:authenticated");
    assert_int_equal(cm_identity_from_params(&id, has, &h, &arena, err, sizeof(err)), 1);
    assert_int_equal(id.ngroups, 1);
    assert_int_equal(cm_identity_from_params(&id, anon, &h, &arena, err, sizeof(err)), 1);
    assert_int_equal(id.ngroups, 0);
}

static void
test_identity_too_many_groups(void **state)
{
    const char *params[CM_IDENTITY_MAX_GROUPS + 3];
    struct cm_identity_headers h;
    struct cm_identity id;
    char err[128];
    size_t i;

    (void)state;
    params[0] = "HTTP_X_REMOTE_USER=u";
    for (i = 0; i <= CM_IDENTITY_MAX_GROUPS; i++)
        params[i + 1] = "HTTP_X_REMOTE_GROUP=g";
    params[CM_IDENTITY_MAX_GROUPS + 2] = NULL;
    cm_identity_headers_default(&h);
    assert_int_equal(cm_identity_from_params(&id, params, &h, &arena, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "more than 64 groups"));
}

static void
test_identity_encode(void **state)
{
    const char *params[] = { "HTTP_X_REMOTE_USER=bob", "HTTP_X_REMOTE_GROUP=a",
                             "HTTP_X_REMOTE_GROUP=b", "HTTP_X_REMOTE_EXTRA_K=v1",
                             "HTTP_X_REMOTE_EXTRA_K=v2", NULL };
    struct cm_identity_headers h;
    struct cm_identity id, back;
    char err[128], buf[1024];
    size_t n;

    (void)state;
    cm_identity_headers_default(&h);
    assert_int_equal(cm_identity_from_params(&id, params, &h, &arena, err, sizeof(err)), 1);
    n = cm_identity_encode(&id, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal(cm_identity_decode(&back, buf, n, &arena), 0);
    assert_string_equal(back.user, "bob");
    assert_int_equal(back.ngroups, 3);
    assert_string_equal(back.groups[1], "b");
    assert_int_equal(back.nextra, 1);
    assert_string_equal(back.extra[0].values[1], "v2");
    assert_int_equal(cm_identity_decode(&back, buf, n - 1, &arena), -1);   /* cut short */
    assert_int_equal(cm_identity_encode(&id, buf, 8), 0);                 /* does not fit */
}

/* ---- requestinfo's attributes --------------------------------------------- */

static void
split(const char *path, const char **seg, size_t *n, int *slash)
{
    char *p = cm_arena_strdup(&arena, path + 1), *tok;

    *n = 0;
    *slash = strlen(path) > 1 && path[strlen(path) - 1] == '/';
    for (tok = strtok(p, "/"); tok; tok = strtok(NULL, "/"))
        seg[(*n)++] = tok;
}

static void
test_attributes(void **state)
{
    static const struct {
        const char *method, *path;
        int resource;
        const char *verb, *group, *version, *ns, *res, *name, *sub;
    } t[] = {
        { "GET", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/http_requests", 1,
          "get", "custom.metrics.k8s.io", "v1beta2", "default", "pods", "*", "http_requests" },
        { "HEAD", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/deployments.apps/web/rps",
          1, "get", "custom.metrics.k8s.io", "v1beta2", "default", "deployments.apps", "web", "rps" },
        { "GET", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/metrics/queue_length", 1,
          "get", "custom.metrics.k8s.io", "v1beta2", "default", "metrics", "queue_length", "" },
        { "GET", "/apis/custom.metrics.k8s.io/v1beta1/nodes/n1/cpu", 1,
          "get", "custom.metrics.k8s.io", "v1beta1", "", "nodes", "n1", "cpu" },
        { "GET", "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth", 1,
          "list", "external.metrics.k8s.io", "v1beta1", "default", "queue_depth", "", "" },
        { "GET", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default", 1,
          "get", "custom.metrics.k8s.io", "v1beta2", "default", "namespaces", "default", "" },
        { "GET", "/apis", 0, "get", "", "", "", "", "", "" },
        { "GET", "/apis/custom.metrics.k8s.io/v1beta2", 0, "get", "", "", "", "", "", "" },
        { "GET", "/openapi/v2", 0, "get", "", "", "", "", "", "" },
        { "HEAD", "/version", 0, "head", "", "", "", "", "", "" },
    };
    const char *seg[32];
    struct cm_authattr a;
    size_t i, n;
    int slash;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        split(t[i].path, seg, &n, &slash);
        cm_authattr_from_path(&a, t[i].method, seg, n, slash, &arena);
        assert_int_equal(a.resource_request, t[i].resource);
        assert_string_equal(a.verb, t[i].verb);
        assert_string_equal(a.group, t[i].group);
        assert_string_equal(a.version, t[i].version);
        assert_string_equal(a.ns, t[i].ns);
        assert_string_equal(a.resource, t[i].res);
        assert_string_equal(a.name, t[i].name);
        assert_string_equal(a.subresource, t[i].sub);
        if (!t[i].resource)
            assert_string_equal(a.path, t[i].path);
    }
}

static void
test_sar_body(void **state)
{
    const char *seg[] = { "apis", "custom.metrics.k8s.io", "v1beta2", "namespaces", "default",
                          "pods", "*", "http_requests" };
    const char *params[] = { "HTTP_X_REMOTE_USER=system:serviceaccount:kube-system:horizontal-pod-autoscaler",
                             "HTTP_X_REMOTE_GROUP=system:serviceaccounts", "HTTP_X_REMOTE_UID=5c3a",
                             "HTTP_X_REMOTE_EXTRA_AUTHENTICATION.KUBERNETES.IO%2FCREDENTIAL_ID=JTI=x", NULL };
    struct cm_identity_headers h;
    struct cm_identity id;
    struct cm_authattr a;
    struct cm_buf b;
    char err[64];

    (void)state;
    cm_identity_headers_default(&h);
    assert_int_equal(cm_identity_from_params(&id, params, &h, &arena, err, sizeof(err)), 1);
    cm_authattr_from_path(&a, "GET", seg, 8, 0, &arena);
    cm_buf_init(&b, 65536);
    cm_authattr_sar_json(&b, &a, &id);
    assert_string_equal(b.data,
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{"
        "\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"get\",\"group\":\"custom.metrics.k8s.io\","
        "\"version\":\"v1beta2\",\"resource\":\"pods\",\"subresource\":\"http_requests\",\"name\":\"*\"},"
        "\"user\":\"system:serviceaccount:kube-system:horizontal-pod-autoscaler\","
        "\"groups\":[\"system:serviceaccounts\",\"system:authenticated\"],"
        "\"extra\":{\"authentication.kubernetes.io/credential-id\":[\"JTI=x\"]},\"uid\":\"5c3a\"}}");
    cm_buf_reset(&b);
    cm_authattr_from_path(&a, "GET", seg, 3, 0, &arena);
    cm_authattr_sar_json(&b, &a, &id);
    assert_non_null(strstr(b.data, "\"nonResourceAttributes\":{\"path\":\"/apis/custom.metrics.k8s.io/v1beta2\",\"verb\":\"get\"}"));
    cm_buf_free(&b);
}

static void
test_forbidden_message(void **state)
{
    struct cm_authattr a = { 1, "get", "custom.metrics.k8s.io", "v1beta2", "pods", "http_requests",
                             "*", "default", "" };
    struct cm_buf b;

    (void)state;
    cm_buf_init(&b, 4096);
    cm_authattr_forbidden_message(&b, &a, "eve", "");
    assert_string_equal(b.data, "User \"eve\" cannot get resource \"pods/http_requests\" in API group "
                        "\"custom.metrics.k8s.io\" in the namespace \"default\"");
    cm_buf_reset(&b);
    a.ns = "";
    a.subresource = "";
    cm_authattr_forbidden_message(&b, &a, "a<b", "no RBAC rule");
    assert_string_equal(b.data, "User \"a&lt;b\" cannot get resource \"pods\" in API group "
                        "\"custom.metrics.k8s.io\" at the cluster scope: no RBAC rule");
    cm_buf_reset(&b);
    a.resource_request = 0;
    a.path = "/apis";
    cm_authattr_forbidden_message(&b, &a, "x\"y", "");
    assert_string_equal(b.data, "User \"x\\\"y\" cannot get path \"/apis\"");
    cm_buf_free(&b);
}

static void
test_frontproxy_configmap(void **state)
{
    struct cm_frontproxy fp;
    const char *pem;
    char err[128];

    (void)state;
    assert_int_equal(cm_frontproxy_parse(
        "{\"client-ca-file\":\"NOT THIS\",\"requestheader-client-ca-file\":\"-----BEGIN\","
        "\"requestheader-allowed-names\":\"[\\\"front-proxy-client\\\",\\\"b\\\"]\","
        "\"requestheader-username-headers\":\"[\\\"X-Remote-User\\\"]\","
        "\"requestheader-group-headers\":\"[\\\"X-Remote-Group\\\"]\","
        "\"requestheader-extra-headers-prefix\":\"[\\\"X-Remote-Extra-\\\"]\"}",
        &fp, &pem, &arena, err, sizeof(err)), 0);
    assert_string_equal(pem, "-----BEGIN");
    assert_int_equal(fp.have_ca, 1);
    assert_int_equal(fp.nallowed, 2);
    assert_string_equal(fp.allowed_names[1], "b");
    assert_int_equal(fp.headers.nuser, 1);
    assert_int_equal(fp.headers.nuid, 0);       /* absent: empty, as in Go */
    assert_int_equal(cm_frontproxy_parse("{\"requestheader-allowed-names\":\"front-proxy-client\"}",
                                         &fp, &pem, &arena, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "requestheader-allowed-names is not a JSON array"));
    assert_int_equal(cm_frontproxy_parse("[]", &fp, &pem, &arena, err, sizeof(err)), -1);
}

static void
test_paths_and_lists(void **state)
{
    struct cm_auth a;
    struct cm_frontproxy fp;
    const char *list[3];

    (void)state;
    memset(&a, 0, sizeof(a));
    a.always_allow_paths[0] = "/healthz";
    a.always_allow_paths[1] = "/debug/*";
    a.nalways = 2;
    assert_true(cm_auth_always_allowed(&a, "/healthz"));
    assert_false(cm_auth_always_allowed(&a, "/healthz/x"));     /* exact unless it ends in * */
    assert_true(cm_auth_always_allowed(&a, "/debug/pprof"));
    assert_false(cm_auth_always_allowed(&a, "/debu"));
    assert_int_equal(cm_frontproxy_split("a,,b,c", list, 3, &arena), 3);
    assert_string_equal(list[1], "b");
    assert_int_equal(cm_frontproxy_split("a,b,c,d", list, 3, &arena), -1);
    memset(&fp, 0, sizeof(fp));
    assert_true(cm_auth_cn_allowed(&fp, "anyone"));              /* an empty list allows any CN */
    fp.allowed_names[0] = "front-proxy-client";
    fp.nallowed = 1;
    assert_true(cm_auth_cn_allowed(&fp, "front-proxy-client"));
    assert_false(cm_auth_cn_allowed(&fp, "front-proxy-client2"));
}

/* ---- the decision cache --------------------------------------------------- */

/*
 * Stand-in processes: self() is whoever the test says is calling, alive()
 * says no for the ids in dead[].  A process "dies inside the lock" when
 * alive() is asked while die_inside is set: it never returns (longjmp), as
 * a process killed at that instruction, and leaves the lock held.
 */
static struct {
    int self;
    int dead[8];
    size_t ndead;
    int die_inside;
    jmp_buf died;
    int alive_calls;
    int die_after;                 /* > 0: the lock's owner dies at that alive() call */
    int lock_owner;
} procs;

static int
p_self(void)
{
    return procs.self;
}

static int
p_alive(int pid)
{
    size_t i;

    procs.alive_calls++;
    if (procs.die_inside) {
        procs.die_inside = 0;
        longjmp(procs.died, 1);
    }
    if (procs.die_after > 0 && procs.alive_calls == procs.die_after)
        procs.dead[procs.ndead++] = procs.lock_owner;
    for (i = 0; i < procs.ndead; i++)
        if (procs.dead[i] == pid)
            return 0;
    return 1;
}

static const struct cm_authcache_procs fake_procs = { p_self, p_alive };

static void
procs_reset(int self)
{
    memset(&procs, 0, sizeof(procs));
    procs.self = self;
}

static void
test_cache(void **state)
{
    size_t len = cm_authcache_bytes(8), vlen;
    void *mem = malloc(len);
    struct cm_authcache *c;
    char v[64];
    int verdict = -1;

    (void)state;
    procs_reset(100);
    c = cm_authcache_init(mem, len, 8, 2, &fake_procs);
    assert_int_equal(cm_authcache_lookup(c, "q1", 2, 1000, 500, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    /* a second worker asking meanwhile waits for the first one's answer */
    assert_int_equal(cm_authcache_lookup(c, "q1", 2, 1100, 500, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_PENDING);
    cm_authcache_finish(c, "q1", 2, 0, "no rule", 7, 10000, 1200);
    assert_int_equal(cm_authcache_lookup(c, "q1", 2, 1300, 500, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_HIT);
    assert_int_equal(verdict, 0);
    assert_int_equal(vlen, 7);
    assert_memory_equal(v, "no rule", 7);
    /* a key that is a prefix of another is another question */
    assert_int_equal(cm_authcache_lookup(c, "q", 1, 1300, 500, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    cm_authcache_finish(c, "q", 1, 1, NULL, 0, 10000, 1300);
    /* expired: asked again */
    assert_int_equal(cm_authcache_lookup(c, "q1", 2, 11200, 500, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    /* a failed review is forgotten: the next asker reviews */
    cm_authcache_finish(c, "q1", 2, 1, NULL, 0, 0, 11300);
    assert_int_equal(cm_authcache_lookup(c, "q1", 2, 11400, 500, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    /* a claim whose worker died lapses */
    assert_int_equal(cm_authcache_lookup(c, "q1", 2, 12000, 500, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    assert_int_equal(cm_authcache_claims(c), 5);
    /* admission: at most max_busy processes at once */
    assert_int_equal(cm_authcache_enter(c), 0);
    procs.self = 101;
    assert_int_equal(cm_authcache_enter(c), 0);
    procs.self = 102;
    assert_int_equal(cm_authcache_enter(c), -1);
    procs.self = 100;
    cm_authcache_leave(c);
    procs.self = 102;
    assert_int_equal(cm_authcache_enter(c), 0);
    free(mem);
}

/* A worker that died between enter and leave gives its admission back. */
static void
test_cache_dead_admission(void **state)
{
    size_t len = cm_authcache_bytes(8);
    void *mem = malloc(len);
    struct cm_authcache *c;

    (void)state;
    procs_reset(100);
    c = cm_authcache_init(mem, len, 8, 1, &fake_procs);
    assert_int_equal(cm_authcache_enter(c), 0);           /* 100 reviews, and is killed */
    procs.self = 200;
    assert_int_equal(cm_authcache_enter(c), -1);          /* while 100 lives: busy */
    procs.dead[procs.ndead++] = 100;
    assert_int_equal(cm_authcache_enter(c), 0);           /* 100 is gone: its admission is 200's */
    procs.self = 300;
    assert_int_equal(cm_authcache_enter(c), -1);          /* 200 lives and holds it */
    procs.self = 200;
    cm_authcache_leave(c);
    procs.self = 300;
    assert_int_equal(cm_authcache_enter(c), 0);
    /* a dead 300's id reused by a new process: its stale admission is no obstacle */
    assert_int_equal(cm_authcache_enter(c), 0);
    procs.self = 400;
    assert_int_equal(cm_authcache_enter(c), -1);
    free(mem);
}

/* A process that died holding the lock: a waiter takes over and forgets the answers. */
static void
test_cache_dead_lock_owner(void **state)
{
    size_t len = cm_authcache_bytes(8), vlen;
    void *mem = malloc(len);
    struct cm_authcache *c;
    char v[8];
    int verdict;

    (void)state;
    alarm(60);                     /* a waiter spinning for ever fails instead of hanging */
    procs_reset(100);
    c = cm_authcache_init(mem, len, 8, 1, &fake_procs);
    assert_int_equal(cm_authcache_lookup(c, "q", 1, 0, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    cm_authcache_finish(c, "q", 1, 1, NULL, 0, 10000, 0);
    assert_int_equal(cm_authcache_enter(c), 0);           /* 100 holds the one admission */
    /* 200 dies inside the lock (while it asks whether 100 lives) */
    procs.self = 200;
    procs.die_inside = 1;
    if (setjmp(procs.died) == 0) {
        cm_authcache_enter(c);
        fail_msg("the stand-in process did not die inside the lock");
    }
    /* 300 waits while 200 lives (alive() says yes twice), then takes over once it is gone */
    procs.self = 300;
    procs.alive_calls = 0;
    procs.die_after = 3;
    procs.lock_owner = 200;
    assert_int_equal(cm_authcache_lookup(c, "q", 1, 10, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);               /* the table was emptied: asked anew */
    assert_int_equal(procs.alive_calls, 3);
    /* the lock works again, and 100 (alive) still holds its admission */
    assert_int_equal(cm_authcache_enter(c), -1);
    procs.self = 100;
    cm_authcache_leave(c);
    procs.self = 300;
    assert_int_equal(cm_authcache_enter(c), 0);
    cm_authcache_finish(c, "q", 1, 0, NULL, 0, 10000, 20);
    assert_int_equal(cm_authcache_lookup(c, "q", 1, 30, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_HIT);
    assert_int_equal(verdict, 0);
    /* a lock held under the caller's own id is a dead predecessor's: taken over too */
    procs.self = 500;
    procs.die_inside = 1;
    procs.die_after = 0;
    if (setjmp(procs.died) == 0) {
        cm_authcache_enter(c);
        fail_msg("the stand-in process did not die inside the lock");
    }
    procs.alive_calls = 0;
    assert_int_equal(cm_authcache_lookup(c, "q", 1, 40, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    assert_int_equal(procs.alive_calls, 0);
    alarm(0);
    free(mem);
}

static void
test_cache_full(void **state)
{
    size_t len = cm_authcache_bytes(2), vlen;
    void *mem = malloc(len);
    struct cm_authcache *c;
    char v[8];
    int verdict;

    (void)state;
    procs_reset(100);
    c = cm_authcache_init(mem, len, 2, 4, &fake_procs);
    assert_int_equal(cm_authcache_lookup(c, "a", 1, 0, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    assert_int_equal(cm_authcache_lookup(c, "b", 1, 0, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    /* every slot pending: review without the cache */
    assert_int_equal(cm_authcache_lookup(c, "c", 1, 0, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_NOROOM);
    cm_authcache_finish(c, "a", 1, 1, NULL, 0, 100, 0);
    /* an answer can be evicted, a pending claim cannot */
    assert_int_equal(cm_authcache_lookup(c, "c", 1, 0, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_CLAIMED);
    assert_int_equal(cm_authcache_lookup(c, "b", 1, 0, 1000, &verdict, v, sizeof(v), &vlen),
                     CM_AUTHCACHE_PENDING);
    free(mem);
}

/* ---- the guard step, through the router ------------------------------------ */

static struct {
    int cert_ok;
    const char *cn;
    int sar_rc;                  /* 1, 0, -1 */
    const char *sar_reason;
    int sars, tokens, token_rc;
    char last_sar[4096];
    int64_t now;
    struct cm_frontproxy fp;
    int64_t leave_at;            /* != 0: at this time, process leaver leaves the review path */
    int leaver;
} fake;

static const struct cm_frontproxy *
f_frontproxy(void *arg)
{
    (void)arg;
    return &fake.fp;
}

static int
f_verify(void *arg, const char *pem, char *cn, size_t cnlen, char *why, size_t whylen)
{
    (void)arg;
    (void)pem;
    snprintf(cn, cnlen, "%s", fake.cn);
    snprintf(why, whylen, "x509: certificate signed by unknown authority");
    return fake.cert_ok;
}

static int
f_token(void *arg, const char *token, struct cm_identity *out, struct cm_arena *a, char *err,
        size_t errlen)
{
    static const char *groups[] = { "system:serviceaccounts" };

    (void)arg;
    (void)a;
    (void)err;
    (void)errlen;
    fake.tokens++;
    if (strcmp(token, "good") != 0)
        return fake.token_rc;
    memset(out, 0, sizeof(*out));
    out->user = "system:serviceaccount:default:pusher";
    out->uid = "";
    out->groups = groups;
    out->ngroups = 1;
    return 1;
}

static int
f_sar(void *arg, const char *body, size_t len, char *reason, size_t rlen, char *err, size_t errlen)
{
    (void)arg;
    fake.sars++;
    snprintf(fake.last_sar, sizeof(fake.last_sar), "%.*s", (int)len, body);
    snprintf(reason, rlen, "%s", fake.sar_reason);
    snprintf(err, errlen, "connection refused");
    return fake.sar_rc;
}

static int64_t
f_now(void *arg)
{
    (void)arg;
    return fake.now;
}

static struct cm_auth auth;

static void
f_pause(void *arg, int ms)
{
    (void)arg;
    fake.now += ms;
    if (fake.leave_at != 0 && fake.now >= fake.leave_at) {  /* another worker's review ends */
        int me = procs.self;

        procs.self = fake.leaver;
        cm_authcache_leave(auth.cache);
        procs.self = me;
        fake.leave_at = 0;
    }
}

static const struct cm_auth_ops fake_ops = { f_frontproxy, f_verify, f_token, f_sar, f_now, f_pause };
static struct cm_buf body;
static struct cm_response res;
static void *cache_mem;

static int
guard_setup(void **state)
{
    size_t len = cm_authcache_bytes(64);

    (void)state;
    memset(&fake, 0, sizeof(fake));
    fake.now = 1000;
    fake.cn = "front-proxy-client";
    fake.fp.loaded = fake.fp.have_ca = 1;
    fake.fp.allowed_names[0] = "front-proxy-client";
    fake.fp.nallowed = 1;
    cm_identity_headers_default(&fake.fp.headers);
    fake.sar_reason = "";
    memset(&auth, 0, sizeof(auth));
    auth.mode = CM_AUTH_DELEGATED;
    auth.always_allow_paths[0] = "/healthz";
    auth.always_allow_paths[1] = "/metrics-open/*";
    auth.nalways = 2;
    auth.allow_ttl_ms = auth.deny_ttl_ms = auth.token_ttl_ms = 10000;
    auth.review_timeout_ms = 2000;
    cache_mem = malloc(len);
    procs_reset(100);
    auth.cache = cm_authcache_init(cache_mem, len, 64, 2, &fake_procs);
    auth.ops = &fake_ops;
    return 0;
}

static int
guard_teardown(void **state)
{
    (void)state;
    free(cache_mem);
    return 0;
}

static const char *
ask(const char *uri, const char *cert, const char *authz, const char *const *params, int want)
{
    static struct cm_config *cfg;
    struct cm_api api;
    struct cm_request req = { .method = "GET", .uri = uri, .now = 0, .authorization = authz,
                              .params = params, .client_cert = cert };

    if (cfg == NULL) {
        struct cm_diag d;
        cm_diag_init(&d);
        assert_int_equal(cm_config_load(&cfg, TOP_SRCDIR "/examples/metrics.yaml", &d), 0);
        cm_diag_free(&d);
    }
    memset(&api, 0, sizeof(api));
    api.config = cfg;
    api.auth = &auth;
    cm_arena_reset(&arena);
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_router_handle(&api, &req, &arena, &res);
    if (res.status != want)
        fail_msg("%s: status %d, want %d: %.*s", uri, res.status, want, (int)body.len,
                 body.data ? body.data : "");
    return body.data ? body.data : "";
}

#define HPA "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/http_requests_per_second"

static void
test_guard_anonymous_spoofing(void **state)
{
    const char *spoof[] = { "HTTP_X_REMOTE_USER=system:admin", "HTTP_X_REMOTE_GROUP=system:masters", NULL };

    (void)state;
    /* no certificate: the headers mean nothing, the SAR asks about system:anonymous */
    ask(HPA, NULL, NULL, spoof, 403);
    assert_int_equal(fake.sars, 1);
    assert_non_null(strstr(fake.last_sar, "\"user\":\"system:anonymous\",\"groups\":[\"system:unauthenticated\"]"));
    assert_string_equal(body.data,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"pods.custom.metrics.k8s.io \\\"*\\\" is forbidden: User \\\"system:anonymous\\\" "
        "cannot get resource \\\"pods/http_requests_per_second\\\" in API group \\\"custom.metrics.k8s.io\\\" in the "
        "namespace \\\"default\\\"\",\"reason\":\"Forbidden\",\"details\":{\"name\":\"*\","
        "\"group\":\"custom.metrics.k8s.io\",\"kind\":\"pods\"},\"code\":403}\n");
    assert_int_equal(res.nosniff, 1);
    /* a certificate that does not verify: 401, and no review at all */
    ask(HPA, "PEM", NULL, spoof, 401);
    assert_string_equal(body.data, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                        "\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\","
                        "\"code\":401}\n");
    /* a verified certificate with a CN not allowed: 401 */
    fake.cert_ok = 1;
    fake.cn = "someone-else";
    ask(HPA, "PEM", NULL, spoof, 401);
    assert_int_equal(fake.sars, 1);
}

static void
test_guard_front_proxy(void **state)
{
    const char *hpa[] = { "HTTP_X_REMOTE_USER=system:serviceaccount:kube-system:horizontal-pod-autoscaler",
                          "HTTP_X_REMOTE_GROUP=system:serviceaccounts", NULL };
    const char *masters[] = { "HTTP_X_REMOTE_USER=system:kube-aggregator",
                              "HTTP_X_REMOTE_GROUP=system:masters", NULL };

    (void)state;
    fake.cert_ok = 1;
    fake.sar_rc = 1;
    ask(HPA "?labelSelector=app%3Dx", "PEM", NULL, hpa, 200);
    assert_int_equal(fake.sars, 1);
    assert_non_null(strstr(fake.last_sar, "\"user\":\"system:serviceaccount:kube-system:horizontal-pod-autoscaler\""));
    /* the same question again: answered from the cache */
    ask(HPA, "PEM", NULL, hpa, 200);
    assert_int_equal(fake.sars, 1);
    /* after the TTL: asked again */
    fake.now += 10001;
    ask(HPA, "PEM", NULL, hpa, 200);
    assert_int_equal(fake.sars, 2);
    /* system:masters: allowed without a review (the availability probe) */
    ask("/apis/custom.metrics.k8s.io/v1beta2", "PEM", NULL, masters, 200);
    assert_int_equal(fake.sars, 2);
    /* discovery is a non-resource review for anyone else */
    ask("/apis/custom.metrics.k8s.io/v1beta2", "PEM", NULL, hpa, 200);
    assert_int_equal(fake.sars, 3);
    assert_non_null(strstr(fake.last_sar, "\"nonResourceAttributes\":{\"path\":\"/apis/custom.metrics.k8s.io/v1beta2\",\"verb\":\"get\"}"));
    /* health and the always-allowed paths: no authentication, no review */
    ask("/healthz", "garbage", NULL, NULL, 200);
    ask("/readyz", NULL, NULL, NULL, 200);
    fake.cert_ok = 0;
    ask("/metrics-open/x", "garbage", NULL, NULL, 404);
    assert_int_equal(fake.sars, 3);
}

/* A group named "oidc:team, system:masters" is not system:masters: it is reviewed. */
static void
test_guard_group_with_comma(void **state)
{
    const char *mallory[] = { "HTTP_X_REMOTE_USER=mallory",
                              "HTTP_X_REMOTE_GROUP=oidc:team, system:masters", NULL };

    (void)state;
    fake.cert_ok = 1;
    fake.sar_rc = 0;
    ask(HPA, "PEM", NULL, mallory, 403);
    assert_int_equal(fake.sars, 1);
    assert_non_null(strstr(fake.last_sar, "\"user\":\"mallory\",\"groups\":"
                           "[\"oidc:team, system:masters\",\"system:authenticated\"]"));
    /* static mode: not allowed locally either */
    auth.mode = CM_AUTH_STATIC;
    ask(HPA, "PEM", NULL, mallory, 403);
    assert_int_equal(fake.sars, 1);
}

static void
test_guard_denied_and_failed(void **state)
{
    const char *eve[] = { "HTTP_X_REMOTE_USER=eve", NULL };

    (void)state;
    fake.cert_ok = 1;
    fake.sar_rc = 0;
    fake.sar_reason = "no RBAC policy matched";
    ask("/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth", "PEM", NULL, eve, 403);
    assert_non_null(strstr(body.data, "\"message\":\"queue_depth.external.metrics.k8s.io is forbidden: "
                           "User \\\"eve\\\" cannot list resource \\\"queue_depth\\\" in API group "
                           "\\\"external.metrics.k8s.io\\\" in the namespace \\\"default\\\": no RBAC policy matched\""));
    assert_non_null(strstr(body.data, "\"details\":{\"group\":\"external.metrics.k8s.io\",\"kind\":\"queue_depth\"}"));
    /* the denial is cached too */
    ask("/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth", "PEM", NULL, eve, 403);
    assert_int_equal(fake.sars, 1);
    /* a review that cannot be made is never an allow, and is not cached */
    fake.sar_rc = -1;
    ask(HPA, "PEM", NULL, eve, 500);
    assert_non_null(strstr(body.data, "SubjectAccessReview failed: connection refused"));
    ask(HPA, "PEM", NULL, eve, 500);
    assert_int_equal(fake.sars, 3);
    /* non-resource denial: Go's message for a path */
    fake.sar_rc = 0;
    fake.sar_reason = "";
    ask("/apis", "PEM", NULL, eve, 403);
    assert_non_null(strstr(body.data, "\"message\":\"forbidden: User \\\"eve\\\" cannot get path \\\"/apis\\\"\",\"reason\":\"Forbidden\",\"details\":{},"));
}

static void
test_guard_pending_review(void **state)
{
    const char *eve[] = { "HTTP_X_REMOTE_USER=eve", NULL };
    char key[2048];
    struct cm_authattr a;
    struct cm_identity id;
    struct cm_identity_headers h;
    const char *seg[] = { "apis", "custom.metrics.k8s.io", "v1beta2", "namespaces", "default",
                          "pods", "*", "http_requests_per_second" };
    size_t klen, vlen;
    char err[64], v[8];
    int verdict;

    (void)state;
    fake.cert_ok = 1;
    fake.sar_rc = 1;
    /* another worker holds the question: this one waits for its answer, then gives up */
    cm_identity_headers_default(&h);
    cm_identity_from_params(&id, eve, &h, &arena, err, sizeof(err));
    cm_authattr_from_path(&a, "GET", seg, 8, 0, &arena);
    klen = cm_authattr_key(&a, &id, key, sizeof(key));
    assert_true(klen > 0);
    assert_int_equal(cm_authcache_lookup(auth.cache, key, klen, fake.now, 60000, &verdict, v,
                                         sizeof(v), &vlen), CM_AUTHCACHE_CLAIMED);
    ask(HPA, "PEM", NULL, eve, 500);
    assert_int_equal(fake.sars, 0);
    assert_non_null(strstr(body.data, "timed out waiting for another worker's review"));
    /* the other worker answers: now served from the cache */
    cm_authcache_finish(auth.cache, key, klen, 1, NULL, 0, 10000, fake.now);
    ask(HPA, "PEM", NULL, eve, 200);
    assert_int_equal(fake.sars, 0);
}

/* Every place in the review path taken: while reviews are quick, a request waits a little for one, then 429. */
static void
test_guard_waits_for_a_place(void **state)
{
    const char *eve[] = { "HTTP_X_REMOTE_USER=eve", NULL };
    const char *mallory[] = { "HTTP_X_REMOTE_USER=mallory", NULL };
    int64_t t0;

    (void)state;
    fake.cert_ok = 1;
    fake.sar_rc = 1;
    procs_reset(201);                                   /* two other workers in reviews */
    assert_int_equal(cm_authcache_enter(auth.cache), 0);
    procs.self = 202;
    assert_int_equal(cm_authcache_enter(auth.cache), 0);
    procs.self = 300;
    fake.leaver = 201;                                  /* one of them is done 200 ms later */
    fake.leave_at = fake.now + 200;
    ask(HPA, "PEM", NULL, eve, 200);
    assert_int_equal(fake.sars, 1);
    /* nobody leaves this time: a 429 once the wait (1 s, on the fake clock) is over, and no review */
    procs.self = 203;
    assert_int_equal(cm_authcache_enter(auth.cache), 0);
    procs.self = 300;
    t0 = fake.now;
    ask(HPA, "PEM", NULL, mallory, 429);
    assert_int_equal(fake.sars, 1);
    assert_non_null(strstr(body.data, "too many SubjectAccessReviews are in flight"));
    assert_true(fake.now - t0 >= 1000 && fake.now - t0 <= 1100);
    /* while reviews are slow, no wait at all: this worker stays free for the cache's answers */
    cm_authcache_review_took(auth.cache, 5000);
    t0 = fake.now;
    ask(HPA, "PEM", NULL, mallory, 429);
    assert_true(fake.now == t0);
    ask(HPA, "PEM", NULL, eve, 200);                    /* a cached answer, meanwhile */
    assert_int_equal(fake.sars, 1);
}

static void
test_guard_tokens(void **state)
{
    (void)state;
    fake.sar_rc = 1;
    fake.token_rc = 0;
    ask(HPA, NULL, "Bearer good", NULL, 200);
    assert_int_equal(fake.tokens, 1);
    assert_non_null(strstr(fake.last_sar, "\"user\":\"system:serviceaccount:default:pusher\","
                           "\"groups\":[\"system:serviceaccounts\",\"system:authenticated\"]"));
    ask(HPA, NULL, "Bearer good", NULL, 200);
    assert_int_equal(fake.tokens, 1);                 /* the TokenReview is cached */
    ask(HPA, NULL, "Bearer bad", NULL, 401);
    fake.token_rc = -1;
    ask(HPA, NULL, "Bearer other", NULL, 500);
    /* static mode: there is no one to review a token */
    auth.mode = CM_AUTH_STATIC;
    ask(HPA, NULL, "Bearer good", NULL, 401);
}

static void
test_guard_static(void **state)
{
    const char *hpa[] = { "HTTP_X_REMOTE_USER=hpa", "HTTP_X_REMOTE_GROUP=readers", NULL };
    const char *agg[] = { "HTTP_X_REMOTE_USER=system:aggregator", NULL };

    (void)state;
    auth.mode = CM_AUTH_STATIC;
    auth.static_groups[0] = "readers";
    auth.nstatic_groups = 1;
    fake.cert_ok = 1;
    ask(HPA, "PEM", NULL, hpa, 200);
    ask(HPA, NULL, NULL, hpa, 403);                     /* the headers need the certificate */
    ask(HPA, "PEM", NULL, agg, 403);
    ask("/openapi/v2", "PEM", NULL, agg, 200);          /* discovery: any front-proxy user */
    ask("/apis/custom.metrics.k8s.io/v1beta2", NULL, NULL, NULL, 403);
    assert_int_equal(fake.sars, 0);
}

/* /readyz fails until the front proxy's trust has been read; liveness only says so. */
static void
test_readiness_waits_for_ca(void **state)
{
    (void)state;
    fake.fp.loaded = fake.fp.have_ca = 0;
    ask("/readyz", NULL, NULL, NULL, 200);              /* no trust expected: ready */
    auth.trust_source = "kube-system/extension-apiserver-authentication";
    ask("/readyz", NULL, NULL, NULL, 500);
    assert_string_equal(body.data,
        "[+]ping ok\n[+]config ok\n[+]objects ok\n"
        "[-]front-proxy failed: waiting for kube-system/extension-apiserver-authentication to be "
        "read: the front proxy's requests are refused meanwhile\nreadyz check failed\n");
    ask("/readyz/front-proxy", NULL, NULL, NULL, 500);
    ask("/readyz?exclude=front-proxy", NULL, NULL, NULL, 200);
    ask("/livez", NULL, NULL, NULL, 200);
    assert_string_equal(ask("/healthz?verbose", NULL, NULL, NULL, 200),
        "[+]ping ok\n[+]config ok\n[+]objects ok\n"
        "[+]front-proxy ok: waiting for kube-system/extension-apiserver-authentication to be "
        "read: the front proxy's requests are refused meanwhile\nhealthz check passed\n");
    fake.fp.loaded = 1;                                 /* read, and it names no CA */
    assert_string_equal(ask("/readyz", NULL, NULL, NULL, 200), "ok");
    assert_string_equal(ask("/readyz?verbose", NULL, NULL, NULL, 200),
        "[+]ping ok\n[+]config ok\n[+]objects ok\n"
        "[+]front-proxy ok: kube-system/extension-apiserver-authentication names no requestheader "
        "CA: requests with a client certificate are refused\nreadyz check passed\n");
    fake.fp.have_ca = 1;                                /* the usual case */
    assert_string_equal(ask("/readyz?verbose", NULL, NULL, NULL, 200),
        "[+]ping ok\n[+]config ok\n[+]objects ok\n[+]front-proxy ok\nreadyz check passed\n");
    assert_string_equal(ask("/readyz/front-proxy", NULL, NULL, NULL, 200), "ok");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_headers),
        cmocka_unit_test(test_identity_group_not_split),
        cmocka_unit_test(test_identity_no_user),
        cmocka_unit_test(test_identity_groups_added),
        cmocka_unit_test(test_identity_too_many_groups),
        cmocka_unit_test(test_identity_encode),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_sar_body),
        cmocka_unit_test(test_forbidden_message),
        cmocka_unit_test(test_frontproxy_configmap),
        cmocka_unit_test(test_paths_and_lists),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_cache_full),
        cmocka_unit_test(test_cache_dead_admission),
        cmocka_unit_test(test_cache_dead_lock_owner),
        cmocka_unit_test_setup_teardown(test_guard_anonymous_spoofing, guard_setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_front_proxy, guard_setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_group_with_comma, guard_setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_denied_and_failed, guard_setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_pending_review, guard_setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_waits_for_a_place, guard_setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_tokens, guard_setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_static, guard_setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_readiness_waits_for_ca, guard_setup, guard_teardown),
    };
    int rc;

    cm_arena_init(&arena, 0);
    cm_buf_init(&body, 1 << 20);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cm_arena_free(&arena);
    cm_buf_free(&body);
    return rc;
}
