#include "redisurl.h"

#include <stdio.h>
#include <string.h>

/* The n bytes at p as a decimal number from lo to hi; -1 when they are not one. */
static long
decimal(const char *p, size_t n, long lo, long hi)
{
    long v = 0;
    size_t i;

    if (n == 0 || n > 9)
        return -1;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

static int
host_char(char c, int ipv6)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_' || (ipv6 && (c == ':' || c == '%'));
}

int
cm_redis_url_parse(const char *url, struct cm_redis_url *out, char *err, size_t errlen)
{
    const char *p, *at, *host, *end, *colon;
    size_t hlen, i;
    long v;

    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (strncmp(url, "redis://", 8) == 0) {
        p = url + 8;
    } else if (strncmp(url, "rediss://", 9) == 0) {
        p = url + 9;
        out->tls = 1;
    } else {
        snprintf(err, errlen, "a Redis URL starts with redis:// or rediss:// (TLS)");
        return -1;
    }
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (at != NULL) {
        if (memchr(p, ':', (size_t)(at - p)) != NULL) {
            snprintf(err, errlen, "the Redis URL holds a password: put it in password_file "
                     "(a file only the server reads) and leave it out of the URL");
            return -1;
        }
        if ((size_t)(at - p) >= sizeof(out->user) || at == p) {
            snprintf(err, errlen, "the Redis URL's user name is empty or too long");
            return -1;
        }
        for (i = 0; p + i < at; i++) {
            if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f) {
                snprintf(err, errlen, "the Redis URL's user name holds a space or a control "
                         "character");
                return -1;
            }
        }
        memcpy(out->user, p, (size_t)(at - p));
        p = at + 1;
    }
    host = p;
    if (*host == '[') {                               /* [IPv6]:port */
        const char *close = memchr(host, ']', (size_t)(end - host));

        if (close == NULL) {
            snprintf(err, errlen, "the Redis URL's IPv6 address has no closing ]");
            return -1;
        }
        hlen = (size_t)(close - host - 1);
        host++;
        out->ipv6 = 1;
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (close + 1 < end && colon == NULL) {
            snprintf(err, errlen, "the Redis URL has text after its IPv6 address");
            return -1;
        }
    } else {
        colon = memchr(host, ':', (size_t)(end - host));
        hlen = (size_t)((colon ? colon : end) - host);
    }
    if (hlen == 0 || hlen >= sizeof(out->host)) {
        snprintf(err, errlen, "the Redis URL names no host");
        return -1;
    }
    for (i = 0; i < hlen; i++) {
        if (!host_char(host[i], out->ipv6)) {
            snprintf(err, errlen, "the Redis URL's host holds a character that is not a letter, "
                     "digit, '.', '-' or '_'");
            return -1;
        }
    }
    memcpy(out->host, host, hlen);
    if (colon != NULL) {
        if ((v = decimal(colon + 1, (size_t)(end - colon - 1), 1, 65535)) < 0) {
            snprintf(err, errlen, "the Redis URL's port is not a number from 1 to 65535");
            return -1;
        }
        out->port = (int)v;
    }
    if (*end == '/' && end[1] != '\0') {
        if ((v = decimal(end + 1, strlen(end + 1), 0, 1000000)) < 0) {
            snprintf(err, errlen, "the Redis URL's database (after the /) is not a number");
            return -1;
        }
        out->db = (int)v;
    } else if (*end != '\0' && strcmp(end, "/") != 0) {
        snprintf(err, errlen, "the Redis URL takes no query or fragment");
        return -1;
    }
    return 0;
}
