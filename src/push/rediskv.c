#include "rediskv.h"
#include "quantity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cm_redis_url_parse(const char *url, struct cm_redis_url *out, char *err, size_t errlen)
{
    const char *p, *at, *host, *end, *colon;
    size_t hlen;
    char *e;
    long v;

    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (strncmp(url, "redis://", 8) == 0) {
        p = url + 8;
    } else if (strncmp(url, "rediss://", 9) == 0) {
        p = url + 9;
        out->tls = 1;
    } else {
        snprintf(err, errlen, "a Redis URL starts with redis:// or rediss:// (TLS)");
        return -1;
    }
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (at != NULL) {
        if (memchr(p, ':', (size_t)(at - p)) != NULL) {
            snprintf(err, errlen, "the Redis URL holds a password: put it in password_file "
                     "(a file only the server reads) and leave it out of the URL");
            return -1;
        }
        if ((size_t)(at - p) >= sizeof(out->user) || at == p) {
            snprintf(err, errlen, "the Redis URL's user name is empty or too long");
            return -1;
        }
        memcpy(out->user, p, (size_t)(at - p));
        p = at + 1;
    }
    host = p;
    if (*host == '[') {                               /* [IPv6]:port */
        const char *close = memchr(host, ']', (size_t)(end - host));

        if (close == NULL) {
            snprintf(err, errlen, "the Redis URL's IPv6 address has no closing ]");
            return -1;
        }
        hlen = (size_t)(close - host - 1);
        host++;
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (close + 1 < end && colon == NULL) {
            snprintf(err, errlen, "the Redis URL has text after its IPv6 address");
            return -1;
        }
    } else {
        colon = memchr(host, ':', (size_t)(end - host));
        hlen = (size_t)((colon ? colon : end) - host);
    }
    if (hlen == 0 || hlen >= sizeof(out->host)) {
        snprintf(err, errlen, "the Redis URL names no host");
        return -1;
    }
    memcpy(out->host, host, hlen);
    if (colon != NULL) {
        v = strtol(colon + 1, &e, 10);
        if (e != end || e == colon + 1 || v < 1 || v > 65535) {
            snprintf(err, errlen, "the Redis URL's port is not a number from 1 to 65535");
            return -1;
        }
        out->port = (int)v;
    }
    if (*end == '/' && end[1] != '\0') {
        v = strtol(end + 1, &e, 10);
        if (*e != '\0' || v < 0 || v > 1000000) {
            snprintf(err, errlen, "the Redis URL's database (after the /) is not a number");
            return -1;
        }
        out->db = (int)v;
    } else if (*end != '\0' && strcmp(end, "/") != 0) {
        snprintf(err, errlen, "the Redis URL takes no query or fragment");
        return -1;
    }
    return 0;
}

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
    if ((size_t)(sp1 - s) >= sizeof(num) || sp1 == s)
        return -1;
    memcpy(num, s, (size_t)(sp1 - s));
    num[sp1 - s] = '\0';
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
