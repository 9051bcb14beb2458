/*
 * validate.h - Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation),
 * with the same error texts, so that messages match what kubectl users know.
 *
 * Each function appends its findings to out, joined by "; " as the Go
 * callers join them, and returns the number of problems (0 = valid).
 */
#ifndef CM_VALIDATE_H
#define CM_VALIDATE_H

#include <stddef.h>

#include "buf.h"

/* A label key: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63 characters. */
int cm_validate_qualified_name(const char *s, size_t n, struct cm_buf *out);
/* A label value: empty, or at most 63 characters of [-A-Za-z0-9_.] starting and ending alphanumeric. */
int cm_validate_label_value(const char *s, size_t n, struct cm_buf *out);
/* An RFC 1123 subdomain: at most 253 characters of lower-case labels separated by '.'. */
int cm_validate_dns1123_subdomain(const char *s, size_t n, struct cm_buf *out);

/*
 * Appends the n bytes at s as Go's %q prints them (strconv.Quote), which is
 * how field.Invalid shows a value: \a \b \f \n \r \t \v, \xHH for other
 * controls and bytes that are not UTF-8, \uHHHH for runes that are not
 * printable (the unassigned ones excepted: they are copied), '"' and '\\'
 * escaped, the rest as it is.
 */
void cm_validate_quote(struct cm_buf *out, const char *s, size_t n);

/*
 * Go's utf8.DecodeRuneInString: the rune at s (n > 0) with its width in
 * *width_out, or -1 with a width of 1 for a byte that starts no valid
 * encoding (Go's RuneError).
 */
long cm_validate_utf8_rune(const char *s, size_t n, size_t *width_out);

#endif
