#include "exposition.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 9

void
cm_expo_escape(struct cm_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            CM_BUF_ADDLIT(b, "\\\\");
        else if (*s == '"')
            CM_BUF_ADDLIT(b, "\\\"");
        else if (*s == '\n')
            CM_BUF_ADDLIT(b, "\\n");
        else
            cm_buf_addc(b, *s);
    }
}

void
cm_expo_family(struct cm_buf *b, const char *name, const char *type, const char *help)
{
    CM_BUF_ADDLIT(b, "# HELP ");
    cm_buf_adds(b, name);
    cm_buf_addc(b, ' ');
    for (; *help; help++) {             /* HELP escapes only \ and newline */
        if (*help == '\\')
            CM_BUF_ADDLIT(b, "\\\\");
        else if (*help == '\n')
            CM_BUF_ADDLIT(b, "\\n");
        else
            cm_buf_addc(b, *help);
    }
    CM_BUF_ADDLIT(b, "\n# TYPE ");
    cm_buf_adds(b, name);
    cm_buf_addc(b, ' ');
    cm_buf_adds(b, type);
    cm_buf_addc(b, '\n');
}

static void
head(struct cm_buf *b, const char *name, const char *const *labels, size_t nlabels)
{
    size_t i;

    cm_buf_adds(b, name);
    if (nlabels == 0)
        return;
    cm_buf_addc(b, '{');
    for (i = 0; i < nlabels; i++) {
        if (i > 0)
            cm_buf_addc(b, ',');
        cm_buf_adds(b, labels[2 * i]);
        CM_BUF_ADDLIT(b, "=\"");
        cm_expo_escape(b, labels[2 * i + 1]);
        cm_buf_addc(b, '"');
    }
    cm_buf_addc(b, '}');
}

/* The shortest of %.15g..%.17g that reads back as v (0.0005, not 0.00050000000000000001). */
static void
fmt_double(char *s, size_t n, double v)
{
    int prec;

    for (prec = 15; prec < 17; prec++) {
        snprintf(s, n, "%.*g", prec, v);
        if (strtod(s, NULL) == v)
            return;
    }
    snprintf(s, n, "%.17g", v);
}

static void
add_double(struct cm_buf *b, double v)
{
    char s[32];

    if (isnan(v))
        CM_BUF_ADDLIT(b, "NaN");
    else if (isinf(v))
        cm_buf_adds(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == (double)(int64_t)v && fabs(v) < 1e15) {
        snprintf(s, sizeof(s), "%lld", (long long)v);
        cm_buf_adds(b, s);
    } else {
        fmt_double(s, sizeof(s), v);
        cm_buf_adds(b, s);
    }
}

void
cm_expo_sample(struct cm_buf *b, const char *name, const char *const *labels, size_t nlabels,
               double value)
{
    head(b, name, labels, nlabels);
    cm_buf_addc(b, ' ');
    add_double(b, value);
    cm_buf_addc(b, '\n');
}

void
cm_expo_sample_u64(struct cm_buf *b, const char *name, const char *const *labels,
                   size_t nlabels, uint64_t value)
{
    head(b, name, labels, nlabels);
    cm_buf_addf(b, " %llu\n", (unsigned long long)value);
}

void
cm_expo_histogram(struct cm_buf *b, const char *name, const char *const *labels,
                  size_t nlabels, const double *le, const uint64_t *bucket, size_t nb,
                  double sum)
{
    const char *l[2 * MAX_LABELS];
    char bound[32], sample[128];
    uint64_t cum = 0;
    size_t i;

    if (nlabels > MAX_LABELS - 1)
        nlabels = MAX_LABELS - 1;
    if (nlabels > 0)
        memcpy(l, labels, 2 * nlabels * sizeof(*l));
    l[2 * nlabels] = "le";
    snprintf(sample, sizeof(sample), "%s_bucket", name);
    for (i = 0; i <= nb; i++) {
        cum += bucket[i];
        if (i < nb)
            fmt_double(bound, sizeof(bound), le[i]);
        else
            snprintf(bound, sizeof(bound), "+Inf");
        l[2 * nlabels + 1] = bound;
        cm_expo_sample_u64(b, sample, l, nlabels + 1, cum);
    }
    snprintf(sample, sizeof(sample), "%s_sum", name);
    cm_expo_sample(b, sample, labels, nlabels, sum);
    snprintf(sample, sizeof(sample), "%s_count", name);
    cm_expo_sample_u64(b, sample, labels, nlabels, cum);
}
