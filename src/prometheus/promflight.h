/*
 * promflight.h - single flight for Prometheus queries: while one worker (the
 * leader) runs a query, every other worker asking the same query waits for
 * the leader's answer instead of sending its own.
 *
 * The table is plain memory with no pointers in it, so that it can live in
 * a shared mapping that every worker inherits (promshare.h does that, with
 * the lock and the waiting).  Every function here runs under that lock and
 * only decides: who leads, who follows, what the followers get.
 *
 * A flight is keyed by the full query text (compared byte for byte; the hash
 * only picks candidates), so one query never receives another's answer.
 * Each slot holds one flight: the query, then the answer's body, together at
 * most CM_PROMFLIGHT_DATA_MAX bytes.  An answer larger than that is not
 * shared (followers then ask themselves); a query that does not fit, or
 * arrives when every slot is busy, runs alone.
 */
#ifndef CM_PROMFLIGHT_H
#define CM_PROMFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "breaker.h"
#include "buf.h"

#define CM_PROMFLIGHT_SLOTS    16
#define CM_PROMFLIGHT_DATA_MAX (1u << 20)
#define CM_PROMFLIGHT_GRACE_MS 1000     /* followers wait the timeout plus this */
#define CM_PROMFLIGHT_TOO_LARGE (-2)    /* a landed status: the body was not kept */

enum cm_flight_state { CM_FLIGHT_FREE, CM_FLIGHT_RUNNING, CM_FLIGHT_DONE };

struct cm_promflight_slot {
    uint32_t gen;                /* +1 at take-off and at landing (a futex word) */
    uint32_t state;              /* enum cm_flight_state */
    uint64_t hash;
    int32_t leader;              /* pid */
    uint32_t waiting;            /* followers that have not collected the answer */
    long long deadline_ms;       /* followers give up then */
    long long landed_ms;
    long status;                 /* landed: HTTP status, -1 (no answer: err), TOO_LARGE */
    size_t key_len, body_len;
    char err[256];
};

struct cm_promflight {
    struct cm_breaker breaker;   /* of the one Prometheus server */
    size_t data_max;
    uint64_t flights, joins;     /* totals, for the log and the tests */
    struct cm_promflight_slot slot[CM_PROMFLIGHT_SLOTS];
    /* then CM_PROMFLIGHT_SLOTS * data_max bytes: each slot's key and body */
};

enum cm_flight_role {
    CM_FLIGHT_LEAD,              /* run the query, then cm_promflight_land() */
    CM_FLIGHT_FOLLOW,            /* cm_promflight_take() until it stops saying WAIT */
    CM_FLIGHT_ALONE              /* run the query, share nothing */
};

struct cm_flight_ticket {
    size_t slot;
    uint32_t gen;                /* the slot's gen while this flight runs */
};

enum cm_flight_take { CM_FLIGHT_WAIT, CM_FLIGHT_GOT, CM_FLIGHT_LOST };

/* Bytes a table with data_max bytes per slot takes. */
size_t cm_promflight_size(size_t data_max);

/* An empty table (and a closed breaker) in t, of cm_promflight_size(data_max) bytes. */
void cm_promflight_init(struct cm_promflight *t, size_t data_max);

/*
 * Joins the flight running key (key_len bytes), or starts one that followers
 * wait for until deadline_ms; *out says which slot and flight.
 */
enum cm_flight_role cm_promflight_begin(struct cm_promflight *t, const char *key,
                                        size_t key_len, int32_t pid, long long now_ms,
                                        long long deadline_ms, struct cm_flight_ticket *out);

/*
 * The leader's answer: status (or -1 with err), and its body.  Returns 0
 * when the followers can collect it (wake them), -1 when the flight was
 * given up and its slot reused meanwhile.
 */
int cm_promflight_land(struct cm_promflight *t, const struct cm_flight_ticket *tk, long status,
                       const char *body, size_t body_len, const char *err, long long now_ms);

/*
 * A follower's turn: CM_FLIGHT_WAIT while the flight runs (before its
 * deadline); CM_FLIGHT_GOT with the answer (status, the body appended to
 * out, err when status is -1); CM_FLIGHT_LOST when the flight did not land
 * in time or its slot was reused (*status -1, the reason in err).
 */
enum cm_flight_take cm_promflight_take(struct cm_promflight *t, const struct cm_flight_ticket *tk,
                                       long long now_ms, long *status, struct cm_buf *out,
                                       char *err, size_t errlen);

#endif
