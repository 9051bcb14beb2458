#include "frontproxy.h"

#include <json-c/json.h>

#include <stdio.h>
#include <string.h>

int
cm_frontproxy_split(const char *value, const char **list, size_t cap, struct cm_arena *a)
{
    size_t n = 0;

    while (*value) {
        size_t len = strcspn(value, ",");

        if (len > 0) {
            if (n == cap)
                return -1;
            list[n++] = cm_arena_strndup(a, value, len);
        }
        value += len;
        if (*value == ',')
            value++;
    }
    return (int)n;
}

/* data[key], a string holding a JSON array of strings, into list. */
static int
array(struct json_object *data, const char *key, const char **list, size_t cap, size_t *n,
      struct cm_arena *a, char *err, size_t errlen)
{
    struct json_object *v, *arr;
    size_t i, len;

    *n = 0;
    if (!json_object_object_get_ex(data, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_string) ||
        (arr = json_tokener_parse(json_object_get_string(v))) == NULL) {
        snprintf(err, errlen, "%s is not a JSON array in a string", key);
        return -1;
    }
    if (!json_object_is_type(arr, json_type_array)) {
        json_object_put(arr);
        snprintf(err, errlen, "%s is not a JSON array in a string", key);
        return -1;
    }
    len = json_object_array_length(arr);
    for (i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(arr, i);

        if (!json_object_is_type(e, json_type_string)) {
            json_object_put(arr);
            snprintf(err, errlen, "%s[%zu] is not a string", key, i);
            return -1;
        }
        if (*n == cap) {
            json_object_put(arr);
            snprintf(err, errlen, "%s has more than %zu names", key, cap);
            return -1;
        }
        list[(*n)++] = cm_arena_strdup(a, json_object_get_string(e));
    }
    json_object_put(arr);
    return 0;
}

int
cm_frontproxy_parse(const char *data_json, struct cm_frontproxy *fp, const char **ca_pem,
                    struct cm_arena *a, char *err, size_t errlen)
{
    struct json_object *data = json_tokener_parse(data_json), *v;
    struct cm_identity_headers *h = &fp->headers;
    int rc = -1;

    memset(fp, 0, sizeof(*fp));
    *ca_pem = "";
    if (data == NULL || !json_object_is_type(data, json_type_object)) {
        snprintf(err, errlen, "the ConfigMap's data is not a JSON object");
        goto out;
    }
    if (json_object_object_get_ex(data, "requestheader-client-ca-file", &v) &&
        json_object_is_type(v, json_type_string)) {
        *ca_pem = cm_arena_strdup(a, json_object_get_string(v));
        fp->have_ca = **ca_pem != '\0';
    }
    if (array(data, "requestheader-allowed-names", fp->allowed_names, CM_AUTH_MAX_NAMES,
              &fp->nallowed, a, err, errlen) < 0 ||
        array(data, "requestheader-username-headers", h->user, CM_IDENTITY_MAX_HEADERS,
              &h->nuser, a, err, errlen) < 0 ||
        array(data, "requestheader-group-headers", h->group, CM_IDENTITY_MAX_HEADERS,
              &h->ngroup, a, err, errlen) < 0 ||
        array(data, "requestheader-extra-headers-prefix", h->extra_prefix,
              CM_IDENTITY_MAX_HEADERS, &h->nextra_prefix, a, err, errlen) < 0 ||
        array(data, "requestheader-uid-headers", h->uid, CM_IDENTITY_MAX_HEADERS, &h->nuid, a,
              err, errlen) < 0)
        goto out;
    rc = 0;
out:
    json_object_put(data);
    return rc;
}
