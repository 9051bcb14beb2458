#include "fieldsel.h"
#include "buf.h"

#include <string.h>

#define MAX_TERMS 32

struct term {
    char *field, *value;
    int neq;
};

/* The next unescaped c at or after s[i] (or n). */
static size_t
find_unescaped(const char *s, size_t n, size_t i, const char *set)
{
    for (; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            i++;
            continue;
        }
        if (strchr(set, s[i]) != NULL)
            return i;
    }
    return n;
}

/* Copies s[0..n) into a, removing the backslash of each escape. */
static char *
unescape(const char *s, size_t n, struct cm_arena *a)
{
    char *out = cm_arena_alloc(a, n + 1), *w = out;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        *w++ = s[i];
    }
    *w = '\0';
    return out;
}

/* The message in b, copied into a; frees b. */
static const char *
take(struct cm_buf *b, struct cm_arena *a)
{
    const char *r = cm_arena_strdup(a, b->data ? b->data : "");

    cm_buf_free(b);
    return r;
}

int
cm_fieldsel_check(const char *s, size_t n, const char *name,
                  struct cm_arena *a, const char **err_out)
{
    struct term t[MAX_TERMS];
    size_t nt = 0, start = 0, i;
    const char *pinned = NULL;
    struct cm_buf msg;

    *err_out = NULL;
    if (n == 0)
        return 0;                                   /* fields.Everything() */
    while (start <= n) {
        size_t end = find_unescaped(s, n, start, ","), op;
        const char *p = s + start;
        size_t len = end - start, flen, vstart;

        if (len == 0) {
            start = end + 1;                        /* Go skips empty terms */
            if (end == n)
                break;
            continue;
        }
        /* Go's splitTerm: the first position where "!=", "==" or "="
         * starts, escapes not considered; only the value is unescaped. */
        for (op = 0; op < len; op++)
            if (p[op] == '=' || (p[op] == '!' && op + 1 < len && p[op + 1] == '='))
                break;
        if (op == len) {
            cm_buf_init(&msg, 16384);
            cm_buf_addf(&msg, "invalid selector: '%.*s'; can't understand '%.*s'",
                        (int)n, s, (int)len, p);
            *err_out = take(&msg, a);
            return -1;
        }
        flen = op;
        if (nt == MAX_TERMS) {
            *err_out = cm_arena_strdup(a, "the fieldSelector has too many terms");
            return -1;
        }
        t[nt].neq = p[op] == '!';
        vstart = op + (t[nt].neq || (op + 1 < len && p[op + 1] == '=') ? 2 : 1);
        t[nt].field = cm_arena_strndup(a, p, flen);
        t[nt].value = unescape(p + vstart, len - vstart, a);
        nt++;
        if (end == n)
            break;
        start = end + 1;
    }
    for (i = 0; i < nt; i++) {
        if (strcmp(t[i].field, "metadata.name") != 0 &&
            strcmp(t[i].field, "metadata.namespace") != 0) {
            cm_buf_init(&msg, 16384);
            cm_buf_addf(&msg, "field label not supported: %s", t[i].field);
            *err_out = take(&msg, a);
            return -1;
        }
    }
    if (nt == 0)
        return 0;
    for (i = 0; i < nt && pinned == NULL; i++)
        if (!t[i].neq && strcmp(t[i].field, "metadata.name") == 0)
            pinned = t[i].value;
    if (pinned == NULL || strcmp(pinned, name) != 0) {
        *err_out = "fieldSelector metadata.name doesn't match requested name";
        return -1;
    }
    return 0;
}
