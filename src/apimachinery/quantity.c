#include "quantity.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum qformat { DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT };

#define MAX_DIGITS 36              /* what fits an __int128 with room to spare */
#define MAX_INT64  ((__int128)INT64_MAX)

static const char *const err_format = "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char *const err_suffix = "unable to parse quantity's suffix";
static const char *const err_numeric = "unable to parse quantity's numeric part";

struct parsed {
    int positive;
    const char *num;  size_t num_len;     /* leading zeros stripped; "0" if none */
    const char *den;  size_t den_len;
    const char *suf;  size_t suf_len;
};

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Go's parseQuantityString. */
static int
split(const char *s, size_t n, struct parsed *p)
{
    size_t pos = 0, start;

    p->positive = 1;
    p->num = "0"; p->num_len = 1;
    p->den = ""; p->den_len = 0;
    p->suf = ""; p->suf_len = 0;
    if (n == 0)
        return -1;
    if (s[0] == '+' || s[0] == '-') {
        p->positive = s[0] == '+';
        pos++;
    }
    while (pos < n && s[pos] == '0')
        pos++;
    start = pos;
    while (pos < n && is_digit(s[pos]))
        pos++;
    if (pos > start) {
        p->num = s + start;
        p->num_len = pos - start;
    }
    if (pos < n && s[pos] == '.') {
        pos++;
        start = pos;
        while (pos < n && is_digit(s[pos]))
            pos++;
        p->den = s + start;
        p->den_len = pos - start;
    }
    start = pos;
    while (pos < n && strchr("eEinumkKMGTP", s[pos]) != NULL)
        pos++;
    if (pos < n) {
        if (s[pos] == '-' || s[pos] == '+')
            pos++;
        while (pos < n && is_digit(s[pos]))
            pos++;
        if (pos < n)
            return -1;
    }
    p->suf = s + start;
    p->suf_len = n - start;
    return 0;
}

/* Go's suffixer: base (2 or 10), exponent and format of a suffix. */
static int
interpret_suffix(const char *s, size_t n, int *base, int *exp, enum qformat *fmt)
{
    static const struct { const char *s; int base, exp; } table[] = {
        { "", 10, 0 }, { "n", 10, -9 }, { "u", 10, -6 }, { "m", 10, -3 },
        { "k", 10, 3 }, { "M", 10, 6 }, { "G", 10, 9 }, { "T", 10, 12 },
        { "P", 10, 15 }, { "E", 10, 18 },
        { "Ki", 2, 10 }, { "Mi", 2, 20 }, { "Gi", 2, 30 }, { "Ti", 2, 40 },
        { "Pi", 2, 50 }, { "Ei", 2, 60 },
    };
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strlen(table[i].s) == n && memcmp(table[i].s, s, n) == 0) {
            *base = table[i].base;
            *exp = table[i].exp;
            *fmt = table[i].base == 2 ? BINARY_SI : DECIMAL_SI;
            return 0;
        }
    }
    if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
        long long v = 0;
        size_t k = 1;
        int neg = 0;

        if (s[k] == '+' || s[k] == '-')
            neg = s[k++] == '-';
        if (k == n)
            return -1;
        for (; k < n; k++) {
            if (!is_digit(s[k]))
                return -1;
            v = v * 10 + (s[k] - '0');
            if (v > INT32_MAX)             /* Go refuses what an int32 scale cannot hold */
                return -1;
        }
        *base = 10;
        *exp = (int)(neg ? -v : v);
        *fmt = DECIMAL_EXPONENT;
        return 0;
    }
    return -1;
}

static __int128
pow10i(int k)
{
    __int128 v = 1;

    while (k-- > 0)
        v *= 10;
    return v;
}

static void
append_i128(char *buf, size_t size, __int128 v)
{
    char tmp[48];
    int i = 0, neg = v < 0;
    unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
    size_t o = 0;

    do {
        tmp[i++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u != 0);
    o = strlen(buf);
    if (neg && o + 1 < size)
        buf[o++] = '-';
    while (i > 0 && o + 1 < size)
        buf[o++] = tmp[--i];
    buf[o] = '\0';
}

static const char *
decimal_suffix(long long exp10)
{
    switch (exp10) {
    case -9: return "n";
    case -6: return "u";
    case -3: return "m";
    case 0:  return "";
    case 3:  return "k";
    case 6:  return "M";
    case 9:  return "G";
    case 12: return "T";
    case 15: return "P";
    case 18: return "E";
    }
    return NULL;
}

/*
 * Quantity.CanonicalizeBytes for value = u * 10^e.  A decimal SI value past
 * the suffixes (beyond E, below n) falls back to exponent notation, as Go
 * does since it stopped dropping the magnitude.
 */
static void
set_canonical_text(struct cm_quantity *q, enum qformat fmt)
{
    __int128 u = q->unscaled;
    long long e = q->exp10;
    const char *suffix;

    q->text[0] = '\0';
    if (u == 0) {
        strcpy(q->text, "0");
        return;
    }
    if (fmt == BINARY_SI) {
        __int128 abs = u < 0 ? -u : u;
        int exact = 1;

        /* |value| < 1024, or not an integer: print as decimal SI. */
        if (e >= 0) {
            if (abs * pow10i(e) < 1024)
                fmt = DECIMAL_SI;
        } else {
            __int128 p = pow10i(-e);
            exact = abs % p == 0;
            if (!exact || abs / p < 1024)
                fmt = DECIMAL_SI;
        }
        if (fmt == BINARY_SI) {
            __int128 v = e >= 0 ? u * pow10i(e) : u / pow10i(-e);
            int k = 0;
            static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };

            while (k < 6 && v % 1024 == 0) {
                v /= 1024;
                k++;
            }
            append_i128(q->text, sizeof(q->text), v);
            strcat(q->text, bin[k]);
            return;
        }
    }
    while (u % 10 == 0) {
        u /= 10;
        e++;
    }
    while (e % 3 != 0) {
        u *= 10;
        e--;
    }
    append_i128(q->text, sizeof(q->text), u);
    suffix = fmt == DECIMAL_EXPONENT ? (e == 0 ? "" : NULL) : decimal_suffix(e);
    if (suffix != NULL)
        strcat(q->text, suffix);
    else
        snprintf(q->text + strlen(q->text), sizeof(q->text) - strlen(q->text), "e%lld", e);
}

int
cm_quantity_parse(const char *s, size_t n, struct cm_quantity *out,
                  const char **err_out)
{
    struct parsed p;
    enum qformat fmt;
    int base, exp;
    long long e;
    size_t i;
    __int128 u = 0;

    *err_out = NULL;
    if (n == 0 || n > CM_QUANTITY_MAX_LEN || memchr(s, '\0', n) != NULL) {
        *err_out = err_format;
        return -1;
    }
    if (split(s, n, &p) < 0) {
        *err_out = err_format;
        return -1;
    }
    if (interpret_suffix(p.suf, p.suf_len, &base, &exp, &fmt) < 0) {
        *err_out = err_suffix;
        return -1;
    }
    if (p.num_len + p.den_len > MAX_DIGITS) {
        *err_out = err_numeric;
        return -1;
    }
    for (i = 0; i < p.num_len; i++)
        u = u * 10 + (p.num[i] - '0');
    for (i = 0; i < p.den_len; i++)
        u = u * 10 + (p.den[i] - '0');
    e = -(int)p.den_len;

    /*
     * Go keeps the caller's text when it is already canonical: an int64
     * mantissa at a scale that is a multiple of 3 with no trailing "000" and
     * no leading zero (decimal), or an odd-enough multiple of a power of 1024
     * (binary).
     */
    if (base == 10 && e + exp >= -9 && p.num_len + p.den_len <= 18) {
        char shifted0 = p.num_len ? p.num[0] : (p.den_len ? p.den[0] : '0');
        int ends000 = 0;
        size_t total = p.num_len + p.den_len;

        if (total >= 3) {
            /* the last three characters of num+den */
            char tail[3];
            size_t k;
            for (k = 0; k < 3; k++) {
                size_t idx = total - 3 + k;
                tail[k] = idx < p.num_len ? p.num[idx] : p.den[idx - p.num_len];
            }
            ends000 = memcmp(tail, "000", 3) == 0;
        }
        if ((e + exp) % 3 == 0 && !ends000 && shifted0 != '0') {
            out->unscaled = p.positive ? u : -u;
            out->exp10 = e + exp;
            memcpy(out->text, s, n);
            out->text[n] = '\0';
            return 0;
        }
    } else if (base == 2 && p.den_len == 0 && p.num_len <= 15 &&
               15 - (int)p.num_len - (int)((float)exp * 3 / 10) - 1 >= 0 &&
               exp % 10 == 0 && (u & 7) != 0) {
        out->unscaled = p.positive ? u << exp : -(u << exp);   /* no shift of a negative */
        out->exp10 = 0;
        memcpy(out->text, s, n);
        out->text[n] = '\0';
        return 0;
    }

    /* The general path: value = u * 10^e, then the suffix. */
    if (base == 10) {
        e += exp;
    } else {
        for (i = 0; i < (size_t)exp; i++) {
            if (u > ((__int128)1 << 100)) {
                u = MAX_INT64 + 1;          /* far past the cap */
                e = 0;
                break;
            }
            u *= 2;
        }
    }
    /* Round non-zero values up (away from zero) to a whole number of nanos. */
    if (u != 0 && e < -9) {
        int drop = -9 - e;
        if (drop > 38) {
            u = 1;
        } else {
            __int128 p10 = pow10i(drop);
            u = u / p10 + (u % p10 != 0);
        }
        e = -9;
    }
    /* Go caps binary SI values at 2^63-1; decimal ones are kept exact. */
    if (fmt == BINARY_SI && u != 0) {
        int over = 0;
        if (e > 0) {
            if (e > 19)
                over = 1;
            else
                over = u > MAX_INT64 / pow10i(e) ||
                       u * pow10i(e) > MAX_INT64;
        } else {
            over = u / pow10i(-e) > MAX_INT64 ||
                   (u / pow10i(-e) == MAX_INT64 && u % pow10i(-e) != 0);
        }
        if (over) {
            u = MAX_INT64;
            e = 0;
        }
    }
    if (fmt == BINARY_SI && u != 0 && e < 0 && u < pow10i(-e))
        fmt = DECIMAL_SI;           /* 0 < value < 1 */
    if (e > INT32_MAX || e < INT32_MIN) {
        *err_out = err_suffix;
        return -1;
    }
    out->unscaled = p.positive ? u : -u;
    out->exp10 = (int)e;
    set_canonical_text(out, fmt);
    return 0;
}

void
cm_quantity_from_milli(int64_t milli, struct cm_quantity *out)
{
    out->unscaled = milli;
    out->exp10 = -3;
    set_canonical_text(out, DECIMAL_SI);
}

int
cm_quantity_from_double(double v, struct cm_quantity *out, const char **err_out)
{
    double milli;

    *err_out = NULL;
    if (isnan(v)) {
        *err_out = "the value is NaN";
        return -1;
    }
    if (isinf(v)) {
        *err_out = "the value is infinite";
        return -1;
    }
    milli = trunc(v * 1000.0);
    /* 2^63 is exact as a double; every double below it converts safely. */
    if (milli >= 9223372036854775808.0 || milli < -9223372036854775808.0) {
        *err_out = "the value is too large for a quantity";
        return -1;
    }
    cm_quantity_from_milli((int64_t)milli, out);
    return 0;
}

int64_t
cm_quantity_milli(const struct cm_quantity *q)
{
    const __int128 lim = (__int128)INT64_MAX;
    __int128 v = q->unscaled;
    int e = q->exp10 + 3, inexact = 0;

    for (; e > 0; e--) {
        if (v > lim || v < -lim)
            break;
        v *= 10;
    }
    for (; e < 0; e++) {
        inexact |= v % 10 != 0;
        v /= 10;
        if (v == 0 && !inexact)
            break;
    }
    if (inexact)
        v += q->unscaled > 0 ? 1 : -1;          /* away from zero, as ScaledValue rounds */
    if (v > lim)
        return INT64_MAX;
    if (v < -lim - 1)
        return INT64_MIN;
    return (int64_t)v;
}

int
cm_quantity_check_range(const struct cm_quantity *q, const char **err_out)
{
    __int128 u = q->unscaled < 0 ? -q->unscaled : q->unscaled;
    long long k = (long long)q->exp10 + 3;      /* the value in thousandths: u * 10^k */
    __int128 lim = MAX_INT64 + (q->unscaled < 0);   /* INT64_MIN thousandths fit too */
    int over;

    *err_out = NULL;
    if (u == 0)
        return 0;
    if (k >= 19)
        over = 1;                               /* 10^19 > 2^63 */
    else if (k >= 0)
        over = u > lim / pow10i((int)k) || u * pow10i((int)k) > lim;
    else if (k >= -38)
        over = u / pow10i((int)-k) > lim;
    else
        over = 0;                               /* below 1: u < 10^38 */
    if (over) {
        *err_out = "the value is too large for a quantity";
        return -1;
    }
    return 0;
}
