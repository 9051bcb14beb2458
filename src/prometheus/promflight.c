#include "promflight.h"
#include "hash.h"

#include <stdio.h>
#include <string.h>

size_t
cm_promflight_size(size_t data_max)
{
    return sizeof(struct cm_promflight) + CM_PROMFLIGHT_SLOTS * data_max;
}

static char *
data_of(struct cm_promflight *t, size_t i)
{
    return (char *)(t + 1) + i * t->data_max;
}

void
cm_promflight_init(struct cm_promflight *t, size_t data_max)
{
    memset(t, 0, sizeof(*t));
    t->data_max = data_max;
    cm_breaker_init(&t->breaker);
}

/* 1 if a later flight may take slot s at now (nobody needs what it holds). */
static int
reusable(const struct cm_promflight_slot *s, long long now_ms)
{
    switch (s->state) {
    case CM_FLIGHT_FREE:
        return 1;
    case CM_FLIGHT_DONE:                /* collected, or its followers are gone */
        return s->waiting == 0 || now_ms > s->landed_ms + CM_PROMFLIGHT_GRACE_MS;
    default:                            /* a leader that never landed */
        return now_ms >= s->deadline_ms;
    }
}

/* Which reusable slot to take: free ones first, then the one that landed longest ago. */
static long long
age_rank(const struct cm_promflight_slot *s)
{
    return s->state == CM_FLIGHT_FREE ? -1 : s->landed_ms;
}

enum cm_flight_role
cm_promflight_begin(struct cm_promflight *t, const char *key, size_t key_len, int32_t pid,
                    long long now_ms, long long deadline_ms, struct cm_flight_ticket *out)
{
    uint64_t h = cm_hash_bytes(key, key_len);
    size_t i, best = CM_PROMFLIGHT_SLOTS;
    struct cm_promflight_slot *s;

    for (i = 0; i < CM_PROMFLIGHT_SLOTS; i++) {
        s = &t->slot[i];
        if (s->state == CM_FLIGHT_RUNNING && now_ms < s->deadline_ms && s->hash == h &&
            s->key_len == key_len && memcmp(data_of(t, i), key, key_len) == 0) {
            s->waiting++;
            t->joins++;
            out->slot = i;
            out->gen = s->gen;
            return CM_FLIGHT_FOLLOW;
        }
        if (!reusable(s, now_ms))
            continue;
        if (best == CM_PROMFLIGHT_SLOTS || age_rank(s) < age_rank(&t->slot[best]))
            best = i;
    }
    if (best == CM_PROMFLIGHT_SLOTS || key_len > t->data_max / 2)
        return CM_FLIGHT_ALONE;
    s = &t->slot[best];
    memcpy(data_of(t, best), key, key_len);
    s->hash = h;
    s->key_len = key_len;
    s->body_len = 0;
    s->state = CM_FLIGHT_RUNNING;
    s->leader = pid;
    s->waiting = 0;
    s->deadline_ms = deadline_ms;
    s->landed_ms = 0;
    s->status = -1;
    s->err[0] = '\0';
    s->gen++;
    t->flights++;
    out->slot = best;
    out->gen = s->gen;
    return CM_FLIGHT_LEAD;
}

int
cm_promflight_land(struct cm_promflight *t, const struct cm_flight_ticket *tk, long status,
                   const char *body, size_t body_len, const char *err, long long now_ms)
{
    struct cm_promflight_slot *s = &t->slot[tk->slot];

    if (s->gen != tk->gen || s->state != CM_FLIGHT_RUNNING)
        return -1;
    if (status >= 0 && body_len > t->data_max - s->key_len) {
        status = CM_PROMFLIGHT_TOO_LARGE;
        body_len = 0;
    }
    if (status >= 0 && body_len > 0)
        memcpy(data_of(t, tk->slot) + s->key_len, body, body_len);
    s->body_len = status >= 0 ? body_len : 0;
    s->status = status;
    snprintf(s->err, sizeof(s->err), "%s", status == -1 && err != NULL ? err : "");
    s->landed_ms = now_ms;
    s->state = CM_FLIGHT_DONE;
    s->gen++;                          /* last: what followers wait on */
    return 0;
}

enum cm_flight_take
cm_promflight_take(struct cm_promflight *t, const struct cm_flight_ticket *tk, long long now_ms,
                   long *status, struct cm_buf *out, char *err, size_t errlen)
{
    struct cm_promflight_slot *s = &t->slot[tk->slot];

    if (s->gen == tk->gen && s->state == CM_FLIGHT_RUNNING && now_ms < s->deadline_ms)
        return CM_FLIGHT_WAIT;
    if (s->gen == tk->gen + 1 && s->state == CM_FLIGHT_DONE) {
        *status = s->status;
        if (s->status >= 0)
            cm_buf_add(out, data_of(t, tk->slot) + s->key_len, s->body_len);
        else
            snprintf(err, errlen, "%s", s->err);
        if (s->waiting > 0)
            s->waiting--;
        return CM_FLIGHT_GOT;
    }
    if (s->gen == tk->gen && s->waiting > 0)
        s->waiting--;
    *status = -1;
    snprintf(err, errlen, "prometheus: the same query, sent by another worker, did not "
             "finish in time");
    return CM_FLIGHT_LOST;
}
