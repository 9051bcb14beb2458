#include "uri.h"
#include "hex.h"

#include <string.h>

int
cm_pct_decode(char *dst, const char *src, size_t n, int plus_is_space,
              size_t *len_out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];

        if (c == '%') {
            int hi, lo;

            if (i + 2 >= n)
                return -1;
            hi = cm_hex_value((unsigned char)src[i + 1]);
            lo = cm_hex_value((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            dst[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            dst[o++] = ' ';
        } else {
            dst[o++] = (char)c;
        }
    }
    dst[o] = '\0';
    *len_out = o;
    return 0;
}

int
cm_uri_parse(struct cm_uri *out, const char *raw, struct cm_arena *a)
{
    size_t total = strlen(raw), path_len, pos;
    const char *q;

    if (total > CM_URI_MAX_LEN)
        return CM_URI_ETOOLONG;
    if (raw[0] != '/')
        return CM_URI_ENOTPATH;

    path_len = strcspn(raw, "?#");
    q = raw + path_len;
    if (*q == '?') {
        out->query = q + 1;
        out->query_len = strcspn(q + 1, "#");
    } else {
        out->query = "";
        out->query_len = 0;
    }
    out->nseg = 0;
    out->trailing_slash = 0;

    pos = 1;                                   /* skip the leading '/' */
    while (pos < path_len) {
        size_t len = strcspn(raw + pos, "/?#"), dlen;
        char *seg;

        if (len == 0)                          /* "//" */
            return CM_URI_EEMPTYSEG;
        if (out->nseg == CM_URI_MAX_SEGMENTS)
            return CM_URI_ETOOMANY;
        seg = cm_arena_alloc(a, len + 1);
        if (cm_pct_decode(seg, raw + pos, len, 0, &dlen) < 0)
            return CM_URI_EBADESCAPE;
        if (memchr(seg, '\0', dlen) != NULL)
            return CM_URI_ENUL;
        if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
            return CM_URI_EDOTSEG;
        out->seg[out->nseg++] = seg;
        pos += len;
        if (pos < path_len) {                  /* at a '/' */
            pos++;
            if (pos == path_len)
                out->trailing_slash = 1;
        }
    }
    return CM_URI_OK;
}

const char *
cm_uri_strerror(int err)
{
    switch (err) {
    case CM_URI_OK:         return "ok";
    case CM_URI_ENOTPATH:   return "the request target is not an absolute path";
    case CM_URI_EBADESCAPE: return "the path has a malformed percent-escape";
    case CM_URI_ENUL:       return "the path contains a NUL byte";
    case CM_URI_EDOTSEG:    return "the path contains a '.' or '..' segment";
    case CM_URI_EEMPTYSEG:  return "the path contains an empty segment";
    case CM_URI_ETOOLONG:   return "the request target is too long";
    case CM_URI_ETOOMANY:   return "the path has too many segments";
    }
    return "invalid request path";
}
