/*
 * pushstore.h - pushed values, shared by every worker through one
 * memory-mapped file, STATE_DIR/push.db.
 *
 * The file is a header page and a fixed number of 2 KiB records.  A record
 * holds a key (metric, resource, namespace, name), written once when the
 * record is appended, and two copies of its value (quantity text, timestamp,
 * labels).  A writer fills the copy that readers are not using and then
 * bumps the record's version, so that:
 *   - readers take no lock and never see half a value (they copy, then check
 *     that the version did not move past the copy they read);
 *   - a writer killed mid-write leaves the previous value in place.
 * Writers are serialized by flock() on the file.  New records are published
 * by bumping the header's count, after they are complete.
 *
 * When the file is full, the writer that needs a record compacts it: it
 * writes a new file holding only the records keep() wants (the values still
 * fresh, of metrics still declared), renames it over the old one, and marks
 * the old one replaced.  Every process then maps the new file on its next
 * refresh.
 *
 * Disk space is reserved (posix_fallocate) before anything is written
 * through the mapping, so a full filesystem makes the write that needed
 * space fail with CM_PUSHSTORE_NOSPACE, and never raises SIGBUS; stored
 * values are still rewritten (in space they own) and read.  The module is
 * split along its seams: pushrec.h (the record format), pushmap.h (the
 * mapping and its space), pushindex.h (this process's index), pushcompact.h
 * (the compactor).  Files are opened without following links (safefile.h).
 *
 * The file lives in the page cache, so values survive any process dying and
 * a restart of the pair; they do not survive a reboot of the node (the state
 * directory is an emptyDir in the pod).
 *
 * Each process opens its own store: flock() locks belong to an open file,
 * so a descriptor shared across fork() would not serialize anything.
 */
#ifndef CM_PUSHSTORE_H
#define CM_PUSHSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "labels.h"
#include "pushkey.h"

#define CM_PUSHSTORE_FILE "push.db"
#define CM_PUSHSTORE_DEFAULT_CAPACITY 65536u

struct cm_pushstore;

/*
 * Opens (creating when missing) dir/push.db with room for capacity records;
 * an existing file keeps its own capacity until it is next compacted.  With
 * reset_bad, a file that is not a push store of this version is moved aside
 * to push.db.bad and replaced by an empty one; without it, opening fails.
 * Returns 0 and an owned store in *out, or -1 with a message in err.
 */
int cm_pushstore_open(struct cm_pushstore **out, const char *dir, uint32_t capacity,
                      int reset_bad, char *err, size_t errlen);
void cm_pushstore_close(struct cm_pushstore *ps);

/* Records in use, and the room the current file has. */
uint32_t cm_pushstore_count(const struct cm_pushstore *ps);
uint32_t cm_pushstore_capacity(const struct cm_pushstore *ps);

/*
 * Brings this process's view up to date: maps a file that replaced the one
 * it has, and indexes records appended since the last call.  Costs two
 * atomic loads when nothing changed.  Returns 0, or -1 with a message (a
 * damaged file too: a header counting more records than the file holds, or
 * fewer than this process has already indexed).
 */
int cm_pushstore_refresh(struct cm_pushstore *ps, char *err, size_t errlen);

/*
 * The value stored under key: returns 1 with *out filled, or 0 when there is
 * none.  Takes no lock.  Each process keeps the values it decoded and hands
 * them out again while their record has not been written: *out is borrowed,
 * valid until the next cm_pushstore_refresh().
 */
int cm_pushstore_get(struct cm_pushstore *ps, const struct cm_push_key *key,
                     struct cm_push_value *out);

/* Prepares *out; -1 when the parts do not fit in a key. */
int cm_pushstore_scope(struct cm_push_scope *out, const char *metric, const char *resource,
                       const char *ns);

/* cm_pushstore_get() of the key (sc's parts, name). */
int cm_pushstore_get_in(struct cm_pushstore *ps, const struct cm_push_scope *sc,
                        const char *name, struct cm_push_value *out);

/*
 * Calls fn for every external series (resource "") of metric, in the order
 * they were first written; stops when fn returns non-zero.  *k is borrowed
 * for the call only (its strings are on this function's stack); *v's
 * strings are allocated from a (only for metric's own series).
 */
void cm_pushstore_each_external(struct cm_pushstore *ps, const char *metric, struct cm_arena *a,
                                int (*fn)(const struct cm_push_key *k,
                                          const struct cm_push_value *v, void *arg),
                                void *arg);

/*
 * Takes the writers' lock (waiting for it) and refreshes.  Returns 0, or -1
 * with a message.  Every put happens between lock and unlock.
 */
int cm_pushstore_lock(struct cm_pushstore *ps, char *err, size_t errlen);
void cm_pushstore_unlock(struct cm_pushstore *ps);

/*
 * 0 if key and value fit in a record, else -1 with the reason.  Checked by
 * cm_pushstore_put() too; callers that write several values check them all
 * first, so that a batch is written whole or not at all.
 */
int cm_pushstore_fits(const struct cm_push_key *key, const struct cm_push_value *value,
                      char *err, size_t errlen);


/*
 * Stores value under key (the lock must be held).  A full file is compacted
 * first, keeping the records keep() accepts.  Returns CM_PUSHSTORE_OK, or
 * another CM_PUSHSTORE_* code with a message in err (one that names no
 * file: it may reach a client).
 */
int cm_pushstore_put(struct cm_pushstore *ps, const struct cm_push_key *key,
                     const struct cm_push_value *value, cm_pushstore_keep_fn keep, void *keep_arg,
                     char *err, size_t errlen);

#endif
