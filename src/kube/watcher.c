#include "watcher.h"
#include "alloc.h"
#include "clock.h"
#include "buf.h"
#include "curlib.h"
#include "kubeclient.h"
#include "log.h"
#include "reflector.h"

#include <json-c/json.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define PAGE_LIMIT 500
#define LIST_TIMEOUT_MS (120L * 1000)
#define BODY_MAX ((size_t)256 << 20)     /* one LIST page */
#define LINE_MAX_BYTES ((size_t)16 << 20)  /* one watch event */

/* Metadata is all we keep, so ask for nothing else (a server that cannot
 * answer PartialObjectMetadata sends the full objects). */
#define ACCEPT_LIST "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
#define ACCEPT_WATCH "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"

enum outcome { GOOD, GONE, FAILED };

struct watch {
    size_t index;
    const struct cm_resource *r;
    const struct cm_kubeconn *conn;
    struct cm_objcache *cache;
    struct cm_kubeclient *client;
    struct cm_reflector *refl;
    char path[512];
    unsigned seed, failures;
    long retry_max_ms;
    int listed;                /* a LIST has completed: there is something to serve */
    time_t broken_since;
    long long next_publish_ms;
    struct cm_buf buf;         /* a LIST page, or the stream's unfinished line */
    enum outcome stream;       /* what the events said */
    long status;               /* the last call's HTTP status; -1: no answer */
    char err[1024];            /* why the last call failed, in full: for the log */
};

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0)
        ;
}

void
cm_watcher_path(const struct cm_resource *r, char *buf, size_t len)
{
    if (*r->group == '\0')
        snprintf(buf, len, "/api/%s/%s", r->version, r->plural);
    else
        snprintf(buf, len, "/apis/%s/%s/%s", r->group, r->version, r->plural);
}

/* A non-2xx answer's reason: its Status message, or the start of its body. */
static void
describe_status(struct watch *w, const char *what, long status)
{
    struct json_object *st = json_tokener_parse(w->buf.len ? w->buf.data : "null"), *m;

    if (st != NULL && json_object_object_get_ex(st, "message", &m) &&
        json_object_is_type(m, json_type_string))
        snprintf(w->err, sizeof(w->err), "%s: %ld: %s", what, status, json_object_get_string(m));
    else
        snprintf(w->err, sizeof(w->err), "%s: %ld: %.200s", what, status,
                 w->buf.len ? w->buf.data : "(no body)");
    json_object_put(st);
}

/* Publishes img (owned) as the new base.  -1 with w->err on failure. */
static int
publish(struct watch *w, void *img, size_t len)
{
    const void *mapped;
    char err[512];

    if (cm_objcache_publish(w->cache, w->index, img, len, &mapped, err, sizeof(err)) < 0) {
        snprintf(w->err, sizeof(w->err), "%s", err);
        free(img);
        return -1;
    }
    free(img);
    cm_reflector_set_base(w->refl, mapped, len, cm_objcache_unmap, NULL);
    return 0;
}

/* Publishes the watch events applied since the last publish, if any. */
static void
publish_pending(struct watch *w)
{
    long long t0 = cm_clock_ms(), spent;
    void *img;
    size_t len;
    char err[512];

    if (cm_reflector_pending(w->refl) == 0)
        return;
    if (cm_reflector_build(w->refl, &img, &len, err, sizeof(err)) < 0 || publish(w, img, len) < 0) {
        cm_log(CM_LOG_ERROR, "%s: %s", w->r->group_resource, err);
        return;
    }
    /* An image is rebuilt whole: with many objects, publish less often. */
    spent = cm_clock_ms() - t0;
    cm_log(CM_LOG_DEBUG, "%s: published %zu objects in %lld ms", w->r->group_resource,
           cm_reflector_count(w->refl), spent);
    w->next_publish_ms = cm_clock_ms() + (spent * 4 > CM_WATCHER_PUBLISH_MS ? spent * 4
                                                                        : CM_WATCHER_PUBLISH_MS);
}

static int
on_page(long status, const char *data, size_t len, void *arg)
{
    struct watch *w = arg;

    (void)status;
    if (w->buf.len + len > BODY_MAX)
        return -1;
    cm_buf_add(&w->buf, data, len);
    return cm_buf_failed(&w->buf) ? -1 : 0;
}

/* s percent-encoded for a query string (unreserved characters kept); owned. */
static char *
query_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    char *out = cm_xmalloc(strlen(s) * 3 + 1), *o = out;

    for (; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* LISTs the resource page by page and publishes it.  0, or -1 with w->err. */
static int
list(struct watch *w)
{
    char path[4096], *cont = NULL, *escaped;
    struct cm_kube_call call = { path, ACCEPT_LIST, LIST_TIMEOUT_MS, on_page, NULL, w, NULL, 0 };
    void *img;
    size_t len, pages = 0;
    long status;
    int expired_once = 0;

    cm_reflector_list_begin(w->refl);
    for (;;) {
        if (cont == NULL) {
            snprintf(path, sizeof(path), "%s?limit=%d", w->path, PAGE_LIMIT);
        } else {
            escaped = query_escape(cont);
            snprintf(path, sizeof(path), "%s?limit=%d&continue=%s", w->path, PAGE_LIMIT, escaped);
            free(escaped);
        }
        cm_buf_reset(&w->buf);
        status = w->status = cm_kubeclient_get(w->client, &call, w->err, sizeof(w->err));
        if (status < 0)
            goto fail;
        if (status == 410 && cont != NULL && !expired_once) {
            /* the continue token expired: the List must start over */
            free(cont);
            cont = NULL;
            expired_once = 1;
            cm_reflector_list_begin(w->refl);
            continue;
        }
        if (status != 200) {
            describe_status(w, "LIST", status);
            goto fail;
        }
        free(cont);
        cont = NULL;
        if (cm_reflector_list_page(w->refl, w->buf.data ? w->buf.data : "", w->buf.len, &cont,
                                   w->err, sizeof(w->err)) < 0)
            goto fail;
        pages++;
        if (cont == NULL)
            break;
    }
    cm_buf_free(&w->buf);                /* a page can be large: give it back */
    cm_buf_init(&w->buf, BODY_MAX);
    if (cm_reflector_list_end(w->refl, &img, &len, w->err, sizeof(w->err)) < 0 ||
        publish(w, img, len) < 0)
        return -1;
    cm_log(CM_LOG_INFO, "%s: listed %zu objects (%zu page%s) at resourceVersion %s",
           w->r->group_resource, cm_reflector_count(w->refl), pages, pages == 1 ? "" : "s",
           cm_reflector_version(w->refl));
    return 0;
fail:
    free(cont);
    cm_buf_reset(&w->buf);
    return -1;
}

/* Applies the complete lines of the stream; keeps an unfinished one. */
static int
on_stream(long status, const char *data, size_t len, void *arg)
{
    struct watch *w = arg;
    size_t start = 0, i;

    if (status != 200)              /* a Status, kept for the message */
        return on_page(status, data, len, arg);
    if (w->buf.len + len > LINE_MAX_BYTES) {
        snprintf(w->err, sizeof(w->err), "a watch event over %zu bytes", LINE_MAX_BYTES);
        w->stream = FAILED;
        return -1;
    }
    cm_buf_add(&w->buf, data, len);
    for (i = w->buf.len - len; i < w->buf.len; i++) {
        int t;

        if (w->buf.data[i] != '\n')
            continue;
        if (i > start) {
            t = cm_reflector_event(w->refl, w->buf.data + start, i - start, w->err, sizeof(w->err));
            if (t == CM_WATCH_GONE) {
                w->stream = GONE;
                return -1;
            }
            if (t < 0 || t == CM_WATCH_ERROR) {
                w->stream = FAILED;
                return -1;
            }
        }
        start = i + 1;
    }
    if (start > 0) {
        memmove(w->buf.data, w->buf.data + start, w->buf.len - start);
        w->buf.len -= start;
    }
    if (cm_clock_ms() >= w->next_publish_ms)
        publish_pending(w);
    return 0;
}

static int
on_tick(void *arg)
{
    struct watch *w = arg;

    if (cm_clock_ms() >= w->next_publish_ms)
        publish_pending(w);
    return 0;
}

/*
 * WATCHes from the reflector's version until the stream ends.  GOOD: the
 * server ended it normally (watch again); GONE: LIST again now; FAILED:
 * w->err says why (LIST again after a backoff).
 */
static enum outcome
watch(struct watch *w)
{
    char path[1024];
    struct cm_kube_call call = { path, ACCEPT_WATCH, 0, on_stream, on_tick, w, NULL, 0 };
    long status;
    int timeout = 300 + (int)(rand_r(&w->seed) % 300);

    snprintf(path, sizeof(path), "%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d"
             "&resourceVersion=%s", w->path, timeout, cm_reflector_version(w->refl));
    call.timeout_ms = (timeout + 30) * 1000L;
    cm_buf_reset(&w->buf);
    w->stream = GOOD;
    status = w->status = cm_kubeclient_get(w->client, &call, w->err, sizeof(w->err));
    publish_pending(w);            /* what arrived before the end */
    if (w->stream != GOOD)
        return w->stream;
    if (status == 410)
        return GONE;
    if (status < 0)
        return FAILED;
    if (status != 200) {
        describe_status(w, "WATCH", status);
        return FAILED;
    }
    if (w->buf.len > 0) {
        snprintf(w->err, sizeof(w->err), "the watch stream ended inside an event");
        return FAILED;
    }
    return GOOD;
}

/*
 * What the health checks may say of a failure (they answer anyone): the
 * kind of failure and the HTTP status, never w->err's text, which can name
 * hosts, users and resources; the log has that.
 */
static void
public_reason(const struct watch *w, const char *what, char *out, size_t len)
{
    if (w->status < 0)
        snprintf(out, len, "%s: no answer from the kube-apiserver", what);
    else if (w->status != 200)
        snprintf(out, len, "%s: HTTP %ld", what, w->status);
    else
        snprintf(out, len, "%s: an answer that could not be used", what);
}

static void
broken(struct watch *w, const char *what)
{
    time_t now = time(NULL);
    char reason[128];
    long delay;

    if (w->broken_since == 0)
        w->broken_since = now;
    w->failures++;
    delay = cm_reflector_backoff_ms(w->failures, w->retry_max_ms, &w->seed);
    public_reason(w, what, reason, sizeof(reason));
    cm_objcache_set_state(w->cache, w->index, w->broken_since, reason);
    if (w->listed)
        cm_log(CM_LOG_WARN, "%s: %s: %s; serving the objects as of %lds ago; retrying in %ld ms",
               w->r->group_resource, what, w->err, (long)(now - w->broken_since), delay);
    else
        cm_log(CM_LOG_WARN, "%s: %s: %s; retrying in %ld ms", w->r->group_resource, what,
               w->err, delay);
    sleep_ms(delay);
}

static void *
run(void *arg)
{
    struct watch *w = arg;

    for (;;) {
        enum outcome o;

        if (list(w) < 0) {
            broken(w, "LIST failed");
            continue;
        }
        cm_objcache_set_listed(w->cache, w->index, time(NULL));
        w->listed = 1;
        if (w->broken_since != 0)
            cm_log(CM_LOG_INFO, "%s: watching again after %lds", w->r->group_resource,
                   (long)(time(NULL) - w->broken_since));
        w->broken_since = 0;
        w->failures = 0;
        cm_objcache_set_state(w->cache, w->index, 0, "");
        malloc_trim(0);            /* the List's parse is gone: give it back */
        while ((o = watch(w)) == GOOD)
            ;
        if (o == GONE) {
            cm_log(CM_LOG_INFO, "%s: resourceVersion %s expired (410 Gone); listing again",
                   w->r->group_resource, cm_reflector_version(w->refl));
            continue;
        }
        broken(w, "watch broke off");
    }
    return NULL;
}

int
cm_watcher_run(const struct cm_kubeconn *conn, struct cm_objcache *cache, long retry_max_ms)
{
    size_t n = cm_objcache_size(cache), i;
    struct watch *w = cm_xcalloc(n ? n : 1, sizeof(*w));
    pthread_t *tid = cm_xcalloc(n ? n : 1, sizeof(*tid));
    char err[512], shown[1024];
    sigset_t all;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Large buffers straight from mmap and back, and few malloc arenas: what
     * a LIST allocates is returned when it is done. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_ARENA_MAX, 2);
    if (cm_curlib() == NULL) {      /* before any thread: curl_global_init */
        cm_log(CM_LOG_ERROR, "the watch cache cannot start: %s", cm_curlib_error());
        return 1;
    }
    /* The threads take no signal: the process ends on the master's SIGTERM. */
    sigfillset(&all);
    sigdelset(&all, SIGTERM);
    sigdelset(&all, SIGINT);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (i = 0; i < n; i++) {
        w[i].index = i;
        w[i].r = cm_objcache_resource(cache, i);
        w[i].conn = conn;
        w[i].cache = cache;
        w[i].retry_max_ms = retry_max_ms;
        w[i].seed = (unsigned)(time(NULL) ^ getpid() ^ (i * 2654435761u));
        w[i].refl = cm_reflector_new(w[i].r);
        cm_watcher_path(w[i].r, w[i].path, sizeof(w[i].path));
        cm_buf_init(&w[i].buf, LINE_MAX_BYTES > BODY_MAX ? LINE_MAX_BYTES : BODY_MAX);
        w[i].client = cm_kubeclient_new(conn, err, sizeof(err));
        if (w[i].client == NULL) {
            cm_log(CM_LOG_ERROR, "the watch cache cannot start: %s", err);
            return 1;
        }
        if (pthread_create(&tid[i], NULL, run, &w[i]) != 0) {
            cm_log(CM_LOG_ERROR, "the watch cache cannot start a thread");
            return 1;
        }
    }
    cm_log_url(conn->server, shown, sizeof(shown));        /* without its userinfo */
    cm_log(CM_LOG_INFO, "watching %zu resource%s on %s (%s)", n, n == 1 ? "" : "s",
           shown, conn->origin ? conn->origin : "");
    for (i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    return 0;
}
