/*
 * fuzz_request - libFuzzer target for everything a client controls.
 *
 * The input's first line is the request target (REQUEST_URI), its second
 * line the Accept header.  The target is requested with GET, then with a
 * POST carrying the rest of the input as its body (the write API, into a
 * small push store in a temporary directory).  Each input also goes, whole,
 * to every pure parser: URI, query, label selector, field selector, quantity,
 * Prometheus text exposition, a Prometheus HTTP API answer.
 * Built and run by "make fuzz" (clang with -fsanitize=fuzzer,address,undefined).
 */
#include "authcache.h"
#include "log.h"
#include "objects.h"
#include "router.h"
#include "expfmt.h"
#include "promql.h"
#include "fieldsel.h"
#include "quantity.h"
#include "query.h"
#include "selector.h"
#include "source.h"
#include "uri.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cm_config *cfg;
static struct cm_objects *objs;
static struct cm_sources *sources;
static char state_dir[64], token_file[128];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
remove_state(void)
{
    static const char *const names[] = { "token", "push.db", "push.db.tmp", "push.db.bad" };
    char path[160];
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
        snprintf(path, sizeof(path), "%s/%s", state_dir, names[i]);
        unlink(path);
    }
    rmdir(state_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct cm_diag d;
    size_t skipped;
    const char *top = getenv("CM_TOP_SRCDIR");
    char path[4096];

    (void)argc;
    (void)argv;
    /* Every input is a request the worker would log; millions of log
     * lines only slow the run and fill the disk.  Errors still show. */
    cm_log_set_level(CM_LOG_ERROR);
    cm_diag_init(&d);
    snprintf(path, sizeof(path), "%s/examples/metrics.yaml", top ? top : ".");
    if (cm_config_load(&cfg, path, &d) < 0)
        abort();
    snprintf(path, sizeof(path), "%s/examples/objects.yaml", top ? top : ".");
    if (cm_objects_load_file(&objs, path, &skipped, &d) < 0)
        abort();
    cm_diag_free(&d);
    snprintf(state_dir, sizeof(state_dir), "/tmp/cm-fuzz-XXXXXX");
    if (mkdtemp(state_dir) == NULL)
        abort();
    snprintf(token_file, sizeof(token_file), "%s/token", state_dir);
    {
        FILE *f = fopen(token_file, "w");
        if (f == NULL)
            abort();
        fputs("t\n", f);
        fclose(f);
    }
    atexit(remove_state);
    sources = cm_sources_new(cfg, cm_source_backends_all);
    cm_sources_set_state_dir(sources, state_dir, 64);
    return 0;
}

/* ---- the guard step with stand-in reviews: identity headers from the input */

static struct cm_frontproxy fuzz_fp;

static const struct cm_frontproxy *
fz_frontproxy(void *arg)
{
    (void)arg;
    fuzz_fp.have_ca = 1;
    if (fuzz_fp.headers.nuser == 0)
        cm_identity_headers_default(&fuzz_fp.headers);
    return &fuzz_fp;
}

static int
fz_verify(void *arg, const char *pem, char *cn, size_t cnlen, char *why, size_t whylen)
{
    (void)arg;
    snprintf(cn, cnlen, "front-proxy-client");
    snprintf(why, whylen, "no");
    return pem[0] != 'x';
}

static int
fz_token(void *arg, const char *token, struct cm_identity *out, struct cm_arena *a, char *err,
         size_t errlen)
{
    (void)arg;
    (void)err;
    (void)errlen;
    if (strlen(token) % 3 == 2)
        return -1;
    memset(out, 0, sizeof(*out));
    out->user = cm_arena_strdup(a, token);
    out->uid = "";
    return strlen(token) % 3 == 1;
}

static int
fz_sar(void *arg, const char *body, size_t len, char *reason, size_t rlen, char *err, size_t errlen)
{
    (void)arg;
    (void)body;
    snprintf(reason, rlen, "fuzz");
    snprintf(err, errlen, "fuzz");
    return (int)(len % 3) - 1;
}

static int64_t fz_clock;
static int64_t fz_now(void *arg) { (void)arg; return fz_clock += 7; }
static void fz_pause(void *arg, int ms) { (void)arg; fz_clock += ms; }

static const struct cm_auth_ops fuzz_ops = { fz_frontproxy, fz_verify, fz_token, fz_sar, fz_now,
                                             fz_pause };

/* The decision cache's processes: this one, which never dies. */
static int fz_self(void) { return 1; }
static int fz_alive(int pid) { (void)pid; return 1; }
static const struct cm_authcache_procs fuzz_procs = { fz_self, fz_alive };

/* Every line of text as a FastCGI param, through the guard and the router. */
static void
fuzz_guard(struct cm_api *api, char *text, size_t size, struct cm_arena *a, struct cm_buf *body)
{
    static uint64_t mem[(sizeof(uint64_t) * 64 + 64 * 2700) / 8 + 1];
    static struct cm_auth auth;
    static struct cm_authcache *cache;
    const char *params[33];
    struct cm_request req;
    struct cm_response res;
    size_t n = 0;
    char *p = text, *nl;

    if (cm_authcache_bytes(32) > sizeof(mem))
        abort();
    if (cache == NULL)
        cache = cm_authcache_init(mem, sizeof(mem), 32, 2, &fuzz_procs);
    auth.mode = size % 2 ? CM_AUTH_DELEGATED : CM_AUTH_STATIC;
    auth.static_groups[0] = "readers";
    auth.nstatic_groups = 1;
    auth.allow_ttl_ms = auth.deny_ttl_ms = auth.token_ttl_ms = 50;
    auth.review_timeout_ms = 20;
    auth.cache = cache;
    auth.ops = &fuzz_ops;
    while (n < 32 && p < text + size && (nl = memchr(p, '\n', (size_t)(text + size - p))) != NULL) {
        *nl = '\0';
        params[n++] = p;
        p = nl + 1;
    }
    params[n] = NULL;
    memset(&req, 0, sizeof(req));
    req.method = size % 3 ? "GET" : "POST";
    req.uri = n > 0 ? params[0] : "/";
    req.params = params;
    req.client_cert = n > 1 ? params[1] : NULL;
    req.authorization = n > 2 ? params[2] : NULL;
    req.now = 1795640400;
    memset(&res, 0, sizeof(res));
    res.body = body;
    api->auth = &auth;
    cm_buf_reset(body);
    cm_arena_reset(a);
    cm_router_handle(api, &req, a, &res);
    api->auth = NULL;
    if (res.status < 200 || res.status > 599)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cm_arena a;
    struct cm_buf body;
    struct cm_response res;
    struct cm_uri uri;
    struct cm_query q;
    struct cm_selector sel;
    struct cm_quantity qty;
    const char *err;
    char *text = malloc(size + 1), *nl, *accept = NULL, *post_body = NULL;
    struct cm_api api = { .config = cfg, .objects = objs, .sources = sources,
                          .write_token_file = token_file };
    struct cm_request req;

    memcpy(text, data, size);
    text[size] = '\0';
    cm_arena_init(&a, 0);
    cm_buf_init(&body, 1 << 20);

    /* The pure parsers on the raw bytes. */
    if (cm_uri_parse(&uri, text, &a) == CM_URI_OK)
        cm_query_parse(&q, uri.query, uri.query_len, &a);
    cm_query_parse(&q, (const char *)data, size, &a);
    if (cm_selector_parse(&sel, (const char *)data, size, &a, &err) == 0) {
        static const struct cm_label l[] = { { "app", "web" }, { "n", "7" } };
        struct cm_labels labels = { 2, l };
        cm_selector_matches(&sel, &labels);
        cm_selector_format(&sel, &body);
        cm_buf_reset(&body);
    }
    cm_fieldsel_check((const char *)data, size, "x", &a, &err);
    cm_quantity_parse((const char *)data, size, &qty, &err);
    {
        struct cm_samples samples;
        char why[256];
        struct cm_prom_result answer;
        cm_expfmt_parse((const char *)data, size, &a, &samples, why, sizeof(why));
        cm_prom_parse((const char *)data, size, &a, &answer, why, sizeof(why));
    }

    /* The whole request path. */
    nl = strchr(text, '\n');
    if (nl != NULL) {
        *nl = '\0';
        accept = nl + 1;
        if ((nl = strchr(accept, '\n')) != NULL) {
            *nl = '\0';
            post_body = nl + 1;
        }
    }
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.uri = text;
    req.accept = accept;
    req.now = 1795640400;
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_arena_reset(&a);
    cm_router_handle(&api, &req, &a, &res);
    if (res.status < 200 || res.status > 599)
        abort();

    req.method = "POST";
    req.content_type = "application/json";
    req.authorization = "Bearer t";
    req.body = post_body ? post_body : "";
    req.body_len = strlen(req.body);
    cm_buf_reset(&body);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    cm_arena_reset(&a);
    cm_router_handle(&api, &req, &a, &res);
    if (res.status < 200 || res.status > 599)
        abort();

    memcpy(text, data, size);         /* the raw lines again, as identity headers */
    text[size] = '\0';
    fuzz_guard(&api, text, size, &a, &body);

    cm_buf_free(&body);
    cm_arena_free(&a);
    free(text);
    return 0;
}
