/*
 * redis.h - a Redis client: one connection, RESP2 (resp.h) over a socket
 * that libcurl connects (CURLOPT_CONNECT_ONLY, through the dlopen'd table of
 * curlib.h): plain TCP for redis://, TLS with the CA verified (ca_file, or
 * the system's CAs) and the host name checked for rediss://.  The server
 * links neither OpenSSL nor hiredis (Debian's has no TLS).
 *
 * Every call waits at most the push block's timeout for the socket; a
 * connection that failed once is not used again (close it and connect
 * anew).  A call that fails returns a CM_REDIS_* code, whose
 * cm_redis_strerror() a client may read (it names no host), and writes the
 * details for the log into err (the server, curl's or Redis' words; never
 * the password).
 */
#ifndef CM_REDIS_H
#define CM_REDIS_H

#include <stddef.h>

#include "arena.h"
#include "config.h"
#include "resp.h"

struct cm_redis;

enum {
    CM_REDIS_OK = 0,
    CM_REDIS_UNREACHABLE = -1,         /* cannot connect, or the connection broke */
    CM_REDIS_TLS = -2,                 /* the TLS handshake or the certificate's check failed */
    CM_REDIS_AUTH = -3,                /* AUTH was refused */
    CM_REDIS_PASSWORD = -4,            /* the password file cannot be read */
    CM_REDIS_TIMEOUT = -5,             /* no answer within the timeout */
    CM_REDIS_REFUSED = -6,             /* Redis answered an error */
    CM_REDIS_PROTOCOL = -7,            /* the answer is not RESP, or too large */
};

/* What a CM_REDIS_* code means, for a client: static, naming no host. */
const char *cm_redis_strerror(int code);

/*
 * Connects to cfg's Redis, authenticates (AUTH [USER] PASSWORD, the password
 * read from password_file now, so a rotated one is used at the next
 * connection) and selects its database.  Returns 0 and an owned connection
 * in *out, or -1 with the reason in err.  cfg is borrowed and must outlive
 * the connection.
 */
int cm_redis_connect(struct cm_redis **out, const struct cm_push_store *cfg, char *err,
                     size_t errlen);
void cm_redis_close(struct cm_redis *r);

/* The connection's socket, to poll() on for replies and messages. */
int cm_redis_fd(const struct cm_redis *r);

/* Sends the n bytes at p (commands made by cm_resp_command()).  0, or a CM_REDIS_* code. */
int cm_redis_send(struct cm_redis *r, const char *p, size_t n, char *err, size_t errlen);

/*
 * Reads the next reply into *out (strings from a).  Waits up to wait_ms for
 * it (< 0: the configured timeout).  Returns 1, 0 when none came in wait_ms
 * (only when wait_ms >= 0: with the default, a reply that does not come is
 * CM_REDIS_TIMEOUT), or a CM_REDIS_* code with the details in err.
 */
int cm_redis_read(struct cm_redis *r, struct cm_arena *a, struct cm_resp *out, long wait_ms,
                  char *err, size_t errlen);

/*
 * Sends one command and reads its reply.  Returns 0, or a CM_REDIS_* code
 * (CM_REDIS_REFUSED: Redis answered an error, in *out too).
 */
int cm_redis_call(struct cm_redis *r, struct cm_arena *a, struct cm_resp *out, char *err,
                  size_t errlen, size_t argc, const char *const *argv, const size_t *lens);

/* "HOST:PORT", for messages. */
const char *cm_redis_name(const struct cm_redis *r);

#endif
