#include "breaker.h"

#include <stddef.h>

void
cm_breaker_init(struct cm_breaker *b)
{
    b->fails = 0;
    b->opens = 0;
    b->open_until_ms = 0;
    b->probe_until_ms = 0;
}

/* Opens b at now for the back-off its count of opens gives. */
static void
trip(struct cm_breaker *b, long long now_ms)
{
    long long backoff = CM_BREAKER_BACKOFF_MIN_MS;
    int i;

    for (i = 0; i < b->opens && backoff < CM_BREAKER_BACKOFF_MAX_MS; i++)
        backoff *= 2;
    if (backoff > CM_BREAKER_BACKOFF_MAX_MS)
        backoff = CM_BREAKER_BACKOFF_MAX_MS;
    b->opens++;
    b->open_until_ms = now_ms + backoff;
    b->probe_until_ms = 0;
}

enum cm_breaker_verdict
cm_breaker_admit(struct cm_breaker *b, long long now_ms, long long probe_ms,
                 long long *retry_ms)
{
    long long until;

    if (b->open_until_ms == 0)
        return CM_BREAKER_ALLOW;
    until = b->open_until_ms;
    if (now_ms >= until && now_ms >= b->probe_until_ms) {
        b->probe_until_ms = now_ms + probe_ms;
        return CM_BREAKER_PROBE;
    }
    if (b->probe_until_ms > until)
        until = b->probe_until_ms;
    if (retry_ms != NULL)
        *retry_ms = until - now_ms;
    return CM_BREAKER_REJECT;
}

void
cm_breaker_record(struct cm_breaker *b, enum cm_breaker_verdict v, int failed,
                  long long now_ms)
{
    if (v == CM_BREAKER_REJECT)
        return;
    if (!failed) {
        cm_breaker_init(b);
        return;
    }
    if (v == CM_BREAKER_PROBE) {
        trip(b, now_ms);
    } else if (b->open_until_ms == 0 && ++b->fails >= CM_BREAKER_FAILURES) {
        b->fails = 0;
        trip(b, now_ms);
    }
}

int
cm_breaker_is_failure(long status)
{
    return status < 0 || status == 429 || status >= 500;
}
