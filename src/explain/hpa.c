#include "hpa.h"
#include "quantity.h"
#include "selector.h"
#include "yamldoc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What one load needs: the document, where to report, where strings go. */
struct loader {
    yaml_document_t *doc;
    const char *path;
    struct cm_diag *diag;
    struct cm_hpa *hpa;
};

#define PROBLEM(ld, node, ...) \
    cm_diag_add((ld)->diag, (ld)->path, CM_YAML_LINE(node), CM_YAML_COL(node), __VA_ARGS__)

const char *
cm_hpa_source_name(enum cm_hpa_source s)
{
    switch (s) {
    case CM_HPA_PODS: return "Pods";
    case CM_HPA_OBJECT: return "Object";
    case CM_HPA_EXTERNAL: return "External";
    case CM_HPA_RESOURCE: return "Resource";
    }
    return "?";
}

/* The scalar under key in map, or NULL (with a problem when required). */
static const char *
scalar(struct loader *ld, yaml_node_t *map, const char *key, int required, const char *where)
{
    yaml_node_t *n = cm_yaml_get(ld->doc, map, key);
    const char *s;

    if (n == NULL) {
        if (required)
            PROBLEM(ld, map, "%s has no %s", where, key);
        return NULL;
    }
    if ((s = cm_yaml_scalar(n)) == NULL) {
        PROBLEM(ld, n, "%s.%s is %s, not a scalar", where, key, cm_yaml_type_name(n));
        return NULL;
    }
    return s;
}

/* A mapping under key in map, or NULL (with a problem when required or not a mapping). */
static yaml_node_t *
mapping(struct loader *ld, yaml_node_t *map, const char *key, int required, const char *where)
{
    yaml_node_t *n = cm_yaml_get(ld->doc, map, key);

    if (n == NULL) {
        if (required)
            PROBLEM(ld, map, "%s has no %s", where, key);
        return NULL;
    }
    if (n->type != YAML_MAPPING_NODE) {
        PROBLEM(ld, n, "%s.%s is %s, not a mapping", where, key, cm_yaml_type_name(n));
        return NULL;
    }
    return n;
}

/* An int32 under key; def when absent.  Returns -1 on a problem. */
static int
int32_at(struct loader *ld, yaml_node_t *map, const char *key, int32_t def, int32_t *out,
         const char *where)
{
    yaml_node_t *n = cm_yaml_get(ld->doc, map, key);
    const char *s;
    char *end;
    long v;

    *out = def;
    if (n == NULL)
        return 0;
    s = cm_yaml_scalar(n);
    errno = 0;
    v = s ? strtol(s, &end, 10) : 0;
    if (s == NULL || *s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > INT32_MAX) {
        PROBLEM(ld, n, "%s.%s must be a whole number", where, key);
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

/* behavior.<direction>.tolerance: a fraction such as 0.05; def when absent. */
static int
tolerance_at(struct loader *ld, yaml_node_t *behavior, const char *direction, double *out)
{
    yaml_node_t *rules;
    const char *s;
    char *end;
    double v;

    *out = 0.1;
    if (behavior == NULL ||
        (rules = mapping(ld, behavior, direction, 0, "spec.behavior")) == NULL ||
        (s = scalar(ld, rules, "tolerance", 0, direction)) == NULL)
        return 0;
    v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= 0)) {
        PROBLEM(ld, cm_yaml_get(ld->doc, rules, "tolerance"),
                "spec.behavior.%s.tolerance must be a non-negative number such as 0.05", direction);
        return -1;
    }
    *out = v;
    return 0;
}

static int
by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * fmt's %+v of a *metav1.LabelSelector (its gogo-protobuf String()), which
 * the HPA puts in external metric errors: matchLabels sorted by key.
 */
static const char *
selector_go(struct loader *ld, yaml_node_t *sel, yaml_node_t *labels, yaml_node_t *exprs)
{
    struct cm_arena *a = &ld->hpa->arena;
    const char *keys[256], *out;
    size_t n = 0, i;
    struct cm_buf b;
    yaml_node_pair_t *p;
    yaml_node_item_t *it;

    if (sel == NULL)
        return "<nil>";
    cm_buf_init(&b, 1 << 16);
    CM_BUF_ADDLIT(&b, "&LabelSelector{MatchLabels:map[string]string{");
    for (p = labels ? labels->data.mapping.pairs.start : NULL;
         labels && p < labels->data.mapping.pairs.top && n < 256; p++)
        keys[n++] = cm_yaml_scalar(yaml_document_get_node(ld->doc, p->key));
    qsort(keys, n, sizeof(*keys), by_key);
    for (i = 0; i < n; i++)
        cm_buf_addf(&b, "%s: %s,", keys[i], cm_yaml_scalar(cm_yaml_get(ld->doc, labels, keys[i])));
    CM_BUF_ADDLIT(&b, "},MatchExpressions:[]LabelSelectorRequirement{");
    for (it = exprs ? exprs->data.sequence.items.start : NULL;
         exprs && it < exprs->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(ld->doc, *it);
        yaml_node_t *vals = cm_yaml_get(ld->doc, e, "values");
        yaml_node_item_t *v;

        cm_buf_addf(&b, "LabelSelectorRequirement{Key:%s,Operator:%s,Values:[",
                    cm_yaml_scalar(cm_yaml_get(ld->doc, e, "key")),
                    cm_yaml_scalar(cm_yaml_get(ld->doc, e, "operator")));
        for (v = vals ? vals->data.sequence.items.start : NULL;
             vals && v < vals->data.sequence.items.top; v++)
            cm_buf_addf(&b, "%s%s", v == vals->data.sequence.items.start ? "" : " ",
                        cm_yaml_scalar(yaml_document_get_node(ld->doc, *v)));
        CM_BUF_ADDLIT(&b, "],},");
    }
    CM_BUF_ADDLIT(&b, "},}");
    out = cm_arena_strndup(a, b.data, b.len);
    cm_buf_free(&b);
    return out;
}

/*
 * metav1.LabelSelectorAsSelector(sel).String(): the canonical selector text
 * ("" for none) into m->selector, and Go's %+v of it into m->selector_go.
 * Returns -1 with a problem when the selector is malformed.
 */
static int
selector_text(struct loader *ld, yaml_node_t *sel, struct cm_hpa_metric *m)
{
    struct cm_arena *a = &ld->hpa->arena;
    yaml_node_t *labels = sel ? mapping(ld, sel, "matchLabels", 0, "selector") : NULL;
    yaml_node_t *exprs = sel ? cm_yaml_get(ld->doc, sel, "matchExpressions") : NULL;
    struct cm_selector parsed;
    struct cm_buf text, canon;
    const char *err;
    yaml_node_pair_t *p;
    yaml_node_item_t *it;
    int rc = -1;

    m->selector = "";
    m->selector_go = "<nil>";
    if (sel == NULL)
        return 0;
    cm_buf_init(&text, CM_SELECTOR_MAX_LEN);
    cm_buf_init(&canon, CM_SELECTOR_MAX_LEN);
    if (labels != NULL) {
        for (p = labels->data.mapping.pairs.start; p < labels->data.mapping.pairs.top; p++) {
            const char *k = cm_yaml_scalar(yaml_document_get_node(ld->doc, p->key));
            const char *v = cm_yaml_scalar(yaml_document_get_node(ld->doc, p->value));

            if (k == NULL || v == NULL) {
                PROBLEM(ld, labels, "matchLabels maps label names to values");
                goto done;
            }
            cm_buf_addf(&text, "%s%s=%s", text.len ? "," : "", k, v);
        }
    }
    if (exprs != NULL && exprs->type != YAML_SEQUENCE_NODE) {
        PROBLEM(ld, exprs, "matchExpressions is %s, not a list", cm_yaml_type_name(exprs));
        goto done;
    }
    for (it = exprs ? exprs->data.sequence.items.start : NULL;
         exprs && it < exprs->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(ld->doc, *it), *vals;
        const char *key, *op;
        size_t i, nv;

        if (e->type != YAML_MAPPING_NODE) {
            PROBLEM(ld, e, "a matchExpressions entry is a mapping of key, operator, values");
            goto done;
        }
        key = scalar(ld, e, "key", 1, "matchExpressions[]");
        op = scalar(ld, e, "operator", 1, "matchExpressions[]");
        vals = cm_yaml_get(ld->doc, e, "values");
        if (key == NULL || op == NULL)
            goto done;
        nv = vals && vals->type == YAML_SEQUENCE_NODE
                 ? (size_t)(vals->data.sequence.items.top - vals->data.sequence.items.start) : 0;
        if (text.len)
            cm_buf_addc(&text, ',');
        if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
            if (nv == 0) {
                PROBLEM(ld, e, "values: for 'In', 'NotIn' operators, values set can't be empty");
                goto done;
            }
            cm_buf_addf(&text, "%s %s (", key, op[0] == 'I' ? "in" : "notin");
            for (i = 0; i < nv; i++) {
                const char *v = cm_yaml_scalar(
                    yaml_document_get_node(ld->doc, vals->data.sequence.items.start[i]));
                if (v == NULL) {
                    PROBLEM(ld, vals, "values is a list of label values");
                    goto done;
                }
                cm_buf_addf(&text, "%s%s", i ? "," : "", v);
            }
            cm_buf_addc(&text, ')');
        } else if (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) {
            if (nv != 0) {
                PROBLEM(ld, e, "values: for 'Exists', 'DoesNotExist' operators, values set must be empty");
                goto done;
            }
            cm_buf_addf(&text, "%s%s", op[0] == 'D' ? "!" : "", key);
        } else {
            PROBLEM(ld, e, "\"%s\" is not a valid label selector operator (In, NotIn, Exists, "
                    "DoesNotExist)", op);
            goto done;
        }
    }
    if (cm_selector_parse(&parsed, text.data ? text.data : "", text.len, a, &err) < 0) {
        PROBLEM(ld, sel, "selector: %s", err);
        goto done;
    }
    cm_selector_format(&parsed, &canon);
    m->selector = cm_arena_strndup(a, canon.data ? canon.data : "", canon.len);
    m->selector_go = selector_go(ld, sel, labels, exprs);
    rc = 0;
done:
    cm_buf_free(&text);
    cm_buf_free(&canon);
    return rc;
}

/* target: {type: Value|AverageValue|Utilization, value|averageValue|averageUtilization}. */
static int
target(struct loader *ld, yaml_node_t *src, const char *where, struct cm_hpa_metric *m)
{
    yaml_node_t *t = mapping(ld, src, "target", 1, where);
    const char *type, *key, *text, *err;
    struct cm_quantity q;

    if (t == NULL || (type = scalar(ld, t, "type", 1, "target")) == NULL)
        return -1;
    if (strcmp(type, "Value") == 0) {
        m->target = CM_HPA_VALUE;
        key = "value";
    } else if (strcmp(type, "AverageValue") == 0) {
        m->target = CM_HPA_AVERAGE_VALUE;
        key = "averageValue";
    } else if (strcmp(type, "Utilization") == 0) {
        m->target = CM_HPA_UTILIZATION;
        key = "averageUtilization";
    } else {
        PROBLEM(ld, cm_yaml_get(ld->doc, t, "type"),
                "target.type is Value, AverageValue or Utilization, not \"%s\"", type);
        return -1;
    }
    if ((text = scalar(ld, t, key, 1, "target")) == NULL)
        return -1;
    m->target_text = cm_arena_strdup(&ld->hpa->arena, text);
    if (m->target == CM_HPA_UTILIZATION) {
        m->target_milli = 0;
        return 0;
    }
    if (cm_quantity_parse(text, strlen(text), &q, &err) < 0) {
        PROBLEM(ld, cm_yaml_get(ld->doc, t, key), "target.%s: %s", key, err);
        return -1;
    }
    m->target_milli = cm_quantity_milli(&q);
    if (m->target_milli <= 0) {
        PROBLEM(ld, cm_yaml_get(ld->doc, t, key), "target.%s must be positive", key);
        return -1;
    }
    return 0;
}

/* metric: {name, selector}: the name and the selector's text. */
static int
metric_id(struct loader *ld, yaml_node_t *src, const char *where, struct cm_hpa_metric *m)
{
    yaml_node_t *id = mapping(ld, src, "metric", 1, where);
    const char *name;

    if (id == NULL || (name = scalar(ld, id, "name", 1, "metric")) == NULL)
        return -1;
    m->name = cm_arena_strdup(&ld->hpa->arena, name);
    return selector_text(ld, mapping(ld, id, "selector", 0, "metric"), m);
}

static int
load_metric(struct loader *ld, yaml_node_t *node, struct cm_hpa_metric *m)
{
    struct cm_arena *a = &ld->hpa->arena;
    const char *type;
    yaml_node_t *src, *obj;

    memset(m, 0, sizeof(*m));
    if (node->type != YAML_MAPPING_NODE) {
        PROBLEM(ld, node, "a spec.metrics entry is a mapping with a type");
        return -1;
    }
    if ((type = scalar(ld, node, "type", 1, "spec.metrics[]")) == NULL)
        return -1;
    if (strcmp(type, "Pods") == 0) {
        m->source = CM_HPA_PODS;
        if ((src = mapping(ld, node, "pods", 1, "a Pods metric")) == NULL ||
            metric_id(ld, src, "pods", m) < 0 || target(ld, src, "pods", m) < 0)
            return -1;
        if (m->target != CM_HPA_AVERAGE_VALUE) {
            PROBLEM(ld, node, "a Pods metric's target.type must be AverageValue");
            return -1;
        }
    } else if (strcmp(type, "Object") == 0) {
        const char *av, *kind, *name;

        m->source = CM_HPA_OBJECT;
        if ((src = mapping(ld, node, "object", 1, "an Object metric")) == NULL ||
            (obj = mapping(ld, src, "describedObject", 1, "object")) == NULL)
            return -1;
        av = scalar(ld, obj, "apiVersion", 1, "describedObject");
        kind = scalar(ld, obj, "kind", 1, "describedObject");
        name = scalar(ld, obj, "name", 1, "describedObject");
        if (av == NULL || kind == NULL || name == NULL ||
            metric_id(ld, src, "object", m) < 0 || target(ld, src, "object", m) < 0)
            return -1;
        m->object_api_version = cm_arena_strdup(a, av);
        m->object_kind = cm_arena_strdup(a, kind);
        m->object_name = cm_arena_strdup(a, name);
        if (m->target == CM_HPA_UTILIZATION) {
            PROBLEM(ld, node, "an Object metric's target.type is Value or AverageValue");
            return -1;
        }
    } else if (strcmp(type, "External") == 0) {
        m->source = CM_HPA_EXTERNAL;
        if ((src = mapping(ld, node, "external", 1, "an External metric")) == NULL ||
            metric_id(ld, src, "external", m) < 0 || target(ld, src, "external", m) < 0)
            return -1;
        if (m->target == CM_HPA_UTILIZATION) {
            PROBLEM(ld, node, "an External metric's target.type is Value or AverageValue");
            return -1;
        }
    } else if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
        const char *key = type[0] == 'R' ? "resource" : "containerResource", *name;

        m->source = CM_HPA_RESOURCE;
        if ((src = mapping(ld, node, key, 1, "a resource metric")) == NULL ||
            (name = scalar(ld, src, "name", 1, key)) == NULL)
            return -1;
        m->name = cm_arena_strdup(a, name);
        m->selector = "";
        m->selector_go = "<nil>";
    } else {
        PROBLEM(ld, cm_yaml_get(ld->doc, node, "type"),
                "type is Pods, Object, External, Resource or ContainerResource, not \"%s\"", type);
        return -1;
    }
    return 0;
}

static int
load_doc(struct loader *ld, yaml_node_t *root)
{
    struct cm_hpa *h = ld->hpa;
    yaml_node_t *meta, *spec, *metrics, *behavior;
    const char *av, *kind, *s;
    yaml_node_item_t *it;
    int rc = 0;

    if (root->type != YAML_MAPPING_NODE) {
        PROBLEM(ld, root, "a HorizontalPodAutoscaler is a mapping");
        return -1;
    }
    av = scalar(ld, root, "apiVersion", 1, "the manifest");
    kind = scalar(ld, root, "kind", 1, "the manifest");
    if (av == NULL || kind == NULL)
        return -1;
    if (strcmp(kind, "HorizontalPodAutoscaler") != 0 || strcmp(av, "autoscaling/v2") != 0) {
        PROBLEM(ld, root, "this is %s %s, not an autoscaling/v2 HorizontalPodAutoscaler", av, kind);
        return -1;
    }
    if ((meta = mapping(ld, root, "metadata", 1, "the manifest")) == NULL ||
        (spec = mapping(ld, root, "spec", 1, "the manifest")) == NULL)
        return -1;
    s = scalar(ld, meta, "name", 0, "metadata");
    h->name = cm_arena_strdup(&h->arena, s ? s : "");
    s = scalar(ld, meta, "namespace", 0, "metadata");
    h->ns = cm_arena_strdup(&h->arena, s && *s ? s : "default");
    rc |= int32_at(ld, spec, "minReplicas", 1, &h->min_replicas, "spec");
    rc |= int32_at(ld, spec, "maxReplicas", 0, &h->max_replicas, "spec");
    if (rc == 0 && cm_yaml_get(ld->doc, spec, "maxReplicas") == NULL) {
        PROBLEM(ld, spec, "spec has no maxReplicas");
        rc = -1;
    } else if (rc == 0 && (h->min_replicas < 1 || h->max_replicas < h->min_replicas)) {
        PROBLEM(ld, spec, "spec needs 1 <= minReplicas <= maxReplicas");
        rc = -1;
    }
    behavior = mapping(ld, spec, "behavior", 0, "spec");
    rc |= tolerance_at(ld, behavior, "scaleUp", &h->tolerance_up);
    rc |= tolerance_at(ld, behavior, "scaleDown", &h->tolerance_down);
    metrics = cm_yaml_get(ld->doc, spec, "metrics");
    if (metrics == NULL || metrics->type != YAML_SEQUENCE_NODE ||
        metrics->data.sequence.items.top == metrics->data.sequence.items.start) {
        /* the API server defaults to 80 % CPU: nothing this server answers */
        PROBLEM(ld, metrics ? metrics : spec, "spec.metrics lists no metric (the default, "
                "80%% CPU utilization, comes from metrics.k8s.io)");
        return -1;
    }
    for (it = metrics->data.sequence.items.start; it < metrics->data.sequence.items.top; it++) {
        yaml_node_t *n = yaml_document_get_node(ld->doc, *it);

        if (h->nmetrics == CM_HPA_METRICS_MAX) {
            PROBLEM(ld, n, "more than %d metrics", CM_HPA_METRICS_MAX);
            return -1;
        }
        if (load_metric(ld, n, &h->metrics[h->nmetrics]) < 0)
            rc = -1;
        else
            h->nmetrics++;
    }
    return rc < 0 ? -1 : 0;
}

int
cm_hpa_load(struct cm_hpa *out, const char *path, struct cm_diag *d)
{
    struct cm_yaml_reader r;
    yaml_document_t doc;
    struct loader ld;
    int rc = -1, got;

    memset(out, 0, sizeof(*out));
    cm_arena_init(&out->arena, 4096);
    if (cm_yaml_open(&r, path, d) < 0)
        return -1;
    got = cm_yaml_next(&r, &doc, d);
    if (got == 0)
        cm_diag_add(d, r.path, 0, 0, "the file holds no document");
    if (got <= 0)
        goto out;
    ld.doc = &doc;
    ld.path = r.path;
    ld.diag = d;
    ld.hpa = out;
    rc = load_doc(&ld, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
out:
    cm_yaml_close(&r);
    return rc;
}

void
cm_hpa_free(struct cm_hpa *h)
{
    cm_arena_free(&h->arena);
}
