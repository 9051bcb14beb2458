#include "reloadstate.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct cm_reload_state {
    _Atomic uint64_t seq;             /* odd while the master writes */
    struct cm_reload_snapshot s;
};

struct cm_reload_state *
cm_reload_state_new(time_t t, const char *hash)
{
    struct cm_reload_state *st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (st == MAP_FAILED)
        return NULL;
    memset(st, 0, sizeof(*st));
    st->s.generation = 1;
    st->s.loaded_at = t;
    snprintf(st->s.hash, sizeof(st->s.hash), "%s", hash ? hash : "");
    return st;
}

void
cm_reload_state_free(struct cm_reload_state *s)
{
    if (s != NULL)
        munmap(s, sizeof(*s));
}

void
cm_reload_state_record(struct cm_reload_state *s, enum cm_reload_result result, time_t t,
                       const char *hash, const char *message)
{
    atomic_fetch_add(&s->seq, 1);                /* odd: writing */
    atomic_thread_fence(memory_order_release);
    s->s.last_attempt = t;
    if (result == CM_RELOAD_OK) {
        s->s.generation++;
        s->s.reloads_ok++;
        s->s.loaded_at = t;
        s->s.last_failed = 0;
        s->s.message[0] = '\0';
        snprintf(s->s.hash, sizeof(s->s.hash), "%s", hash ? hash : "");
    } else {
        s->s.reloads_failed++;
        s->s.last_failed = 1;
        snprintf(s->s.message, sizeof(s->s.message), "%s", message ? message : "");
    }
    atomic_thread_fence(memory_order_release);
    atomic_fetch_add(&s->seq, 1);                /* even: done */
}

void
cm_reload_state_read(const struct cm_reload_state *s, struct cm_reload_snapshot *out)
{
    struct cm_reload_state *w = (struct cm_reload_state *)s;  /* atomics are read, not written */
    uint64_t before, after;
    int tries = 0;

    do {
        before = atomic_load(&w->seq);
        atomic_thread_fence(memory_order_acquire);
        memcpy(out, &s->s, sizeof(*out));
        atomic_thread_fence(memory_order_acquire);
        after = atomic_load(&w->seq);
    } while ((before != after || (before & 1)) && ++tries < 1000);
    out->message[sizeof(out->message) - 1] = '\0';
    out->hash[sizeof(out->hash) - 1] = '\0';
}

uint64_t
cm_reload_hash(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
