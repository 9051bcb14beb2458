#include "worker.h"
#include "arena.h"
#include "buf.h"
#include "log.h"
#include "objcache.h"
#include "router.h"
#include "status.h"

#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESPONSE_MAX (64u << 20)      /* a larger body becomes a Status 500 */

/*
 * libfcgi's FCGX_PutStr() copies into the stream's 8 KiB buffer and writes
 * each full buffer as a record: a 200 KB body is 25 write()s.  A response
 * larger than that buffer is written here instead, as records of RECORD_MAX
 * bytes (FastCGI allows 65535; libfcgi keeps content lengths multiples of 8,
 * and so does this) gathered straight from the body buffer by writev().
 */
#define DIRECT_MIN 8192
#define RECORD_MAX 65528
#define IOV_BATCH 64                  /* iovecs per writev(): 21 records, 1.3 MB */

#define ARENA_CHUNK 32768

/* A response buffer grown past this for one large answer is given back. */
#define BODY_KEEP (1u << 20)

static volatile sig_atomic_t stopping;
static int listen_fd_g = -1;
static pid_t master_pid;

/*
 * SIGTERM/SIGINT: finish the request in flight, then exit.  The kernel also
 * sends SIGTERM when the master dies (PR_SET_PDEATHSIG); the orphaned pool
 * must then stop serving, so the worker shuts the shared listening socket,
 * which wakes its siblings blocked in accept() as the master would have.
 */
static void
on_term(int sig)
{
    (void)sig;
    stopping = 1;
    FCGX_ShutdownPending();
    if (getppid() != master_pid && listen_fd_g >= 0)
        shutdown(listen_fd_g, SHUT_RDWR);
}

static long long
content_length(FCGX_Request *r)
{
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->envp);
    char *end;
    long long v;

    if (cl != NULL && *cl != '\0') {
        v = strtoll(cl, &end, 10);
        return (*end == '\0' && v >= 0) ? v : 1;
    }
    /* HTTP/2 may send a body without a length; nginx ends stdin with an
     * empty record, so one byte of lookahead never blocks. */
    return FCGX_GetChar(r->in) == EOF ? 0 : 1;
}

/*
 * A POST's body, up to CM_BODY_MAX + 1 bytes (one more than the write
 * API takes, so that it can tell a body that is too large) into *buf, which
 * is allocated here (the caller frees it after the request).
 */
static size_t
read_body(FCGX_Request *r, char **buf)
{
    size_t len = 0;
    int n;

    if (*buf == NULL)
        *buf = malloc(CM_BODY_MAX + 1);
    if (*buf == NULL)
        return 0;
    while (len < CM_BODY_MAX + 1 &&
           (n = FCGX_GetStr(*buf + len, (int)(CM_BODY_MAX + 1 - len), r->in)) > 0)
        len += (size_t)n;
    return len;
}

/* Writes the iovecs in full (writev() may stop short on a socket); 0 or -1. */
static int
writev_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/*
 * Writes head then body (hlen + blen bytes in all) to the request's
 * connection as FastCGI STDOUT records, without copying them; the stream
 * must not have buffered anything yet.  FCGX_Finish_r() then writes only
 * the stream's end (an empty STDOUT record and END_REQUEST).  Returns 0, or
 * -1 when nginx went away.
 *
 * The connection's descriptor is libfcgi's FCGX_Request.ipcFd, a field
 * fcgiapp.h asks callers not to use; libfcgi 2.4 has kept that layout since
 * 1996 (and Debian 12 ships 2.4.2), and no call gives the descriptor.
 */
static int
write_records(const FCGX_Request *r, const char *head, size_t hlen,
              const char *body, size_t blen)
{
    FCGI_Header hdr[IOV_BATCH / 3];
    struct iovec iov[IOV_BATCH];
    size_t left = hlen + blen, done = 0;

    while (left > 0) {
        int niov = 0, nrec = 0;

        while (left > 0 && nrec < IOV_BATCH / 3) {
            size_t n = left < RECORD_MAX ? left : RECORD_MAX;
            FCGI_Header *h = &hdr[nrec++];

            h->version = FCGI_VERSION_1;
            h->type = FCGI_STDOUT;
            h->requestIdB1 = (unsigned char)((r->requestId >> 8) & 0xff);
            h->requestIdB0 = (unsigned char)(r->requestId & 0xff);
            h->contentLengthB1 = (unsigned char)((n >> 8) & 0xff);
            h->contentLengthB0 = (unsigned char)(n & 0xff);
            h->paddingLength = 0;
            h->reserved = 0;
            iov[niov].iov_base = h;
            iov[niov++].iov_len = sizeof(*h);
            if (done < hlen) {          /* the head, then perhaps body bytes */
                size_t k = hlen - done < n ? hlen - done : n;

                iov[niov].iov_base = (char *)head + done;
                iov[niov++].iov_len = k;
                if (k < n) {
                    iov[niov].iov_base = (char *)body;
                    iov[niov++].iov_len = n - k;
                }
            } else {
                iov[niov].iov_base = (char *)body + (done - hlen);
                iov[niov++].iov_len = n;
            }
            done += n;
            left -= n;
        }
        if (writev_all(r->ipcFd, iov, niov) < 0)
            return -1;
    }
    return 0;
}

static void
respond(FCGX_Request *r, const struct cm_request *req, const struct cm_response *res)
{
    char head[512];
    size_t blen;
    int n;

    n = snprintf(head, sizeof(head),
                 "Status: %s\r\n"
                 "Content-Type: %s\r\n"
                 "Cache-Control: no-cache, private\r\n"
                 "Content-Length: %zu\r\n"
                 "%s%s%s%s"
                 "\r\n",
                 cm_status_text(res->status), res->content_type, res->body->len,
                 res->nosniff ? "X-Content-Type-Options: nosniff\r\n" : "",
                 res->allow ? "Allow: " : "", res->allow ? res->allow : "",
                 res->allow ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(head))
        return;
    blen = strcmp(req->method, "HEAD") != 0 ? res->body->len : 0;
    if ((size_t)n + blen >= DIRECT_MIN && r->ipcFd >= 0) {
        write_records(r, head, (size_t)n, res->body->data, blen);
        return;                          /* -1: nginx went away; nothing to do */
    }
    if (FCGX_PutStr(head, n, r->out) < 0)
        return;                          /* nginx went away; nothing to do */
    if (blen > 0)
        FCGX_PutStr(res->body->data, (int)blen, r->out);
}

/*
 * After a request: empties the arena and the response buffer for the next
 * one, keeping their memory, except what one unusual request grew.  A
 * write's body buffer, a response buffer past BODY_KEEP and the heap a
 * large request used (a batch write's parsed JSON, arena chunks beyond the
 * first) are given back, so that an idle worker costs its steady size
 * however large the requests it once served: malloc_trim() returns the
 * free pages glibc would otherwise keep.
 */
static void
release(struct cm_arena *arena, struct cm_buf *body, char **post)
{
    int trim = *post != NULL || arena->used_total > ARENA_CHUNK;

    cm_arena_reset(arena);
    if (body->cap > BODY_KEEP) {
        cm_buf_free(body);
        trim = 1;
    } else {
        cm_buf_reset(body);
    }
    free(*post);
    *post = NULL;
    if (trim)
        malloc_trim(0);
}

/*
 * Waits until the listening socket has a connection to accept, or a stop
 * signal arrives, or the socket is shut down.  SIGTERM and SIGINT are blocked everywhere else, so they
 * never interrupt a request's I/O: a worker that is told to stop (at
 * shutdown, or when a reload retires its generation) finishes the request it
 * serves and sees the signal here.  Returns 1 to accept, 0 to stop.
 */
static int
wait_for_connection(int listen_fd, const sigset_t *waitmask, const sigset_t *stops)
{
    static const struct timespec now = { 0, 0 };
    struct pollfd p = { .fd = listen_fd, .events = POLLIN };
    int sig;

    while (!stopping) {
        if (ppoll(&p, 1, NULL, waitmask) > 0) {
            /* a ready socket wins over a pending signal in ppoll(): take it
             * here, or a busy worker would never see that it must stop */
            if ((sig = sigtimedwait(stops, NULL, &now)) > 0)
                on_term(sig);
            /* a shut-down listening socket polls as hung up (a non-blocking
             * accept() would only say EAGAIN): the pool is stopping */
            return !stopping && !(p.revents & (POLLHUP | POLLERR | POLLNVAL));
        }
        if (errno != EINTR)
            return 0;
    }
    return 0;
}

int
cm_worker_run(int listen_fd, pid_t master, const struct cm_api *api)
{
    struct sigaction sa;
    sigset_t stops, waitmask;
    FCGX_Request r;
    struct cm_arena arena;
    struct cm_buf body;
    char *post = NULL;
    struct cm_api live = *api;
    int flags;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sa.sa_flags = SA_RESTART;           /* never cut a request's I/O short */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigprocmask(SIG_BLOCK, &stops, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    listen_fd_g = listen_fd;
    master_pid = master;
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != master)
        return 0;                       /* the master is already gone */

    /*
     * Workers wait in ppoll() and accept without blocking (the flag is the
     * shared socket's, set alike by every worker): a worker whose sibling
     * took the connection goes back to waiting, where a stop signal reaches
     * it, instead of sleeping in accept() past its generation.
     */
    flags = fcntl(listen_fd, F_GETFL);
    if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        cm_log(CM_LOG_ERROR, "cannot make the listening socket non-blocking: %s", strerror(errno));
        return 1;
    }
    if (FCGX_Init() != 0 || FCGX_InitRequest(&r, listen_fd, 0) != 0) {
        cm_log(CM_LOG_ERROR, "cannot initialize libfcgi");
        return 1;
    }
    cm_arena_init(&arena, ARENA_CHUNK);
    cm_buf_init(&body, RESPONSE_MAX);

    while (wait_for_connection(listen_fd, &waitmask, &stops)) {
        struct cm_request req;
        struct cm_response res;
        int rc = FCGX_Accept_r(&r);

        if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
            continue;                   /* a sibling took it */
        if (rc < 0)
            break;                      /* the socket was shut down */
        memset(&req, 0, sizeof(req));
        req.method = FCGX_GetParam("REQUEST_METHOD", r.envp);
        req.uri = FCGX_GetParam("REQUEST_URI", r.envp);
        req.user_agent = FCGX_GetParam("HTTP_USER_AGENT", r.envp);
        req.accept = FCGX_GetParam("HTTP_ACCEPT", r.envp);
        req.content_type = FCGX_GetParam("CONTENT_TYPE", r.envp);
        req.authorization = FCGX_GetParam("HTTP_AUTHORIZATION", r.envp);
        req.params = (const char *const *)r.envp;       /* identity headers (guard.c) */
        req.client_cert = FCGX_GetParam("SSL_CLIENT_CERT", r.envp);
        if (req.method == NULL)
            req.method = "GET";
        if (req.uri == NULL)
            req.uri = "";
        if (strcmp(req.method, "POST") == 0) {
            req.body_len = read_body(&r, &post);
            req.body = post;
            req.content_length = (long long)req.body_len;
        } else {
            req.content_length = content_length(&r);
        }
        req.now = time(NULL);

        memset(&res, 0, sizeof(res));
        res.body = &body;
        if (api->cache != NULL)
            live.objects = cm_objcache_refresh(api->cache);   /* the newest images */
        cm_log_request_begin();
        cm_log_request_adopt(FCGX_GetParam("REQUEST_ID", r.envp));   /* nginx's $request_id */
        cm_router_handle(&live, &req, &arena, &res);
        respond(&r, &req, &res);
        cm_log_request(CM_LOG_DEBUG, "%s %s %d", req.method, req.uri, res.status);
        cm_log_request_end();

        FCGX_Finish_r(&r);
        release(&arena, &body, &post);
    }
    FCGX_Free(&r, 1);
    free(post);
    cm_arena_free(&arena);
    cm_buf_free(&body);
    return 0;
}
