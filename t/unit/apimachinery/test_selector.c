/* Label selectors: parsing, canonical form, Go's error texts, matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"

static struct cm_arena arena;

/* Parses the n bytes at s and returns the canonical text, or "ERR: <message>". */
static const char *
canon_n(const char *s, size_t n)
{
    struct cm_selector sel;
    const char *err;
    static struct cm_buf b;

    cm_buf_free(&b);
    cm_buf_init(&b, 65536);
    if (cm_selector_parse(&sel, s, n, &arena, &err) < 0) {
        cm_buf_addf(&b, "ERR: %s", err);
        return b.data;
    }
    cm_selector_format(&sel, &b);
    return b.len ? b.data : "";
}

static const char *
canon(const char *s)
{
    return canon_n(s, strlen(s));
}

static void
test_grammar_and_canonical_form(void **state)
{
    static const char *const cases[][2] = {
        { "", "" },
        { "app=web", "app=web" },
        { "app==web", "app==web" },
        { "app!=web", "app!=web" },
        { " app = web , tier = fe ", "app=web,tier=fe" },
        { "tier=fe,app=web", "app=web,tier=fe" },                 /* sorted by key */
        { "env in (prod, dev,prod)", "env in (dev,prod)" },      /* sorted, unique */
        { "env notin (b,a)", "env notin (a,b)" },
        { "app", "app" },
        { "!app", "!app" },
        { "a,!b,c=d", "a,!b,c=d" },
        { "x>5,y<10", "x>5,y<10" },
        { "app=", "app=" },
        { "env in ()", "env in ()" },
        { "example.com/app=web", "example.com/app=web" },
        { "in=notin", "in=notin" },
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(canon(cases[i][0]), cases[i][1]);
}

static void
test_errors_carry_go_text(void **state)
{
    (void)state;
    assert_string_equal(canon("app=foo bar"), "ERR: found 'bar', expected: ',' or 'end of string'");
    assert_string_equal(canon("app=web,"), "ERR: found '', expected: identifier after ','");
    assert_string_equal(canon(",app"), "ERR: found ',', expected: !, identifier, or 'end of string'");
    assert_string_equal(canon("app in x"), "ERR: unable to parse requirement: found 'x' expected: '('");
    assert_string_equal(canon("app in (a b)"), "ERR: unable to parse requirement: found 'b', expected: ',' or ')'");
    assert_string_equal(canon("app ("), "ERR: unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
    assert_string_equal(canon("!a=b"), "ERR: found '=', expected: ',' or 'end of string'");
    assert_true(strncmp(canon("a>x"), "ERR: unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer", 200) == 0);
    /* NewRequirement reports every failure; several are aggregated as "[a, b]". */
    {
        const char *want = "ERR: unable to parse requirement: [values[0]: Invalid value: \"-x\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: \"-x\": a valid label must be";
        assert_true(strncmp(canon("a>-x"), want, strlen(want)) == 0);
        want = "ERR: unable to parse requirement: [values[0][a]: Invalid value: \"-x\": a valid label must be";
        assert_true(strncmp(canon("a in (-y,-x)"), want, strlen(want)) == 0);
    }
    assert_non_null(strstr(canon("a in (-y,-x)"), ", values[1][a]: Invalid value: \"-y\": a valid label must be"));
    {
        const char *text = canon("a in (-y,-x)");    /* valid until the next canon() */
        assert_int_equal(text[strlen(text) - 1], ']');
    }
    assert_true(strncmp(canon("Bad_=x"), "ERR: unable to parse requirement: <nil>: Invalid value: \"Bad_\": name part must consist of alphanumeric characters", 100) == 0);
    assert_true(strncmp(canon("a=-x"), "ERR: unable to parse requirement: values[0][a]: Invalid value: \"-x\": a valid label must be an empty string", 100) == 0);
    assert_true(strstr(canon("a/b/c=x"), "a valid label key must consist of") != NULL);
    assert_true(strstr(canon("Example.com/a=x"), "prefix part a lowercase RFC 1123 subdomain") != NULL);
}

static int
matches_n(const char *s, size_t len, const struct cm_label *l, size_t n)
{
    struct cm_selector sel;
    struct cm_labels labels = { n, l };
    const char *err;

    assert_int_equal(cm_selector_parse(&sel, s, len, &arena, &err), 0);
    return cm_selector_matches(&sel, &labels);
}

static int
matches(const char *s, const struct cm_label *l, size_t n)
{
    return matches_n(s, strlen(s), l, n);
}

static void
test_matching_like_go(void **state)
{
    static const struct cm_label web[] = { { "app", "web" }, { "n", "7" }, { "tier", "fe" } };
    (void)state;
    assert_true(matches("", web, 3));
    assert_true(matches("app=web", web, 3));
    assert_true(matches("app==web,tier=fe", web, 3));
    assert_false(matches("app=db", web, 3));
    assert_true(matches("app!=db", web, 3));
    assert_true(matches("missing!=x", web, 3));     /* != matches a missing key */
    assert_true(matches("missing notin (x)", web, 3));
    assert_false(matches("missing in (x)", web, 3));
    assert_true(matches("tier in (be,fe)", web, 3));
    assert_false(matches("tier notin (be,fe)", web, 3));
    assert_true(matches("app", web, 3));
    assert_false(matches("!app", web, 3));
    assert_true(matches("!missing", web, 3));
    assert_true(matches("n>5", web, 3));
    assert_false(matches("n<5", web, 3));
    assert_false(matches("app>5", web, 3));          /* not an integer */
    assert_false(matches("app=", web, 3));
}

/* Found by make fuzz: many invalid values once overran the error buffer. */
static void
test_many_invalid_values(void **state)
{
    static char sel[4000];
    size_t i, o = 0;
    const char *got;
    (void)state;
    o += (size_t)snprintf(sel, sizeof(sel), "x in (");
    for (i = 0; i < 600; i++)
        o += (size_t)snprintf(sel + o, sizeof(sel) - o, "-%zu,", i);
    sel[o - 1] = ')';
    got = canon(sel);
    assert_true(strncmp(got, "ERR: unable to parse requirement: [values[0][x]", 47) == 0);
}

static void
test_overlong_selector_is_refused(void **state)
{
    char big[CM_SELECTOR_MAX_LEN + 2];
    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_true(strncmp(canon(big), "ERR: the selector is longer", 27) == 0);
}

/* Undoes the \t \n \r \0 \xHH \\ escapes of t/data/selectors.txt, in
 * place; returns the length, which counts the NUL bytes made. */
static size_t
unescape(char *s)
{
    char *r = s, *w = s;

    for (; *r; r++) {
        if (r[0] == '\\' && r[1] == 'x' && r[2] != '\0' && r[3] != '\0') {
            char hex[3] = { r[2], r[3], '\0' };

            *w++ = (char)strtol(hex, NULL, 16);
            r += 3;
        } else if (*r == '\\' && r[1] != '\0') {
            r++;
            *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r == '0' ? '\0' : *r;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* "k=v,k2=v2" (or "-") as labels, sorted; strings point into text. */
static size_t
parse_labels(char *text, struct cm_label *v, size_t max)
{
    size_t n = 0;
    char *tok, *save = NULL;

    if (strcmp(text, "-") == 0)
        return 0;
    for (tok = strtok_r(text, ",", &save); tok != NULL && n < max; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        v[n].key = tok;
        v[n].value = eq + 1;
        n++;
    }
    assert_int_equal(cm_labels_sort(v, n), -1);
    return n;
}

/* Every case of t/data/selectors.txt. */
static void
test_published_cases(void **state)
{
    FILE *f = fopen(TOP_SRCDIR "/t/data/selectors.txt", "r");
    static char line[8192];
    int parsed = 0, matched = 0, failures = 0;
    (void)state;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *rest = line, *kind, *sel, *want;
        size_t len = strlen(line);

        if (line[0] == '#' || len < 2)
            continue;
        line[len - 1] = '\0';
        kind = strsep(&rest, "\t");          /* fields may be empty */
        sel = strsep(&rest, "\t");
        want = strsep(&rest, "\t");
        assert_non_null(sel);
        assert_non_null(want);
        if (strcmp(kind, "parse") == 0) {
            const char *got;
            size_t wl, sl;

            sl = unescape(sel);
            got = canon_n(sel, sl);
            wl = strlen(want);
            parsed++;
            if (wl > 3 && strcmp(want + wl - 3, "...") == 0 ? strncmp(got, want, wl - 3) != 0
                                                              : strcmp(got, want) != 0) {
                print_error("parse '%s':\n  got  %s\n  want %s\n", sel, got, want);
                failures++;
            }
        } else if (strcmp(kind, "match") == 0) {
            struct cm_label v[16];
            char *result = strsep(&rest, "\t");
            size_t n, sl;
            int got;

            assert_non_null(result);
            n = parse_labels(want, v, 16);
            sl = unescape(sel);
            got = matches_n(sel, sl, v, n);
            matched++;
            if (got != atoi(result)) {
                print_error("match '%s' on %s: got %d\n", sel, want, got);
                failures++;
            }
        } else {
            fail_msg("unknown case kind '%s'", kind);
        }
    }
    fclose(f);
    print_message("%d parse cases, %d match cases\n", parsed, matched);
    assert_true(parsed + matched > 200);
    assert_int_equal(failures, 0);
}

static int setup(void **s) { (void)s; cm_arena_init(&arena, 0); return 0; }
static int teardown(void **s) { (void)s; cm_arena_free(&arena); return 0; }

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar_and_canonical_form),
        cmocka_unit_test(test_errors_carry_go_text),
        cmocka_unit_test(test_matching_like_go),
        cmocka_unit_test(test_overlong_selector_is_refused),
        cmocka_unit_test(test_many_invalid_values),
        cmocka_unit_test(test_published_cases),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
