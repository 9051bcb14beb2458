/*
 * promql.h - the pure half of Prometheus sources: query templates in
 * prometheus-adapter's metricsQuery syntax, label matchers, and the
 * /api/v1/query response.
 *
 * A template is PromQL with three placeholders, spelled as in
 * prometheus-adapter (Go templates with << >> delimiters):
 *   <<.Series>>         the series name
 *   <<.LabelMatchers>>  namespace="ns",pod=~"a|b|c" (plus metricLabelSelector terms)
 *   <<.GroupBy>>        the label naming the object: pod, deployment, ...
 */
#ifndef CM_PROMQL_H
#define CM_PROMQL_H

#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "labels.h"
#include "selector.h"

/*
 * Checks a template.  Returns 0, or -1 with *at set to the byte offset of
 * the first placeholder that is not one of the three.
 */
int cm_promql_check(const char *tmpl, size_t *at);

struct cm_promql_vars {
    const char *series;
    const char *label_matchers;
    const char *group_by;
};

/* Appends tmpl with its placeholders replaced (tmpl must pass cm_promql_check). */
void cm_promql_render(const char *tmpl, const struct cm_promql_vars *v, struct cm_buf *out);

/* Appends label="value" (separated from earlier matchers by a comma), escaped for PromQL. */
void cm_promql_match_eq(struct cm_buf *out, const char *label, const char *value);

/*
 * Appends label=~"v1|v2|..." matching exactly the n values (regex-quoted), or
 * label="v" when n is 1.
 */
void cm_promql_match_any(struct cm_buf *out, const char *label, const char *const *values,
                         size_t n);

/* Appends the matchers equivalent to a label selector's requirements. */
void cm_promql_match_selector(struct cm_buf *out, const struct cm_selector *sel);

/* One series of an instant query's result. */
struct cm_prom_sample {
    struct cm_labels labels;           /* sorted; __name__ left out */
    double value;
    double timestamp;                  /* seconds */
};

struct cm_prom_result {
    size_t n;
    struct cm_prom_sample *v;
};

/*
 * Parses an /api/v1/query response body (a vector or a scalar result) into
 * *out, allocated from a.  Returns 0, or -1 with the reason in err (the
 * error Prometheus reported, or what is wrong with the body).
 */
int cm_prom_parse(const char *body, size_t len, struct cm_arena *a, struct cm_prom_result *out,
                  char *err, size_t errlen);

#endif
