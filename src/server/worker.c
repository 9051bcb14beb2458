#include "worker.h"
#include "arena.h"
#include "buf.h"
#include "log.h"
#include "objcache.h"
#include "router.h"
#include "status.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESPONSE_MAX (64u << 20)      /* a larger body becomes a Status 500 */

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
 * is allocated on first use and kept for the next requests.
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

static void
respond(FCGX_Request *r, const struct cm_request *req, const struct cm_response *res)
{
    char head[512];
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
    if (FCGX_PutStr(head, n, r->out) < 0)
        return;                          /* nginx went away; nothing to do */
    if (strcmp(req->method, "HEAD") != 0 && res->body->len > 0)
        FCGX_PutStr(res->body->data, (int)res->body->len, r->out);
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
    cm_arena_init(&arena, 32768);
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
        cm_arena_reset(&arena);
        cm_buf_reset(&body);
    }
    FCGX_Free(&r, 1);
    free(post);
    cm_arena_free(&arena);
    cm_buf_free(&body);
    return 0;
}
