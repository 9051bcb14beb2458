#include "promsrc.h"
#include "hash.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct cm_prom_answer {
    struct cm_prom_result result;
    const char *request_ns;            /* for series without a namespace label */
    const char *ns_label, *obj_label;  /* ns_label NULL: cluster-scoped objects */
    size_t mask;
    uint32_t *head;                    /* first series of a key, + 1 */
    uint32_t *chain;                   /* next series of the same key, + 1 */
};

/* The object a series names: (namespace, name), or 0 when it names none. */
static int
key_of(const struct cm_prom_answer *ans, const struct cm_prom_sample *s, const char **ns,
       const char **name)
{
    *ns = "";
    *name = cm_labels_get(&s->labels, ans->obj_label);
    if (*name == NULL)
        return 0;
    if (ans->ns_label != NULL) {
        *ns = cm_labels_get(&s->labels, ans->ns_label);
        if (*ns == NULL)
            *ns = ans->request_ns;
    }
    return 1;
}

static void
build_index(struct cm_prom_answer *ans, struct cm_arena *a)
{
    size_t cap = 16, i, h;

    while (cap < 2 * ans->result.n)
        cap *= 2;
    ans->mask = cap - 1;
    ans->head = cm_arena_zalloc(a, cap * sizeof(*ans->head));
    ans->chain = cm_arena_zalloc(a, (ans->result.n + 1) * sizeof(*ans->chain));
    for (i = ans->result.n; i-- > 0;) {      /* backwards: each chain in result order */
        const char *ns, *name, *ns2, *name2;

        if (!key_of(ans, &ans->result.v[i], &ns, &name))
            continue;
        for (h = cm_hash_pair(ns, name) & ans->mask; ans->head[h] != 0; h = (h + 1) & ans->mask) {
            key_of(ans, &ans->result.v[ans->head[h] - 1], &ns2, &name2);
            if (strcmp(ns, ns2) == 0 && strcmp(name, name2) == 0)
                break;
        }
        ans->chain[i] = ans->head[h];
        ans->head[h] = (uint32_t)i + 1;
    }
}

/*
 * The errorType of a Prometheus error answer, as cm_prom_parse() words its
 * reason ("bad_data: ..."), when it is one of the API's own types; else NULL.
 * Only these words, never the error text, reach a client.
 */
static const char *
error_type(const char *why)
{
    static const char *const types[] = {
        "timeout", "canceled", "execution", "bad_data", "internal", "unavailable",
        "not_found", "not_acceptable", NULL };
    size_t i, n = strcspn(why, ":");

    if (why[n] != ':')
        return NULL;
    for (i = 0; types[i] != NULL; i++)
        if (strlen(types[i]) == n && strncmp(types[i], why, n) == 0)
            return types[i];
    return NULL;
}

/*
 * Renders m's query with the given matchers and group-by label, runs it, and
 * parses its answer into ans->result.  On failure the log gets the details
 * (the URL without userinfo, the status, a bounded and escaped excerpt of the
 * reason and of the query) and err a summary for clients: the status and the
 * errorType, never Prometheus' own text.
 */
static int
run(struct cm_promclient *c, const struct cm_prometheus *pc, const struct cm_metric *m,
    const struct cm_buf *matchers, const char *group_by, struct cm_arena *a,
    struct cm_prom_answer *ans, char *err, size_t errlen)
{
    const struct cm_prom_source *ps = &m->source.prom;
    struct cm_promql_vars vars;
    struct cm_buf body, q;
    const char *query, *type;
    char why[512], shown[4096], why_x[512], query_x[512];
    long status;
    int rc = -1;

    vars.series = ps->series ? ps->series : m->name;
    vars.label_matchers = matchers->data ? matchers->data : "";
    vars.group_by = group_by;
    cm_buf_init(&q, 32u << 20);
    cm_promql_render(ps->query, &vars, &q);
    query = q.data ? q.data : "";
    cm_buf_init(&body, 64u << 20);
    status = cm_promclient_query(c, pc, query, &body, err, errlen);
    if (status < 0)
        goto out;
    if (cm_prom_parse(body.data ? body.data : "", body.len, a, &ans->result, why,
                      sizeof(why)) < 0) {
        cm_log_url(pc->url, shown, sizeof(shown));
        cm_log_excerpt(why, strlen(why), 200, why_x, sizeof(why_x));
        cm_log_excerpt(query, q.len, 200, query_x, sizeof(query_x));
        cm_log_request(CM_LOG_WARN, "prometheus %s answered %ld: %s (query: %s)", shown,
                       status, why_x, query_x);
        type = error_type(why);
        if (status != 200)
            snprintf(err, errlen, "prometheus answered %ld%s%s%s", status,
                     type ? " (" : "", type ? type : "", type ? ")" : "");
        else if (type != NULL)
            snprintf(err, errlen, "prometheus refused the query (%s)", type);
        else
            snprintf(err, errlen, "the answer of prometheus is malformed");
        goto out;
    }
    rc = 0;
out:
    cm_buf_free(&body);
    cm_buf_free(&q);
    return rc;
}

struct cm_prom_answer *
cm_promsrc_query_objects(struct cm_promclient *c, const struct cm_prometheus *pc,
                         const struct cm_metric *m, const struct cm_resource *r, const char *ns,
                         const char *const *names, size_t n, const struct cm_selector *metric_sel,
                         struct cm_arena *a, char *err, size_t errlen)
{
    const struct cm_prom_source *ps = &m->source.prom;
    struct cm_prom_answer *ans = cm_arena_zalloc(a, sizeof(*ans));
    struct cm_buf matchers;
    int rc;

    ans->request_ns = ns;
    ans->obj_label = ps->object_label ? ps->object_label : r->singular;
    ans->ns_label = r->namespaced ? ps->namespace_label : NULL;
    cm_buf_init(&matchers, 16u << 20);
    if (ans->ns_label != NULL)
        cm_promql_match_eq(&matchers, ans->ns_label, ns);
    cm_promql_match_any(&matchers, ans->obj_label, names, n);
    cm_promql_match_selector(&matchers, metric_sel);
    rc = run(c, pc, m, &matchers, ans->obj_label, a, ans, err, errlen);
    cm_buf_free(&matchers);
    if (rc < 0)
        return NULL;
    build_index(ans, a);
    return ans;
}

struct cm_prom_answer *
cm_promsrc_query_external(struct cm_promclient *c, const struct cm_prometheus *pc,
                          const struct cm_metric *m, const struct cm_selector *sel,
                          struct cm_arena *a, char *err, size_t errlen)
{
    struct cm_prom_answer *ans = cm_arena_zalloc(a, sizeof(*ans));
    struct cm_buf matchers;
    int rc;

    cm_buf_init(&matchers, 1u << 20);
    cm_promql_match_selector(&matchers, sel);
    rc = run(c, pc, m, &matchers, "", a, ans, err, errlen);
    cm_buf_free(&matchers);
    return rc < 0 ? NULL : ans;
}

struct cm_prom_answer *
cm_promsrc_answer(const struct cm_prom_result *res, const char *request_ns, const char *ns_label,
                  const char *obj_label, struct cm_arena *a)
{
    struct cm_prom_answer *ans = cm_arena_zalloc(a, sizeof(*ans));

    ans->result = *res;
    ans->request_ns = request_ns;
    ans->ns_label = ns_label;
    ans->obj_label = obj_label;
    build_index(ans, a);
    return ans;
}

const struct cm_prom_result *
cm_promsrc_result(const struct cm_prom_answer *ans)
{
    return &ans->result;
}

const struct cm_prom_sample *
cm_promsrc_find(const struct cm_prom_answer *ans, const char *ns, const char *name, size_t *pos)
{
    const char *ns2, *name2;
    uint32_t at;
    size_t h;

    if (ans->head == NULL)
        return NULL;
    if (ans->ns_label == NULL)
        ns = "";
    for (h = cm_hash_pair(ns, name) & ans->mask; (at = ans->head[h]) != 0; h = (h + 1) & ans->mask) {
        key_of(ans, &ans->result.v[at - 1], &ns2, &name2);
        if (strcmp(ns, ns2) == 0 && strcmp(name, name2) == 0)
            break;
    }
    for (; at != 0; at = ans->chain[at - 1]) {
        if (at - 1 >= *pos) {
            *pos = at;
            return &ans->result.v[at - 1];
        }
    }
    return NULL;
}
