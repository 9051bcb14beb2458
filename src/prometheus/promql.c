#include "promql.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = { "Series", "LabelMatchers", "GroupBy" };

/* At s (just past "<<"): the placeholder's index, and *end past its ">>"; -1 if none. */
static int
placeholder(const char *s, const char **end)
{
    size_t i, n;

    while (*s == ' ')
        s++;
    if (*s != '.')
        return -1;
    s++;
    for (i = 0; i < 3; i++) {
        n = strlen(names[i]);
        if (strncmp(s, names[i], n) == 0) {
            const char *p = s + n;
            while (*p == ' ')
                p++;
            if (p[0] == '>' && p[1] == '>') {
                *end = p + 2;
                return (int)i;
            }
        }
    }
    return -1;
}

int
cm_promql_check(const char *tmpl, size_t *at)
{
    const char *p = tmpl, *end;

    while ((p = strstr(p, "<<")) != NULL) {
        if (placeholder(p + 2, &end) < 0) {
            *at = (size_t)(p - tmpl);
            return -1;
        }
        p = end;
    }
    return 0;
}

void
cm_promql_render(const char *tmpl, const struct cm_promql_vars *v, struct cm_buf *out)
{
    const char *p = tmpl, *lt, *end;
    const char *values[3] = { v->series, v->label_matchers, v->group_by };
    int k;

    while ((lt = strstr(p, "<<")) != NULL) {
        cm_buf_add(out, p, (size_t)(lt - p));
        k = placeholder(lt + 2, &end);
        if (k < 0) {                   /* not checked: copied as it is */
            cm_buf_add(out, "<<", 2);
            p = lt + 2;
            continue;
        }
        cm_buf_adds(out, values[k] ? values[k] : "");
        p = end;
    }
    cm_buf_adds(out, p);
}

/* A PromQL double-quoted string's contents. */
static void
add_quoted(struct cm_buf *out, const char *s, int regex)
{
    for (; *s; s++) {
        /* RE2 metacharacters are escaped with a backslash, itself escaped in the string */
        if (regex && strchr("\\.+*?()|[]{}^$", *s) != NULL)
            cm_buf_add(out, "\\\\", 2);
        if (*s == '"' || *s == '\\')
            cm_buf_addc(out, '\\');
        if (*s == '\n')
            cm_buf_add(out, "\\n", 2);
        else
            cm_buf_addc(out, *s);
    }
}

static void
add_matcher(struct cm_buf *out, const char *label, const char *op)
{
    if (out->len > 0)
        cm_buf_addc(out, ',');
    cm_buf_adds(out, label);
    cm_buf_adds(out, op);
    cm_buf_addc(out, '"');
}

void
cm_promql_match_eq(struct cm_buf *out, const char *label, const char *value)
{
    add_matcher(out, label, "=");
    add_quoted(out, value, 0);
    cm_buf_addc(out, '"');
}

/* label OP "v1|v2" with each value regex-quoted. */
static void
match_regex(struct cm_buf *out, const char *label, const char *op, const char *const *values,
            size_t n)
{
    size_t i;

    add_matcher(out, label, op);
    for (i = 0; i < n; i++) {
        if (i > 0)
            cm_buf_addc(out, '|');
        add_quoted(out, values[i], 1);
    }
    cm_buf_addc(out, '"');
}

void
cm_promql_match_any(struct cm_buf *out, const char *label, const char *const *values, size_t n)
{
    if (n == 1)
        cm_promql_match_eq(out, label, values[0]);
    else
        match_regex(out, label, "=~", values, n);
}

void
cm_promql_match_selector(struct cm_buf *out, const struct cm_selector *sel)
{
    size_t i;

    for (i = 0; i < sel->n; i++) {
        const struct cm_requirement *r = &sel->req[i];

        switch (r->op) {
        case CM_SEL_EQ:
        case CM_SEL_DEQ:
            cm_promql_match_eq(out, r->key, r->values[0]);
            break;
        case CM_SEL_NEQ:
            add_matcher(out, r->key, "!=");
            add_quoted(out, r->values[0], 0);
            cm_buf_addc(out, '"');
            break;
        case CM_SEL_IN:
            match_regex(out, r->key, "=~", (const char *const *)r->values, r->nvalues);
            break;
        case CM_SEL_NOTIN:
            match_regex(out, r->key, "!~", (const char *const *)r->values, r->nvalues);
            break;
        case CM_SEL_EXISTS:
            add_matcher(out, r->key, "!=");
            cm_buf_addc(out, '"');
            break;
        case CM_SEL_NOT_EXISTS:
            add_matcher(out, r->key, "=");
            cm_buf_addc(out, '"');
            break;
        default:
            break;                     /* gt, lt: no PromQL matcher; filtered afterwards */
        }
    }
}

static int
by_key(const void *a, const void *b)
{
    return strcmp(((const struct cm_label *)a)->key, ((const struct cm_label *)b)->key);
}

/*
 * obj's member key when it is a string, else NULL (absent, null, or another
 * type: json-c gives a JSON null as a NULL object, which the getters do not
 * take).  obj may be NULL.
 */
static const char *
string_at(json_object *obj, const char *key)
{
    json_object *v;

    if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* [timestamp, "value"] */
static int
parse_point(json_object *p, struct cm_prom_sample *s)
{
    json_object *t, *v;
    const char *text;
    char *end;

    if (!json_object_is_type(p, json_type_array) || json_object_array_length(p) != 2)
        return -1;
    t = json_object_array_get_idx(p, 0);
    v = json_object_array_get_idx(p, 1);
    if (!(json_object_is_type(t, json_type_double) || json_object_is_type(t, json_type_int)) ||
        !json_object_is_type(v, json_type_string))
        return -1;
    s->timestamp = json_object_get_double(t);
    text = json_object_get_string(v);
    /* Prometheus writes NaN, +Inf and -Inf as such; strtod reads them */
    s->value = strtod(text, &end);
    return *text != '\0' && *end == '\0' ? 0 : -1;
}

static int
parse_labels(json_object *m, struct cm_arena *a, struct cm_labels *out)
{
    struct cm_label *v;
    size_t n = 0;

    if (!json_object_is_type(m, json_type_object))
        return -1;
    v = cm_arena_alloc(a, ((size_t)json_object_object_length(m) + 1) * sizeof(*v));
    json_object_object_foreach(m, key, val) {
        if (!json_object_is_type(val, json_type_string))
            return -1;
        if (strcmp(key, "__name__") == 0)
            continue;
        v[n].key = cm_arena_strdup(a, key);
        v[n].value = cm_arena_strdup(a, json_object_get_string(val));
        n++;
    }
    qsort(v, n, sizeof(*v), by_key);
    out->n = n;
    out->v = v;
    return 0;
}

int
cm_prom_parse(const char *body, size_t len, struct cm_arena *a, struct cm_prom_result *out,
              char *err, size_t errlen)
{
    json_tokener *tok = json_tokener_new();
    json_object *root = NULL, *data, *result;
    const char *status, *t;
    size_t i, n;
    int rc = -1;

    out->n = 0;
    out->v = NULL;
    if (tok == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    root = json_tokener_parse_ex(tok, body, (int)len);
    if ((status = string_at(root, "status")) == NULL) {
        snprintf(err, errlen, "the answer is not a Prometheus API response");
        goto out;
    }
    if (strcmp(status, "success") != 0) {
        const char *et = string_at(root, "errorType"), *e = string_at(root, "error");

        snprintf(err, errlen, "%s: %s", et ? et : "error", e ? e : "(no message)");
        goto out;
    }
    if (!json_object_object_get_ex(root, "data", &data) ||
        (t = string_at(data, "resultType")) == NULL ||
        !json_object_object_get_ex(data, "result", &result) || result == NULL) {
        snprintf(err, errlen, "the answer has no data.result");
        goto out;
    }
    if (strcmp(t, "scalar") == 0) {
        out->v = cm_arena_zalloc(a, sizeof(*out->v));
        if (parse_point(result, &out->v[0]) < 0) {
            snprintf(err, errlen, "a malformed scalar result");
            goto out;
        }
        out->n = 1;
        rc = 0;
        goto out;
    }
    if (strcmp(t, "vector") != 0 || !json_object_is_type(result, json_type_array)) {
        snprintf(err, errlen, "the query returns a %s; it must return an instant vector "
                 "(a range vector needs a function such as rate() around it)", t);
        goto out;
    }
    n = json_object_array_length(result);
    out->v = cm_arena_zalloc(a, (n ? n : 1) * sizeof(*out->v));
    for (i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(result, i), *m, *v;

        if (!json_object_object_get_ex(s, "metric", &m) || !json_object_object_get_ex(s, "value", &v) ||
            parse_labels(m, a, &out->v[i].labels) < 0 || parse_point(v, &out->v[i]) < 0) {
            snprintf(err, errlen, "result %zu is malformed", i);
            goto out;
        }
    }
    out->n = n;
    rc = 0;
out:
    if (rc < 0)
        out->n = 0;
    json_object_put(root);
    json_tokener_free(tok);
    return rc;
}
