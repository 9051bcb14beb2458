#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
cm_json_init(struct cm_json *j, struct cm_buf *out, int pretty)
{
    j->out = out;
    j->pretty = pretty;
    j->depth = 0;
    j->after_key = 0;
}

static void
newline_indent(struct cm_json *j, int depth)
{
    static const char spaces[] = "                                ";
    int n = depth * 2;

    cm_buf_addc(j->out, '\n');
    while (n > 0) {
        int k = n > (int)sizeof(spaces) - 1 ? (int)sizeof(spaces) - 1 : n;
        cm_buf_add(j->out, spaces, (size_t)k);
        n -= k;
    }
}

/* Writes what must precede a value or a key at the current position. */
static void
before_item(struct cm_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth == 0)
        return;
    if (!j->empty[j->depth - 1])
        cm_buf_addc(j->out, ',');
    j->empty[j->depth - 1] = 0;
    if (j->pretty)
        newline_indent(j, j->depth);
}

static void
open_container(struct cm_json *j, char c)
{
    before_item(j);
    cm_buf_addc(j->out, c);
    if (j->depth < CM_JSON_MAX_DEPTH)
        j->empty[j->depth] = 1;
    j->depth++;
}

static void
close_container(struct cm_json *j, char c)
{
    j->depth--;
    if (j->pretty && j->depth < CM_JSON_MAX_DEPTH && !j->empty[j->depth])
        newline_indent(j, j->depth);
    cm_buf_addc(j->out, c);
}

void cm_json_object_begin(struct cm_json *j) { open_container(j, '{'); }
void cm_json_object_end(struct cm_json *j)   { close_container(j, '}'); }
void cm_json_array_begin(struct cm_json *j)  { open_container(j, '['); }
void cm_json_array_end(struct cm_json *j)    { close_container(j, ']'); }

void
cm_json_key(struct cm_json *j, const char *key)
{
    before_item(j);
    cm_json_escape(j->out, key, strlen(key));
    if (j->pretty)
        CM_BUF_ADDLIT(j->out, ": ");
    else
        cm_buf_addc(j->out, ':');
    j->after_key = 1;
}

void
cm_json_stringn(struct cm_json *j, const char *s, size_t n)
{
    before_item(j);
    cm_json_escape(j->out, s, n);
}

void
cm_json_string(struct cm_json *j, const char *s)
{
    cm_json_stringn(j, s, strlen(s));
}

void
cm_json_double(struct cm_json *j, double v, int decimals)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);

    before_item(j);
    if (n <= 0 || (size_t)n >= sizeof(tmp) || v != v || v - v != 0)
        CM_BUF_ADDLIT(j->out, "null");          /* NaN and infinities are not JSON */
    else
        cm_buf_add(j->out, tmp, (size_t)n);
}

void
cm_json_int(struct cm_json *j, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    before_item(j);
    cm_buf_add(j->out, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
cm_json_bool(struct cm_json *j, int v)
{
    before_item(j);
    if (v)
        CM_BUF_ADDLIT(j->out, "true");
    else
        CM_BUF_ADDLIT(j->out, "false");
}

void
cm_json_null(struct cm_json *j)
{
    before_item(j);
    CM_BUF_ADDLIT(j->out, "null");
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there are
 * not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF are
 * invalid, as in Go's utf8.DecodeRune).  *cp receives the code point.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c;
    size_t len, i;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2; c = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3; c = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4; c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
        return 0;
    *cp = c;
    return len;
}

/* Bytes Go writes through unchanged: printable ASCII, minus " \\ < > &
 * (none from 0x80 up: those are checked as UTF-8; not NUL either). */
const unsigned char cm_json_plain[256] = {
    ['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['\''] = 1,
    ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1,
    ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1, ['='] = 1,
    ['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
    ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1,
    ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
    ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1,
};

void
cm_json_escape(struct cm_buf *out, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, start = 0;
    char *p;

    while (i < n && cm_json_plain[s[i]])
        i++;
    if (i == n) {
        /* Nothing to escape (names, quantities): one copy between quotes. */
        if ((p = cm_buf_room(out, n + 2)) == NULL)
            return;
        p[0] = '"';
        memcpy(p + 1, s, n);
        p[n + 1] = '"';
        cm_buf_commit(out, n + 2);
        return;
    }
    cm_buf_addc(out, '"');
    while (i < n) {
        unsigned char c = s[i];
        const char *esc = NULL;
        char ubuf[6];
        uint32_t cp;
        size_t len;

        if (cm_json_plain[c]) {
            i++;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case '"':  esc = "\\\""; break;
            case '\\': esc = "\\\\"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            default:                         /* other controls, < > & */
                memcpy(ubuf, "\\u00", 4);
                ubuf[4] = hex[c >> 4];
                ubuf[5] = hex[c & 0xF];
                break;
            }
            cm_buf_add(out, s + start, i - start);
            if (esc != NULL)
                cm_buf_add(out, esc, 2);
            else
                cm_buf_add(out, ubuf, 6);
            start = ++i;
            continue;
        }
        len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            cm_buf_add(out, s + start, i - start);
            CM_BUF_ADDLIT(out, "\\ufffd");
            start = ++i;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            cm_buf_add(out, s + start, i - start);
            cm_buf_add(out, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
            start = i + len;
        }
        i += len;
    }
    cm_buf_add(out, s + start, n - start);
    cm_buf_addc(out, '"');
}

/* Writes v as exactly n decimal digits at p (leading zeros). */
static void
put_digits(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

size_t
cm_json_time_text(time_t t, char out[32])
{
    struct tm tm;

    if (t >= 0 && t <= (time_t)253402300799) {
        /* 1970 to 9999: the civil date of the day number (Howard Hinnant's
         * days-to-civil), as gmtime_r() and strftime() would print it. */
        int64_t days = (int64_t)t / 86400 + 719468, secs = (int64_t)t % 86400;
        unsigned era = (unsigned)(days / 146097), doe = (unsigned)(days - (int64_t)era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
        unsigned day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
        unsigned year = yoe + era * 400 + (month <= 2);

        put_digits(out, year, 4);
        out[4] = '-';
        put_digits(out + 5, month, 2);
        out[7] = '-';
        put_digits(out + 8, day, 2);
        out[10] = 'T';
        put_digits(out + 11, (unsigned)(secs / 3600), 2);
        out[13] = ':';
        put_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
        out[16] = ':';
        put_digits(out + 17, (unsigned)(secs % 60), 2);
        out[19] = 'Z';
        out[20] = '\0';
        return 20;
    }
    if (gmtime_r(&t, &tm) == NULL)
        return (size_t)snprintf(out, 32, "1970-01-01T00:00:00Z");
    return strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
cm_json_time(struct cm_json *j, time_t t)
{
    char text[32];

    cm_json_time_text(t, text);
    cm_json_string(j, text);
}
