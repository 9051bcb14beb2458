#include "writebody.h"
#include "config.h"
#include "validate.h"

#include <json-c/json.h>

#include <string.h>

/* Sorts and checks labels with the Kubernetes label rules. */
static int
check_labels(struct cm_label *v, size_t n, struct cm_write_failure *f)
{
    struct cm_buf why;
    size_t i;
    long dup;
    int rc = 0;

    cm_buf_init(&why, 4096);
    for (i = 0; i < n && rc == 0; i++) {
        if (cm_validate_qualified_name(v[i].key, strlen(v[i].key), &why))
            rc = cm_write_fail(f, 400, "BadRequest", "bad label name '%s': %s", v[i].key, why.data);
        else if (cm_validate_label_value(v[i].value, strlen(v[i].value), &why))
            rc = cm_write_fail(f, 400, "BadRequest", "bad value '%s' for label '%s': %s", v[i].value,
                      v[i].key, why.data);
    }
    cm_buf_free(&why);
    if (rc == 0 && (dup = cm_labels_sort(v, n)) >= 0)
        rc = cm_write_fail(f, 400, "BadRequest", "label '%s' is given twice", v[dup].key);
    return rc;
}

/* ?labels=k1=v1,k2=v2 (the test-adapter's form), the slen bytes at s.  No
 * label name or value holds a NUL byte: one is refused, never cut short. */
int
cm_write_body_labels(const char *s, size_t slen, struct cm_arena *a, struct cm_labels *out,
                     struct cm_write_failure *f)
{
    struct cm_label *v;
    size_t n = 1, i = 0;
    const char *p;

    out->n = 0;
    out->v = NULL;
    if (slen == 0)
        return 0;
    if (memchr(s, '\0', slen) != NULL)
        return cm_write_fail(f, 400, "BadRequest", "bad labels: a label name or value cannot "
                    "contain a NUL byte (%%00)");
    for (p = s; *p; p++)
        n += *p == ',';
    if (n > CM_METRIC_LABELS_MAX)
        return cm_write_fail(f, 400, "BadRequest", "a value has at most %d labels", CM_METRIC_LABELS_MAX);
    v = cm_arena_alloc(a, n * sizeof(*v));
    for (p = s; i < n; i++) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);

        if (eq == NULL)
            return cm_write_fail(f, 400, "BadRequest", "bad labels '%s': each label is name=value, "
                        "separated by commas", s);
        v[i].key = cm_arena_strndup(a, p, (size_t)(eq - p));
        v[i].value = cm_arena_strndup(a, eq + 1, len - (size_t)(eq - p) - 1);
        p += len + (p[len] == ',');
    }
    out->v = v;
    out->n = n;
    return check_labels(v, n, f);
}

/* Parses the whole body as one JSON value (strictly); NULL with a failure. */
static json_object *
parse_body(const struct cm_request *req, struct cm_write_failure *f)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = NULL;
    const char *end;
    size_t used = req->body_len;

    if (tok == NULL) {
        cm_write_fail(f, 500, "InternalError", "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, req->body ? req->body : "", (int)req->body_len);
    if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
        o = json_tokener_parse_ex(tok, "", 1);    /* a bare number ends at the end */
    else
        used = json_tokener_get_parse_end(tok);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        cm_write_fail(f, 400, "BadRequest", "the body is not JSON: %s",
                      req->body_len == 0 ? "it is empty"
                                         : json_tokener_error_desc(json_tokener_get_error(tok)));
        goto refused;
    }
    for (end = req->body + used; end < req->body + req->body_len; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
            cm_write_fail(f, 400, "BadRequest", "the body has more than one JSON value");
            goto refused;
        }
    }
    json_tokener_free(tok);
    return o;
refused:
    json_object_put(o);
    json_tokener_free(tok);
    return NULL;
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
batch_item(json_object *o, size_t i, struct cm_write_item *it, struct cm_arena *a, struct cm_write_failure *f)
{
    static const char *const known[] = {
        "metric", "resource", "namespace", "name", "value", "labels", "external", NULL };
    json_object *v;
    int bad = 0, external = 0;
    size_t k;

    if (!json_object_is_type(o, json_type_object))
        return cm_write_fail(f, 400, "BadRequest", "item %zu: each item is an object", i);
    json_object_object_foreach(o, key, val) {
        (void)val;
        for (k = 0; known[k] != NULL && strcmp(known[k], key) != 0; k++)
            ;
        if (known[k] == NULL)
            return cm_write_fail(f, 400, "BadRequest", "item %zu: unknown field \"%s\" (known: metric, "
                        "resource, namespace, name, value, labels, external)", i, key);
    }
    memset(it, 0, sizeof(*it));
    it->metric = json_str(o, "metric", a, &bad);
    it->resource = json_str(o, "resource", a, &bad);
    it->ns = json_str(o, "namespace", a, &bad);
    it->name = json_str(o, "name", a, &bad);
    if (bad)
        return cm_write_fail(f, 400, "BadRequest", "item %zu: metric, resource, namespace and name are "
                    "strings without NUL bytes", i);
    if (it->ns == NULL)
        it->ns = "";
    if (json_object_object_get_ex(o, "external", &v)) {
        if (!json_object_is_type(v, json_type_boolean))
            return cm_write_fail(f, 400, "BadRequest", "item %zu: \"external\" is true or false", i);
        external = json_object_get_boolean(v);
    }
    if (external && (it->resource != NULL || it->name != NULL))
        return cm_write_fail(f, 400, "BadRequest", "item %zu: an external series has no resource or name", i);
    if (!external && it->resource == NULL)
        return cm_write_fail(f, 400, "BadRequest", "item %zu: give \"resource\" and \"name\", or "
                    "\"external\": true", i);
    if (json_object_object_get_ex(o, "value", &v) && (it->value = json_quantity(v, a)) == NULL)
        return cm_write_fail(f, 400, "BadRequest", "item %zu: the value is a quantity: a string such as "
                    "\"300m\", or a number", i);
    if (json_object_object_get_ex(o, "labels", &v)) {
        struct cm_label *l;
        size_t n = 0;

        if (!json_object_is_type(v, json_type_object))
            return cm_write_fail(f, 400, "BadRequest", "item %zu: \"labels\" maps names to strings", i);
        if (json_object_object_length(v) > CM_METRIC_LABELS_MAX)
            return cm_write_fail(f, 400, "BadRequest", "item %zu: a value has at most %d labels", i,
                        CM_METRIC_LABELS_MAX);
        l = cm_arena_alloc(a, ((size_t)json_object_object_length(v) + 1) * sizeof(*l));
        json_object_object_foreach(v, lk, lv) {
            if (!json_object_is_type(lv, json_type_string))
                return cm_write_fail(f, 400, "BadRequest", "item %zu: label '%s' is not a string", i, lk);
            if (strlen(json_object_get_string(lv)) != (size_t)json_object_get_string_len(lv))
                return cm_write_fail(f, 400, "BadRequest", "item %zu: label '%s': a label value cannot "
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

int
cm_write_body_batch(const struct cm_request *req, struct cm_arena *a,
                    struct cm_write_item **out, size_t *nout, struct cm_write_failure *f)
{
    json_object *body;
    size_t i;
    int rc = 0;

    if ((body = parse_body(req, f)) == NULL)
        return -1;
    if (!json_object_is_type(body, json_type_array)) {
        rc = cm_write_fail(f, 400, "BadRequest", "a batch is a JSON array of items");
        goto done;
    }
    *nout = json_object_array_length(body);
    if (*nout > CM_WRITE_BATCH_MAX) {
        rc = cm_write_fail(f, 400, "BadRequest", "a batch has at most %d items", CM_WRITE_BATCH_MAX);
        goto done;
    }
    *out = cm_arena_alloc(a, (*nout ? *nout : 1) * sizeof(**out));
    for (i = 0; i < *nout && rc == 0; i++)
        rc = batch_item(json_object_array_get_idx(body, i), i, &(*out)[i], a, f);
done:
    json_object_put(body);
    return rc;
}

int
cm_write_body_value(const struct cm_request *req, struct cm_arena *a, struct cm_write_item *it,
                    struct cm_write_failure *f)
{
    json_object *body;

    if ((body = parse_body(req, f)) == NULL)
        return -1;
    it->value = json_quantity(body, a);
    json_object_put(body);
    if (it->value == NULL)
        return cm_write_fail(f, 400, "BadRequest", "the body is a quantity: a JSON string such "
                             "as \"300m\", or a JSON number");
    return 0;
}
