/*
 * fuzz_request - libFuzzer target for everything a client controls.
 *
 * The input's first line is the request target (REQUEST_URI), its second
 * line the Accept header.  The target is requested with GET, then with a
 * POST carrying the rest of the input as its body (the write API, into a
 * small push store in a temporary directory).  Each input also goes, whole,
 * to every pure parser: URI, query, label selector, field selector, quantity,
 * Prometheus text exposition.
 * Built and run by "make fuzz" (clang with -fsanitize=fuzzer,address,undefined).
 */
#include "router.h"
#include "expfmt.h"
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
        cm_expfmt_parse((const char *)data, size, &a, &samples, why, sizeof(why));
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

    cm_buf_free(&body);
    cm_arena_free(&a);
    free(text);
    return 0;
}
