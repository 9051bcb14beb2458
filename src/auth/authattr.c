#include "authattr.h"
#include "json.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The decoded path: "/" + the segments joined with "/" (+ "/" if it ended so). */
struct path {
    const char *const *seg;
    size_t nseg;
    int trailing_slash;
};

static const char *
decoded_path(const struct path *u, struct cm_arena *a)
{
    size_t i, len = 2;
    char *p, *o;

    for (i = 0; i < u->nseg; i++)
        len += strlen(u->seg[i]) + 1;
    o = p = cm_arena_alloc(a, len);
    for (i = 0; i < u->nseg; i++) {
        size_t n = strlen(u->seg[i]);
        *o++ = '/';
        memcpy(o, u->seg[i], n);
        o += n;
    }
    if (u->nseg == 0 || u->trailing_slash)
        *o++ = '/';
    *o = '\0';
    return p;
}

void
cm_authattr_from_path(struct cm_authattr *out, const char *method,
                      const char *const *seg, size_t nseg, int trailing_slash,
                      struct cm_arena *a)
{
    struct path path = { seg, nseg, trailing_slash }, *u = &path;
    const char *const *s = seg + 3;
    size_t n = nseg >= 3 ? nseg - 3 : 0, i;
    char *verb;

    out->group = out->version = out->resource = out->subresource = out->name = out->ns = "";
    out->path = decoded_path(u, a);
    if (u->nseg < 4 || strcmp(u->seg[0], "apis") != 0) {
        out->resource_request = 0;
        verb = cm_arena_strdup(a, method);
        for (i = 0; verb[i]; i++)
            verb[i] = (char)tolower((unsigned char)verb[i]);
        out->verb = verb;
        return;
    }
    out->resource_request = 1;
    out->group = u->seg[1];
    out->version = u->seg[2];
    if (strcmp(s[0], "namespaces") == 0 && n >= 2) {
        out->ns = s[1];
        if (n > 2) {
            s += 2;
            n -= 2;
        } else {
            out->resource = "namespaces";
            out->name = s[1];
            n = 0;
        }
    }
    if (n >= 1)
        out->resource = s[0];
    if (n >= 2)
        out->name = s[1];
    if (n >= 3)
        out->subresource = s[2];
    if (strcmp(method, "POST") == 0)
        out->verb = "create";
    else
        out->verb = *out->name ? "get" : "list";
}

static void
member(struct cm_json *j, const char *key, const char *v)
{
    if (v != NULL && *v) {
        cm_json_key(j, key);
        cm_json_string(j, v);
    }
}

void
cm_authattr_sar_json(struct cm_buf *out, const struct cm_authattr *attrs,
                     const struct cm_identity *id)
{
    struct cm_json j;
    size_t i, k;

    cm_json_init(&j, out, 0);
    cm_json_object_begin(&j);
    cm_json_key(&j, "apiVersion");
    cm_json_string(&j, "authorization.k8s.io/v1");
    cm_json_key(&j, "kind");
    cm_json_string(&j, "SubjectAccessReview");
    cm_json_key(&j, "spec");
    cm_json_object_begin(&j);
    if (attrs->resource_request) {
        cm_json_key(&j, "resourceAttributes");
        cm_json_object_begin(&j);
        member(&j, "namespace", attrs->ns);
        member(&j, "verb", attrs->verb);
        member(&j, "group", attrs->group);
        member(&j, "version", attrs->version);
        member(&j, "resource", attrs->resource);
        member(&j, "subresource", attrs->subresource);
        member(&j, "name", attrs->name);
        cm_json_object_end(&j);
    } else {
        cm_json_key(&j, "nonResourceAttributes");
        cm_json_object_begin(&j);
        member(&j, "path", attrs->path);
        member(&j, "verb", attrs->verb);
        cm_json_object_end(&j);
    }
    member(&j, "user", id->user);
    if (id->ngroups > 0) {
        cm_json_key(&j, "groups");
        cm_json_array_begin(&j);
        for (i = 0; i < id->ngroups; i++)
            cm_json_string(&j, id->groups[i]);
        cm_json_array_end(&j);
    }
    if (id->nextra > 0) {
        cm_json_key(&j, "extra");
        cm_json_object_begin(&j);
        for (i = 0; i < id->nextra; i++) {
            cm_json_key(&j, id->extra[i].key);
            cm_json_array_begin(&j);
            for (k = 0; k < id->extra[i].nvalues; k++)
                cm_json_string(&j, id->extra[i].values[k]);
            cm_json_array_end(&j);
        }
        cm_json_object_end(&j);
    }
    member(&j, "uid", id->uid);
    cm_json_object_end(&j);
    cm_json_object_end(&j);
}

static int
put(char *out, size_t cap, size_t *o, const char *s)
{
    size_t n = strlen(s);

    if (*o + n + 1 > cap)
        return -1;
    memcpy(out + *o, s, n + 1);
    *o += n + 1;
    return 0;
}

size_t
cm_authattr_key(const struct cm_authattr *attrs, const struct cm_identity *id,
                char *out, size_t cap)
{
    size_t o = 0, n;

    if (put(out, cap, &o, "sar") < 0 || put(out, cap, &o, attrs->resource_request ? "r" : "n") < 0 ||
        put(out, cap, &o, attrs->verb) < 0 || put(out, cap, &o, attrs->group) < 0 ||
        put(out, cap, &o, attrs->version) < 0 || put(out, cap, &o, attrs->resource) < 0 ||
        put(out, cap, &o, attrs->subresource) < 0 || put(out, cap, &o, attrs->name) < 0 ||
        put(out, cap, &o, attrs->ns) < 0 ||
        put(out, cap, &o, attrs->resource_request ? "" : attrs->path) < 0)
        return 0;
    n = cm_identity_encode(id, out + o, cap - o);
    return n == 0 ? 0 : o + n;
}

void
cm_authattr_quote(struct cm_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    cm_buf_addc(out, '"');
    for (; *p; p++) {
        switch (*p) {
        case '"': cm_buf_adds(out, "\\\""); break;
        case '\\': cm_buf_adds(out, "\\\\"); break;
        case '\n': cm_buf_adds(out, "\\n"); break;
        case '\t': cm_buf_adds(out, "\\t"); break;
        case '\r': cm_buf_adds(out, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                cm_buf_addf(out, "\\x%02x", *p);
            else
                cm_buf_addc(out, (char)*p);
        }
    }
    cm_buf_addc(out, '"');
}

/* Appends s with &, <, > replaced as Go's sanitizer (responsewriters) does. */
static void
sanitized(struct cm_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            cm_buf_adds(out, "&amp;");
        else if (*s == '<')
            cm_buf_adds(out, "&lt;");
        else if (*s == '>')
            cm_buf_adds(out, "&gt;");
        else
            cm_buf_addc(out, *s);
    }
}

void
cm_authattr_forbidden_message(struct cm_buf *out, const struct cm_authattr *attrs,
                              const char *user, const char *reason)
{
    struct cm_buf m;

    cm_buf_init(&m, 65536);
    cm_buf_adds(&m, "User ");
    cm_authattr_quote(&m, user);
    cm_buf_adds(&m, " cannot ");
    cm_buf_adds(&m, attrs->verb);
    if (!attrs->resource_request) {
        cm_buf_adds(&m, " path ");
        cm_authattr_quote(&m, attrs->path);
    } else {
        struct cm_buf r;

        cm_buf_init(&r, 4096);
        cm_buf_adds(&r, attrs->resource);
        if (*attrs->subresource) {
            cm_buf_addc(&r, '/');
            cm_buf_adds(&r, attrs->subresource);
        }
        cm_buf_adds(&m, " resource ");
        cm_authattr_quote(&m, cm_buf_failed(&r) || r.len == 0 ? "" : r.data);
        cm_buf_free(&r);
        cm_buf_adds(&m, " in API group ");
        cm_authattr_quote(&m, attrs->group);
        if (*attrs->ns) {
            cm_buf_adds(&m, " in the namespace ");
            cm_authattr_quote(&m, attrs->ns);
        } else {
            cm_buf_adds(&m, " at the cluster scope");
        }
    }
    if (!cm_buf_failed(&m) && m.len > 0)
        sanitized(out, m.data);
    cm_buf_free(&m);
    if (reason != NULL && *reason) {
        cm_buf_adds(out, ": ");
        cm_buf_adds(out, reason);
    }
}
