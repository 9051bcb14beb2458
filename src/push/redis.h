/*
 * redis.h - a Redis client: one connection, RESP2 (resp.h) over a socket
 * that libcurl connects (CURLOPT_CONNECT_ONLY, through the dlopen'd table of
 * curlib.h): plain TCP for redis://, TLS with the CA verified (ca_file, or
 * the system's CAs) and the host name checked for rediss://.  The server
 * links neither OpenSSL nor hiredis (Debian's has no TLS).
 *
 * Every call waits at most the push block's timeout for the socket; a
 * connection that failed once is not used again (close it and connect
 * anew).  Messages name the server (HOST:PORT) and never the password.
 */
#ifndef CM_REDIS_H
#define CM_REDIS_H

#include <stddef.h>

#include "arena.h"
#include "config.h"
#include "resp.h"

struct cm_redis;

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

/* Sends the n bytes at p (commands made by cm_resp_command()).  0, or -1 with err. */
int cm_redis_send(struct cm_redis *r, const char *p, size_t n, char *err, size_t errlen);

/*
 * Reads the next reply into *out (strings from a).  Waits up to wait_ms for
 * it (< 0: the configured timeout).  Returns 1, 0 when none came in wait_ms
 * (only when wait_ms >= 0: with the default, a reply that does not come is
 * an error), or -1 with the reason in err.
 */
int cm_redis_read(struct cm_redis *r, struct cm_arena *a, struct cm_resp *out, long wait_ms,
                  char *err, size_t errlen);

/*
 * Sends one command and reads its reply.  Returns 0, or -1 when the
 * exchange failed or Redis answered an error (err: "Redis HOST:PORT: ...").
 */
int cm_redis_call(struct cm_redis *r, struct cm_arena *a, struct cm_resp *out, char *err,
                  size_t errlen, size_t argc, const char *const *argv, const size_t *lens);

/* "HOST:PORT", for messages. */
const char *cm_redis_name(const struct cm_redis *r);

#endif
