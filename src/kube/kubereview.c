#include "kubereview.h"
#include "buf.h"
#include "json.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX (1u << 20)

static int
collect(long status, const char *data, size_t len, void *arg)
{
    (void)status;
    cm_buf_add(arg, data, len);
    return cm_buf_failed(arg) ? -1 : 0;
}

/*
 * One call; returns the HTTP status with the parsed answer in *out (NULL
 * when it is not JSON), or -1 with err.
 */
static long
call(struct cm_kubeclient *c, const char *path, const char *body, size_t len, long timeout_ms,
     struct json_object **out, char *err, size_t errlen)
{
    struct cm_buf b;
    struct cm_kube_call k;
    long status;

    memset(&k, 0, sizeof(k));
    cm_buf_init(&b, ANSWER_MAX);
    k.path = path;
    k.accept = "application/json";
    k.timeout_ms = timeout_ms;
    k.on_data = collect;
    k.arg = &b;
    k.body = body;
    k.body_len = len;
    *out = NULL;
    status = cm_kubeclient_get(c, &k, err, errlen);
    if (status >= 0 && b.len > 0)
        *out = json_tokener_parse(b.data);
    cm_buf_free(&b);
    return status;
}

static const char *
str(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

/* "message" of a Status answer, for errors. */
static void
failed(long status, struct json_object *o, const char *what, char *err, size_t errlen)
{
    const char *m = o ? str(o, "message") : NULL;

    snprintf(err, errlen, "%s: HTTP %ld%s%s", what, status, m ? ": " : "", m ? m : "");
}

static const char **
strings(struct json_object *arr, size_t max, size_t *n, struct cm_arena *a)
{
    size_t i, len = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    const char **v;

    if (len > max)
        len = max;
    v = cm_arena_alloc(a, (len + 1) * sizeof(*v));
    *n = 0;
    for (i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(arr, i);
        if (json_object_is_type(e, json_type_string))
            v[(*n)++] = cm_arena_strdup(a, json_object_get_string(e));
    }
    return v;
}

int
cm_kubereview_token(struct cm_kubeclient *c, const char *token, long timeout_ms,
                    struct cm_identity *out, struct cm_arena *a, char *err, size_t errlen)
{
    struct cm_buf body;
    struct cm_json j;
    struct json_object *o = NULL, *st, *user, *v;
    const char *name;
    long status;
    int rc = -1;

    cm_buf_init(&body, 65536);
    cm_json_init(&j, &body, 0);
    cm_json_object_begin(&j);
    cm_json_key(&j, "apiVersion"); cm_json_string(&j, "authentication.k8s.io/v1");
    cm_json_key(&j, "kind");       cm_json_string(&j, "TokenReview");
    cm_json_key(&j, "spec");
    cm_json_object_begin(&j);
    cm_json_key(&j, "token");      cm_json_string(&j, token);
    cm_json_object_end(&j);
    cm_json_object_end(&j);
    if (cm_buf_failed(&body)) {
        snprintf(err, errlen, "the token is too long");
        goto out;
    }
    status = call(c, "/apis/authentication.k8s.io/v1/tokenreviews", body.data, body.len,
                  timeout_ms, &o, err, errlen);
    if (status < 0)
        goto out;
    if (status < 200 || status > 299 || o == NULL) {
        failed(status, o, "TokenReview", err, errlen);
        goto out;
    }
    rc = 0;
    if (!json_object_object_get_ex(o, "status", &st) ||
        !json_object_object_get_ex(st, "authenticated", &v) || !json_object_get_boolean(v) ||
        !json_object_object_get_ex(st, "user", &user) || (name = str(user, "username")) == NULL ||
        *name == '\0')
        goto out;
    memset(out, 0, sizeof(*out));
    out->how = CM_AUTHN_TOKEN;
    out->user = cm_arena_strdup(a, name);
    out->uid = cm_arena_strdup(a, str(user, "uid") ? str(user, "uid") : "");
    out->groups = json_object_object_get_ex(user, "groups", &v)
                      ? strings(v, CM_IDENTITY_MAX_GROUPS, &out->ngroups, a)
                      : cm_arena_alloc(a, sizeof(*out->groups));
    if (json_object_object_get_ex(user, "extra", &v) && json_object_is_type(v, json_type_object)) {
        out->extra = cm_arena_zalloc(a, CM_IDENTITY_MAX_EXTRA * sizeof(*out->extra));
        json_object_object_foreach(v, key, vals) {
            struct cm_identity_extra *e;

            if (out->nextra == CM_IDENTITY_MAX_EXTRA)
                break;
            e = &out->extra[out->nextra++];
            e->key = cm_arena_strdup(a, key);
            e->values = strings(vals, CM_IDENTITY_MAX_VALUES, &e->nvalues, a);
        }
    }
    rc = 1;
out:
    json_object_put(o);
    cm_buf_free(&body);
    return rc;
}

int
cm_kubereview_access(struct cm_kubeclient *c, const char *body, size_t len, long timeout_ms,
                     char *reason, size_t rlen, char *err, size_t errlen)
{
    struct json_object *o = NULL, *st, *v;
    long status;
    int rc = -1;
    const char *r;

    status = call(c, "/apis/authorization.k8s.io/v1/subjectaccessreviews", body, len,
                  timeout_ms, &o, err, errlen);
    if (status < 0)
        goto out;
    if (status < 200 || status > 299 || o == NULL ||
        !json_object_object_get_ex(o, "status", &st)) {
        failed(status, o, "SubjectAccessReview", err, errlen);
        goto out;
    }
    r = str(st, "reason");
    snprintf(reason, rlen, "%s", r ? r : "");
    rc = json_object_object_get_ex(st, "allowed", &v) && json_object_get_boolean(v) &&
         !(json_object_object_get_ex(st, "denied", &v) && json_object_get_boolean(v));
out:
    json_object_put(o);
    return rc;
}

int
cm_kubereview_auth_configmap(struct cm_kubeclient *c, long timeout_ms, char **out,
                             char *err, size_t errlen)
{
    struct json_object *o = NULL, *data;
    long status;
    int rc = -1;

    *out = NULL;
    status = call(c, CM_KUBE_AUTH_CONFIGMAP, NULL, 0, timeout_ms, &o, err, errlen);
    if (status < 0)
        goto out;
    if (status == 404) {
        rc = 0;
        goto out;
    }
    if (status != 200 || o == NULL || !json_object_object_get_ex(o, "data", &data) ||
        !json_object_is_type(data, json_type_object)) {
        failed(status, o, "reading kube-system/extension-apiserver-authentication", err, errlen);
        goto out;
    }
    *out = strdup(json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN));
    rc = *out ? 1 : -1;
out:
    json_object_put(o);
    return rc;
}
