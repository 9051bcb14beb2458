#include "replicator.h"
#include "alloc.h"
#include "clock.h"
#include "keyset.h"
#include "log.h"
#include "pushstore.h"
#include "redis.h"
#include "rediskv.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define SCAN_COUNT "1000"

/* The page shared with the workers; NULL when there is none. */
static struct shared {
    int64_t down_since;
} *shared;

int
cm_replicator_share(char *err, size_t errlen)
{
    void *p;

    if (shared != NULL)
        return 0;
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the replicator's shared page: %s", strerror(errno));
        return -1;
    }
    shared = p;
    return 0;
}

void
cm_replicator_forget_outage(void)
{
    if (shared != NULL)
        __atomic_store_n(&shared->down_since, 0, __ATOMIC_RELAXED);
}

int64_t
cm_replicator_down_since(void)
{
    return shared ? __atomic_load_n(&shared->down_since, __ATOMIC_RELAXED) : 0;
}

static void
set_down_since(int64_t t)
{
    if (shared != NULL)
        __atomic_store_n(&shared->down_since, t, __ATOMIC_RELAXED);
}

struct repl {
    const struct cm_config *cfg;
    const struct cm_push_store *rc;
    struct cm_pushstore *ps;
    struct cm_keyset *keys;
    struct cm_redis *sub, *cmd;
    struct cm_arena arena;             /* one message, one SCAN page */
    struct cm_buf key;                 /* a key's text */
    char channel[96];
    size_t applied, removed;
    char err[1024];
};

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0)
        ;
}

static int
same_value(const struct cm_push_value *a, const struct cm_push_value *b)
{
    size_t i;

    if (a->timestamp != b->timestamp || strcmp(a->text, b->text) != 0 ||
        a->labels.n != b->labels.n)
        return 0;
    for (i = 0; i < a->labels.n; i++)
        if (strcmp(a->labels.v[i].key, b->labels.v[i].key) != 0 ||
            strcmp(a->labels.v[i].value, b->labels.v[i].value) != 0)
            return 0;
    return 1;
}

/* Stores v under k unless the store has it already (the lock is held). */
static void
apply(struct repl *r, const struct cm_push_key *k, const struct cm_push_value *v)
{
    struct cm_redis_keep keep = { r->cfg, (int64_t)time(NULL) };
    struct cm_push_value have;
    char err[256];

    if (cm_pushstore_get(r->ps, k, &have) && same_value(&have, v))
        return;
    if (cm_pushstore_put(r->ps, k, v, cm_redis_keep, &keep, err, sizeof(err)) != 0)
        cm_log(CM_LOG_WARN, "replicator: cannot store %s/%s/%s/%s: %s", k->metric, k->resource,
               k->ns, k->name, err);
    else
        r->applied++;
}

/* A value from a change message: applied, and its key remembered. */
static void
apply_change(const struct cm_push_key *k, const struct cm_push_value *v, void *arg)
{
    struct repl *r = arg;

    cm_buf_reset(&r->key);
    cm_redis_key(&r->key, r->rc->key_prefix, k);
    cm_keyset_add(r->keys, r->key.data, r->key.len);
    if (cm_redis_keep(k, v->timestamp, &(struct cm_redis_keep){ r->cfg, (int64_t)time(NULL) }))
        apply(r, k, v);
}

/* A key Redis no longer has: its local value is made one that no read serves. */
static void
expire_key(const char *key, size_t n, void *arg)
{
    static const struct cm_push_value gone = { "0", 0, { 0, NULL } };
    struct repl *r = arg;
    struct cm_push_key k;
    struct cm_push_value have;
    char err[256];

    if (cm_redis_key_parse(key, n, r->rc->key_prefix, &r->arena, &k) < 0 ||
        !cm_pushstore_get(r->ps, &k, &have) || have.timestamp == 0)
        return;
    /* an existing record is rewritten in place; keep() only matters if the store compacts */
    if (cm_pushstore_put(r->ps, &k, &gone, cm_redis_keep,
                         &(struct cm_redis_keep){ r->cfg, (int64_t)time(NULL) }, err,
                         sizeof(err)) == 0)
        r->removed++;
}

static int
lock(struct repl *r)
{
    if (cm_pushstore_lock(r->ps, r->err, sizeof(r->err)) < 0) {
        cm_log(CM_LOG_ERROR, "replicator: %s", r->err);
        return -1;
    }
    return 0;
}

/* One published message: ["message", channel, payload]. */
static void
on_message(struct repl *r, const struct cm_resp *m)
{
    size_t skipped;

    if (m->type != CM_RESP_ARRAY || m->n != 3 || m->v[0].type != CM_RESP_BULK ||
        strcmp(m->v[0].str, "message") != 0 || m->v[2].type != CM_RESP_BULK)
        return;                        /* (un)subscribe confirmations, pongs */
    if (lock(r) < 0)
        return;
    skipped = cm_redis_changes_each(m->v[2].str, m->v[2].len, r->rc->key_prefix, &r->arena,
                                    apply_change, r);
    cm_pushstore_unlock(r->ps);
    if (skipped > 0)
        cm_log(CM_LOG_WARN, "replicator: %zu line%s of a change message on %s were not "
               "values; skipped", skipped, skipped == 1 ? "" : "s", r->channel);
}

/* MGETs the n keys of a SCAN page and applies what Redis has. */
static int
apply_page(struct repl *r, const struct cm_resp *keys)
{
    const char **argv = cm_xcalloc(keys->n + 1, sizeof(*argv));
    size_t *lens = cm_xcalloc(keys->n + 1, sizeof(*lens)), i;
    struct cm_keyset *seen = r->keys;
    struct cm_resp vals;
    int rc = -1;

    argv[0] = "MGET";
    lens[0] = 4;
    for (i = 0; i < keys->n; i++) {
        if (keys->v[i].type != CM_RESP_BULK)
            goto out;
        argv[i + 1] = keys->v[i].str;
        lens[i + 1] = keys->v[i].len;
    }
    if (cm_redis_call(r->cmd, &r->arena, &vals, r->err, sizeof(r->err), keys->n + 1, argv,
                      lens) < 0)
        goto out;
    if (vals.type != CM_RESP_ARRAY || vals.n != keys->n) {
        snprintf(r->err, sizeof(r->err), "Redis %s: MGET answered no list of %zu values",
                 cm_redis_name(r->cmd), keys->n);
        goto out;
    }
    if (lock(r) < 0)
        goto out;
    for (i = 0; i < keys->n; i++) {
        struct cm_push_key k;
        struct cm_push_value v;

        if (vals.v[i].type != CM_RESP_BULK ||  /* expired between SCAN and MGET */
            cm_redis_key_parse(keys->v[i].str, keys->v[i].len, r->rc->key_prefix, &r->arena,
                               &k) < 0 ||
            cm_redis_value_parse(vals.v[i].str, vals.v[i].len, &r->arena, &v) < 0)
            continue;
        cm_keyset_add(seen, keys->v[i].str, keys->v[i].len);
        if (cm_redis_keep(&k, v.timestamp, &(struct cm_redis_keep){ r->cfg, (int64_t)time(NULL) }))
            apply(r, &k, &v);
    }
    cm_pushstore_unlock(r->ps);
    rc = 0;
out:
    free(argv);
    free(lens);
    return rc;
}

/* Every key of the prefix, applied; the local values Redis lacks, expired. */
static int
resync(struct repl *r)
{
    char pattern[96], cursor[32] = "0";
    const char *argv[6];
    size_t lens[6];
    struct cm_resp page;
    size_t before_a = r->applied, before_r = r->removed;
    int pages = 0;

    snprintf(pattern, sizeof(pattern), "%sv/*", r->rc->key_prefix);
    cm_keyset_begin(r->keys);
    do {
        cm_arena_reset(&r->arena);
        argv[0] = "SCAN";
        argv[1] = cursor;
        argv[2] = "MATCH";
        argv[3] = pattern;
        argv[4] = "COUNT";
        argv[5] = SCAN_COUNT;
        for (int i = 0; i < 6; i++)
            lens[i] = strlen(argv[i]);
        if (cm_redis_call(r->cmd, &r->arena, &page, r->err, sizeof(r->err), 6, argv, lens) < 0)
            return -1;
        if (page.type != CM_RESP_ARRAY || page.n != 2 || page.v[0].type != CM_RESP_BULK ||
            page.v[0].len >= sizeof(cursor) || page.v[1].type != CM_RESP_ARRAY) {
            snprintf(r->err, sizeof(r->err), "Redis %s: SCAN answered no cursor and keys",
                     cm_redis_name(r->cmd));
            return -1;
        }
        memcpy(cursor, page.v[0].str, page.v[0].len + 1);
        if (page.v[1].n > 0 && apply_page(r, &page.v[1]) < 0)
            return -1;
        pages++;
    } while (strcmp(cursor, "0") != 0);
    if (lock(r) < 0)
        return -1;
    cm_arena_reset(&r->arena);
    cm_keyset_sweep(r->keys, expire_key, r);
    cm_pushstore_unlock(r->ps);
    cm_arena_reset(&r->arena);
    if (r->applied != before_a || r->removed != before_r)
        cm_log(CM_LOG_INFO, "replicator: resync from Redis %s: %zu key%s, %zu value%s applied, "
               "%zu expired locally", cm_redis_name(r->cmd), cm_keyset_count(r->keys),
               cm_keyset_count(r->keys) == 1 ? "" : "s", r->applied - before_a,
               r->applied - before_a == 1 ? "" : "s", r->removed - before_r);
    return 0;
}

/* Subscribes, resyncs, then applies messages until the connection fails. */
static void
session(struct repl *r, int *logged_down)
{
    const char *argv[2] = { "SUBSCRIBE", r->channel };
    size_t lens[2] = { 9, strlen(r->channel) };
    long long next_resync;
    struct cm_resp m;
    int got;

    if (cm_redis_connect(&r->sub, r->rc, r->err, sizeof(r->err)) < 0)
        return;
    /* subscribed before the resync reads anything: no change falls between them */
    cm_arena_reset(&r->arena);
    if (cm_redis_call(r->sub, &r->arena, &m, r->err, sizeof(r->err), 2, argv, lens) < 0)
        return;
    if (cm_redis_connect(&r->cmd, r->rc, r->err, sizeof(r->err)) < 0 || resync(r) < 0)
        return;
    cm_log(CM_LOG_INFO, "replicator: following Redis %s (channel %s, resync every %lld s)",
           cm_redis_name(r->cmd), r->channel, (long long)r->rc->resync);
    *logged_down = 0;
    set_down_since(0);
    next_resync = cm_clock_ms() + r->rc->resync * 1000;
    for (;;) {
        long long wait = next_resync - cm_clock_ms();

        if (wait <= 0) {
            if (resync(r) < 0)
                return;
            next_resync = cm_clock_ms() + r->rc->resync * 1000;
            continue;
        }
        cm_arena_reset(&r->arena);
        got = cm_redis_read(r->sub, &r->arena, &m, (long)wait, r->err, sizeof(r->err));
        if (got < 0)
            return;
        if (got > 0)
            on_message(r, &m);
    }
}

int
cm_replicator_run(const struct cm_config *cfg, const char *state_dir, uint32_t capacity)
{
    struct repl r;
    long backoff = BACKOFF_MIN_MS;
    int logged_down = 0;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NAME, "cm-replicator");  /* for ps and pgrep -x */
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.rc = &cfg->push;
    snprintf(r.channel, sizeof(r.channel), "%schanges", r.rc->key_prefix);
    if (cm_pushstore_open(&r.ps, state_dir, capacity, 0, r.err, sizeof(r.err)) < 0) {
        cm_log(CM_LOG_ERROR, "the replicator cannot start: %s", r.err);
        return 1;
    }
    r.keys = cm_keyset_new();
    cm_arena_init(&r.arena, 0);
    cm_buf_init(&r.key, 4096);
    for (;;) {
        long long started = cm_clock_ms();

        r.err[0] = '\0';
        session(&r, &logged_down);
        cm_redis_close(r.sub);
        cm_redis_close(r.cmd);
        r.sub = r.cmd = NULL;
        if (cm_replicator_down_since() == 0)
            set_down_since((int64_t)time(NULL));
        if (!logged_down) {
            cm_log(CM_LOG_WARN, "replicator: %s; reads serve the values this replica has "
                   "until their max_age; retrying", r.err[0] ? r.err : "Redis failed");
            logged_down = 1;
        }
        if (cm_clock_ms() - started > BACKOFF_MAX_MS)
            backoff = BACKOFF_MIN_MS;  /* it had worked for a while: retry at once */
        sleep_ms(backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}
