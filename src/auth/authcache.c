#include "authcache.h"
#include "hash.h"

#include <sched.h>
#include <string.h>

enum { EMPTY, PENDING, DONE };

struct slot {
    uint64_t hash;
    int64_t until_ms;          /* DONE: expiry; PENDING: the claim's deadline */
    uint32_t klen, vlen;
    uint8_t state, verdict;
    char key[CM_AUTHCACHE_KEY_MAX];
    char value[CM_AUTHCACHE_VALUE_MAX];
};

/* A waiter asks whether the lock's owner still exists once every this many tries. */
#define LOCK_CHECK_EVERY 64

struct cm_authcache {
    int lock;                          /* 0 free, else the owner's process id */
    unsigned max_busy;
    const struct cm_authcache_procs *procs;
    uint64_t claims;
    int64_t last_review_ms;            /* how long the last review took (0: none yet) */
    size_t nslots;
    int admitted[CM_AUTHCACHE_MAX_BUSY];   /* [0, max_busy): 0 free, else its process id */
    struct slot slot[];
};

size_t
cm_authcache_bytes(size_t nslots)
{
    return sizeof(struct cm_authcache) + nslots * sizeof(struct slot);
}

struct cm_authcache *
cm_authcache_init(void *mem, size_t len, size_t nslots, unsigned max_busy,
                  const struct cm_authcache_procs *procs)
{
    struct cm_authcache *c = mem;

    memset(mem, 0, len < cm_authcache_bytes(nslots) ? len : cm_authcache_bytes(nslots));
    c->nslots = nslots;
    c->max_busy = max_busy == 0 ? 1 : max_busy > CM_AUTHCACHE_MAX_BUSY ? CM_AUTHCACHE_MAX_BUSY
                                                                       : max_busy;
    c->procs = procs;
    return c;
}

/* Empties every slot: after a takeover, a half-made change must not be read. */
static void
forget_all(struct cm_authcache *c)
{
    size_t i;

    for (i = 0; i < c->nslots; i++)
        c->slot[i].state = EMPTY;
}

/*
 * Takes the lock for the calling process.  The lock word holds the owner's
 * id; every LOCK_CHECK_EVERY tries a waiter asks whether that owner still
 * exists, and takes the lock over from one that does not (or that has the
 * waiter's own id: the lock is never taken twice by one process, so that
 * owner is a dead predecessor whose id was reused), then empties the table.
 */
static void
lock(struct cm_authcache *c)
{
    int self = c->procs->self(), owner;
    unsigned tries = 0;

    for (;;) {
        owner = 0;
        if (__atomic_compare_exchange_n(&c->lock, &owner, self, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
        if (++tries % LOCK_CHECK_EVERY == 0 && owner != 0 &&
            (owner == self || !c->procs->alive(owner)) &&
            __atomic_compare_exchange_n(&c->lock, &owner, self, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            forget_all(c);
            return;
        }
        sched_yield();
    }
}

static void
unlock(struct cm_authcache *c)
{
    __atomic_store_n(&c->lock, 0, __ATOMIC_RELEASE);
}

static int
same(const struct slot *s, uint64_t h, const char *key, size_t klen)
{
    return s->state != EMPTY && s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0;
}

/* How good s is to reuse: 0 empty, 1 expired, 2 live answer (sooner expiry first), 3 never. */
static int
reuse_rank(const struct slot *s, int64_t now_ms)
{
    if (s->state == EMPTY)
        return 0;
    if (s->until_ms <= now_ms)
        return 1;
    return s->state == DONE ? 2 : 3;
}

enum cm_authcache_result
cm_authcache_lookup(struct cm_authcache *c, const char *key, size_t klen, int64_t now_ms,
                    int64_t claim_ms, int *verdict, char *value, size_t vcap, size_t *vlen)
{
    uint64_t h;
    size_t i, start, n, victim = (size_t)-1;
    struct slot *s;
    int best = 3;

    if (klen > CM_AUTHCACHE_KEY_MAX || c->nslots == 0)
        return CM_AUTHCACHE_NOROOM;
    h = cm_hash_bytes(key, klen);
    start = (size_t)(h % c->nslots);
    n = c->nslots < CM_AUTHCACHE_PROBE ? c->nslots : CM_AUTHCACHE_PROBE;
    lock(c);
    for (i = 0; i < n; i++) {
        size_t at = (start + i) % c->nslots;
        int rank;

        s = &c->slot[at];
        if (same(s, h, key, klen)) {
            if (s->state == DONE && s->until_ms > now_ms) {
                *verdict = s->verdict;
                *vlen = s->vlen < vcap ? s->vlen : vcap;
                if (*vlen > 0)
                    memcpy(value, s->value, *vlen);
                unlock(c);
                return CM_AUTHCACHE_HIT;
            }
            if (s->state == PENDING && s->until_ms > now_ms) {
                unlock(c);
                return CM_AUTHCACHE_PENDING;
            }
            victim = at;                       /* stale: this slot is the question's */
            best = -1;
            continue;
        }
        rank = reuse_rank(s, now_ms);
        if (rank < best || (rank == 2 && best == 2 && s->until_ms < c->slot[victim].until_ms)) {
            best = rank;
            victim = at;
        }
    }
    if (victim == (size_t)-1) {
        unlock(c);
        return CM_AUTHCACHE_NOROOM;
    }
    s = &c->slot[victim];
    s->hash = h;
    s->klen = (uint32_t)klen;
    memcpy(s->key, key, klen);
    s->vlen = 0;
    s->state = PENDING;
    s->until_ms = now_ms + claim_ms;
    c->claims++;
    unlock(c);
    return CM_AUTHCACHE_CLAIMED;
}

void
cm_authcache_finish(struct cm_authcache *c, const char *key, size_t klen, int verdict,
                    const char *value, size_t vlen, int64_t ttl_ms, int64_t now_ms)
{
    uint64_t h;
    size_t i, start;

    if (klen > CM_AUTHCACHE_KEY_MAX || c->nslots == 0)
        return;
    h = cm_hash_bytes(key, klen);
    start = (size_t)(h % c->nslots);
    lock(c);
    for (i = 0; i < CM_AUTHCACHE_PROBE && i < c->nslots; i++) {
        struct slot *s = &c->slot[(start + i) % c->nslots];

        if (!same(s, h, key, klen))
            continue;
        if (ttl_ms <= 0 || vlen > CM_AUTHCACHE_VALUE_MAX) {
            s->state = EMPTY;
        } else {
            s->state = DONE;
            s->verdict = (uint8_t)(verdict != 0);
            s->vlen = (uint32_t)vlen;
            if (vlen > 0)
                memcpy(s->value, value, vlen);
            s->until_ms = now_ms + ttl_ms;
        }
        break;
    }
    unlock(c);
}

int
cm_authcache_enter(struct cm_authcache *c)
{
    int self = c->procs->self(), rc = -1;
    unsigned i, at = c->max_busy;

    lock(c);
    for (i = 0; i < c->max_busy; i++) {
        if (c->admitted[i] == self)        /* ours, so a dead predecessor's */
            c->admitted[i] = 0;
        if (c->admitted[i] == 0 && at == c->max_busy)
            at = i;
    }
    /* none free: take back one whose process is gone (a crash between enter and leave) */
    for (i = 0; i < c->max_busy && at == c->max_busy; i++)
        if (!c->procs->alive(c->admitted[i]))
            at = i;
    if (at < c->max_busy) {
        c->admitted[at] = self;
        rc = 0;
    }
    unlock(c);
    return rc;
}

void
cm_authcache_leave(struct cm_authcache *c)
{
    int self = c->procs->self();
    unsigned i;

    lock(c);
    for (i = 0; i < c->max_busy; i++)
        if (c->admitted[i] == self) {
            c->admitted[i] = 0;
            break;
        }
    unlock(c);
}

void
cm_authcache_review_took(struct cm_authcache *c, int64_t ms)
{
    __atomic_store_n(&c->last_review_ms, ms < 0 ? 0 : ms, __ATOMIC_RELAXED);
}

int64_t
cm_authcache_last_review_ms(const struct cm_authcache *c)
{
    return __atomic_load_n(&c->last_review_ms, __ATOMIC_RELAXED);
}

uint64_t
cm_authcache_claims(const struct cm_authcache *c)
{
    return __atomic_load_n(&c->claims, __ATOMIC_RELAXED);
}
