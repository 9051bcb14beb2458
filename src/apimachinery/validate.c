#include "validate.h"

#include <string.h>

#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG "must consist of alphanumeric characters, '-', '_' or '.', " \
                  "and must start and end with an alphanumeric character"
#define QNAME_EXAMPLES "(e.g. 'MyName',  or 'my.name',  or '123-abc', " \
                       "regex used for validation is '" QNAME_FMT "')"
#define LVALUE_MSG "a valid label must be an empty string or consist of " \
                   "alphanumeric characters, '-', '_' or '.', and must start " \
                   "and end with an alphanumeric character"
#define LVALUE_EXAMPLES "(e.g. 'MyValue',  or 'my_value',  or '12345', " \
                        "regex used for validation is '(" QNAME_FMT ")?')"
#define DNS1123_SUB_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
#define DNS1123_SUB_MSG "a lowercase RFC 1123 subdomain must consist of lower " \
                        "case alphanumeric characters, '-' or '.', and must " \
                        "start and end with an alphanumeric character"

static void
add(struct cm_buf *out, int *count, const char *prefix, const char *msg)
{
    if ((*count)++ > 0)
        CM_BUF_ADDLIT(out, "; ");
    cm_buf_adds(out, prefix);
    cm_buf_adds(out, msg);
}

static int
is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static int
matches_qname(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || !is_alnum((unsigned char)s[0]) ||
        !is_alnum((unsigned char)s[n - 1]))
        return 0;
    for (i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
            return 0;
    }
    return 1;
}

static int
matches_dns1123_label(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 (c == '-' && i > 0 && i + 1 < n);
        if (!ok)
            return 0;
    }
    return 1;
}

/* 1 if s matches the DNS-1123 subdomain pattern (the length is not checked). */
static int
matches_dns1123_subdomain(const char *s, size_t n)
{
    size_t start = 0, i;

    if (n == 0)
        return 0;
    for (i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!matches_dns1123_label(s + start, i - start))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

/* IsDNS1123Subdomain's messages, each after `prefix`. */
static void
check_dns1123_subdomain(const char *s, size_t n, const char *prefix,
                        struct cm_buf *out, int *count)
{
    if (n > 253)
        add(out, count, prefix, "must be no more than 253 bytes");
    if (!matches_dns1123_subdomain(s, n))
        add(out, count, prefix, DNS1123_SUB_MSG " (e.g. 'example.com', regex "
            "used for validation is '" DNS1123_SUB_FMT "')");
}

int
cm_validate_dns1123_subdomain(const char *s, size_t n, struct cm_buf *out)
{
    int count = 0;

    check_dns1123_subdomain(s, n, "", out, &count);
    return count;
}

int
cm_validate_qualified_name(const char *s, size_t n, struct cm_buf *out)
{
    const char *slash = memchr(s, '/', n), *name = s;
    size_t name_len = n;
    int count = 0;

    if (slash != NULL) {
        size_t plen = (size_t)(slash - s);

        name = slash + 1;
        name_len = n - plen - 1;
        if (memchr(name, '/', name_len) != NULL) {
            add(out, &count, "a valid label key ", QNAME_MSG " " QNAME_EXAMPLES
                " with an optional DNS subdomain prefix and '/' (e.g. "
                "'example.com/MyName')");
            return count;
        }
        if (plen == 0) {
            add(out, &count, "prefix part ", "must be non-empty");
        } else {
            check_dns1123_subdomain(s, plen, "prefix part ", out, &count);
        }
    }
    if (name_len == 0)
        add(out, &count, "name part ", "must be non-empty");
    else if (name_len > 63)
        add(out, &count, "name part ", "must be no more than 63 bytes");
    if (!matches_qname(name, name_len))
        add(out, &count, "name part ", QNAME_MSG " " QNAME_EXAMPLES);
    return count;
}

int
cm_validate_label_value(const char *s, size_t n, struct cm_buf *out)
{
    int count = 0;

    if (n > 63)
        add(out, &count, "", "must be no more than 63 bytes");
    if (n > 0 && !matches_qname(s, n))
        add(out, &count, "", LVALUE_MSG " " LVALUE_EXAMPLES);
    return count;
}

long
cm_validate_utf8_rune(const char *str, size_t n, size_t *width)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char b = s[0], lo = 0x80, hi = 0xbf;
    size_t w, i;
    long r;

    *width = 1;
    if (b < 0x80)
        return b;
    if (b >= 0xc2 && b <= 0xdf) {
        w = 2;
        r = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        w = 3;
        r = b & 0x0f;
        if (b == 0xe0)
            lo = 0xa0;
        else if (b == 0xed)
            hi = 0x9f;                      /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        w = 4;
        r = b & 0x07;
        if (b == 0xf0)
            lo = 0x90;
        else if (b == 0xf4)
            hi = 0x8f;
    } else {
        return -1;
    }
    if (n < w)
        return -1;
    for (i = 1; i < w; i++) {
        unsigned char c = s[i];

        if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf))
            return -1;
        r = r << 6 | (c & 0x3f);
    }
    *width = w;
    return r;
}

/*
 * Go's strconv.IsPrint for a rune above ASCII: the controls, the spaces other
 * than ' ', the format characters and the private use areas are not printed
 * as they are.  Unassigned code points, which Go's tables also exclude, are
 * taken as printable here.
 */
static int
is_print_rune(long r)
{
    static const long ranges[][2] = {
        { 0x80, 0xa0 }, { 0xad, 0xad }, { 0x600, 0x605 }, { 0x61c, 0x61c },
        { 0x6dd, 0x6dd }, { 0x70f, 0x70f }, { 0x1680, 0x1680 }, { 0x180e, 0x180e },
        { 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x2064 }, { 0x2066, 0x206f },
        { 0x3000, 0x3000 }, { 0xe000, 0xf8ff }, { 0xfeff, 0xfeff }, { 0xfff9, 0xfffb },
        { 0xfffe, 0xffff }, { 0x110bd, 0x110bd }, { 0x1d173, 0x1d17a },
        { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f }, { 0xf0000, 0x10ffff },
    };
    size_t i;

    for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (r >= ranges[i][0] && r <= ranges[i][1])
            return 0;
    return 1;
}

void
cm_validate_quote(struct cm_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, w;

    cm_buf_addc(out, '"');
    while (i < n) {
        long r = cm_validate_utf8_rune(s + i, n - i, &w);
        const char *esc = NULL;

        if (r < 0) {                                    /* not UTF-8: \xff */
            cm_buf_addf(out, "\\x%c%c", hex[u[i] >> 4], hex[u[i] & 15]);
            i++;
            continue;
        }
        switch (r) {
        case '"':  esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\v': esc = "\\v"; break;
        }
        if (esc != NULL)
            cm_buf_adds(out, esc);
        else if (r < 0x20 || r == 0x7f)
            cm_buf_addf(out, "\\x%02lx", r);
        else if (r < 0x80 || is_print_rune(r))
            cm_buf_add(out, s + i, w);
        else if (r < 0x10000)
            cm_buf_addf(out, "\\u%04lx", r);
        else
            cm_buf_addf(out, "\\U%08lx", r);
        i += w;
    }
    cm_buf_addc(out, '"');
}
