#include "redis.h"
#include "alloc.h"
#include "clock.h"
#include "curlib.h"
#include "tokenfile.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_MAX ((size_t)64 << 20)      /* one reply: an MGET of a resync chunk, with room */
#define PASSWORD_MAX 4096

struct cm_redis {
    const struct cm_curlib *lib;
    CURL *h;
    int fd;
    const struct cm_push_store *cfg;
    struct cm_resp_reader in;          /* received, not yet parsed (resp.h) */
    char name[300];
};

const char *
cm_redis_strerror(int code)
{
    switch (code) {
    case CM_REDIS_OK: return "no error";
    case CM_REDIS_UNREACHABLE: return "Redis is not reachable";
    case CM_REDIS_TLS: return "the TLS connection to Redis failed";
    case CM_REDIS_AUTH: return "Redis refused the server's credentials";
    case CM_REDIS_PASSWORD: return "the Redis password cannot be read";
    case CM_REDIS_TIMEOUT: return "Redis did not answer in time";
    case CM_REDIS_REFUSED: return "Redis refused the command";
    default: return "the answer of Redis is not understood";
    }
}

const char *
cm_redis_name(const struct cm_redis *r)
{
    return r->name;
}

int
cm_redis_fd(const struct cm_redis *r)
{
    return r->fd;
}

/* Waits until fd is ready for events, or until deadline_ms.  1 ready, 0 timeout, -1 error. */
static int
wait_fd(int fd, short events, long long deadline_ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    long long left;
    int rc;

    for (;;) {
        left = deadline_ms - cm_clock_ms();
        if (left < 0)
            left = 0;
        rc = poll(&p, 1, (int)left);
        if (rc >= 0 || errno != EINTR)
            return rc < 0 ? -1 : rc > 0;
    }
}

int
cm_redis_send(struct cm_redis *r, const char *p, size_t n, char *err, size_t errlen)
{
    long long deadline = cm_clock_ms() + r->cfg->timeout_ms;
    size_t sent;
    CURLcode rc;

    while (n > 0) {
        sent = 0;
        rc = r->lib->easy_send(r->h, p, n, &sent);
        if (rc == CURLE_AGAIN) {
            if (wait_fd(r->fd, POLLOUT, deadline) <= 0) {
                snprintf(err, errlen, "Redis %s: sending timed out after %ld ms", r->name,
                         r->cfg->timeout_ms);
                return CM_REDIS_TIMEOUT;
            }
            continue;
        }
        if (rc != CURLE_OK) {
            snprintf(err, errlen, "Redis %s: cannot send: %s", r->name, r->lib->easy_strerror(rc));
            return CM_REDIS_UNREACHABLE;
        }
        p += sent;
        n -= sent;
    }
    return 0;
}

/* Parses a reply from what is buffered: 1 parsed, 0 more is needed, CM_REDIS_PROTOCOL. */
static int
parse_buffered(struct cm_redis *r, struct cm_arena *a, struct cm_resp *out, char *err,
               size_t errlen)
{
    const char *why = NULL;
    int rc = cm_resp_reader_next(&r->in, a, out, &why);

    if (rc < 0) {
        snprintf(err, errlen, "Redis %s: %s", r->name, why);
        return CM_REDIS_PROTOCOL;
    }
    return rc;
}

int
cm_redis_read(struct cm_redis *r, struct cm_arena *a, struct cm_resp *out, long wait_ms,
              char *err, size_t errlen)
{
    long long deadline = cm_clock_ms() + (wait_ms < 0 ? r->cfg->timeout_ms : wait_ms);
    char chunk[16384];
    size_t got;
    CURLcode rc;
    int parsed;

    for (;;) {
        if ((parsed = parse_buffered(r, a, out, err, errlen)) != 0)
            return parsed;
        got = 0;
        rc = r->lib->easy_recv(r->h, chunk, sizeof(chunk), &got);
        if (rc == CURLE_AGAIN) {
            int ready = wait_fd(r->fd, POLLIN, deadline);

            if (ready < 0) {
                snprintf(err, errlen, "Redis %s: poll: %s", r->name, strerror(errno));
                return CM_REDIS_UNREACHABLE;
            }
            if (ready == 0) {
                if (wait_ms >= 0)
                    return 0;
                snprintf(err, errlen, "Redis %s: no answer within %ld ms", r->name,
                         r->cfg->timeout_ms);
                return CM_REDIS_TIMEOUT;
            }
            continue;
        }
        if (rc != CURLE_OK) {
            snprintf(err, errlen, "Redis %s: cannot read: %s", r->name, r->lib->easy_strerror(rc));
            return CM_REDIS_UNREACHABLE;
        }
        if (got == 0) {
            snprintf(err, errlen, "Redis %s closed the connection", r->name);
            return CM_REDIS_UNREACHABLE;
        }
        if (cm_resp_reader_feed(&r->in, chunk, got) < 0) {
            snprintf(err, errlen, "Redis %s: a reply is larger than %zu MiB", r->name,
                     IN_MAX >> 20);
            return CM_REDIS_PROTOCOL;
        }
    }
}

int
cm_redis_call(struct cm_redis *r, struct cm_arena *a, struct cm_resp *out, char *err,
              size_t errlen, size_t argc, const char *const *argv, const size_t *lens)
{
    struct cm_buf cmd;
    int rc;

    cm_buf_init(&cmd, IN_MAX);
    cm_resp_command(&cmd, argc, argv, lens);
    rc = cm_redis_send(r, cmd.data, cmd.len, err, errlen);
    cm_buf_free(&cmd);
    if (rc < 0 || (rc = cm_redis_read(r, a, out, -1, err, errlen)) < 0)
        return rc;
    if (out->type == CM_RESP_ERROR) {
        snprintf(err, errlen, "Redis %s answered %s: %.200s", r->name, argv[0], out->str);
        return CM_REDIS_REFUSED;
    }
    return CM_REDIS_OK;
}

/* AUTH [USER] PASSWORD, then SELECT DB: 0, or a CM_REDIS_* code with err (naming no password). */
static int
handshake(struct cm_redis *r, char *err, size_t errlen)
{
    const struct cm_push_store *c = r->cfg;
    const char *argv[3];
    size_t lens[3], n = 0;
    char *password = NULL, db[16];
    struct cm_arena a;
    struct cm_resp v;
    long plen;
    int rc = CM_REDIS_PASSWORD;

    cm_arena_init(&a, 0);
    memset(&v, 0, sizeof(v));
    v.type = CM_RESP_NIL;
    if (c->password_file != NULL) {
        password = cm_xmalloc(PASSWORD_MAX);
        plen = cm_token_read(c->password_file, password, PASSWORD_MAX);
        if (plen <= 0) {
            snprintf(err, errlen, "cannot read the Redis password_file %s: %s", c->password_file,
                     plen == 0 ? "it is empty" : strerror(errno));
            goto out;
        }
        argv[n] = "AUTH";
        lens[n++] = 4;
        if (c->redis.user[0] != '\0') {
            argv[n] = c->redis.user;
            lens[n] = strlen(c->redis.user);
            n++;
        }
        argv[n] = password;
        lens[n++] = (size_t)plen;
        if ((rc = cm_redis_call(r, &a, &v, err, errlen, n, argv, lens)) < 0) {
            if (rc == CM_REDIS_REFUSED) {  /* Redis' own words, which hold no password */
                snprintf(err, errlen, "Redis %s refused the credentials (%s%s%s): %.200s", r->name,
                         c->redis.user[0] ? "user " : "", c->redis.user,
                         c->redis.user[0] ? " and password_file" : "password_file", v.str);
                rc = CM_REDIS_AUTH;
            }
            goto out;
        }
    }
    if (c->redis.db != 0) {
        argv[0] = "SELECT";
        lens[0] = 6;
        lens[1] = (size_t)snprintf(db, sizeof(db), "%d", c->redis.db);
        argv[1] = db;
        if ((rc = cm_redis_call(r, &a, &v, err, errlen, 2, argv, lens)) < 0)
            goto out;
    }
    rc = CM_REDIS_OK;
out:
    if (password != NULL) {
        memset(password, 0, PASSWORD_MAX);
        free(password);
    }
    cm_arena_free(&a);
    return rc;
}

int
cm_redis_connect(struct cm_redis **out, const struct cm_push_store *cfg, char *err,
                 size_t errlen)
{
    const struct cm_curlib *lib = cm_curlib();
    struct cm_redis *r = NULL;
    char url[320], curlerr[CURL_ERROR_SIZE];
    curl_socket_t sock = CURL_SOCKET_BAD;
    CURLcode rc;
    int code = CM_REDIS_UNREACHABLE;

    *out = NULL;
    if (lib == NULL) {
        snprintf(err, errlen, "cannot reach Redis: %s", cm_curlib_error());
        return CM_REDIS_UNREACHABLE;
    }
    r = cm_xcalloc(1, sizeof(*r));
    r->lib = lib;
    r->cfg = cfg;
    r->fd = -1;
    cm_resp_reader_init(&r->in, IN_MAX);
    snprintf(r->name, sizeof(r->name), cfg->redis.ipv6 ? "[%s]:%d" : "%s:%d", cfg->redis.host,
             cfg->redis.port);
    /* http(s):// only names the host and whether to speak TLS: CONNECT_ONLY sends nothing */
    snprintf(url, sizeof(url), "%s://%s", cfg->redis.tls ? "https" : "http", r->name);
    if ((r->h = lib->easy_init()) == NULL) {
        snprintf(err, errlen, "cannot reach Redis %s: libcurl is out of memory", r->name);
        goto fail;
    }
    curlerr[0] = '\0';
    lib->easy_setopt(r->h, CURLOPT_URL, url);
    lib->easy_setopt(r->h, CURLOPT_CONNECT_ONLY, 1L);
    lib->easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
    lib->easy_setopt(r->h, CURLOPT_PROXY, "");
    lib->easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT_MS, cfg->timeout_ms);
    lib->easy_setopt(r->h, CURLOPT_ERRORBUFFER, curlerr);
    lib->easy_setopt(r->h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (cfg->redis.tls) {
        lib->easy_setopt(r->h, CURLOPT_SSL_VERIFYPEER, 1L);
        lib->easy_setopt(r->h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (cfg->ca_file != NULL)
            lib->easy_setopt(r->h, CURLOPT_CAINFO, cfg->ca_file);
    }
    rc = lib->easy_perform(r->h);
    lib->easy_setopt(r->h, CURLOPT_ERRORBUFFER, NULL);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "cannot reach Redis %s%s: %s", r->name,
                 cfg->redis.tls ? " (TLS)" : "", curlerr[0] ? curlerr : lib->easy_strerror(rc));
        code = rc == CURLE_OPERATION_TIMEDOUT ? CM_REDIS_TIMEOUT :
               rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
               rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
               rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ENGINE_NOTFOUND ? CM_REDIS_TLS :
               CM_REDIS_UNREACHABLE;
        goto fail;
    }
    if (lib->easy_getinfo(r->h, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
        sock == CURL_SOCKET_BAD) {
        snprintf(err, errlen, "cannot reach Redis %s: libcurl gave no socket", r->name);
        goto fail;
    }
    r->fd = (int)sock;
    if ((code = handshake(r, err, errlen)) < 0)
        goto fail;
    *out = r;
    return CM_REDIS_OK;
fail:
    cm_redis_close(r);
    return code;
}

void
cm_redis_close(struct cm_redis *r)
{
    if (r == NULL)
        return;
    if (r->h != NULL)
        r->lib->easy_cleanup(r->h);
    cm_resp_reader_free(&r->in);
    free(r);
}
