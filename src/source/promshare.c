#include "promshare.h"
#include "breaker.h"
#include "clock.h"
#include "log.h"
#include "promflight.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct cm_promshare {
    pthread_mutex_t lock;
    size_t map_size;
    _Alignas(64) struct cm_promflight table;    /* last: its slots' data follow it */
};

struct cm_promshare *
cm_promshare_new(char *err, size_t errlen)
{
    size_t size = offsetof(struct cm_promshare, table) + cm_promflight_size(CM_PROMFLIGHT_DATA_MAX);
    pthread_mutexattr_t attr;
    struct cm_promshare *s;
    int rc;

    s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the shared prometheus table (%zu bytes): %s", size,
                 strerror(errno));
        return NULL;
    }
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    rc = pthread_mutex_init(&s->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0) {
        snprintf(err, errlen, "cannot make the shared prometheus lock: %s", strerror(rc));
        munmap(s, size);
        return NULL;
    }
    s->map_size = size;
    cm_promflight_init(&s->table, CM_PROMFLIGHT_DATA_MAX);
    return s;
}

void
cm_promshare_free(struct cm_promshare *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->lock);
    munmap(s, s->map_size);
}

/* Takes the lock; a holder that died leaves it to us, and the table as it was. */
static void
lock(struct cm_promshare *s)
{
    if (pthread_mutex_lock(&s->lock) == EOWNERDEAD)
        pthread_mutex_consistent(&s->lock);
}

static void
unlock(struct cm_promshare *s)
{
    pthread_mutex_unlock(&s->lock);
}

/* Sleeps while *word == seen, at most ms; returns early when it changes. */
static void
futex_wait(uint32_t *word, uint32_t seen, long long ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000;
    syscall(SYS_futex, word, FUTEX_WAIT, seen, &ts, NULL, 0);
}

static void
futex_wake_all(uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Tells the breaker how a query went, and the log when that opens or closes it. */
static void
record(struct cm_promshare *s, enum cm_breaker_verdict v, long status)
{
    struct cm_breaker *b = &s->table.breaker;
    long long now = cm_clock_ms();
    int was_open = b->open_until_ms != 0, failed = cm_breaker_is_failure(status);

    cm_breaker_record(b, v, failed, now);
    if (!was_open && b->open_until_ms != 0)
        cm_log(CM_LOG_WARN, "prometheus: %d queries in a row failed; not asking it for %lld ms",
               CM_BREAKER_FAILURES, b->open_until_ms - now);
    else if (v == CM_BREAKER_PROBE && failed)
        cm_log(CM_LOG_WARN, "prometheus: the probe failed too; not asking it for %lld ms",
               b->open_until_ms - now);
    else if (was_open && b->open_until_ms == 0)
        cm_log(CM_LOG_INFO, "prometheus answers again; queries resume");
}

/* A follower's wait for the leader's answer. */
static long
follow(struct cm_promshare *s, const struct cm_flight_ticket *tk, struct cm_buf *out,
       char *err, size_t errlen)
{
    uint32_t *gen = &s->table.slot[tk->slot].gen;
    long long deadline;
    long status = -1;

    for (;;) {
        long long now = cm_clock_ms();
        enum cm_flight_take r;

        lock(s);
        r = cm_promflight_take(&s->table, tk, now, &status, out, err, errlen);
        deadline = s->table.slot[tk->slot].deadline_ms;
        unlock(s);
        if (r != CM_FLIGHT_WAIT)
            return status;
        futex_wait(gen, tk->gen, deadline - now);
    }
}

long
cm_promshare_query(struct cm_promshare *s, const char *key, size_t key_len, long timeout_ms,
                   long (*perform)(void *arg, struct cm_buf *out, char *err, size_t errlen),
                   void *arg, struct cm_buf *out, char *err, size_t errlen)
{
    long long now = cm_clock_ms(), retry = 0, wait_ms = timeout_ms + CM_PROMFLIGHT_GRACE_MS;
    enum cm_breaker_verdict v;
    enum cm_flight_role role;
    struct cm_flight_ticket tk;
    long status;
    int landed = -1;

    lock(s);
    v = cm_breaker_admit(&s->table.breaker, now, wait_ms, &retry);
    role = v == CM_BREAKER_REJECT ? CM_FLIGHT_ALONE :
           cm_promflight_begin(&s->table, key, key_len, (int32_t)getpid(), now, now + wait_ms, &tk);
    unlock(s);
    if (v == CM_BREAKER_REJECT) {
        snprintf(err, errlen, "prometheus: not asked: its last %d answers failed; the next "
                 "attempt in %lld ms", CM_BREAKER_FAILURES, retry);
        return -1;
    }
    if (role == CM_FLIGHT_FOLLOW) {
        status = follow(s, &tk, out, err, errlen);
        if (status != CM_PROMFLIGHT_TOO_LARGE) {
            if (v == CM_BREAKER_PROBE) {     /* the probe's outcome is the shared one */
                lock(s);
                record(s, v, status);
                unlock(s);
            }
            return status;
        }
        cm_buf_reset(out);                   /* not shared: ask ourselves */
        role = CM_FLIGHT_ALONE;
    }
    status = perform(arg, out, err, errlen);
    lock(s);
    record(s, v, status);
    if (role == CM_FLIGHT_LEAD)
        landed = cm_promflight_land(&s->table, &tk, status, out->data, out->len, err,
                                    cm_clock_ms());
    unlock(s);
    if (landed == 0)
        futex_wake_all(&s->table.slot[tk.slot].gen);
    return status;
}

void
cm_promshare_counts(struct cm_promshare *s, uint64_t *flights, uint64_t *joins)
{
    lock(s);
    *flights = s->table.flights;
    *joins = s->table.joins;
    unlock(s);
}
