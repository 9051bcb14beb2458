/*
 * breaker.h - a circuit breaker for one Prometheus server: after
 * CM_BREAKER_FAILURES queries in a row fail (no answer, a timeout, or a 5xx
 * or 429 status), the server is not asked again for a back-off period;
 * queries fail at once instead (the source then serves its max_age values,
 * its fallback, or a 503).  When the period is over, one query is let
 * through as a probe: its success closes the breaker, its failure opens it
 * again for twice as long, up to CM_BREAKER_BACKOFF_MAX_MS.  Any success
 * closes it and forgets the failures.
 *
 * Pure logic on a plain struct: the caller supplies the time and keeps the
 * struct where every worker sees it (promshare.h), under its own lock.
 */
#ifndef CM_BREAKER_H
#define CM_BREAKER_H

#define CM_BREAKER_FAILURES       5       /* consecutive failures that open it */
#define CM_BREAKER_BACKOFF_MIN_MS 1000    /* the first open period */
#define CM_BREAKER_BACKOFF_MAX_MS 30000   /* the longest, after failed probes */

struct cm_breaker {
    int fails;                   /* consecutive failures while closed */
    int opens;                   /* times opened since the last success */
    long long open_until_ms;     /* 0: closed */
    long long probe_until_ms;    /* a probe is in flight until then (0: none) */
};

enum cm_breaker_verdict {
    CM_BREAKER_ALLOW,            /* closed: ask */
    CM_BREAKER_PROBE,            /* half open: ask, as the one probe */
    CM_BREAKER_REJECT            /* open: do not ask */
};

/* A closed breaker. */
void cm_breaker_init(struct cm_breaker *b);

/*
 * May a query be sent at now_ms?  A probe is given probe_ms to report back
 * (its query's timeout and a margin); until then no other probe is let
 * through.  On CM_BREAKER_REJECT, *retry_ms (if not NULL) is how long until
 * the next probe may go.
 */
enum cm_breaker_verdict cm_breaker_admit(struct cm_breaker *b, long long now_ms,
                                         long long probe_ms, long long *retry_ms);

/* Reports how a query admitted with verdict v ended. */
void cm_breaker_record(struct cm_breaker *b, enum cm_breaker_verdict v, int failed,
                       long long now_ms);

/* 1 if an answer with this HTTP status (-1: none came) counts as a failure. */
int cm_breaker_is_failure(long status);

#endif
