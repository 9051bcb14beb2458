#include "writeitem.h"
#include "config.h"
#include "objects.h"
#include "source.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
cm_write_fail(struct cm_write_failure *f, int code, const char *reason, const char *fmt, ...)
{
    va_list ap;

    f->code = code;
    f->reason = reason;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
    return -1;
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
known_object(const struct cm_api *api, const struct cm_resource *r, const struct cm_write_item *it,
             struct cm_write_failure *f)
{
    struct cm_object found;
    size_t len;

    if (api->objects == NULL)
        return 0;
    if (api->cache != NULL && cm_objects_image(api->objects, r, &len) == NULL)
        return cm_write_fail(f, 503, "ServiceUnavailable", "cannot take values for %s: the objects have "
                    "not been listed yet", r->group_resource);
    if (!cm_objects_get(api->objects, r, it->ns, it->name, &found))
        return cm_write_fail(f, 404, "NotFound", "the server does not know %s %s%s%s: values are kept "
                    "only for objects it serves", r->group_resource, *it->ns ? it->ns : "",
                    *it->ns ? "/" : "", it->name);
    return 0;
}

/*
 * Checks an item against metrics.yaml and the Kubernetes naming rules, and
 * fills its record key and value.
 */
int
cm_write_item_resolve(const struct cm_api *api, struct cm_write_item *it, time_t now,
                      struct cm_arena *a, struct cm_write_failure *f)
{
    const struct cm_config *cfg = api->config;
    const char *qerr;
    char err[256];

    if (it->metric == NULL || *it->metric == '\0')
        return cm_write_fail(f, 400, "BadRequest", "a write names its metric");
    if (*it->ns != '\0' && !valid_namespace(it->ns))
        return cm_write_fail(f, 400, "BadRequest", "bad namespace '%s': a namespace is a lower-case "
                    "RFC 1123 label", it->ns);
    if (it->resource == NULL) {
        const struct cm_metric *m = external_push(cfg, it->metric);
        size_t pos = 0;

        if (m == NULL)
            return cm_write_fail(f, 404, "NotFound", cm_config_next_external(cfg, it->metric, &pos)
                        ? "external metric %s does not take writes: no entry for it has a push source"
                        : "external metric %s is not declared in the configuration",
                        it->metric);
        it->key.resource = "";
        it->key.name = labels_text(&it->labels, a);
    } else {
        const struct cm_metric *m = cm_config_find(cfg, it->metric);
        const struct cm_resource *r = cm_resource_lookup(it->resource);

        if (r == NULL)
            return cm_write_fail(f, 404, "NotFound", "the server does not know resource '%s'", it->resource);
        if (m == NULL)
            return cm_write_fail(f, 404, "NotFound", "metric %s is not declared in the configuration",
                        it->metric);
        if (!cm_metric_describes(m, r))
            return cm_write_fail(f, 404, "NotFound", "metric %s is not declared for %s", it->metric,
                        r->group_resource);
        if (!cm_metric_takes_writes(m))
            return cm_write_fail(f, 400, "BadRequest", "metric %s takes its values from its %s source, "
                        "not from writes", it->metric, cm_source_kind_name(m->source.kind));
        if (r->namespaced && *it->ns == '\0')
            return cm_write_fail(f, 400, "BadRequest", "%s are namespaced: give the namespace",
                        r->group_resource);
        if (!r->namespaced && *it->ns != '\0')
            return cm_write_fail(f, 400, "BadRequest", "%s are not namespaced: give no namespace",
                        r->group_resource);
        if (it->name == NULL || *it->name == '\0' || strlen(it->name) > 253 ||
            strcmp(it->name, ".") == 0 || strcmp(it->name, "..") == 0 || strchr(it->name, '/'))
            return cm_write_fail(f, 400, "BadRequest", "bad name '%s' for an object of %s",
                        it->name ? it->name : "", r->group_resource);
        if (known_object(api, r, it, f) < 0)
            return -1;
        it->key.resource = r->group_resource;
        it->key.name = it->name;
    }
    if (it->value == NULL)
        return cm_write_fail(f, 400, "BadRequest", "a write needs a value: a quantity such as \"300m\"");
    if (cm_quantity_parse(it->value, strlen(it->value), &it->q, &qerr) < 0)
        return cm_write_fail(f, 400, "BadRequest", "bad quantity '%s': %s", it->value, qerr);
    if (cm_quantity_check_range(&it->q, &qerr) < 0)
        return cm_write_fail(f, 400, "BadRequest", "bad quantity '%s': %s (every source's values are "
                    "below 9223372036854775.808 in magnitude)", it->value, qerr);
    it->key.metric = it->metric;
    it->key.ns = it->ns;
    it->val.text = it->q.text;
    it->val.timestamp = (int64_t)now;
    it->val.labels = it->labels;
    if (cm_sources_write_fits(api->sources, &it->key, &it->val, err, sizeof(err)) < 0)
        return cm_write_fail(f, 400, "BadRequest", "cannot store this value: %s", err);
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

