/*
 * pushrec.h - the push store's record format: the file's header, its 2 KiB
 * records, and the encoding of keys and values into them.  Pure: no I/O, no
 * allocation (decoding writes into memory the caller provides).
 *
 * A record holds a key (metric NUL resource NUL ns NUL name NUL), written
 * once when the record is appended, and two copies of its value.  A writer
 * fills the copy readers are not using, then bumps the record's version:
 * version 2W means W writes are done and copy[W & 1] is current; 2W+1 means
 * write W+1 is under way into copy[(W+1) & 1] (or its writer died, and
 * copy[W & 1] is still current).  Readers copy without a lock and check
 * that the version did not move past the copy they read.
 */
#ifndef CM_PUSHREC_H
#define CM_PUSHREC_H

#include <stddef.h>
#include <stdint.h>

#include "pushkey.h"

#define CM_PUSHREC_MAGIC "CMPUSH01"
#define CM_PUSHREC_HEADER_SIZE 4096u
#define CM_PUSHREC_SIZE 2048u
#define CM_PUSHREC_COPY_DATA 680u

/* One value: text NUL, then labels as key NUL value NUL ... */
struct cm_pushrec_copy {
    int64_t timestamp;
    uint16_t text_len;                 /* without its NUL */
    uint16_t labels_len;               /* bytes after the text's NUL */
    uint16_t nlabels;
    uint16_t pad;
    char data[CM_PUSHREC_COPY_DATA];
};

struct cm_pushrec {
    uint32_t version;
    uint32_t reserved;                 /* 0 (each process hashes the keys it indexes) */
    uint16_t key_len;                  /* the NULs included */
    uint16_t pad[3];
    char key[CM_PUSHSTORE_KEY_MAX];
    struct cm_pushrec_copy copy[2];
};

struct cm_pushrec_header {
    char magic[8];
    uint32_t record_size;
    uint32_t capacity;
    uint32_t count;                    /* records published; bumped after they are whole */
    uint32_t replaced;                 /* a compacted file has taken this one's path */
    uint32_t writes;                   /* bumped after every write: readers' cache epoch */
};

/* The size of a store file of capacity records, and the offset of record i. */
#define CM_PUSHREC_FILE_SIZE(capacity) \
    ((uint64_t)CM_PUSHREC_HEADER_SIZE + (uint64_t)(capacity) * CM_PUSHREC_SIZE)
#define CM_PUSHREC_OFFSET(i) CM_PUSHREC_FILE_SIZE(i)

/* Fills *out as the header of an empty store of capacity records. */
void cm_pushrec_header_init(struct cm_pushrec_header *out, uint32_t capacity);

/*
 * 0 when h (read from a file of file_size bytes) is the header of a store of
 * this version whose size matches its capacity, else -1.
 */
int cm_pushrec_header_check(const struct cm_pushrec_header *h, uint64_t file_size);

/*
 * A key's hash combines the hash of its scope (metric NUL resource NUL ns
 * NUL) with that of its name (name NUL), so that a request looking up many
 * names in one scope hashes the scope once.
 */
uint32_t cm_pushrec_hash_combine(uint64_t scope, uint64_t name);
/* The hash of an encoded key. */
uint32_t cm_pushrec_hash_key(const char *buf, size_t len);

/* k encoded into buf[CM_PUSHSTORE_KEY_MAX]; its length, or 0 when it does not fit. */
size_t cm_pushrec_encode_key(const struct cm_push_key *k, char *buf);

/*
 * Copies r's key to buf[CM_PUSHSTORE_KEY_MAX] and splits it into *out
 * (pointing into buf); -1 when it is malformed.
 */
int cm_pushrec_decode_key(const struct cm_pushrec *r, char *buf, struct cm_push_key *out);

/* v encoded into *out; -1 with the reason when it does not fit. */
int cm_pushrec_encode_value(const struct cm_push_value *v, struct cm_pushrec_copy *out,
                            char *err, size_t errlen);

/* The bytes cm_pushrec_decode_value() needs for c, or 0 when c is malformed. */
size_t cm_pushrec_decoded_size(const struct cm_pushrec_copy *c);

/*
 * Decodes c into block (cm_pushrec_decoded_size(c) bytes, suitably aligned
 * for pointers); *out points into block.  -1 when its labels are malformed.
 */
int cm_pushrec_decode_value(const struct cm_pushrec_copy *c, void *block,
                            struct cm_push_value *out);

/*
 * Copies r's current value to *out without a lock, retrying while a writer
 * may have overwritten the copy being read; *version (may be NULL) gets the
 * version read.  0, or -1 when no whole copy could be read.
 */
int cm_pushrec_read(const struct cm_pushrec *r, struct cm_pushrec_copy *out, uint32_t *version);

/* Writes c as r's new value (only one writer at a time: the writers' lock is held). */
void cm_pushrec_write(struct cm_pushrec *r, const struct cm_pushrec_copy *c);

/* Fills a fresh record r (not yet published) with an encoded key and its first value. */
void cm_pushrec_fill(struct cm_pushrec *r, const char *key, size_t key_len,
                     const struct cm_pushrec_copy *c);

#endif
