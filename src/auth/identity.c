#include "identity.h"
#include "hex.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
cm_identity_headers_default(struct cm_identity_headers *h)
{
    memset(h, 0, sizeof(*h));
    h->user[h->nuser++] = "X-Remote-User";
    h->group[h->ngroup++] = "X-Remote-Group";
    h->extra_prefix[h->nextra_prefix++] = "X-Remote-Extra-";
    h->uid[h->nuid++] = "X-Remote-Uid";
}

void
cm_identity_anonymous(struct cm_identity *id)
{
    static const char *anon_groups[] = { CM_GROUP_UNAUTHENTICATED };

    memset(id, 0, sizeof(*id));
    id->how = CM_AUTHN_ANONYMOUS;
    id->user = CM_USER_ANONYMOUS;
    id->uid = "";
    id->groups = anon_groups;
    id->ngroups = 1;
}

size_t
cm_identity_param_name(const char *header, char *out, size_t cap)
{
    size_t n = strlen(header), i;

    if (n + 6 > cap)
        return 0;
    memcpy(out, "HTTP_", 5);
    for (i = 0; i < n; i++)
        out[5 + i] = header[i] == '-' ? '_' : (char)toupper((unsigned char)header[i]);
    out[5 + n] = '\0';
    return 5 + n;
}

/* The value of "NAME=value" if NAME is name (exactly), else NULL. */
static const char *
param_value(const char *p, const char *name, size_t nlen)
{
    return strncmp(p, name, nlen) == 0 && p[nlen] == '=' ? p + nlen + 1 : NULL;
}

/* 1 if v is empty or only blanks (Go's strings.TrimSpace(v) == ""). */
static int
blank(const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r' || *v == '\v' || *v == '\f')
        v++;
    return *v == '\0';
}

/*
 * Appends v, whole, to list (capacity cap).  Never split: one FastCGI param
 * is one header line, and Go's requestheader authenticator keeps every line
 * as one value, so a comma in a value is part of the name.  v is borrowed
 * (the request's params).  Returns -1 when the list is full.
 */
static int
add_value(const char *v, const char **list, size_t *n, size_t cap)
{
    if (*n == cap)
        return -1;
    list[(*n)++] = v;
    return 0;
}

/*
 * An extra's key from the rest of its param name: lower-case, '_' -> '-',
 * then url.PathUnescape (a malformed escape keeps the key as it is, which
 * Go drops; we keep it escaped rather than lose the value).
 */
static char *
extra_key(const char *s, size_t n, struct cm_arena *a)
{
    char *k = cm_arena_alloc(a, n + 1);
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        char c = s[i] == '_' ? '-' : (char)tolower((unsigned char)s[i]);

        if (c == '%' && i + 2 < n && cm_hex_value(s[i + 1]) >= 0 && cm_hex_value(s[i + 2]) >= 0) {
            k[o++] = (char)(cm_hex_value(s[i + 1]) * 16 + cm_hex_value(s[i + 2]));
            i += 2;
            continue;
        }
        k[o++] = c;
    }
    k[o] = '\0';
    return k;
}

int
cm_identity_from_params(struct cm_identity *out, const char *const *params,
                        const struct cm_identity_headers *h, struct cm_arena *a,
                        char *err, size_t errlen)
{
    char name[256];
    const char **groups;
    struct cm_identity_extra *extra;
    size_t i, k, nlen;
    const char *const *p;
    const char *user = NULL, *uid = NULL;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < h->nuser && user == NULL; i++) {
        if ((nlen = cm_identity_param_name(h->user[i], name, sizeof(name))) == 0)
            continue;
        for (p = params; p && *p && user == NULL; p++) {
            const char *v = param_value(*p, name, nlen);
            if (v != NULL && *v != '\0')
                user = v;
        }
    }
    if (user == NULL)
        return 0;
    for (i = 0; i < h->nuid && uid == NULL; i++) {
        if ((nlen = cm_identity_param_name(h->uid[i], name, sizeof(name))) == 0)
            continue;
        for (p = params; p && *p && uid == NULL; p++) {
            const char *v = param_value(*p, name, nlen);
            if (v != NULL && *v != '\0')
                uid = v;
        }
    }

    groups = cm_arena_alloc(a, (CM_IDENTITY_MAX_GROUPS + 1) * sizeof(*groups));
    for (i = 0; i < h->ngroup; i++) {
        if ((nlen = cm_identity_param_name(h->group[i], name, sizeof(name))) == 0)
            continue;
        for (p = params; p && *p; p++) {
            const char *v = param_value(*p, name, nlen);
            if (v != NULL && !blank(v) &&
                add_value(v, groups, &out->ngroups, CM_IDENTITY_MAX_GROUPS) < 0) {
                snprintf(err, errlen, "the request names more than %d groups",
                         CM_IDENTITY_MAX_GROUPS);
                return -1;
            }
        }
    }

    extra = cm_arena_zalloc(a, CM_IDENTITY_MAX_EXTRA * sizeof(*extra));
    for (i = 0; i < h->nextra_prefix; i++) {
        if ((nlen = cm_identity_param_name(h->extra_prefix[i], name, sizeof(name))) == 0)
            continue;
        for (p = params; p && *p; p++) {
            const char *eq = strchr(*p, '=');
            const char *key;
            struct cm_identity_extra *e = NULL;

            if (eq == NULL || (size_t)(eq - *p) <= nlen || strncmp(*p, name, nlen) != 0)
                continue;
            key = extra_key(*p + nlen, (size_t)(eq - *p) - nlen, a);
            for (k = 0; k < out->nextra; k++)
                if (strcmp(extra[k].key, key) == 0)
                    e = &extra[k];
            if (e == NULL) {
                if (out->nextra == CM_IDENTITY_MAX_EXTRA) {
                    snprintf(err, errlen, "the request carries more than %d extra keys",
                             CM_IDENTITY_MAX_EXTRA);
                    return -1;
                }
                e = &extra[out->nextra++];
                e->key = key;
                e->values = cm_arena_alloc(a, CM_IDENTITY_MAX_VALUES * sizeof(*e->values));
            }
            if (add_value(eq + 1, e->values, &e->nvalues, CM_IDENTITY_MAX_VALUES) < 0) {
                snprintf(err, errlen, "the extra key %s has more than %d values", key,
                         CM_IDENTITY_MAX_VALUES);
                return -1;
            }
        }
    }
    out->how = CM_AUTHN_FRONT_PROXY;
    out->user = user;
    out->uid = uid ? uid : "";
    out->groups = groups;
    out->extra = extra;
    cm_identity_add_authenticated(out, a);
    return 1;
}

int
cm_identity_in_group(const struct cm_identity *id, const char *g)
{
    size_t i;

    for (i = 0; i < id->ngroups; i++)
        if (strcmp(id->groups[i], g) == 0)
            return 1;
    return 0;
}

void
cm_identity_add_authenticated(struct cm_identity *id, struct cm_arena *a)
{
    const char **g;

    if (strcmp(id->user, CM_USER_ANONYMOUS) == 0 ||
        cm_identity_in_group(id, CM_GROUP_AUTHENTICATED) ||
        cm_identity_in_group(id, CM_GROUP_UNAUTHENTICATED))
        return;
    g = cm_arena_alloc(a, (id->ngroups + 1) * sizeof(*g));
    if (id->ngroups > 0)
        memcpy(g, id->groups, id->ngroups * sizeof(*g));
    g[id->ngroups++] = CM_GROUP_AUTHENTICATED;
    id->groups = g;
}

/* ---- the flat encoding ------------------------------------------------- */

int
cm_identity_put(char *out, size_t cap, size_t *o, const char *s)
{
    size_t n = strlen(s);

    if (*o + n + 1 > cap)
        return -1;
    memcpy(out + *o, s, n + 1);
    *o += n + 1;
    return 0;
}

static int
putn(char *out, size_t cap, size_t *o, size_t v)
{
    char num[24];

    snprintf(num, sizeof(num), "%zu", v);
    return cm_identity_put(out, cap, o, num);
}

size_t
cm_identity_encode(const struct cm_identity *id, char *out, size_t cap)
{
    size_t o = 0, i, k;

    if (putn(out, cap, &o, (size_t)id->how) < 0 || cm_identity_put(out, cap, &o, id->user) < 0 ||
        cm_identity_put(out, cap, &o, id->uid ? id->uid : "") < 0 || putn(out, cap, &o, id->ngroups) < 0)
        return 0;
    for (i = 0; i < id->ngroups; i++)
        if (cm_identity_put(out, cap, &o, id->groups[i]) < 0)
            return 0;
    if (putn(out, cap, &o, id->nextra) < 0)
        return 0;
    for (i = 0; i < id->nextra; i++) {
        if (cm_identity_put(out, cap, &o, id->extra[i].key) < 0 ||
            putn(out, cap, &o, id->extra[i].nvalues) < 0)
            return 0;
        for (k = 0; k < id->extra[i].nvalues; k++)
            if (cm_identity_put(out, cap, &o, id->extra[i].values[k]) < 0)
                return 0;
    }
    return o;
}

/* The next NUL-terminated field of in[*o..len) copied into a, or NULL. */
static const char *
get(const char *in, size_t len, size_t *o, struct cm_arena *a)
{
    const char *end;

    if (*o >= len || (end = memchr(in + *o, '\0', len - *o)) == NULL)
        return NULL;
    end = cm_arena_strndup(a, in + *o, (size_t)(end - (in + *o)));
    *o += strlen(end) + 1;
    return end;
}

static int
getn(const char *in, size_t len, size_t *o, size_t max, size_t *v, struct cm_arena *a)
{
    const char *s = get(in, len, o, a);
    char *end;
    unsigned long long n;

    if (s == NULL)
        return -1;
    n = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || n > max)
        return -1;
    *v = (size_t)n;
    return 0;
}

int
cm_identity_decode(struct cm_identity *out, const char *in, size_t len, struct cm_arena *a)
{
    size_t o = 0, i, k, how;

    memset(out, 0, sizeof(*out));
    if (getn(in, len, &o, CM_AUTHN_INSECURE, &how, a) < 0 ||
        (out->user = get(in, len, &o, a)) == NULL || (out->uid = get(in, len, &o, a)) == NULL ||
        getn(in, len, &o, CM_IDENTITY_MAX_GROUPS + 1, &out->ngroups, a) < 0)
        return -1;
    out->how = (enum cm_authn)how;
    out->groups = cm_arena_alloc(a, (out->ngroups + 1) * sizeof(*out->groups));
    for (i = 0; i < out->ngroups; i++)
        if ((out->groups[i] = get(in, len, &o, a)) == NULL)
            return -1;
    if (getn(in, len, &o, CM_IDENTITY_MAX_EXTRA, &out->nextra, a) < 0)
        return -1;
    out->extra = cm_arena_zalloc(a, (out->nextra + 1) * sizeof(*out->extra));
    for (i = 0; i < out->nextra; i++) {
        struct cm_identity_extra *e = &out->extra[i];

        if ((e->key = get(in, len, &o, a)) == NULL ||
            getn(in, len, &o, CM_IDENTITY_MAX_VALUES, &e->nvalues, a) < 0)
            return -1;
        e->values = cm_arena_alloc(a, (e->nvalues + 1) * sizeof(*e->values));
        for (k = 0; k < e->nvalues; k++)
            if ((e->values[k] = get(in, len, &o, a)) == NULL)
                return -1;
    }
    return o == len ? 0 : -1;
}
