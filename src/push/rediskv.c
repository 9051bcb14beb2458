#include "rediskv.h"
#include "config.h"
#include "quantity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cm_redis_key(struct cm_buf *out, const char *prefix, const struct cm_push_key *k)
{
    cm_buf_addf(out, "%sv/%s/%s/%s/%s", prefix, k->metric, k->resource, k->ns, k->name);
}

int
cm_redis_key_parse(const char *s, size_t n, const char *prefix, struct cm_arena *a,
                   struct cm_push_key *out)
{
    size_t plen = strlen(prefix), i;
    const char *part[3], *p, *end = s + n, *slash;
    size_t len[3];

    if (n < plen + 2 || memcmp(s, prefix, plen) != 0 || memcmp(s + plen, "v/", 2) != 0 ||
        memchr(s, '\0', n) != NULL)
        return -1;
    p = s + plen + 2;
    for (i = 0; i < 3; i++) {
        slash = memchr(p, '/', (size_t)(end - p));
        if (slash == NULL)
            return -1;
        part[i] = p;
        len[i] = (size_t)(slash - p);
        p = slash + 1;
    }
    if (len[0] == 0 || p == end)
        return -1;
    out->metric = cm_arena_strndup(a, part[0], len[0]);
    out->resource = cm_arena_strndup(a, part[1], len[1]);
    out->ns = cm_arena_strndup(a, part[2], len[2]);
    out->name = cm_arena_strndup(a, p, (size_t)(end - p));
    return 0;
}

void
cm_redis_value(struct cm_buf *out, const struct cm_push_value *v)
{
    size_t i;

    cm_buf_addf(out, "%lld %s ", (long long)v->timestamp, v->text);
    for (i = 0; i < v->labels.n; i++)
        cm_buf_addf(out, "%s%s=%s", i ? "," : "", v->labels.v[i].key, v->labels.v[i].value);
}

int
cm_redis_value_parse(const char *s, size_t n, struct cm_arena *a, struct cm_push_value *out)
{
    const char *end = s + n, *sp1, *sp2, *p;
    struct cm_quantity q;
    struct cm_label *v;
    const char *qerr;
    size_t nl = 0, i;
    char *e, num[24];
    long long ts;

    if (memchr(s, '\0', n) != NULL || (sp1 = memchr(s, ' ', n)) == NULL ||
        (sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) == NULL)
        return -1;
    if ((size_t)(sp1 - s) > 18 || sp1 == s)         /* 18 digits cannot overflow */
        return -1;
    memcpy(num, s, (size_t)(sp1 - s));
    num[sp1 - s] = '\0';
    if (strspn(num, "0123456789") != (size_t)(sp1 - s))
        return -1;
    ts = strtoll(num, &e, 10);
    if (*e != '\0' || ts < 0)
        return -1;
    if (cm_quantity_parse(sp1 + 1, (size_t)(sp2 - sp1 - 1), &q, &qerr) < 0)
        return -1;
    out->timestamp = ts;
    out->text = cm_arena_strdup(a, q.text);
    out->labels.n = 0;
    out->labels.v = NULL;
    p = sp2 + 1;
    if (p == end)
        return 0;
    for (i = 0; p + i < end; i++)
        nl += p[i] == ',';
    nl++;
    if (nl > CM_METRIC_LABELS_MAX)
        return -1;
    v = cm_arena_alloc(a, nl * sizeof(*v));
    for (i = 0; i < nl; i++) {
        const char *comma = memchr(p, ',', (size_t)(end - p)), *stop = comma ? comma : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));

        if (eq == NULL || eq == p)
            return -1;
        v[i].key = cm_arena_strndup(a, p, (size_t)(eq - p));
        v[i].value = cm_arena_strndup(a, eq + 1, (size_t)(stop - eq - 1));
        p = comma ? comma + 1 : end;
    }
    if (cm_labels_sort(v, nl) >= 0)
        return -1;                                /* a repeated label */
    out->labels.n = nl;
    out->labels.v = v;
    return 0;
}

int
cm_redis_prefix_ok(const char *prefix)
{
    size_t i, n = strlen(prefix);

    if (n == 0 || n > 64)
        return -1;
    for (i = 0; i < n; i++)
        if ((unsigned char)prefix[i] <= ' ' || (unsigned char)prefix[i] >= 0x7f ||
            strchr("*?[]\\", prefix[i]) != NULL)
            return -1;
    return 0;
}

void
cm_redis_change_line(struct cm_buf *out, const char *prefix, const struct cm_push_key *k,
                     const struct cm_push_value *v)
{
    cm_redis_key(out, prefix, k);
    cm_buf_addc(out, ' ');
    cm_redis_value(out, v);
    cm_buf_addc(out, '\n');
}

size_t
cm_redis_changes_each(const char *msg, size_t n, const char *prefix, struct cm_arena *a,
                      void (*fn)(const struct cm_push_key *k, const struct cm_push_value *v,
                                 void *arg),
                      void *arg)
{
    const char *p = msg, *end = msg + n, *nl, *sp;
    struct cm_push_key k;
    struct cm_push_value v;
    size_t skipped = 0;

    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            nl = end;
        /* the key holds no space: the first one ends it */
        sp = memchr(p, ' ', (size_t)(nl - p));
        if (sp == NULL || cm_redis_key_parse(p, (size_t)(sp - p), prefix, a, &k) < 0 ||
            cm_redis_value_parse(sp + 1, (size_t)(nl - sp - 1), a, &v) < 0)
            skipped += nl > p;
        else
            fn(&k, &v, arg);
        p = nl + 1;
    }
    return skipped;
}

int64_t
cm_redis_max_age(const struct cm_config *cfg, const struct cm_push_key *k)
{
    const struct cm_metric *m;
    const struct cm_resource *r;
    size_t pos = 0;

    if (*k->resource == '\0') {
        while ((m = cm_config_next_external(cfg, k->metric, &pos)) != NULL)
            if (cm_metric_takes_writes(m))
                return m->source.push.max_age;
        return 0;
    }
    m = cm_config_find(cfg, k->metric);
    r = cm_resource_lookup(k->resource);
    if (m == NULL || r == NULL || !cm_metric_describes(m, r) || !cm_metric_takes_writes(m))
        return 0;
    return m->source.push.max_age;
}

int
cm_redis_keep(const struct cm_push_key *k, int64_t timestamp, void *arg)
{
    const struct cm_redis_keep *w = arg;
    int64_t max_age = cm_redis_max_age(w->config, k);

    return max_age > 0 && w->now - timestamp <= max_age;
}
