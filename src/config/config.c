#include "config.h"
#include "alloc.h"
#include "configdir.h"
#include "duration.h"
#include "promql.h"
#include "validate.h"
#include "yamldoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loader {
    yaml_document_t *doc;
    const char *path;
    struct cm_diag *diag;
    struct cm_config *cfg;
    cm_resource_resolver resolve;      /* NULL: only the built-in table */
    void *resolve_arg;
};

#define ERR(ld, node, ...) \
    cm_diag_add((ld)->diag, (ld)->path, CM_YAML_LINE(node), CM_YAML_COL(node), __VA_ARGS__)

static yaml_node_t *
node_at(struct loader *ld, int idx)
{
    return yaml_document_get_node(ld->doc, idx);
}

/*
 * Checks a mapping's keys against known[] (NULL-terminated): reports unknown
 * and repeated keys.  Returns the number of problems.
 */
static int
check_keys(struct loader *ld, yaml_node_t *map, const char *const *known,
           const char *what)
{
    yaml_node_pair_t *pair, *other;
    int problems = 0;

    for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *kn = node_at(ld, pair->key);
        const char *key = cm_yaml_scalar(kn);
        size_t i;
        int ok = 0;

        if (key == NULL) {
            ERR(ld, kn, "%s keys must be plain names", what);
            problems++;
            continue;
        }
        for (i = 0; known[i] != NULL; i++)
            ok |= strcmp(known[i], key) == 0;
        if (!ok) {
            struct cm_buf list;
            cm_buf_init(&list, 1024);
            for (i = 0; known[i] != NULL; i++)
                cm_buf_addf(&list, "%s%s", i ? ", " : "", known[i]);
            ERR(ld, kn, "unknown key '%s' in %s (known keys: %s)", key, what, list.data);
            cm_buf_free(&list);
            problems++;
        }
        for (other = map->data.mapping.pairs.start; other < pair; other++) {
            const char *k2 = cm_yaml_scalar(node_at(ld, other->key));
            if (k2 != NULL && strcmp(k2, key) == 0) {
                ERR(ld, kn, "duplicate key '%s' in %s", key, what);
                problems++;
                break;
            }
        }
    }
    return problems;
}

static int
valid_metric_name(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > CM_METRIC_NAME_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':'))
            return 0;
    }
    return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static void
known_resources(struct cm_buf *out)
{
    const struct cm_resource *r;
    size_t i;

    for (i = 0; (r = cm_resource_at(i)) != NULL; i++)
        cm_buf_addf(out, "%s%s", i ? ", " : "", r->group_resource);
}

static int
load_resources(struct loader *ld, struct cm_metric *m, yaml_node_t *node)
{
    yaml_node_item_t *it;
    size_t n, k;
    int problems = 0;

    if (node->type != YAML_SEQUENCE_NODE) {
        ERR(ld, node, "'resources' must be a list of resource names, such as [pods]");
        return 1;
    }
    n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n == 0) {
        ERR(ld, node, "'resources' must name at least one resource");
        return 1;
    }
    m->resources = cm_arena_alloc(&ld->cfg->arena, n * sizeof(*m->resources));
    m->nresources = 0;
    for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
        yaml_node_t *rn = node_at(ld, *it);
        const char *name = cm_yaml_scalar(rn);
        const struct cm_resource *r;

        if (name == NULL) {
            ERR(ld, rn, "a resource must be a name, such as pods or deployments.apps");
            problems++;
            continue;
        }
        r = cm_resource_lookup(name);
        if (r == NULL && ld->resolve != NULL) {
            char why[512];

            r = ld->resolve(name, ld->resolve_arg, why, sizeof(why));
            if (r == NULL) {
                ERR(ld, rn, "%s", why);
                problems++;
                continue;
            }
        }
        if (r == NULL) {
            struct cm_buf list;
            cm_buf_init(&list, 4096);
            known_resources(&list);
            ERR(ld, rn, "unknown resource '%s' (known: %s)", name, list.data);
            cm_buf_free(&list);
            problems++;
            continue;
        }
        for (k = 0; k < m->nresources; k++) {
            if (m->resources[k] == r) {
                ERR(ld, rn, "resource '%s' is listed twice", r->group_resource);
                problems++;
                break;
            }
        }
        if (k == m->nresources)
            m->resources[m->nresources++] = r;
    }
    return problems;
}

/*
 * labels: {key: value, ...}, with the key and value rules of Kubernetes
 * labels, so that metricLabelSelector and labelSelector can match them.
 */
static int
load_labels(struct loader *ld, struct cm_metric *m, yaml_node_t *node)
{
    yaml_node_pair_t *p;
    struct cm_label *v;
    size_t n;
    long dup;
    int problems = 0;

    if (node->type == YAML_SCALAR_NODE && strcmp(cm_yaml_scalar(node), "null") == 0 &&
        !cm_yaml_quoted(node))
        return 0;
    if (node->type != YAML_MAPPING_NODE) {
        ERR(ld, node, "'labels' must be a mapping of label names to values, such as {verb: GET}");
        return 1;
    }
    n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    if (n > CM_METRIC_LABELS_MAX) {
        ERR(ld, node, "a metric has at most %d labels", CM_METRIC_LABELS_MAX);
        return 1;
    }
    v = cm_arena_alloc(&ld->cfg->arena, (n ? n : 1) * sizeof(*v));
    n = 0;
    for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node_at(ld, p->key), *vn = node_at(ld, p->value);
        const char *key = cm_yaml_scalar(kn), *value = cm_yaml_scalar(vn);
        struct cm_buf why;

        if (key == NULL || value == NULL) {
            ERR(ld, key == NULL ? kn : vn, "a label maps a name to a string");
            problems++;
            continue;
        }
        cm_buf_init(&why, 4096);
        if (cm_validate_qualified_name(key, strlen(key), &why)) {
            ERR(ld, kn, "bad label name '%s': %s", key, why.data);
            problems++;
        } else if (cm_validate_label_value(value, strlen(value), &why)) {
            ERR(ld, vn, "bad value '%s' for label '%s': %s", value, key, why.data);
            problems++;
        } else {
            v[n].key = cm_arena_strdup(&ld->cfg->arena, key);
            v[n].value = cm_arena_strdup(&ld->cfg->arena, value);
            n++;
        }
        cm_buf_free(&why);
    }
    dup = cm_labels_sort(v, n);
    if (dup >= 0) {
        ERR(ld, node, "label '%s' is given twice", v[dup].key);
        problems++;
    }
    m->labels.n = n;
    m->labels.v = v;
    return problems;
}

/* An optional duration under key in map, in seconds into *out; returns the problems. */
static int
duration_option(struct loader *ld, yaml_node_t *map, const char *key, int64_t *out)
{
    yaml_node_t *n = cm_yaml_get(ld->doc, map, key);
    const char *text, *err = NULL;

    if (n == NULL)
        return 0;
    text = cm_yaml_scalar(n);
    if (text == NULL || cm_duration_parse(text, strlen(text), out, &err) < 0) {
        ERR(ld, n, "bad duration '%s': %s", text ? text : "",
            err ? err : "a duration is a scalar such as 1m");
        return 1;
    }
    return 0;
}

/* A scalar that must be a label name (file source options). */
static const char *
label_name_option(struct loader *ld, yaml_node_t *map, const char *key, int *problems)
{
    yaml_node_t *n = cm_yaml_get(ld->doc, map, key);
    const char *v;
    struct cm_buf why;

    if (n == NULL)
        return NULL;
    v = cm_yaml_scalar(n);
    cm_buf_init(&why, 4096);
    if (v == NULL || cm_validate_qualified_name(v, strlen(v), &why)) {
        ERR(ld, n, "'%s' must be a label name%s%s", key, why.len ? ": " : "",
            why.len ? why.data : "");
        (*problems)++;
        v = NULL;
    }
    cm_buf_free(&why);
    return v ? cm_arena_strdup(&ld->cfg->arena, v) : NULL;
}

/*
 * series, namespace_label and object_label: how file and prometheus sources
 * name the series they read and the object each sample describes.  Returns
 * the problems.
 */
static int
load_naming(struct loader *ld, yaml_node_t *node, const char **series,
            const char **namespace_label, const char **object_label)
{
    yaml_node_t *sn = cm_yaml_get(ld->doc, node, "series");
    int problems = 0;

    if (sn != NULL) {
        const char *v = cm_yaml_scalar(sn);
        if (v == NULL || *v == '\0') {
            ERR(ld, sn, "'series' must be a Prometheus metric name");
            problems++;
        } else {
            *series = cm_arena_strdup(&ld->cfg->arena, v);
        }
    }
    *namespace_label = label_name_option(ld, node, "namespace_label", &problems);
    if (*namespace_label == NULL)
        *namespace_label = "namespace";
    *object_label = label_name_option(ld, node, "object_label", &problems);
    return problems;
}

static int
load_file_source(struct loader *ld, struct cm_metric *m, yaml_node_t *node)
{
    static const char *const keys[] = {
        "path", "series", "namespace_label", "object_label", "max_age", NULL };
    struct cm_file_source *f = &m->source.file;
    yaml_node_t *path;
    int problems;

    if (node->type != YAML_MAPPING_NODE) {
        ERR(ld, node, "'file' must be a mapping such as {path: /metrics/value}");
        return 1;
    }
    problems = check_keys(ld, node, keys, "a file source");
    path = cm_yaml_get(ld->doc, node, "path");
    if (path == NULL || cm_yaml_scalar(path) == NULL || *cm_yaml_scalar(path) == '\0') {
        ERR(ld, path ? path : node, "a file source needs 'path', the file to read");
        problems++;
    } else {
        f->path = cm_arena_strdup(&ld->cfg->arena, cm_yaml_scalar(path));
    }
    problems += load_naming(ld, node, &f->series, &f->namespace_label, &f->object_label);
    problems += duration_option(ld, node, "max_age", &f->max_age);
    f->slot = ld->cfg->nfiles++;
    return problems;
}

static int
load_push_source(struct loader *ld, struct cm_metric *m, yaml_node_t *node)
{
    static const char *const keys[] = { "max_age", NULL };
    int problems;

    m->source.push.max_age = CM_PUSH_DEFAULT_MAX_AGE;
    ld->cfg->npush++;
    if (node->type == YAML_SCALAR_NODE && strcmp(cm_yaml_scalar(node), "null") == 0 &&
        !cm_yaml_quoted(node))
        return 0;                      /* "push:" with nothing under it */
    if (node->type != YAML_MAPPING_NODE) {
        ERR(ld, node, "'push' must be a mapping such as {max_age: 5m}");
        return 1;
    }
    problems = check_keys(ld, node, keys, "a push source");
    problems += duration_option(ld, node, "max_age", &m->source.push.max_age);
    if (problems == 0 && m->source.push.max_age <= 0) {
        ERR(ld, cm_yaml_get(ld->doc, node, "max_age"),
            "a push source's max_age must be longer than 0s");
        problems++;
    }
    return problems;
}


static int
load_prom_source(struct loader *ld, struct cm_metric *m, yaml_node_t *node)
{
    static const char *const keys[] = {
        "query", "series", "namespace_label", "object_label", "max_age", NULL };
    struct cm_prom_source *p = &m->source.prom;
    yaml_node_t *q;
    size_t at;
    int problems;

    if (node->type != YAML_MAPPING_NODE) {
        ERR(ld, node, "'prometheus' must be a mapping such as {query: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'}");
        return 1;
    }
    problems = check_keys(ld, node, keys, "a prometheus source");
    if (ld->cfg->prometheus == NULL) {
        ERR(ld, node, "a prometheus source needs the top-level 'prometheus:' block with its url");
        problems++;
    }
    q = cm_yaml_get(ld->doc, node, "query");
    if (q == NULL || cm_yaml_scalar(q) == NULL || *cm_yaml_scalar(q) == '\0') {
        ERR(ld, q ? q : node, "a prometheus source needs 'query', a PromQL template");
        problems++;
    } else if (cm_promql_check(cm_yaml_scalar(q), &at) < 0) {
        ERR(ld, q, "unknown placeholder at '%.24s' in the query (known: <<.Series>>, "
            "<<.LabelMatchers>>, <<.GroupBy>>)", cm_yaml_scalar(q) + at);
        problems++;
    } else {
        p->query = cm_arena_strdup(&ld->cfg->arena, cm_yaml_scalar(q));
    }
    problems += load_naming(ld, node, &p->series, &p->namespace_label, &p->object_label);
    problems += duration_option(ld, node, "max_age", &p->max_age);
    p->slot = ld->cfg->nprom++;
    return problems;
}

/* A string option of the prometheus block; NULL when absent. */
static const char *
string_option(struct loader *ld, yaml_node_t *map, const char *key, int *problems)
{
    yaml_node_t *n = cm_yaml_get(ld->doc, map, key);
    const char *v;

    if (n == NULL)
        return NULL;
    v = cm_yaml_scalar(n);
    if (v == NULL || *v == '\0') {
        ERR(ld, n, "'%s' must be a non-empty string", key);
        (*problems)++;
        return NULL;
    }
    return cm_arena_strdup(&ld->cfg->arena, v);
}

/* A timeout such as 3s or 500ms, in ms, from 1 to max_ms; -1 when it is not one. */
static long
timeout_ms(const char *v, long max_ms)
{
    size_t n = v ? strlen(v) : 0;
    const char *err;
    int64_t secs;
    char *end;
    long ms = -1;

    if (n > 2 && strcmp(v + n - 2, "ms") == 0) {
        ms = strtol(v, &end, 10);
        if (end != v + n - 2)
            ms = -1;
    } else if (v != NULL && cm_duration_parse(v, n, &secs, &err) == 0) {
        ms = secs > max_ms / 1000 ? max_ms + 1 : (long)secs * 1000;
    }
    return ms <= 0 || ms > max_ms ? -1 : ms;
}

/* prometheus: {url, timeout, bearer_token_file, ca_file, cert_file, key_file, insecure_skip_tls_verify} */
static int
load_prometheus(struct loader *ld, yaml_node_t *node)
{
    static const char *const keys[] = { "url", "timeout", "bearer_token_file", "ca_file",
        "cert_file", "key_file", "insecure_skip_tls_verify", NULL };
    struct cm_prometheus *p;
    yaml_node_t *t, *ins;
    int problems;

    if (node->type != YAML_MAPPING_NODE) {
        ERR(ld, node, "'prometheus' must be a mapping such as {url: http://prometheus:9090}");
        return 1;
    }
    p = cm_arena_zalloc(&ld->cfg->arena, sizeof(*p));
    p->timeout_ms = CM_PROM_DEFAULT_TIMEOUT_MS;
    problems = check_keys(ld, node, keys, "the prometheus block");
    p->url = string_option(ld, node, "url", &problems);
    if (p->url == NULL) {
        if (problems == 0)
            ERR(ld, node, "the prometheus block needs 'url', such as http://prometheus:9090");
        problems++;
    } else if (strncmp(p->url, "http://", 7) != 0 && strncmp(p->url, "https://", 8) != 0) {
        ERR(ld, cm_yaml_get(ld->doc, node, "url"), "the prometheus url must start with http:// or https://");
        problems++;
    }
    t = cm_yaml_get(ld->doc, node, "timeout");
    if (t != NULL) {
        const char *v = cm_yaml_scalar(t), *err = "a duration such as 3s or 500ms";
        size_t n = v ? strlen(v) : 0;
        int64_t secs;
        char *end;
        long ms = -1;

        if (n > 2 && strcmp(v + n - 2, "ms") == 0) {
            ms = strtol(v, &end, 10);
            if (end != v + n - 2)
                ms = -1;
        } else if (v != NULL && cm_duration_parse(v, n, &secs, &err) == 0) {
            ms = secs > CM_PROM_MAX_TIMEOUT_MS / 1000 ? CM_PROM_MAX_TIMEOUT_MS + 1 : (long)secs * 1000;
        }
        if (ms <= 0 || ms > CM_PROM_MAX_TIMEOUT_MS) {
            ERR(ld, t, "bad timeout '%s': %s; a timeout is 1ms to %ds (below nginx's 30s limit)",
                v ? v : "", ms > 0 ? "too long" : err ? err : "not a duration",
                CM_PROM_MAX_TIMEOUT_MS / 1000);
            problems++;
        } else {
            p->timeout_ms = ms;
        }
    }
    p->bearer_token_file = string_option(ld, node, "bearer_token_file", &problems);
    p->ca_file = string_option(ld, node, "ca_file", &problems);
    p->cert_file = string_option(ld, node, "cert_file", &problems);
    p->key_file = string_option(ld, node, "key_file", &problems);
    ins = cm_yaml_get(ld->doc, node, "insecure_skip_tls_verify");
    if (ins != NULL) {
        const char *v = cm_yaml_scalar(ins);
        if (v != NULL && strcmp(v, "true") == 0) {
            p->insecure_skip_tls_verify = 1;
        } else if (v == NULL || strcmp(v, "false") != 0) {
            ERR(ld, ins, "'insecure_skip_tls_verify' is true or false");
            problems++;
        }
    }
    ld->cfg->prometheus = p;
    return problems;
}

/* push: {store, url, username, password_file, ca_file, key_prefix, resync, timeout} */
static int
load_push_store(struct loader *ld, yaml_node_t *node)
{
    static const char *const keys[] = { "store", "url", "username", "password_file", "ca_file",
        "key_prefix", "resync", "timeout", NULL };
    struct cm_push_store *p = &ld->cfg->push;
    const char *store, *user;
    yaml_node_t *n;
    char why[256];
    int problems;

    if (node->type != YAML_MAPPING_NODE) {
        ERR(ld, node, "'push' must be a mapping such as {store: redis, url: redis://redis:6379}");
        return 1;
    }
    p->file = ld->path;
    p->line = CM_YAML_LINE(node);
    p->col = CM_YAML_COL(node);
    problems = check_keys(ld, node, keys, "the push block");
    store = string_option(ld, node, "store", &problems);
    if (store == NULL || strcmp(store, "embedded") == 0) {
        for (const char *const *k = keys + 1; *k != NULL; k++) {
            if ((n = cm_yaml_get(ld->doc, node, *k)) != NULL) {
                ERR(ld, n, "'%s' is for store: redis; the embedded store (the default) "
                    "takes no options", *k);
                problems++;
            }
        }
        p->kind = CM_PUSH_STORE_EMBEDDED;
        return problems;
    }
    if (strcmp(store, "redis") != 0) {
        ERR(ld, cm_yaml_get(ld->doc, node, "store"),
            "unknown push store '%s' (known: embedded, redis)", store);
        return problems + 1;
    }
    p->kind = CM_PUSH_STORE_REDIS;
    p->resync = CM_REDIS_DEFAULT_RESYNC;
    p->timeout_ms = CM_REDIS_DEFAULT_TIMEOUT_MS;
    p->key_prefix = "cmf:";
    p->url = string_option(ld, node, "url", &problems);
    if (p->url == NULL) {
        if (cm_yaml_get(ld->doc, node, "url") == NULL)
            ERR(ld, node, "store: redis needs 'url', such as redis://redis:6379");
        problems++;
    } else if (cm_redis_url_parse(p->url, &p->redis, why, sizeof(why)) < 0) {
        ERR(ld, cm_yaml_get(ld->doc, node, "url"), "bad url: %s", why);
        problems++;
    }
    user = string_option(ld, node, "username", &problems);
    if (user != NULL) {
        if (p->redis.user[0] != '\0' && strcmp(p->redis.user, user) != 0) {
            ERR(ld, cm_yaml_get(ld->doc, node, "username"), "'username' is %s but the url "
                "names user %s: give it once", user, p->redis.user);
            problems++;
        } else if (strlen(user) >= sizeof(p->redis.user) || strpbrk(user, " \t\r\n") != NULL) {
            ERR(ld, cm_yaml_get(ld->doc, node, "username"), "'username' is at most %zu "
                "characters, without spaces", sizeof(p->redis.user) - 1);
            problems++;
        } else {
            snprintf(p->redis.user, sizeof(p->redis.user), "%s", user);
        }
    }
    p->password_file = string_option(ld, node, "password_file", &problems);
    if (p->password_file == NULL && p->redis.user[0] != '\0' && problems == 0) {
        ERR(ld, node, "an ACL user (%s) needs 'password_file'", p->redis.user);
        problems++;
    }
    p->ca_file = string_option(ld, node, "ca_file", &problems);
    if (p->ca_file != NULL && p->url != NULL && !p->redis.tls) {
        ERR(ld, cm_yaml_get(ld->doc, node, "ca_file"), "'ca_file' is for TLS: the url "
            "starts with rediss://");
        problems++;
    }
    if ((n = cm_yaml_get(ld->doc, node, "key_prefix")) != NULL) {
        const char *v = cm_yaml_scalar(n);
        size_t i, len = v ? strlen(v) : 0;
        int ok = len > 0 && len <= 64;

        for (i = 0; ok && i < len; i++)
            ok = (unsigned char)v[i] > ' ' && (unsigned char)v[i] < 0x7f &&
                 strchr("*?[]\\", v[i]) == NULL;
        if (!ok) {
            ERR(ld, n, "'key_prefix' is 1 to 64 printable characters without spaces or "
                "*?[]\\, such as \"cmf:\"");
            problems++;
        } else {
            p->key_prefix = cm_arena_strdup(&ld->cfg->arena, v);
        }
    }
    if (duration_option(ld, node, "resync", &p->resync) > 0) {
        problems++;
    } else if (p->resync <= 0 || p->resync > 3600) {
        ERR(ld, cm_yaml_get(ld->doc, node, "resync"), "'resync' is 1s to 1h");
        problems++;
    }
    if ((n = cm_yaml_get(ld->doc, node, "timeout")) != NULL) {
        long ms = timeout_ms(cm_yaml_scalar(n), CM_REDIS_MAX_TIMEOUT_MS);

        if (ms <= 0) {
            ERR(ld, n, "bad timeout '%s': a timeout is 1ms to %ds, such as 2s or 500ms",
                cm_yaml_scalar(n) ? cm_yaml_scalar(n) : "", CM_REDIS_MAX_TIMEOUT_MS / 1000);
            problems++;
        } else {
            p->timeout_ms = ms;
        }
    }
    return problems;
}

/* The kinds of source by name, NULL-terminated for check_keys(). */
static const char *const kinds[CM_SOURCE_NKINDS + 1] = {
    [CM_SOURCE_STATIC] = "static",
    [CM_SOURCE_FILE] = "file",
    [CM_SOURCE_PUSH] = "push",
    [CM_SOURCE_PROMETHEUS] = "prometheus",
};

const char *
cm_source_kind_name(enum cm_source_kind k)
{
    return (unsigned)k < CM_SOURCE_NKINDS ? kinds[k] : "unknown";
}

int
cm_metric_takes_writes(const struct cm_metric *m)
{
    return m->source.kind == CM_SOURCE_PUSH;
}

static int
load_source(struct loader *ld, struct cm_metric *m, yaml_node_t *node)
{
    yaml_node_pair_t *pair;
    yaml_node_t *vn;
    const char *err, *text, *kind;
    int problems;

    if (node->type != YAML_MAPPING_NODE) {
        ERR(ld, node, "'source' must be a mapping with one key naming the source, such as static: \"10\"");
        return 1;
    }
    problems = check_keys(ld, node, kinds, "a source");
    pair = node->data.mapping.pairs.start;
    if (pair == node->data.mapping.pairs.top) {
        ERR(ld, node, "'source' is empty; it needs one of: static, file, push, prometheus");
        return problems + 1;
    }
    if (node->data.mapping.pairs.top - pair > 1) {
        ERR(ld, node_at(ld, pair[1].key), "a metric has exactly one source");
        return problems + 1;
    }
    if (problems)
        return problems;

    kind = cm_yaml_scalar(node_at(ld, pair->key));
    vn = node_at(ld, pair->value);
    if (strcmp(kind, "file") == 0) {
        m->source.kind = CM_SOURCE_FILE;
        return load_file_source(ld, m, vn);
    }
    if (strcmp(kind, "push") == 0) {
        m->source.kind = CM_SOURCE_PUSH;
        return load_push_source(ld, m, vn);
    }
    if (strcmp(kind, "prometheus") == 0) {
        m->source.kind = CM_SOURCE_PROMETHEUS;
        return load_prom_source(ld, m, vn);
    }
    m->source.kind = CM_SOURCE_STATIC;
    text = cm_yaml_scalar(vn);
    if (text == NULL) {
        ERR(ld, vn, "'static' must be a quantity, such as \"10\", \"250m\" or \"1.5Gi\"");
        return 1;
    }
    /* within the bound every source keeps (quantity.h) */
    if (cm_quantity_parse(text, strlen(text), &m->source.value, &err) < 0 ||
        cm_quantity_check_range(&m->source.value, &err) < 0) {
        ERR(ld, vn, "bad quantity '%s': %s", text, err);
        return 1;
    }
    return 0;
}

/* fallback: QUANTITY */
static int
load_fallback(struct loader *ld, struct cm_metric *m, yaml_node_t *node)
{
    const char *text = cm_yaml_scalar(node), *err = "a quantity such as \"0\" or \"250m\"";

    if (text == NULL || cm_quantity_parse(text, strlen(text), &m->fallback, &err) < 0 ||
        cm_quantity_check_range(&m->fallback, &err) < 0) {
        ERR(ld, node, "bad fallback '%s': %s", text ? text : "", err);
        return 1;
    }
    m->has_fallback = 1;
    return 0;
}

/* One entry of metrics: (external == 0) or of external: (external == 1). */
static int
load_metric(struct loader *ld, yaml_node_t *node, struct cm_metric *m, int external)
{
    static const char *const keys[] = {
        "name", "resources", "labels", "window", "source", "fallback", NULL };
    static const char *const external_keys[] = {
        "name", "labels", "window", "source", "fallback", NULL };
    yaml_node_t *name, *resources, *labels, *source, *fallback;
    int problems;

    memset(m, 0, sizeof(*m));
    m->file = ld->path;
    m->line = CM_YAML_LINE(node);
    m->col = CM_YAML_COL(node);
    if (node->type != YAML_MAPPING_NODE) {
        ERR(ld, node, external ? "each external metric must be a mapping with name and source"
                               : "each metric must be a mapping with name, resources and source");
        return 1;
    }
    problems = check_keys(ld, node, external ? external_keys : keys,
                          external ? "an external metric" : "a metric");

    name = cm_yaml_get(ld->doc, node, "name");
    if (name == NULL) {
        ERR(ld, node, "this metric has no 'name'");
        problems++;
    } else if (cm_yaml_scalar(name) == NULL || !valid_metric_name(cm_yaml_scalar(name))) {
        ERR(ld, name, "a metric name is 1 to %d characters of letters, digits, "
            "'_', '-', '.' and ':'", CM_METRIC_NAME_MAX);
        problems++;
    } else {
        m->name = cm_arena_strdup(&ld->cfg->arena, cm_yaml_scalar(name));
        m->line = CM_YAML_LINE(name);
        m->col = CM_YAML_COL(name);
    }

    resources = external ? NULL : cm_yaml_get(ld->doc, node, "resources");
    if (external) {
        /* external.metrics.k8s.io names no resources */
    } else if (resources == NULL) {
        ERR(ld, node, "metric '%s' has no 'resources'", m->name ? m->name : "?");
        problems++;
    } else {
        problems += load_resources(ld, m, resources);
    }

    labels = cm_yaml_get(ld->doc, node, "labels");
    if (labels != NULL)
        problems += load_labels(ld, m, labels);

    problems += duration_option(ld, node, "window", &m->window);

    source = cm_yaml_get(ld->doc, node, "source");
    if (source == NULL) {
        ERR(ld, node, "metric '%s' has no 'source'", m->name ? m->name : "?");
        problems++;
    } else {
        problems += load_source(ld, m, source);
    }
    fallback = cm_yaml_get(ld->doc, node, "fallback");
    if (fallback != NULL)
        problems += load_fallback(ld, m, fallback);
    return problems;
}

static int
same_labels(const struct cm_labels *a, const struct cm_labels *b)
{
    size_t i;

    if (a->n != b->n)
        return 0;
    for (i = 0; i < a->n; i++)
        if (strcmp(a->v[i].key, b->v[i].key) != 0 || strcmp(a->v[i].value, b->v[i].value) != 0)
            return 0;
    return 1;
}

/* " (first declared at line N)", or "at FILE:N" when that is another file. */
static const char *
first_declared(struct loader *ld, const struct cm_metric *first, char *buf, size_t len)
{
    if (strcmp(first->file, ld->path) == 0)
        snprintf(buf, len, "line %zu", first->line);
    else
        snprintf(buf, len, "%s:%zu", first->file, first->line);
    return buf;
}

/*
 * Reports m if an earlier entry of list[0..n) clashes with it: a custom
 * metric's name must be unique; an external series' name and labels must be
 * (across every file of a configuration directory).  Sets m->first_of_name.
 */
static int
check_unique(struct loader *ld, const struct cm_metric *list, size_t n,
             struct cm_metric *m, int external)
{
    char at[4200];
    size_t i;

    if (m->name == NULL)
        return 0;
    m->first_of_name = 1;
    for (i = 0; i < n; i++) {
        if (list[i].name == NULL || strcmp(list[i].name, m->name) != 0)
            continue;
        m->first_of_name = 0;
        if (!external) {
            cm_diag_add(ld->diag, ld->path, m->line, m->col,
                        "duplicate metric name '%s' (first declared at %s)",
                        m->name, first_declared(ld, &list[i], at, sizeof(at)));
            return 1;
        }
        if (list[i].source.kind == CM_SOURCE_PUSH && m->source.kind == CM_SOURCE_PUSH) {
            cm_diag_add(ld->diag, ld->path, m->line, m->col,
                        "external metric '%s' already has a push entry at %s (one push "
                        "entry holds every series written for a name)", m->name,
                        first_declared(ld, &list[i], at, sizeof(at)));
            return 1;
        }
        if (same_labels(&list[i].labels, &m->labels)) {
            cm_diag_add(ld->diag, ld->path, m->line, m->col,
                        "external metric '%s' with these labels is already declared at "
                        "%s (series of one name need different labels)",
                        m->name, first_declared(ld, &list[i], at, sizeof(at)));
            return 1;
        }
    }
    return 0;
}

/* How many entries the list under key has (0 when it is not a list). */
static size_t
list_size(yaml_node_t *node)
{
    if (node == NULL || node->type != YAML_SEQUENCE_NODE)
        return 0;
    return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

/* The list under key (metrics or external), appended to list[*nout...]. */
static int
load_list(struct loader *ld, yaml_node_t *node, const char *key, int external,
          struct cm_metric *list, size_t *nout)
{
    yaml_node_item_t *it;
    int problems = 0;

    if (node->type == YAML_SCALAR_NODE && strcmp(cm_yaml_scalar(node), "null") == 0 &&
        !cm_yaml_quoted(node))
        return 0;                   /* "external:" with nothing under it */
    if (node->type != YAML_SEQUENCE_NODE) {
        ERR(ld, node, "'%s' must be a list", key);
        return 1;
    }
    for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
        struct cm_metric *m = &list[*nout];

        problems += load_metric(ld, node_at(ld, *it), m, external);
        problems += check_unique(ld, list, *nout, m, external);
        (*nout)++;
    }
    return problems;
}

/* One file of the configuration: its document, and where its lists are. */
struct part {
    char *path;
    yaml_document_t doc;
    int loaded;                     /* doc holds a document */
    yaml_node_t *metrics, *external;
};

/*
 * The top level of one file, but its lists: keys, version and the
 * prometheus block (one in the whole configuration).  in_dir: a file of a
 * configuration directory, which may hold only the prometheus block.
 */
static int
load_head(struct loader *ld, struct part *p, int in_dir, const char **prom_file,
          size_t *prom_line)
{
    static const char *const keys[] = { "version", "prometheus", "push", "metrics", "external",
                                        NULL };
    yaml_node_t *root = yaml_document_get_root_node(&p->doc), *version, *prom, *push;
    static const char *push_file;       /* this load's push: block's file (see below) */
    int problems;

    if (root->type != YAML_MAPPING_NODE) {
        ERR(ld, root, "the top level must be a mapping with a 'metrics' list");
        return 1;
    }
    problems = check_keys(ld, root, keys, "the top level");
    version = cm_yaml_get(ld->doc, root, "version");
    if (version != NULL) {
        const char *v = cm_yaml_scalar(version);
        if (v == NULL || strcmp(v, "1") != 0) {
            ERR(ld, version, "unsupported version '%s' (this server reads version 1)",
                v ? v : "");
            problems++;
        }
    }
    prom = cm_yaml_get(ld->doc, root, "prometheus");
    if (prom != NULL && *prom_file != NULL) {
        ERR(ld, prom, "a second 'prometheus' block (the first is at %s:%zu); a configuration "
            "has one", *prom_file, *prom_line);
        problems++;
    } else if (prom != NULL) {
        *prom_file = p->path;
        *prom_line = CM_YAML_LINE(prom);
        problems += load_prometheus(ld, prom);   /* first: the sources refer to it */
    }
    if ((push = cm_yaml_get(ld->doc, root, "push")) != NULL) {
        /* one push: block in a configuration: a second one (in any of its
         * parts) is refused while this load already took a Redis one */
        if (push_file != NULL && ld->cfg->push.kind != CM_PUSH_STORE_EMBEDDED) {
            ERR(ld, push, "a second 'push' block (the first is in %s); a configuration has one",
                push_file);
            problems++;
        } else {
            push_file = p->path;
            problems += load_push_store(ld, push);
        }
    }
    p->metrics = cm_yaml_get(ld->doc, root, "metrics");
    p->external = cm_yaml_get(ld->doc, root, "external");
    if (p->metrics == NULL && p->external == NULL && !(in_dir && prom != NULL)) {
        ERR(ld, root, "missing 'metrics': the list of metrics to serve");
        problems++;
    }
    return problems;
}

/* Reads path's one document into p->doc; problems go to d. */
static void
read_part(struct part *p, struct cm_diag *d)
{
    struct cm_yaml_reader rd;
    yaml_document_t extra;
    size_t before = d->count;
    int rc;

    if (cm_yaml_open(&rd, p->path, d) < 0)
        return;
    rc = cm_yaml_next(&rd, &p->doc, d);
    if (rc == 0) {
        cm_diag_add(d, p->path, 0, 0, "the file is empty; it needs a 'metrics' list");
    } else if (rc > 0) {
        p->loaded = 1;
        if (d->count == before && cm_yaml_next(&rd, &extra, d) > 0) {
            cm_diag_add(d, p->path, extra.start_mark.line + 1, extra.start_mark.column + 1,
                        "only one YAML document is allowed");
            yaml_document_delete(&extra);
        }
    }
    cm_yaml_close(&rd);
}

int
cm_config_load(struct cm_config **out, const char *path, struct cm_diag *d)
{
    return cm_config_load_resolving(out, path, NULL, NULL, d);
}

/*
 * A file, or a directory whose *.yaml files (configdir.h) are read as one
 * configuration: every file's document first, then every prometheus block
 * (the sources of any file refer to it), then the lists in file order, names
 * checked across files.
 */
int
cm_config_load_resolving(struct cm_config **out, const char *path,
                         cm_resource_resolver resolve, void *arg, struct cm_diag *d)
{
    struct cm_config *cfg = cm_xcalloc(1, sizeof(*cfg));
    struct part *parts = NULL;
    char **files = NULL;
    const char *prom_file = NULL;
    size_t before = d->count, nfiles = 0, nm = 0, ne = 0, i, prom_line = 0;
    struct loader ld;
    int in_dir;

    *out = NULL;
    cm_arena_init(&cfg->arena, 0);
    cfg->path = cm_arena_strdup(&cfg->arena, path);
    in_dir = cm_configdir_is_dir(path);
    if (in_dir) {
        if (cm_configdir_list(path, &files, &nfiles, d) < 0)
            goto out;
        if (nfiles == 0) {
            cm_diag_add(d, path, 0, 0, "the directory has no *.yaml file; each holds a part "
                        "of the configuration");
            goto out;
        }
    } else {
        files = cm_xcalloc(1, sizeof(*files));
        files[0] = cm_xstrdup(path);
        nfiles = 1;
    }
    parts = cm_xcalloc(nfiles, sizeof(*parts));
    ld.diag = d;
    ld.cfg = cfg;
    ld.resolve = resolve;
    ld.resolve_arg = arg;
    for (i = 0; i < nfiles; i++) {
        parts[i].path = cm_arena_strdup(&cfg->arena, files[i]);
        read_part(&parts[i], d);
    }
    for (i = 0; i < nfiles; i++) {
        if (!parts[i].loaded)
            continue;
        ld.doc = &parts[i].doc;
        ld.path = parts[i].path;
        load_head(&ld, &parts[i], in_dir, &prom_file, &prom_line);
        nm += list_size(parts[i].metrics);
        ne += list_size(parts[i].external);
    }
    cfg->metrics = cm_arena_zalloc(&cfg->arena, (nm ? nm : 1) * sizeof(struct cm_metric));
    cfg->external = cm_arena_zalloc(&cfg->arena, (ne ? ne : 1) * sizeof(struct cm_metric));
    for (i = 0; i < nfiles; i++) {
        ld.doc = &parts[i].doc;
        ld.path = parts[i].path;
        if (parts[i].metrics != NULL)
            load_list(&ld, parts[i].metrics, "metrics", 0, cfg->metrics, &cfg->nmetrics);
        if (parts[i].external != NULL)
            load_list(&ld, parts[i].external, "external", 1, cfg->external, &cfg->nexternal);
    }
    if (d->count == before && in_dir && cfg->nmetrics + cfg->nexternal == 0)
        cm_diag_add(d, path, 0, 0, "no file of the directory declares a metric ('metrics' "
                    "or 'external')");
out:
    for (i = 0; parts != NULL && i < nfiles; i++)
        if (parts[i].loaded)
            yaml_document_delete(&parts[i].doc);
    free(parts);
    cm_configdir_free(files, nfiles);
    if (d->count > before) {
        cm_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

void
cm_config_free(struct cm_config *cfg)
{
    if (cfg == NULL)
        return;
    cm_arena_free(&cfg->arena);
    free(cfg);
}

const struct cm_metric *
cm_config_find(const struct cm_config *cfg, const char *name)
{
    size_t i;

    for (i = 0; i < cfg->nmetrics; i++)
        if (strcmp(cfg->metrics[i].name, name) == 0)
            return &cfg->metrics[i];
    return NULL;
}

const struct cm_metric *
cm_config_next_external(const struct cm_config *cfg, const char *name, size_t *pos)
{
    size_t i;

    for (i = *pos; i < cfg->nexternal; i++) {
        if (strcmp(cfg->external[i].name, name) == 0) {
            *pos = i + 1;
            return &cfg->external[i];
        }
    }
    *pos = cfg->nexternal;
    return NULL;
}

int
cm_metric_describes(const struct cm_metric *m, const struct cm_resource *r)
{
    size_t i;

    for (i = 0; i < m->nresources; i++)
        if (m->resources[i] == r)
            return 1;
    return 0;
}
