/*
 * push.c - push sources: the values written to /write-metrics, kept in the
 * push store (pushstore.h) under STATE_DIR, each stamped with the time it was
 * written and served until it is max_age old.  This backend is also the one
 * the write API writes through (cm_sources_write_*()).
 *
 * A worker opens its own store on first use (flock() locks belong to an open
 * file: see pushstore.h), and refreshes it once per request.
 *
 * With store: redis (metrics.yaml's push: block), reads are the same (the
 * local store, which the replicator keeps a copy of Redis: replicator.h),
 * and a write batch goes to Redis first, as one MULTI/EXEC: SET KEY VALUE EX
 * max_age for each value, and PUBLISH PREFIX changes with all of them
 * (rediskv.h).  Only when Redis has acknowledged it is it written to the
 * local store too, so that this replica reads its own writes at once.  The
 * local lock is held across the exchange, so that this replica's writers
 * reach Redis in the order they reach the local store.  The worker keeps
 * its connection; one that fails is replaced once in the same write (the
 * batch is idempotent: the same SETs, the same values).
 */
#include "backend.h"
#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "counters.h"
#include "pushstore.h"
#include "redis.h"
#include "rediskv.h"
#include "replicator.h"
#include "resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A view's last lookup scope, so that it is hashed once per request, not per object. */
struct push_memo {
    const struct cm_metric *metric;
    const struct cm_resource *resource;
    char ns[64];
    int ok;
    struct cm_push_scope scope;
};

/* One value of a Redis batch: borrowed from the write until write_end. */
struct batch_item {
    const struct cm_push_key *k;
    const struct cm_push_value *v;
    cm_pushstore_keep_fn keep;
    void *keep_arg;
};

struct push_state {
    const struct cm_sources *sources;  /* borrowed: where the store lives */
    const struct cm_config *cfg;       /* borrowed */
    struct cm_pushstore *store;        /* opened on first use, in the process using it */
    char error[512];
    struct push_memo memo;             /* for the push source being read */
    /* store: redis */
    struct cm_redis *redis;            /* this worker's connection, or NULL */
    struct batch_item *items;
    size_t nitems, capitems;
};

static void *
push_init(struct cm_sources *s, const struct cm_config *cfg)
{
    struct push_state *st = cm_xcalloc(1, sizeof(*st));

    st->sources = s;
    st->cfg = cfg;
    return st;
}

static void
push_free(void *state)
{
    struct push_state *st = state;

    if (st == NULL)
        return;
    cm_pushstore_close(st->store);
    cm_redis_close(st->redis);
    free(st->items);
    free(st);
}

/*
 * The store, opened on first use and brought up to date; NULL when it
 * cannot be used, with the reason in st->error.
 */
static struct cm_pushstore *
store_of(struct push_state *st)
{
    if (st->store == NULL) {
        if (st->sources->state_dir == NULL) {
            snprintf(st->error, sizeof(st->error),
                     "push values are not kept: the server runs without --state-dir");
            return NULL;
        }
        if (cm_pushstore_open(&st->store, st->sources->state_dir, st->sources->push_capacity,
                              0, st->error, sizeof(st->error)) < 0)
            return NULL;
    }
    if (cm_pushstore_refresh(st->store, st->error, sizeof(st->error)) < 0)
        return NULL;
    return st->store;
}

static int
redis_store(const struct push_state *st)
{
    return st->cfg != NULL && st->cfg->push.kind == CM_PUSH_STORE_REDIS;
}

static int
push_open(struct cm_source_view *v)
{
    struct push_state *st = v->state;
    int64_t down;

    st->memo.resource = NULL;          /* a new request: look the scope up again */
    if (store_of(st) == NULL) {
        cm_log_request(CM_LOG_WARN, "metric %s: %s", v->metric->name, st->error);
        v->failure = "the push store is not available";
        return -1;
    }
    if (redis_store(st) && (down = cm_replicator_down_since()) > 0 &&
        (int64_t)v->now - down > v->metric->source.push.max_age) {
        /* cut off for longer than max_age: nothing this replica has can be fresh */
        cm_log_request(CM_LOG_WARN, "metric %s: Redis %s%s%s:%d has been unreachable for %llds, "
                       "longer than the metric's max_age", v->metric->name,
                       st->cfg->push.redis.ipv6 ? "[" : "", st->cfg->push.redis.host,
                       st->cfg->push.redis.ipv6 ? "]" : "", st->cfg->push.redis.port,
                       (long long)((int64_t)v->now - down));
        v->failure = "Redis has been unreachable for longer than the metric's max_age, "
                     "so no value of it is fresh";
        return -1;
    }
    return 0;
}

static int
push_object(const struct cm_source_view *v, const struct cm_resource *r, const char *ns,
            const char *name, const struct cm_selector *metric_sel, struct cm_arena *a,
            struct cm_value *out)
{
    const struct cm_metric *m = v->metric;
    struct push_state *st = v->state;
    struct push_memo *memo = &st->memo;
    struct cm_push_value pv;
    struct cm_labels labels = m->labels;

    if (memo->metric != m || memo->resource != r || strcmp(memo->ns, ns) != 0) {
        /* a new scope (the first object, or another namespace): hash it once */
        memo->metric = m;
        memo->resource = r;
        snprintf(memo->ns, sizeof(memo->ns), "%s", ns);
        memo->ok = strlen(ns) < sizeof(memo->ns) &&
                   cm_pushstore_scope(&memo->scope, m->name, r->group_resource, ns) == 0;
    }
    if (!memo->ok || !cm_pushstore_get_in(st->store, &memo->scope, name, &pv))
        return 0;
    if (metric_sel->n > 0 && pv.labels.n > 0)
        cm_source_merge_labels(&m->labels, &pv.labels, NULL, NULL, a, &labels);
    if (!cm_selector_matches(metric_sel, &labels) ||
        !cm_source_fresh(v, m->source.push.max_age, (time_t)pv.timestamp))
        return 0;
    out->text = pv.text;
    out->timestamp = (time_t)pv.timestamp;
    return 1;
}

/* A walk over the external series written to a push source. */
struct push_walk {
    const struct cm_source_view *v;
    const char *ns;
    const struct cm_selector *sel;
    struct cm_arena *a;
    int (*fn)(const struct cm_series *s, void *arg);
    void *arg;
    int any;
};

/* One written series: served in its own namespace, or in all when written without one. */
static int
push_series(const struct cm_push_key *k, const struct cm_push_value *pv, void *arg)
{
    struct push_walk *w = arg;
    const struct cm_metric *m = w->v->metric;
    struct cm_series series;

    if ((*k->ns != '\0' && strcmp(k->ns, w->ns) != 0) ||
        !cm_source_fresh(w->v, m->source.push.max_age, (time_t)pv->timestamp))
        return 0;
    cm_source_merge_labels(&m->labels, &pv->labels, NULL, NULL, w->a, &series.labels);
    if (!cm_selector_matches(w->sel, &series.labels))
        return 0;
    series.value.text = pv->text;
    series.value.timestamp = (time_t)pv->timestamp;
    w->any = 1;
    return w->fn(&series, w->arg);
}

static int
push_each_series(const struct cm_source_view *v, const char *ns, const struct cm_selector *sel,
                 struct cm_arena *a, int (*fn)(const struct cm_series *s, void *arg), void *arg)
{
    struct push_state *st = v->state;
    struct push_walk w = { v, ns, sel, a, fn, arg, 0 };

    cm_pushstore_each_external(st->store, v->metric->name, a, push_series, &w);
    return w.any;
}

/* --- writes ----------------------------------------------------------------- */


/* 1 if no byte of s is a space or a control character (a change line holds keys whole). */
static int
plain(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f)
            return 0;
    return 1;
}

static int
push_write_fits(void *state, const struct cm_push_key *k, const struct cm_push_value *v,
                char *err, size_t errlen)
{
    struct push_state *st = state;

    if (redis_store(st) && !plain(k->name)) {
        snprintf(err, errlen, "a name holds no space or control character");
        return -1;
    }
    return cm_pushstore_fits(k, v, err, errlen);
}

static enum cm_write_result
push_write_begin(void *state, char *err, size_t errlen)
{
    struct push_state *st = state;

    if (store_of(st) == NULL) {
        snprintf(err, errlen, "%s", st->error);
        return CM_WRITE_UNAVAILABLE;
    }
    if (redis_store(st)) {             /* the batch is collected, and sent at the end */
        st->nitems = 0;
        return CM_WRITE_OK;
    }
    if (cm_pushstore_lock(st->store, err, errlen) < 0)
        return CM_WRITE_FAILED;
    return CM_WRITE_OK;
}

static enum cm_write_result
local_put(struct push_state *st, const struct cm_push_key *k, const struct cm_push_value *v,
          cm_pushstore_keep_fn keep, void *keep_arg, char *err, size_t errlen)
{
    switch (cm_pushstore_put(st->store, k, v, keep, keep_arg, err, errlen)) {
    case CM_PUSHSTORE_OK:
        return CM_WRITE_OK;
    case CM_PUSHSTORE_FULL:            /* full even after compacting */
    case CM_PUSHSTORE_NOSPACE:         /* the filesystem has no room: 507, never a signal */
        return CM_WRITE_FULL;
    default:
        return CM_WRITE_FAILED;
    }
}

static enum cm_write_result
push_write_put(void *state, const struct cm_push_key *k, const struct cm_push_value *v,
               cm_pushstore_keep_fn keep, void *keep_arg, char *err, size_t errlen)
{
    struct push_state *st = state;

    if (!redis_store(st))
        return local_put(st, k, v, keep, keep_arg, err, errlen);
    if (cm_redis_max_age(st->cfg, k) <= 0) {
        snprintf(err, errlen, "metric %s takes no writes", k->metric);
        return CM_WRITE_FAILED;
    }
    if (st->nitems == st->capitems) {
        st->capitems = st->capitems ? st->capitems * 2 : 64;
        st->items = cm_xrealloc(st->items, st->capitems * sizeof(*st->items));
    }
    st->items[st->nitems++] = (struct batch_item){ k, v, keep, keep_arg };
    return CM_WRITE_OK;
}

/* MULTI, SET KEY VALUE EX MAX_AGE per item, PUBLISH PREFIXchanges LINES, EXEC. */
static void
encode_batch(const struct push_state *st, struct cm_buf *out)
{
    const char *prefix = st->cfg->push.key_prefix;
    struct cm_buf key, val, msg;
    char chan[96], ttl[24];
    size_t i;

    cm_buf_init(&key, 4096);
    cm_buf_init(&val, 4096);
    cm_buf_init(&msg, (size_t)1 << 30);
    snprintf(chan, sizeof(chan), "%schanges", prefix);
    cm_resp_command(out, 1, (const char *[]){ "MULTI" }, (size_t[]){ 5 });
    for (i = 0; i < st->nitems; i++) {
        const struct batch_item *it = &st->items[i];

        cm_buf_reset(&key);
        cm_buf_reset(&val);
        cm_redis_key(&key, prefix, it->k);
        cm_redis_value(&val, it->v);
        snprintf(ttl, sizeof(ttl), "%lld", (long long)cm_redis_max_age(st->cfg, it->k));
        cm_resp_command(out, 5, (const char *[]){ "SET", key.data, val.data, "EX", ttl },
                        (size_t[]){ 3, key.len, val.len, 2, strlen(ttl) });
        cm_redis_change_line(&msg, prefix, it->k, it->v);
    }
    cm_resp_command(out, 3, (const char *[]){ "PUBLISH", chan, msg.data ? msg.data : "" },
                    (size_t[]){ 7, strlen(chan), msg.len });
    cm_resp_command(out, 1, (const char *[]){ "EXEC" }, (size_t[]){ 4 });
    cm_buf_free(&key);
    cm_buf_free(&val);
    cm_buf_free(&msg);
}

/*
 * Sends the encoded batch on st->redis and checks every reply: CM_REDIS_OK
 * when Redis ran the transaction, else a CM_REDIS_* code with the details
 * in err (CM_REDIS_REFUSED: Redis answered, refusing it).
 */
static int
exchange(struct push_state *st, const struct cm_buf *cmds, char *err, size_t errlen)
{
    struct cm_arena a;
    struct cm_resp r;
    size_t i, replies = st->nitems + 3;  /* MULTI, each SET and PUBLISH queued, EXEC */
    int rc;

    cm_arena_init(&a, 0);
    if ((rc = cm_redis_send(st->redis, cmds->data, cmds->len, err, errlen)) < 0)
        goto out;
    for (i = 0; i < replies; i++) {
        if ((rc = cm_redis_read(st->redis, &a, &r, -1, err, errlen)) < 0)
            goto out;
        if (r.type == CM_RESP_ERROR && rc != CM_REDIS_REFUSED) {
            snprintf(err, errlen, "Redis %s refused the write: %.300s", cm_redis_name(st->redis),
                     r.str);
            rc = CM_REDIS_REFUSED;         /* read on: the replies after it are queued too */
        }
        if (i == replies - 1 && rc != CM_REDIS_REFUSED) {
            if (r.type != CM_RESP_ARRAY || r.n != st->nitems + 1) {
                snprintf(err, errlen, "Redis %s did not run the write's transaction",
                         cm_redis_name(st->redis));
                rc = CM_REDIS_REFUSED;
                goto out;
            }
            rc = CM_REDIS_OK;
        }
        cm_arena_reset(&a);
    }
out:
    cm_arena_free(&a);
    return rc;
}

/*
 * The batch to Redis (connecting, and reconnecting once), then to the local
 * store.  A Redis failure is logged with its details and answered with a
 * text that names no host (cm_redis_strerror()).
 */
static enum cm_write_result
redis_commit(struct push_state *st, char *err, size_t errlen)
{
    enum cm_write_result rc = CM_WRITE_OK;
    struct cm_buf cmds;
    char why[1024];
    int tries, sent = CM_REDIS_UNREACHABLE;
    size_t i;

    cm_buf_init(&cmds, (size_t)2 << 30);
    encode_batch(st, &cmds);
    if (cm_buf_failed(&cmds)) {
        snprintf(err, errlen, "the batch is too large for one Redis transaction");
        rc = CM_WRITE_FAILED;
        goto out;
    }
    /* connect before the lock: a Redis that does not answer holds up this writer only */
    if (st->redis == NULL &&
        (sent = cm_redis_connect(&st->redis, &st->cfg->push, why, sizeof(why))) < 0)
        goto unavailable;
    if (cm_pushstore_lock(st->store, err, errlen) < 0) {
        rc = CM_WRITE_FAILED;
        goto out;
    }
    /* a kept connection may have gone stale (Redis restarted): one more, fresh */
    for (tries = 0; tries < 2; tries++) {
        if (st->redis == NULL &&
            (sent = cm_redis_connect(&st->redis, &st->cfg->push, why, sizeof(why))) < 0)
            break;
        if ((sent = exchange(st, &cmds, why, sizeof(why))) == CM_REDIS_OK)
            break;
        cm_redis_close(st->redis);     /* a connection in an unknown state is not used again */
        st->redis = NULL;
        if (sent == CM_REDIS_REFUSED)
            break;                     /* Redis answered, refusing: no use retrying */
    }
    if (sent == CM_REDIS_OK)
        for (i = 0; i < st->nitems && rc == CM_WRITE_OK; i++)
            rc = local_put(st, st->items[i].k, st->items[i].v, st->items[i].keep,
                           st->items[i].keep_arg, err, errlen);
    /* the store's size after the batch, for cmf_push_values (counters.h) */
    cm_counters_push_store(cm_pushstore_count(st->store), cm_pushstore_capacity(st->store));
    cm_pushstore_unlock(st->store);
    if (sent == CM_REDIS_OK)
        goto out;
unavailable:
    cm_log_request(CM_LOG_ERROR, "cannot keep pushed values: %s", why);
    snprintf(err, errlen, "%s", cm_redis_strerror(sent));
    rc = CM_WRITE_UNAVAILABLE;
out:
    cm_buf_free(&cmds);
    st->nitems = 0;
    return rc;
}

static enum cm_write_result
push_write_end(void *state, enum cm_write_result puts, char *err, size_t errlen)
{
    struct push_state *st = state;

    if (!redis_store(st)) {
        /* the store's size after the batch, for cmf_push_values (counters.h) */
        cm_counters_push_store(cm_pushstore_count(st->store), cm_pushstore_capacity(st->store));
        cm_pushstore_unlock(st->store);
        return puts;
    }
    if (puts != CM_WRITE_OK || st->nitems == 0) {  /* all or nothing: nothing */
        st->nitems = 0;
        return puts;
    }
    return redis_commit(st, err, errlen);
}

const struct cm_source_ops cm_source_push = {
    .name = "push",
    .init = push_init,
    .free = push_free,
    .open = push_open,
    .object = push_object,
    .each_series = push_each_series,
    .write_fits = push_write_fits,
    .write_begin = push_write_begin,
    .write_put = push_write_put,
    .write_end = push_write_end,
};
