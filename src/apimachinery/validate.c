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
