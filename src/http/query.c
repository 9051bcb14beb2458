#include "query.h"
#include "uri.h"

#include <string.h>

void
cm_query_parse(struct cm_query *out, const char *raw, size_t n,
               struct cm_arena *a)
{
    size_t pos = 0;

    out->npairs = 0;
    out->skipped = 0;
    out->overflow = 0;
    while (pos < n) {
        const char *pair = raw + pos, *eq;
        size_t plen, nlen, vlen, dn, dv;
        char *name, *value;

        eq = memchr(pair, '&', n - pos);
        plen = eq ? (size_t)(eq - pair) : n - pos;
        pos += plen + 1;

        /* Go's parseQuery looks for ';' in the whole pair, value included,
         * and drops the pair ("invalid semicolon separator in query"); the
         * apiserver ignores that error and uses the other pairs. */
        if (memchr(pair, ';', plen) != NULL) {
            out->skipped++;
            continue;
        }
        eq = memchr(pair, '=', plen);
        nlen = eq ? (size_t)(eq - pair) : plen;
        vlen = eq ? plen - nlen - 1 : 0;
        if (nlen == 0)
            continue;
        name = cm_arena_alloc(a, nlen + 1);
        value = cm_arena_alloc(a, vlen + 1);
        if (cm_pct_decode(name, pair, nlen, 1, &dn) < 0 ||
            cm_pct_decode(value, eq ? eq + 1 : "", vlen, 1, &dv) < 0 ||
            memchr(name, '\0', dn) != NULL) {
            out->skipped++;
            continue;
        }
        if (out->npairs == CM_QUERY_MAX_PAIRS) {
            out->overflow = 1;
            return;
        }
        out->pair[out->npairs].name = name;
        out->pair[out->npairs].value = value;
        out->pair[out->npairs].value_len = dv;
        out->npairs++;
    }
}

const struct cm_query_pair *
cm_query_get(const struct cm_query *q, const char *name)
{
    size_t i;

    for (i = 0; i < q->npairs; i++)
        if (strcmp(q->pair[i].name, name) == 0)
            return &q->pair[i];
    return NULL;
}

int
cm_query_value_is(const struct cm_query_pair *p, const char *s)
{
    size_t n = strlen(s);

    return p->value_len == n && memcmp(p->value, s, n) == 0;
}
