#include "selector.h"
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- lexer: k8s.io/apimachinery/pkg/labels Lexer ---- */

enum tok {
    T_ERROR = 1, T_EOS, T_CLOSEPAR, T_COMMA, T_NOTEXISTS, T_DEQ, T_EQ, T_GT,
    T_IDENT, T_IN, T_LT, T_NEQ, T_NOTIN, T_OPENPAR,
};

struct lexer {
    const char *s;
    size_t n, pos;
};

struct token {
    enum tok tok;
    const char *lit;          /* points into the input, or a static string */
    size_t len;
};

static int
is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' ||
           c == '>' || c == '<';
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum tok
symbol_token(const char *s, size_t n)
{
    static const struct { const char *text; enum tok tok; } table[] = {
        { "!", T_NOTEXISTS }, { "!=", T_NEQ }, { "(", T_OPENPAR },
        { ")", T_CLOSEPAR }, { ",", T_COMMA }, { "=", T_EQ }, { "==", T_DEQ },
        { ">", T_GT }, { "<", T_LT },
    };
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strlen(table[i].text) == n && memcmp(table[i].text, s, n) == 0)
            return table[i].tok;
    return 0;
}

/*
 * Go's Lexer.read: the next byte, or 0 at the end of the input.  A NUL byte
 * in the input reads as 0 as well, but is consumed, which is what gives it
 * its meaning in Go: where a token would start it is the end of the string
 * (the parser never sees what follows); right after an identifier or an
 * operator it only ends that token, and lexing goes on after it.
 */
static char
lx_read(struct lexer *l)
{
    return l->pos < l->n ? l->s[l->pos++] : '\0';
}

/* Go's Lexer.unread; only ever called after a byte that was not 0. */
static void
lx_unread(struct lexer *l)
{
    l->pos--;
}

/* Go's Lexer.Lex, with scanSpecialSymbol and scanIDOrKeyword. */
static struct token
lex(struct lexer *l)
{
    struct token t = { T_EOS, "", 0 };
    size_t start, len = 0;
    char ch;

    do
        ch = lx_read(l);
    while (is_space(ch));
    if (ch == '\0')
        return t;
    lx_unread(l);
    start = l->pos;
    t.lit = l->s + start;
    if (is_special(ch)) {
        enum tok last = 0;
        size_t last_len = 0;

        for (;;) {
            enum tok k;

            ch = lx_read(l);
            if (ch == '\0')
                break;
            if (!is_special(ch)) {
                lx_unread(l);
                break;
            }
            len++;
            k = symbol_token(t.lit, len);
            if (k != 0) {
                last = k;
                last_len = len;
            } else if (last != 0) {
                lx_unread(l);
                break;
            }
        }
        t.tok = last != 0 ? last : T_ERROR;
        t.len = last != 0 ? last_len : len;
        return t;
    }
    for (;;) {
        ch = lx_read(l);
        if (ch == '\0')
            break;
        if (is_special(ch) || is_space(ch)) {
            lx_unread(l);
            break;
        }
        len++;
    }
    t.len = len;
    if (t.len == 2 && memcmp(t.lit, "in", 2) == 0)
        t.tok = T_IN;
    else if (t.len == 5 && memcmp(t.lit, "notin", 5) == 0)
        t.tok = T_NOTIN;
    else
        t.tok = T_IDENT;
    return t;
}

/* ---- parser ---- */

enum context { KEY_AND_OPERATOR, VALUES };

struct parser {
    struct lexer lx;
    struct token *toks;
    size_t ntoks, pos;
    struct cm_arena *a;
    struct cm_buf err;
};

static struct token
lookahead(struct parser *p, enum context ctx)
{
    struct token t = p->toks[p->pos];

    if (ctx == VALUES && (t.tok == T_IN || t.tok == T_NOTIN))
        t.tok = T_IDENT;
    return t;
}

static struct token
consume(struct parser *p, enum context ctx)
{
    struct token t = lookahead(p, ctx);

    if (p->pos + 1 < p->ntoks)
        p->pos++;
    return t;
}

/* Writes "found '<lit>', <rest>" into the error buffer. */
static int
found(struct parser *p, struct token t, const char *rest)
{
    if (t.tok == T_ERROR) {
        CM_BUF_ADDLIT(&p->err, "found 'error expected: keyword found '");
        cm_buf_add(&p->err, t.lit, t.len);
        CM_BUF_ADDLIT(&p->err, "'");
    } else {
        CM_BUF_ADDLIT(&p->err, "found '");
        cm_buf_add(&p->err, t.lit, t.len);
    }
    cm_buf_addf(&p->err, "', %s", rest);
    return -1;
}

static int
validate_key(struct parser *p, struct token t)
{
    struct cm_buf msgs;
    int bad;

    cm_buf_init(&msgs, 8192);
    bad = cm_validate_qualified_name(t.lit, t.len, &msgs);
    if (bad) {
        CM_BUF_ADDLIT(&p->err, "<nil>: Invalid value: ");
        cm_validate_quote(&p->err, t.lit, t.len);
        CM_BUF_ADDLIT(&p->err, ": ");
        cm_buf_add(&p->err, msgs.data, msgs.len);
    }
    cm_buf_free(&msgs);
    return bad ? -1 : 0;
}

struct strset {
    size_t n, cap;
    const char **v;
};

static void
set_add(struct parser *p, struct strset *s, const char *lit, size_t len)
{
    if (s->n == s->cap) {
        const char **nv;
        s->cap = s->cap ? s->cap * 2 : 4;
        nv = cm_arena_alloc(p->a, s->cap * sizeof(*nv));
        if (s->n)
            memcpy(nv, s->v, s->n * sizeof(*nv));
        s->v = nv;
    }
    s->v[s->n++] = cm_arena_strndup(p->a, lit, len);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
set_finish(struct strset *s)
{
    size_t i, o = 0;

    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), cmp_str);
    for (i = 0; i < s->n; i++)
        if (o == 0 || strcmp(s->v[o - 1], s->v[i]) != 0)
            s->v[o++] = s->v[i];
    s->n = o;
}

static int
parse_identifiers_list(struct parser *p, struct strset *s)
{
    for (;;) {
        struct token t = consume(p, VALUES), t2;

        switch (t.tok) {
        case T_IDENT:
            set_add(p, s, t.lit, t.len);
            t2 = lookahead(p, VALUES);
            if (t2.tok == T_COMMA)
                continue;
            if (t2.tok == T_CLOSEPAR)
                return 0;
            return found(p, t2, "expected: ',' or ')'");
        case T_COMMA:
            if (s->n == 0)
                set_add(p, s, "", 0);
            t2 = lookahead(p, VALUES);
            if (t2.tok == T_CLOSEPAR) {
                set_add(p, s, "", 0);
                return 0;
            }
            /* ",," is an empty value; the second ',' is left for the next
             * turn, so "(a,,)" is {"", a} (Go since apimachinery v0.35). */
            if (t2.tok == T_COMMA)
                set_add(p, s, "", 0);
            break;
        default:
            return found(p, t, "expected: ',', or identifier");
        }
    }
}

static int
parse_values(struct parser *p, struct strset *s)
{
    struct token t = consume(p, VALUES);

    if (t.tok != T_OPENPAR) {
        /* Go's message lacks the comma here: "found 'x' expected: '('". */
        CM_BUF_ADDLIT(&p->err, "found '");
        cm_buf_add(&p->err, t.lit, t.len);
        CM_BUF_ADDLIT(&p->err, "' expected: '('");
        return -1;
    }
    t = lookahead(p, VALUES);
    switch (t.tok) {
    case T_IDENT:
    case T_COMMA:
        if (parse_identifiers_list(p, s) < 0)
            return -1;
        if (consume(p, VALUES).tok != T_CLOSEPAR)
            return found(p, t, "expected: ')'");
        return 0;
    case T_CLOSEPAR:
        consume(p, VALUES);
        set_add(p, s, "", 0);
        return 0;
    default:
        return found(p, t, "expected: ',', ')' or identifier");
    }
}

static int
parse_exact_value(struct parser *p, struct strset *s)
{
    struct token t = lookahead(p, VALUES);

    if (t.tok == T_EOS || t.tok == T_COMMA) {
        set_add(p, s, "", 0);
        return 0;
    }
    t = consume(p, VALUES);
    if (t.tok == T_IDENT) {
        set_add(p, s, t.lit, t.len);
        return 0;
    }
    return found(p, t, "expected: identifier");
}

static int
parse_int64(const char *s, int64_t *out)
{
    char *end;

    /* strconv.ParseInt: an optional sign, then digits only (no spaces). */
    if (*s == '\0' || !(isdigit((unsigned char)*s) || *s == '+' || *s == '-'))
        return -1;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return (errno != 0 || *end != '\0') ? -1 : 0;
}

/* Appends msg to the comma-separated list in agg; counts it. */
static void
aggregate_add(struct cm_buf *agg, size_t *count, const struct cm_buf *msg)
{
    if ((*count)++ > 0)
        CM_BUF_ADDLIT(agg, ", ");
    cm_buf_add(agg, msg->data, msg->len);
}

/*
 * The checks of Go's NewRequirement, after parsing: every failure is
 * reported, one alone as itself, several as "[a, b]" (errors.Aggregate; its
 * de-duplication never applies here, as each message names its value's
 * index).
 */
static int
check_requirement(struct parser *p, const struct cm_requirement *r)
{
    struct cm_buf agg, msg;
    size_t i, count = 0;

    cm_buf_init(&agg, 32768);          /* a longer list is cut short */
    cm_buf_init(&msg, 8192);
    if (r->op == CM_SEL_GT || r->op == CM_SEL_LT) {
        for (i = 0; i < r->nvalues; i++) {
            int64_t v;
            if (parse_int64(r->values[i], &v) == 0)
                continue;
            cm_buf_reset(&msg);
            cm_buf_addf(&msg, "values[%zu]: Invalid value: ", i);
            cm_validate_quote(&msg, r->values[i], strlen(r->values[i]));
            CM_BUF_ADDLIT(&msg, ": for 'Gt', 'Lt' operators, the value must be an integer");
            aggregate_add(&agg, &count, &msg);
        }
    }
    for (i = 0; i < r->nvalues; i++) {
        struct cm_buf why;

        cm_buf_init(&why, 8192);
        if (cm_validate_label_value(r->values[i], strlen(r->values[i]), &why)) {
            cm_buf_reset(&msg);
            cm_buf_addf(&msg, "values[%zu][%s]: Invalid value: ", i, r->key);
            cm_validate_quote(&msg, r->values[i], strlen(r->values[i]));
            CM_BUF_ADDLIT(&msg, ": ");
            cm_buf_add(&msg, why.data, why.len);
            aggregate_add(&agg, &count, &msg);
        }
        cm_buf_free(&why);
    }
    if (count > 1)
        cm_buf_addc(&p->err, '[');
    if (agg.len > 0)
        cm_buf_add(&p->err, agg.data, agg.len);
    if (count > 1)
        cm_buf_addc(&p->err, ']');
    cm_buf_free(&agg);
    cm_buf_free(&msg);
    return count > 0 ? -1 : 0;
}

static int
parse_requirement(struct parser *p, struct cm_requirement *r)
{
    struct token t = consume(p, VALUES), next;
    struct strset set = { 0, 0, NULL };
    int not_exists = 0, rc = 0;

    if (t.tok == T_NOTEXISTS) {
        not_exists = 1;
        t = consume(p, VALUES);
    }
    if (t.tok != T_IDENT)
        return found(p, t, "expected: identifier");
    if (validate_key(p, t) < 0)
        return -1;
    r->key = cm_arena_strndup(p->a, t.lit, t.len);
    next = lookahead(p, VALUES);
    if (not_exists || next.tok == T_EOS || next.tok == T_COMMA) {
        /* "!a=b" stops after "!a"; the caller then reports the '='. */
        r->op = not_exists ? CM_SEL_NOT_EXISTS : CM_SEL_EXISTS;
        r->nvalues = 0;
        r->values = NULL;
        return 0;
    }
    t = consume(p, KEY_AND_OPERATOR);
    switch (t.tok) {
    case T_IN:    r->op = CM_SEL_IN; break;
    case T_NOTIN: r->op = CM_SEL_NOTIN; break;
    case T_EQ:    r->op = CM_SEL_EQ; break;
    case T_DEQ:   r->op = CM_SEL_DEQ; break;
    case T_NEQ:   r->op = CM_SEL_NEQ; break;
    case T_GT:    r->op = CM_SEL_GT; break;
    case T_LT:    r->op = CM_SEL_LT; break;
    default:
        return found(p, t, "expected: in, notin, =, ==, !=, gt, lt");
    }
    if (r->op == CM_SEL_IN || r->op == CM_SEL_NOTIN)
        rc = parse_values(p, &set);
    else
        rc = parse_exact_value(p, &set);
    if (rc < 0)
        return -1;
    set_finish(&set);
    r->nvalues = set.n;
    r->values = set.v;
    return check_requirement(p, r);
}

static int
cmp_req(const void *a, const void *b)
{
    const struct cm_requirement *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    /* Go's sort is not stable; order equal keys by operator for determinism. */
    return c != 0 ? c : (int)x->op - (int)y->op;
}

int
cm_selector_parse(struct cm_selector *out, const char *s, size_t n,
                  struct cm_arena *a, const char **err_out)
{
    struct parser p;
    size_t cap = 0;
    int rc = -1;

    out->n = 0;
    out->req = NULL;
    *err_out = NULL;
    memset(&p, 0, sizeof(p));
    p.a = a;
    cm_buf_init(&p.err, 65536);
    if (n > CM_SELECTOR_MAX_LEN) {
        cm_buf_addf(&p.err, "the selector is longer than %d bytes",
                    CM_SELECTOR_MAX_LEN);
        goto out;
    }

    /* Tokenize once, up to the first end of string as Go's scan does (a NUL
     * where a token starts is one); the parser needs one token of lookahead. */
    p.lx.s = s;
    p.lx.n = n;
    for (;;) {
        struct token t = lex(&p.lx);

        if (p.ntoks == cap) {
            struct token *nt;
            cap = cap ? cap * 2 : 16;
            nt = cm_arena_alloc(a, cap * sizeof(*nt));
            if (p.ntoks)
                memcpy(nt, p.toks, p.ntoks * sizeof(*nt));
            p.toks = nt;
        }
        p.toks[p.ntoks++] = t;
        if (t.tok == T_EOS || t.tok == T_ERROR)
            break;
    }
    if (p.toks[p.ntoks - 1].tok == T_ERROR) {
        /* Go reports a lexer error where the parser meets it; that is
         * always before the end, so make sure an EOS follows. */
        struct token *nt = cm_arena_alloc(a, (p.ntoks + 1) * sizeof(*nt));
        memcpy(nt, p.toks, p.ntoks * sizeof(*nt));
        nt[p.ntoks].tok = T_EOS;
        nt[p.ntoks].lit = "";
        nt[p.ntoks].len = 0;
        p.toks = nt;
        p.ntoks++;
    }

    cap = 0;
    for (;;) {
        struct token t = lookahead(&p, VALUES);

        if (t.tok == T_EOS) {
            rc = 0;
            break;
        }
        if (t.tok != T_IDENT && t.tok != T_NOTEXISTS) {
            found(&p, t, "expected: !, identifier, or 'end of string'");
            break;
        }
        if (out->n == cap) {
            struct cm_requirement *nr;
            cap = cap ? cap * 2 : 4;
            nr = cm_arena_alloc(a, cap * sizeof(*nr));
            if (out->n)
                memcpy(nr, out->req, out->n * sizeof(*nr));
            out->req = nr;
        }
        if (parse_requirement(&p, &out->req[out->n]) < 0) {
            struct cm_buf tmp = p.err;
            cm_buf_init(&p.err, 65536);
            CM_BUF_ADDLIT(&p.err, "unable to parse requirement: ");
            cm_buf_add(&p.err, tmp.data, tmp.len);
            cm_buf_free(&tmp);
            break;
        }
        out->n++;
        t = consume(&p, VALUES);
        if (t.tok == T_EOS) {
            rc = 0;
            break;
        }
        if (t.tok == T_COMMA) {
            struct token t2 = lookahead(&p, VALUES);
            if (t2.tok != T_IDENT && t2.tok != T_NOTEXISTS) {
                found(&p, t2, "expected: identifier after ','");
                break;
            }
            continue;
        }
        found(&p, t, "expected: ',' or 'end of string'");
        break;
    }
    if (rc == 0 && out->n > 1)
        qsort(out->req, out->n, sizeof(*out->req), cmp_req);

out:
    if (rc < 0) {
        *err_out = cm_arena_strndup(a, p.err.data ? p.err.data : "invalid selector",
                                    p.err.data ? p.err.len : 16);
        out->n = 0;
    }
    cm_buf_free(&p.err);
    return rc;
}

static int
in_set(const struct cm_requirement *r, const char *v)
{
    size_t lo = 0, hi = r->nvalues;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v, r->values[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

static int
requirement_matches(const struct cm_requirement *r, const struct cm_labels *l)
{
    const char *v = cm_labels_get(l, r->key);
    int64_t have, want;

    switch (r->op) {
    case CM_SEL_EXISTS:     return v != NULL;
    case CM_SEL_NOT_EXISTS: return v == NULL;
    case CM_SEL_EQ:
    case CM_SEL_DEQ:
    case CM_SEL_IN:         return v != NULL && in_set(r, v);
    case CM_SEL_NEQ:
    case CM_SEL_NOTIN:      return v == NULL || !in_set(r, v);
    case CM_SEL_GT:
    case CM_SEL_LT:
        if (v == NULL || r->nvalues != 1 || parse_int64(v, &have) < 0 ||
            parse_int64(r->values[0], &want) < 0)
            return 0;
        return r->op == CM_SEL_GT ? have > want : have < want;
    }
    return 0;
}

int
cm_selector_matches(const struct cm_selector *sel, const struct cm_labels *l)
{
    size_t i;

    for (i = 0; i < sel->n; i++)
        if (!requirement_matches(&sel->req[i], l))
            return 0;
    return 1;
}

void
cm_selector_format(const struct cm_selector *sel, struct cm_buf *out)
{
    static const char *const ops[] = {
        [CM_SEL_EQ] = "=", [CM_SEL_DEQ] = "==", [CM_SEL_NEQ] = "!=",
        [CM_SEL_IN] = " in ", [CM_SEL_NOTIN] = " notin ",
        [CM_SEL_GT] = ">", [CM_SEL_LT] = "<",
    };
    size_t i, k;

    for (i = 0; i < sel->n; i++) {
        const struct cm_requirement *r = &sel->req[i];

        if (i > 0)
            cm_buf_addc(out, ',');
        if (r->op == CM_SEL_NOT_EXISTS)
            cm_buf_addc(out, '!');
        cm_buf_adds(out, r->key);
        if (r->op == CM_SEL_EXISTS || r->op == CM_SEL_NOT_EXISTS)
            continue;
        cm_buf_adds(out, ops[r->op]);
        if (r->op == CM_SEL_IN || r->op == CM_SEL_NOTIN)
            cm_buf_addc(out, '(');
        for (k = 0; k < r->nvalues; k++) {
            if (k > 0)
                cm_buf_addc(out, ',');
            cm_buf_adds(out, r->values[k]);
        }
        if (r->op == CM_SEL_IN || r->op == CM_SEL_NOTIN)
            cm_buf_addc(out, ')');
    }
}
