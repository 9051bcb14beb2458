/*
 * quantity.h - Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource).
 *
 * cm_quantity_parse() accepts what resource.ParseQuantity accepts:
 *   [+-] digits [. digits] [suffix]
 * with suffixes n u m k M G T P E (decimal SI), Ki Mi Gi Ti Pi Ei (binary
 * SI) or e<int> / E<int> (decimal exponent).  The text the server prints is
 * what Quantity.String() prints: the original text when Go keeps it, else the
 * canonical form (values rounded up to nano, capped at 2^63-1, mantissa with
 * an exponent that is a multiple of 3, binary suffixes only for exact
 * multiples of 1024).
 */
#ifndef CM_QUANTITY_H
#define CM_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

#define CM_QUANTITY_MAX_LEN 64     /* longer input is refused */

struct cm_quantity {
    __int128 unscaled;             /* value = unscaled * 10^exp10 */
    int exp10;
    char text[CM_QUANTITY_MAX_LEN + 8];   /* Quantity.String() */
};

/*
 * Parses the n bytes at s.  Returns 0, or -1 with *err_out pointing to a
 * static message.
 */
int cm_quantity_parse(const char *s, size_t n, struct cm_quantity *out,
                      const char **err_out);

/*
 * The quantity with the given number of thousandths, as Go's
 * resource.NewMilliQuantity(milli, DecimalSI) prints it ("1500m", "2").
 */
void cm_quantity_from_milli(int64_t milli, struct cm_quantity *out);

/*
 * A floating-point sample as prometheus-adapter serves it: its thousandths,
 * truncated toward zero, as cm_quantity_from_milli().  NaN, infinities and
 * values whose thousandths do not fit in int64 are refused: returns -1 with a
 * static message in *err_out.
 */
int cm_quantity_from_double(double v, struct cm_quantity *out, const char **err_out);

/*
 * Quantity.MilliValue(): the value in thousandths, rounded away from zero
 * when it has finer digits ("1n" is 1), saturated at the int64 bounds.  The
 * HPA compares metrics in these units.
 */
int64_t cm_quantity_milli(const struct cm_quantity *q);

/*
 * The bound every source's values keep: a parsed quantity whose thousandths,
 * truncated toward zero, fit in int64 (|value| < 9223372036854775.808), as
 * cm_quantity_from_double() requires of file and Prometheus samples.
 * Returns 0, or -1 with the same static message in *err_out.
 */
int cm_quantity_check_range(const struct cm_quantity *q, const char **err_out);

#endif
