/*
 * pushcompact.h - rewriting a full push store with only the records worth
 * keeping.
 *
 * The new file is made under a temporary name (created afresh, never through
 * a link), has space reserved for every record it will hold before any is
 * written through its mapping, and is renamed over the old one only when
 * whole.  Out of space, the old file stays in service unchanged.
 */
#ifndef CM_PUSHCOMPACT_H
#define CM_PUSHCOMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "pushmap.h"
#include "pushkey.h"

/*
 * Copies the records of from[0..count) that keep() accepts into to[0..cap)
 * (fresh, zeroed records), in order, and returns how many were copied; with
 * to NULL, only counts them.  Records that are malformed or cannot be read
 * are dropped; so are the kept ones beyond cap.
 */
uint32_t cm_pushcompact_copy(const struct cm_pushrec *from, uint32_t count,
                             struct cm_pushrec *to, uint32_t cap,
                             cm_pushstore_keep_fn keep, void *keep_arg);

/*
 * Writes the records of old (the writers' lock held on it) that keep()
 * accepts into a new store of capacity records at tmp_path, and renames it
 * to path.  On success *fresh is the new file, mapped and locked (LOCK_EX);
 * old is untouched (the caller marks it replaced).  When keep() accepts
 * capacity records or more, the new file would be as full as the old one:
 * nothing is written (no copy, no rename) and the return is CM_PUSHMAP_FULL.
 * Otherwise CM_PUSHMAP_OK, CM_PUSHMAP_NOSPACE or CM_PUSHMAP_IO with a
 * message; tmp_path is removed on failure.
 */
int cm_pushcompact_run(const struct cm_pushmap *old, const char *tmp_path, const char *path,
                       uint32_t capacity, cm_pushstore_keep_fn keep, void *keep_arg,
                       struct cm_pushmap *fresh, char *err, size_t errlen);

#endif
