/*
 * authcache.h - the decision cache every worker shares: answers of
 * SubjectAccessReviews and TokenReviews, keyed by the whole question.
 *
 * The table lives in one block of memory the caller provides; the server
 * maps it shared and anonymous before it forks the workers (as objcache.c
 * maps its control page), so a question one worker had reviewed is answered
 * from the table by all of them.  A question being reviewed is marked
 * pending: another worker asking it waits for that answer instead of sending
 * a second review (N workers never mean N reviews of one question).  A
 * pending mark has a deadline, so a worker that died while reviewing does
 * not block the question for good.  A review that failed is not stored: the
 * next request asks again.
 *
 * Keys are compared byte for byte (never by hash alone), so no question can
 * be given another's answer.  Pure logic: no I/O, no threads; a short spin
 * lock (GCC atomics) guards the table, held only to probe and copy.
 *
 * A process may die anywhere (a crash, an OOM kill, kill -9), so nothing it
 * holds is held for good.  The lock word and every admission (below) carry
 * their owner's process id: a waiter that finds the lock's owner gone takes
 * the lock over, and empties the table first, since the owner may have died
 * halfway through a change (the answers are lost, never mixed up: the next
 * askers review again); an admission whose owner is gone is taken back by
 * the next cm_authcache_enter().  Whether a process is gone is asked through
 * struct cm_authcache_procs, so the table stays free of system calls.
 */
#ifndef CM_AUTHCACHE_H
#define CM_AUTHCACHE_H

#include <stddef.h>
#include <stdint.h>

#define CM_AUTHCACHE_KEY_MAX 1536      /* longer questions are not cached */
#define CM_AUTHCACHE_VALUE_MAX 1024    /* a reason, or an encoded identity */
#define CM_AUTHCACHE_PROBE 16

#define CM_AUTHCACHE_MAX_BUSY 1024     /* admissions at most (max_busy is capped to it) */

struct cm_authcache;                   /* lives in the caller's block */

/*
 * Who the caller is and whether another process still exists.  self()
 * returns the calling process's id (getpid(); never 0); alive(pid) returns
 * 0 once process pid no longer exists (kill(pid, 0) fails with ESRCH), else
 * 1 (a process that exists but may not be signalled is alive).  The server
 * passes the real ones; tests pass stand-ins.
 */
struct cm_authcache_procs {
    int (*self)(void);
    int (*alive)(int pid);
};

/* The bytes a table of nslots needs. */
size_t cm_authcache_bytes(size_t nslots);

/*
 * Lays an empty table of nslots out in mem (len >= cm_authcache_bytes(nslots),
 * aligned for uint64_t), admitting at most max_busy processes at once in
 * reviews (making or waiting for one; capped to CM_AUTHCACHE_MAX_BUSY).
 * procs is borrowed: it and its functions must be valid in every process
 * that uses the table (a static table, inherited across fork()).  Returns
 * the table (it is mem).
 */
struct cm_authcache *cm_authcache_init(void *mem, size_t len, size_t nslots, unsigned max_busy,
                                       const struct cm_authcache_procs *procs);

enum cm_authcache_result {
    CM_AUTHCACHE_HIT,        /* *verdict and the value are the answer */
    CM_AUTHCACHE_CLAIMED,    /* the caller must review, then cm_authcache_finish() */
    CM_AUTHCACHE_PENDING,    /* another worker is reviewing it: ask again shortly */
    CM_AUTHCACHE_NOROOM,     /* every slot of its probe is pending: review uncached */
};

/*
 * Looks key up at time now_ms.  A fresh answer is a HIT (its verdict and up
 * to vcap bytes of its value copied out, *vlen its length).  Otherwise the
 * question is claimed for the caller until now_ms + claim_ms, unless another
 * holds a live claim (PENDING).
 */
enum cm_authcache_result cm_authcache_lookup(struct cm_authcache *c, const char *key, size_t klen,
                                             int64_t now_ms, int64_t claim_ms, int *verdict,
                                             char *value, size_t vcap, size_t *vlen);

/*
 * Ends the caller's claim on key: with ttl_ms > 0 stores (verdict, value)
 * until now_ms + ttl_ms; with ttl_ms <= 0 (the review failed) forgets the
 * question.  A value longer than CM_AUTHCACHE_VALUE_MAX is not stored.
 */
void cm_authcache_finish(struct cm_authcache *c, const char *key, size_t klen, int verdict,
                         const char *value, size_t vlen, int64_t ttl_ms, int64_t now_ms);

/*
 * Admission to the review path: returns 0 with an admission claimed for the
 * calling process (procs->self()) while fewer than max_busy are held, else
 * -1 (the caller answers without reviewing).  An admission whose process is
 * gone (procs->alive() says so) is taken back to make room; so is one held
 * under the caller's own id, since a process holds at most one at a time
 * and such a one is a dead predecessor's whose id was reused.
 * cm_authcache_leave() gives the caller's admission back.  This keeps a
 * worker free for what the cache and the local rules answer while reviews
 * are slow.
 */
int cm_authcache_enter(struct cm_authcache *c);
void cm_authcache_leave(struct cm_authcache *c);

/*
 * How long the last review took, as told by whoever made it (any worker);
 * 0 until one is told.  The guard waits for a place in the review path only
 * while reviews are quick.
 */
void cm_authcache_review_took(struct cm_authcache *c, int64_t ms);
int64_t cm_authcache_last_review_ms(const struct cm_authcache *c);

/* Reviews claimed so far (every cm_authcache_lookup() that returned CLAIMED). */
uint64_t cm_authcache_claims(const struct cm_authcache *c);

#endif
