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

struct cm_authcache {
    int lock;
    unsigned busy, max_busy;
    uint64_t claims;
    size_t nslots;
    struct slot slot[];
};

size_t
cm_authcache_bytes(size_t nslots)
{
    return sizeof(struct cm_authcache) + nslots * sizeof(struct slot);
}

struct cm_authcache *
cm_authcache_init(void *mem, size_t len, size_t nslots, unsigned max_busy)
{
    struct cm_authcache *c = mem;

    memset(mem, 0, len < cm_authcache_bytes(nslots) ? len : cm_authcache_bytes(nslots));
    c->nslots = nslots;
    c->max_busy = max_busy ? max_busy : 1;
    return c;
}

static void
lock(struct cm_authcache *c)
{
    while (__atomic_exchange_n(&c->lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&c->lock, __ATOMIC_RELAXED))
            sched_yield();
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
    int rc = -1;

    lock(c);
    if (c->busy < c->max_busy) {
        c->busy++;
        rc = 0;
    }
    unlock(c);
    return rc;
}

void
cm_authcache_leave(struct cm_authcache *c)
{
    lock(c);
    if (c->busy > 0)
        c->busy--;
    unlock(c);
}

uint64_t
cm_authcache_claims(const struct cm_authcache *c)
{
    return __atomic_load_n(&c->claims, __ATOMIC_RELAXED);
}
