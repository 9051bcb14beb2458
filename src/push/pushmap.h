/*
 * pushmap.h - one push store file mapped shared, and the disk space under it.
 *
 * The file has its full size from the start (the header page and capacity
 * records), but only the space written or reserved is backed: a page of a
 * shared mapping that has no block under it raises SIGBUS when it is first
 * written on a full filesystem.  So nothing is written through the mapping
 * that was not reserved first with posix_fallocate(): the header page when
 * the file is made, and the records in chunks ahead of the appends
 * (cm_pushmap_reserve()).  Running out of space is then an error on the
 * write that needed the space, never a signal; values already stored are
 * rewritten in place, in space they own, and reads take no space at all.
 *
 * Files are opened without following links (see safefile.h).
 */
#ifndef CM_PUSHMAP_H
#define CM_PUSHMAP_H

#include <stddef.h>
#include <stdint.h>

#include "pushrec.h"

/* Records reserved at a time ahead of the appends (512 KiB). */
#define CM_PUSHMAP_RESERVE_CHUNK 256u

struct cm_pushmap {
    int fd;                            /* owned; -1 when nothing is mapped */
    struct cm_pushrec_header *hdr;     /* the mapping, len bytes */
    struct cm_pushrec *rec;
    size_t len;
    uint32_t capacity;
    uint32_t reserved;                 /* records [0, reserved) have space: this process knows */
};

/* Return codes of the functions below. */
enum {
    CM_PUSHMAP_OK = 0,
    CM_PUSHMAP_IO = -1,                /* an I/O error (message in err) */
    CM_PUSHMAP_BAD = -2,               /* the file is not a push store of this version */
    CM_PUSHMAP_NOSPACE = -3,           /* no space left on its filesystem (ENOSPC, EDQUOT) */
    CM_PUSHMAP_FULL = -4               /* the compactor: every record is kept, nothing was made */
};

/* flock() retried on EINTR; 0 or -1 with errno. */
int cm_pushmap_lock(int fd, int op);

/* Unmaps and closes m (safe on an empty one); m is left empty. */
void cm_pushmap_unmap(struct cm_pushmap *m);

/*
 * Makes fd (an empty file) a store of capacity records: its full size,
 * space for the header page and the first nrecords records, and the header.
 * CM_PUSHMAP_OK, CM_PUSHMAP_NOSPACE or CM_PUSHMAP_IO, with errno set.
 */
int cm_pushmap_init_file(int fd, uint32_t capacity, uint32_t nrecords);

/*
 * Maps fd into *m after checking that it is a store; takes ownership of fd
 * (closed on failure).  CM_PUSHMAP_OK, CM_PUSHMAP_BAD or CM_PUSHMAP_IO.
 */
int cm_pushmap_attach(struct cm_pushmap *m, int fd, const char *path, char *err, size_t errlen);

/*
 * Makes sure record i has space on disk before it is written (the writers'
 * lock is held): reserves a chunk from i on, or record i alone when the
 * chunk does not fit.  CM_PUSHMAP_OK, CM_PUSHMAP_NOSPACE or CM_PUSHMAP_IO.
 */
int cm_pushmap_reserve(struct cm_pushmap *m, uint32_t i, char *err, size_t errlen);

/*
 * Opens the store at path into *m, making an empty one of capacity records
 * when the file is missing or empty.  With reset_bad, a file that is not a
 * store of this version is renamed to bad_path and replaced.  A link at
 * path is refused.  CM_PUSHMAP_OK, or another code with a message.
 */
int cm_pushmap_open(struct cm_pushmap *m, const char *path, const char *bad_path,
                    uint32_t capacity, int reset_bad, char *err, size_t errlen);

#endif
