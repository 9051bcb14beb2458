#include "write.h"
#include "log.h"
#include "source.h"
#include "status.h"
#include "tokenfile.h"
#include "guard.h"
#include "validate.h"

#include <json-c/json.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Why a write is refused: an HTTP code, a Status reason and a message. */
struct failure {
    int code;
    const char *reason;
    char msg[1024];
};

static int __attribute__((format(printf, 4, 5)))
fail(struct failure *f, int code, const char *reason, const char *fmt, ...)
{
    va_list ap;

    f->code = code;
    f->reason = reason;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* One value to write, as the request gives it, then resolved into a record. */
struct item {
    const char *metric;
    const char *resource;              /* as given; NULL for an external series */
    const char *ns;                    /* "" when none is given */
    const char *name;
    const char *value;                 /* quantity text */
    struct cm_labels labels;           /* sorted */
    struct cm_quantity q;
    struct cm_push_key key;            /* filled by resolve() */
    struct cm_push_value val;
};

int
cm_write_is_route(const struct cm_uri *u)
{
    return u->nseg > 0 && strcmp(u->seg[0], "write-metrics") == 0;
}

/* --- the pieces of a write ---------------------------------------------- */

/* Sorts and checks labels with the Kubernetes label rules. */
static int
check_labels(struct cm_label *v, size_t n, struct failure *f)
{
    struct cm_buf why;
    size_t i;
    long dup;
    int rc = 0;

    cm_buf_init(&why, 4096);
    for (i = 0; i < n && rc == 0; i++) {
        if (cm_validate_qualified_name(v[i].key, strlen(v[i].key), &why))
            rc = fail(f, 400, "BadRequest", "bad label name '%s': %s", v[i].key, why.data);
        else if (cm_validate_label_value(v[i].value, strlen(v[i].value), &why))
            rc = fail(f, 400, "BadRequest", "bad value '%s' for label '%s': %s", v[i].value,
                      v[i].key, why.data);
    }
    cm_buf_free(&why);
    if (rc == 0 && (dup = cm_labels_sort(v, n)) >= 0)
        rc = fail(f, 400, "BadRequest", "label '%s' is given twice", v[dup].key);
    return rc;
}

/* ?labels=k1=v1,k2=v2 (the test-adapter's form), the slen bytes at s.  No
 * label name or value holds a NUL byte: one is refused, never cut short. */
static int
parse_labels_param(const char *s, size_t slen, struct cm_arena *a, struct cm_labels *out,
                   struct failure *f)
{
    struct cm_label *v;
    size_t n = 1, i = 0;
    const char *p;

    out->n = 0;
    out->v = NULL;
    if (slen == 0)
        return 0;
    if (memchr(s, '\0', slen) != NULL)
        return fail(f, 400, "BadRequest", "bad labels: a label name or value cannot "
                    "contain a NUL byte (%%00)");
    for (p = s; *p; p++)
        n += *p == ',';
    if (n > CM_METRIC_LABELS_MAX)
        return fail(f, 400, "BadRequest", "a value has at most %d labels", CM_METRIC_LABELS_MAX);
    v = cm_arena_alloc(a, n * sizeof(*v));
    for (p = s; i < n; i++) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);

        if (eq == NULL)
            return fail(f, 400, "BadRequest", "bad labels '%s': each label is name=value, "
                        "separated by commas", s);
        v[i].key = cm_arena_strndup(a, p, (size_t)(eq - p));
        v[i].value = cm_arena_strndup(a, eq + 1, len - (size_t)(eq - p) - 1);
        p += len + (p[len] == ',');
    }
    out->v = v;
    out->n = n;
    return check_labels(v, n, f);
}

/* The labels as k=v,k=v: the name an external series is stored under. */
static const char *
labels_text(const struct cm_labels *l, struct cm_arena *a)
{
    struct cm_buf b;
    const char *s;
    size_t i;

    cm_buf_init(&b, 1 << 16);
    for (i = 0; i < l->n; i++)
        cm_buf_addf(&b, "%s%s=%s", i ? "," : "", l->v[i].key, l->v[i].value);
    s = cm_arena_strndup(a, b.data ? b.data : "", b.len);
    cm_buf_free(&b);
    return s;
}

/* An RFC 1123 label, as namespace names are. */
static int
valid_namespace(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* The external series entry with a push source called name, or NULL. */
static const struct cm_metric *
external_push(const struct cm_config *cfg, const char *name)
{
    const struct cm_metric *m;
    size_t pos = 0;

    while ((m = cm_config_next_external(cfg, name, &pos)) != NULL)
        if (cm_metric_takes_writes(m))
            return m;
    return NULL;
}

/*
 * Values are kept only for objects the server knows, as reads serve only
 * those: with an object source (a file or the watch cache) an object it does
 * not hold is a 404, and a resource the watch cache has not listed yet a 503.
 * Without one every object exists, for writes as for reads.
 */
static int
known_object(const struct cm_api *api, const struct cm_resource *r, const struct item *it,
             struct failure *f)
{
    struct cm_object found;
    size_t len;

    if (api->objects == NULL)
        return 0;
    if (api->cache != NULL && cm_objects_image(api->objects, r, &len) == NULL)
        return fail(f, 503, "ServiceUnavailable", "cannot take values for %s: the objects have "
                    "not been listed yet", r->group_resource);
    if (!cm_objects_get(api->objects, r, it->ns, it->name, &found))
        return fail(f, 404, "NotFound", "the server does not know %s %s%s%s: values are kept "
                    "only for objects it serves", r->group_resource, *it->ns ? it->ns : "",
                    *it->ns ? "/" : "", it->name);
    return 0;
}

/*
 * Checks an item against metrics.yaml and the Kubernetes naming rules, and
 * fills its record key and value.
 */
static int
resolve(const struct cm_api *api, struct item *it, time_t now, struct cm_arena *a,
        struct failure *f)
{
    const struct cm_config *cfg = api->config;
    const char *qerr;
    char err[256];

    if (it->metric == NULL || *it->metric == '\0')
        return fail(f, 400, "BadRequest", "a write names its metric");
    if (*it->ns != '\0' && !valid_namespace(it->ns))
        return fail(f, 400, "BadRequest", "bad namespace '%s': a namespace is a lower-case "
                    "RFC 1123 label", it->ns);
    if (it->resource == NULL) {
        const struct cm_metric *m = external_push(cfg, it->metric);
        size_t pos = 0;

        if (m == NULL)
            return fail(f, 404, "NotFound", cm_config_next_external(cfg, it->metric, &pos)
                        ? "external metric %s does not take writes: no entry for it has a push source"
                        : "external metric %s is not declared in the configuration",
                        it->metric);
        it->key.resource = "";
        it->key.name = labels_text(&it->labels, a);
    } else {
        const struct cm_metric *m = cm_config_find(cfg, it->metric);
        const struct cm_resource *r = cm_resource_lookup(it->resource);

        if (r == NULL)
            return fail(f, 404, "NotFound", "the server does not know resource '%s'", it->resource);
        if (m == NULL)
            return fail(f, 404, "NotFound", "metric %s is not declared in the configuration",
                        it->metric);
        if (!cm_metric_describes(m, r))
            return fail(f, 404, "NotFound", "metric %s is not declared for %s", it->metric,
                        r->group_resource);
        if (!cm_metric_takes_writes(m))
            return fail(f, 400, "BadRequest", "metric %s takes its values from its %s source, "
                        "not from writes", it->metric, cm_source_kind_name(m->source.kind));
        if (r->namespaced && *it->ns == '\0')
            return fail(f, 400, "BadRequest", "%s are namespaced: give the namespace",
                        r->group_resource);
        if (!r->namespaced && *it->ns != '\0')
            return fail(f, 400, "BadRequest", "%s are not namespaced: give no namespace",
                        r->group_resource);
        if (it->name == NULL || *it->name == '\0' || strlen(it->name) > 253 ||
            strcmp(it->name, ".") == 0 || strcmp(it->name, "..") == 0 || strchr(it->name, '/'))
            return fail(f, 400, "BadRequest", "bad name '%s' for an object of %s",
                        it->name ? it->name : "", r->group_resource);
        if (known_object(api, r, it, f) < 0)
            return -1;
        it->key.resource = r->group_resource;
        it->key.name = it->name;
    }
    if (it->value == NULL)
        return fail(f, 400, "BadRequest", "a write needs a value: a quantity such as \"300m\"");
    if (cm_quantity_parse(it->value, strlen(it->value), &it->q, &qerr) < 0)
        return fail(f, 400, "BadRequest", "bad quantity '%s': %s", it->value, qerr);
    if (cm_quantity_check_range(&it->q, &qerr) < 0)
        return fail(f, 400, "BadRequest", "bad quantity '%s': %s (every source's values are "
                    "below 9223372036854775.808 in magnitude)", it->value, qerr);
    it->key.metric = it->metric;
    it->key.ns = it->ns;
    it->val.text = it->q.text;
    it->val.timestamp = (int64_t)now;
    it->val.labels = it->labels;
    if (cm_sources_write_fits(api->sources, &it->key, &it->val, err, sizeof(err)) < 0)
        return fail(f, 400, "BadRequest", "cannot store this value: %s", err);
    return 0;
}

int
cm_write_keep(const struct cm_push_key *k, int64_t timestamp, void *arg)
{
    const struct cm_write_keep *w = arg;
    const struct cm_metric *m;

    if (*k->resource == '\0') {
        m = external_push(w->config, k->metric);
    } else {
        const struct cm_resource *r = cm_resource_lookup(k->resource);

        m = cm_config_find(w->config, k->metric);
        if (m == NULL || r == NULL || !cm_metric_describes(m, r) || !cm_metric_takes_writes(m))
            m = NULL;
    }
    return m != NULL && (int64_t)w->now - timestamp <= m->source.push.max_age;
}

/* --- the request -------------------------------------------------------- */

/* "Bearer TOKEN" with the token of the token file, compared in constant time. */
static int
authorize(const char *token_file, const char *header, struct failure *f)
{
    char want[CM_TOKEN_MAX + 1];
    const char *got;
    size_t i, n;
    unsigned char diff = 0;

    /* The file's name and what is wrong with it go to the log only. */
    switch (cm_token_read(token_file, want, sizeof(want))) {
    case -1:
        cm_log_request(CM_LOG_ERROR, "cannot read the write token file %s: %s", token_file,
                       cm_token_strerror(errno));
        return fail(f, 500, "InternalError", "the write API cannot check tokens: its token "
                    "cannot be read (request %s)", cm_log_request_id());
    case 0:
        cm_log_request(CM_LOG_ERROR, "the write token file %s is empty", token_file);
        return fail(f, 500, "InternalError", "the write API cannot check tokens: its token "
                    "is empty (request %s)", cm_log_request_id());
    }
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return fail(f, 401, "Unauthorized", "Unauthorized");
    for (got = header + 7; *got == ' '; got++)
        ;
    n = strlen(want);
    if (strlen(got) != n)
        return fail(f, 401, "Unauthorized", "Unauthorized");
    for (i = 0; i < n; i++)
        diff |= (unsigned char)(got[i] ^ want[i]);
    return diff == 0 ? 0 : fail(f, 401, "Unauthorized", "Unauthorized");
}

static int
is_json(const char *content_type)
{
    size_t n;

    if (content_type == NULL)
        return 0;
    n = strcspn(content_type, "; \t");
    return n == 16 && strncasecmp(content_type, "application/json", 16) == 0;
}

/* Parses the whole body as one JSON value (strictly); NULL with a failure. */
static json_object *
parse_body(const struct cm_request *req, struct failure *f)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;
    const char *end;
    size_t used = req->body_len;

    if (tok == NULL) {
        fail(f, 500, "InternalError", "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, req->body ? req->body : "", (int)req->body_len);
    if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
        o = json_tokener_parse_ex(tok, "", 1);    /* a bare number ends at the end */
    else
        used = json_tokener_get_parse_end(tok);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        fail(f, 400, "BadRequest", "the body is not JSON: %s",
             req->body_len == 0 ? "it is empty"
                                : json_tokener_error_desc(json_tokener_get_error(tok)));
        json_object_put(o);
        json_tokener_free(tok);
        return NULL;
    }
    for (end = req->body + used; end < req->body + req->body_len; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
            fail(f, 400, "BadRequest", "the body has more than one JSON value");
            json_object_put(o);
            o = NULL;
            break;
        }
    }
    json_tokener_free(tok);
    return o;
}

/* A JSON quantity: a string such as "300m", or a number written as such. */
static const char *
json_quantity(json_object *v, struct cm_arena *a)
{
    switch (json_object_get_type(v)) {
    case json_type_string:                  /* "1\u0000x" is no quantity, not 1 */
        if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
            return NULL;
        return cm_arena_strdup(a, json_object_get_string(v));
    case json_type_int:
    case json_type_double:
        /* the number's own text (json-c keeps it for doubles), not a reformatting */
        return cm_arena_strdup(a, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    default:
        return NULL;
    }
}

static const char *
json_str(json_object *o, const char *key, struct cm_arena *a, int *bad)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    if (!json_object_is_type(v, json_type_string) ||
        strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
        *bad = 1;                           /* a NUL would cut the name short */
        return NULL;
    }
    return cm_arena_strdup(a, json_object_get_string(v));
}

/* One batch item (index i, for messages) into *it. */
static int
batch_item(json_object *o, size_t i, struct item *it, struct cm_arena *a, struct failure *f)
{
    static const char *const known[] = {
        "metric", "resource", "namespace", "name", "value", "labels", "external", NULL };
    json_object *v;
    int bad = 0, external = 0;
    size_t k;

    if (!json_object_is_type(o, json_type_object))
        return fail(f, 400, "BadRequest", "item %zu: each item is an object", i);
    json_object_object_foreach(o, key, val) {
        (void)val;
        for (k = 0; known[k] != NULL && strcmp(known[k], key) != 0; k++)
            ;
        if (known[k] == NULL)
            return fail(f, 400, "BadRequest", "item %zu: unknown field \"%s\" (known: metric, "
                        "resource, namespace, name, value, labels, external)", i, key);
    }
    memset(it, 0, sizeof(*it));
    it->metric = json_str(o, "metric", a, &bad);
    it->resource = json_str(o, "resource", a, &bad);
    it->ns = json_str(o, "namespace", a, &bad);
    it->name = json_str(o, "name", a, &bad);
    if (bad)
        return fail(f, 400, "BadRequest", "item %zu: metric, resource, namespace and name are "
                    "strings without NUL bytes", i);
    if (it->ns == NULL)
        it->ns = "";
    if (json_object_object_get_ex(o, "external", &v)) {
        if (!json_object_is_type(v, json_type_boolean))
            return fail(f, 400, "BadRequest", "item %zu: \"external\" is true or false", i);
        external = json_object_get_boolean(v);
    }
    if (external && (it->resource != NULL || it->name != NULL))
        return fail(f, 400, "BadRequest", "item %zu: an external series has no resource or name", i);
    if (!external && it->resource == NULL)
        return fail(f, 400, "BadRequest", "item %zu: give \"resource\" and \"name\", or "
                    "\"external\": true", i);
    if (json_object_object_get_ex(o, "value", &v) && (it->value = json_quantity(v, a)) == NULL)
        return fail(f, 400, "BadRequest", "item %zu: the value is a quantity: a string such as "
                    "\"300m\", or a number", i);
    if (json_object_object_get_ex(o, "labels", &v)) {
        struct cm_label *l;
        size_t n = 0;

        if (!json_object_is_type(v, json_type_object))
            return fail(f, 400, "BadRequest", "item %zu: \"labels\" maps names to strings", i);
        if (json_object_object_length(v) > CM_METRIC_LABELS_MAX)
            return fail(f, 400, "BadRequest", "item %zu: a value has at most %d labels", i,
                        CM_METRIC_LABELS_MAX);
        l = cm_arena_alloc(a, ((size_t)json_object_object_length(v) + 1) * sizeof(*l));
        json_object_object_foreach(v, lk, lv) {
            if (!json_object_is_type(lv, json_type_string))
                return fail(f, 400, "BadRequest", "item %zu: label '%s' is not a string", i, lk);
            if (strlen(json_object_get_string(lv)) != (size_t)json_object_get_string_len(lv))
                return fail(f, 400, "BadRequest", "item %zu: label '%s': a label value cannot "
                            "contain a NUL byte", i, lk);
            l[n].key = cm_arena_strdup(a, lk);
            l[n].value = cm_arena_strdup(a, json_object_get_string(lv));
            n++;
        }
        if (check_labels(l, n, f) < 0)
            return -1;
        it->labels.n = n;
        it->labels.v = l;
    }
    return 0;
}

/* The items a request writes: one from its path, or a batch from its body. */
static int
read_items(struct cm_ctx *ctx, struct item **out, size_t *nout, struct failure *f)
{
    const struct cm_request *req = ctx->req;
    const struct cm_uri *u = &ctx->uri;
    struct cm_arena *a = ctx->arena;
    const char *const *s = u->seg + 1;
    size_t n = u->nseg - 1, i;
    const struct cm_query_pair *lp;
    json_object *body;
    struct item *it;
    int rc = 0;

    if (n == 0 && !u->trailing_slash) {
        if ((body = parse_body(req, f)) == NULL)
            return -1;
        if (!json_object_is_type(body, json_type_array)) {
            json_object_put(body);
            return fail(f, 400, "BadRequest", "a batch is a JSON array of items");
        }
        *nout = json_object_array_length(body);
        if (*nout > CM_WRITE_BATCH_MAX) {
            json_object_put(body);
            return fail(f, 400, "BadRequest", "a batch has at most %d items", CM_WRITE_BATCH_MAX);
        }
        *out = cm_arena_alloc(a, (*nout ? *nout : 1) * sizeof(**out));
        for (i = 0; i < *nout && rc == 0; i++)
            rc = batch_item(json_object_array_get_idx(body, i), i, &(*out)[i], a, f);
        json_object_put(body);
        return rc;
    }

    it = cm_arena_zalloc(a, sizeof(*it));
    it->ns = "";
    if (u->trailing_slash) {
        return fail(f, 404, "NotFound", "the server could not find the requested resource");
    } else if (n == 4 && strcmp(s[0], "namespaces") == 0 && strcmp(s[2], "metrics") == 0) {
        it->resource = "namespaces";
        it->name = s[1];
        it->metric = s[3];
    } else if (n == 5 && strcmp(s[0], "namespaces") == 0) {
        it->ns = s[1];
        it->resource = s[2];
        it->name = s[3];
        it->metric = s[4];
    } else if (n == 2 && strcmp(s[0], "external") == 0) {
        it->metric = s[1];
    } else if (n == 4 && strcmp(s[0], "external") == 0 && strcmp(s[1], "namespaces") == 0) {
        it->ns = s[2];
        it->metric = s[3];
    } else if (n == 3 && strcmp(s[0], "namespaces") != 0 && strcmp(s[0], "external") != 0) {
        it->resource = s[0];
        it->name = s[1];
        it->metric = s[2];
    } else {
        return fail(f, 404, "NotFound", "the server could not find the requested resource");
    }
    lp = cm_query_get(&ctx->query, "labels");
    if (lp != NULL && parse_labels_param(lp->value, lp->value_len, a, &it->labels, f) < 0)
        return -1;
    if ((body = parse_body(req, f)) == NULL)
        return -1;
    it->value = json_quantity(body, a);
    json_object_put(body);
    if (it->value == NULL)
        return fail(f, 400, "BadRequest", "the body is a quantity: a JSON string such as "
                    "\"300m\", or a JSON number");
    *out = it;
    *nout = 1;
    return 0;
}

/* Writes every item under one lock. */
static int
store(const struct cm_api *api, struct item *items, size_t n, time_t now, struct failure *f)
{
    struct cm_write_keep keep = { api->config, now };
    enum cm_write_result rc;
    char err[512];
    size_t i;

    rc = cm_sources_write_begin(api->sources, err, sizeof(err));
    if (rc == CM_WRITE_UNAVAILABLE) {
        cm_log_request(CM_LOG_ERROR, "cannot keep pushed values: %s", err);
        return fail(f, 503, "ServiceUnavailable", "cannot keep pushed values: the push store "
                    "is not available (request %s)", cm_log_request_id());
    }
    if (rc != CM_WRITE_OK) {
        cm_log_request(CM_LOG_ERROR, "%s", err);
        return fail(f, 500, "InternalError", "cannot lock the push store (request %s)",
                    cm_log_request_id());
    }
    for (i = 0; i < n && rc == CM_WRITE_OK; i++)
        rc = cm_sources_write_put(api->sources, &items[i].key, &items[i].val, cm_write_keep,
                                  &keep, err, sizeof(err));
    cm_sources_write_end(api->sources);
    if (rc == CM_WRITE_FULL)
        return fail(f, 507, "InsufficientStorage", "%s", err);
    if (rc != CM_WRITE_OK) {
        cm_log_request(CM_LOG_ERROR, "%s", err);
        return fail(f, 500, "InternalError", "cannot write the push store (request %s)",
                    cm_log_request_id());
    }
    return 0;
}

void
cm_write_respond(struct cm_ctx *ctx)
{
    const struct cm_api *api = ctx->api;
    const struct cm_request *req = ctx->req;
    const struct cm_uri *u = &ctx->uri;
    struct cm_response *res = ctx->res;
    struct failure f;
    struct item *items = NULL;
    size_t n = 0, i;

    if (strcmp(req->method, "POST") != 0) {
        cm_status_write(ctx, 405, "MethodNotAllowed", 1,
                        "the write API takes POST requests");
        res->allow = "POST";
        return;
    }
    if (api->write_token_file == NULL) {
        cm_status_write(ctx, 404, "NotFound", 0,
                        "the write API is off: start the server with --write-token-file");
        return;
    }
    if (authorize(api->write_token_file, req->authorization, &f) < 0) {
        /* not the token file's: a cluster token may still be allowed (guard.h) */
        int rc = f.code == 401 ? cm_guard_write(ctx) : 0;

        if (rc < 0)
            return;
        if (rc == 0)
            goto failed;
    }
    if (req->body_len > CM_BODY_MAX) {
        fail(&f, 413, "RequestEntityTooLarge", "the body of a write is at most %u bytes",
             CM_BODY_MAX);
        goto failed;
    }
    if (!is_json(req->content_type)) {
        fail(&f, 415, "UnsupportedMediaType", "the body of a write is application/json, not %s",
             req->content_type && *req->content_type ? req->content_type : "untyped");
        goto failed;
    }
    if (read_items(ctx, &items, &n, &f) < 0)
        goto failed;
    for (i = 0; i < n; i++) {
        if (resolve(api, &items[i], req->now, ctx->arena, &f) < 0) {
            if (u->nseg == 1) {        /* say which item of a batch */
                cm_status_write(ctx, f.code, f.reason, 0, "item %zu: %s", i, f.msg);
                return;
            }
            goto failed;
        }
    }
    if (store(api, items, n, req->now, &f) < 0)
        goto failed;
    if (u->nseg == 1) {
        cm_status_success(ctx, "wrote %zu value%s", n, n == 1 ? "" : "s");
    } else {
        res->status = 200;
        res->content_type = "text/plain; charset=utf-8";
    }
    return;
failed:
    cm_status_write(ctx, f.code, f.reason, 0, "%s", f.msg);
}
