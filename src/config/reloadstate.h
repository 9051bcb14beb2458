/*
 * reloadstate.h - what the last configuration reloads did, in one page of
 * anonymous shared memory that the master makes before it forks and every
 * process of the pair reads: the health worker (/healthz?verbose shows the
 * last failure) and whatever counts reloads (the self-metrics).
 *
 * One writer, the master, records each attempt; readers take a consistent
 * copy without a lock (a sequence count, odd while a record is written).
 */
#ifndef CM_RELOADSTATE_H
#define CM_RELOADSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CM_RELOAD_MESSAGE_MAX 2048

enum cm_reload_result { CM_RELOAD_OK, CM_RELOAD_FAILED };

struct cm_reload_state;               /* shared; owned by the master */

/* A reader's copy. */
struct cm_reload_snapshot {
    uint64_t generation;              /* configurations taken: 1 at start, +1 per reload taken */
    uint64_t reloads_ok;              /* reloads taken since start (the first load is not one) */
    uint64_t reloads_failed;          /* reloads refused: the old configuration kept serving */
    time_t loaded_at;                 /* when the configuration serving now was loaded */
    time_t last_attempt;              /* the last reload, taken or not; 0: none yet */
    int last_failed;                  /* the last reload was refused */
    char hash[17];                    /* hex FNV-1a of the configuration's bytes */
    char message[CM_RELOAD_MESSAGE_MAX];  /* why the last refused reload was refused */
};

/* A new shared page (generation 1, loaded at t, hash as given); NULL if it cannot be mapped. */
struct cm_reload_state *cm_reload_state_new(time_t t, const char *hash);
void cm_reload_state_free(struct cm_reload_state *s);

/*
 * Records one reload at time t: CM_RELOAD_OK bumps the generation and sets
 * the hash of what is served now; CM_RELOAD_FAILED keeps them and records
 * message (every problem, on one line).  The master alone calls it.
 */
void cm_reload_state_record(struct cm_reload_state *s, enum cm_reload_result result, time_t t,
                            const char *hash, const char *message);

/* A consistent copy of the state into *out.  Any process; takes no lock. */
void cm_reload_state_read(const struct cm_reload_state *s, struct cm_reload_snapshot *out);

/* The 64-bit FNV-1a of len bytes, continued from h (start with CM_RELOAD_HASH_INIT). */
#define CM_RELOAD_HASH_INIT 0xcbf29ce484222325ULL
uint64_t cm_reload_hash(uint64_t h, const void *data, size_t len);

#endif
