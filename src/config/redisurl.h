/*
 * redisurl.h - the address of a Redis server, as metrics.yaml's push: block
 * names it.  Pure: text in, a struct out.  In the config layer so that a bad
 * URL is reported at its FILE:LINE:COLUMN when metrics.yaml is loaded.
 */
#ifndef CM_REDISURL_H
#define CM_REDISURL_H

#include <stddef.h>

/* redis://[USER@]HOST[:PORT][/DB] or rediss:// (TLS). */
struct cm_redis_url {
    int tls;
    char host[256];                  /* a name, an IPv4 address, or an IPv6 one without [] */
    int ipv6;                        /* host was written in [] */
    int port;                        /* 6379 when not given */
    int db;                          /* 0 when not given */
    char user[128];                  /* "" when not given */
};

/*
 * Parses url.  Returns 0, or -1 with the reason in err.  A password in the
 * URL is refused: it belongs in a password file, not in metrics.yaml.  The
 * host is letters, digits, '.', '-' and '_' (or an IPv6 address in []), so
 * that it cannot change the meaning of the URL libcurl is given.
 */
int cm_redis_url_parse(const char *url, struct cm_redis_url *out, char *err, size_t errlen);

#endif
