/*
 * pushstore.c - the push store: one mapped file (pushmap.c) of records
 * (pushrec.c), this process's index of them (pushindex.c), and the
 * compaction that replaces a full file (pushcompact.c).
 */
#include "pushstore.h"
#include "alloc.h"
#include "hash.h"
#include "pushcompact.h"
#include "pushindex.h"
#include "pushmap.h"
#include "pushrec.h"
#include "safefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct cm_pushstore {
    char *path, *tmp_path, *bad_path;
    uint32_t want_capacity;
    struct cm_pushmap m;
    struct cm_pushindex idx;
    uint32_t epoch;                    /* hdr->writes at the last refresh */
};

static char *
join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = cm_xmalloc(n);

    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int
cm_pushstore_open(struct cm_pushstore **out, const char *dir, uint32_t capacity,
                  int reset_bad, char *err, size_t errlen)
{
    struct cm_pushstore *ps = cm_xcalloc(1, sizeof(*ps));

    *out = NULL;
    ps->m.fd = -1;
    cm_pushindex_init(&ps->idx);
    ps->path = join(dir, CM_PUSHSTORE_FILE);
    ps->tmp_path = join(dir, CM_PUSHSTORE_FILE ".tmp");
    ps->bad_path = join(dir, CM_PUSHSTORE_FILE ".bad");
    ps->want_capacity = capacity == 0 ? CM_PUSHSTORE_DEFAULT_CAPACITY
                        : capacity > CM_PUSHSTORE_MAX_CAPACITY ? CM_PUSHSTORE_MAX_CAPACITY
                        : capacity;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        goto fail;
    }
    /* names the store creates or replaces later: a link there was planted */
    if (cm_safefile_refuse_link(ps->tmp_path, err, errlen) < 0 ||
        cm_safefile_refuse_link(ps->bad_path, err, errlen) < 0)
        goto fail;
    if (cm_pushmap_open(&ps->m, ps->path, ps->bad_path, ps->want_capacity, reset_bad, err,
                        errlen) != CM_PUSHMAP_OK ||
        cm_pushstore_refresh(ps, err, errlen) < 0)
        goto fail;
    *out = ps;
    return 0;

fail:
    cm_pushstore_close(ps);
    return -1;
}

void
cm_pushstore_close(struct cm_pushstore *ps)
{
    if (ps == NULL)
        return;
    cm_pushindex_free(&ps->idx);
    cm_pushmap_unmap(&ps->m);
    free(ps->path);
    free(ps->tmp_path);
    free(ps->bad_path);
    free(ps);
}

uint32_t
cm_pushstore_count(const struct cm_pushstore *ps)
{
    return __atomic_load_n(&ps->m.hdr->count, __ATOMIC_ACQUIRE);
}

uint32_t
cm_pushstore_capacity(const struct cm_pushstore *ps)
{
    return ps->m.capacity;
}

/* Maps the file now at the store's path in place of the current one. */
static int
switch_file(struct cm_pushstore *ps, char *err, size_t errlen)
{
    struct cm_pushmap m;

    if (cm_pushmap_open(&m, ps->path, ps->bad_path, ps->want_capacity, 0, err, errlen) !=
        CM_PUSHMAP_OK)
        return -1;
    cm_pushmap_unmap(&ps->m);
    ps->m = m;
    cm_pushindex_reset(&ps->idx);
    return 0;
}

int
cm_pushstore_refresh(struct cm_pushstore *ps, char *err, size_t errlen)
{
    uint32_t count;

    cm_pushindex_empty_grave(&ps->idx);    /* values handed out before this request */
    if (__atomic_load_n(&ps->m.hdr->replaced, __ATOMIC_ACQUIRE) &&
        switch_file(ps, err, errlen) < 0)
        return -1;
    ps->epoch = __atomic_load_n(&ps->m.hdr->writes, __ATOMIC_ACQUIRE);
    count = __atomic_load_n(&ps->m.hdr->count, __ATOMIC_ACQUIRE);
    if (count > ps->m.capacity) {
        snprintf(err, errlen, "%s is damaged: it counts more records than it holds", ps->path);
        return -1;
    }
    /* published records are never taken back in one file: a count that
     * dropped is damage, and a put would index (and fill) past idx.n */
    if (count < ps->idx.n) {
        snprintf(err, errlen, "%s is damaged: it counts %u records, %u were published", ps->path,
                 count, ps->idx.n);
        return -1;
    }
    while (ps->idx.n < count)
        cm_pushindex_add(&ps->idx, &ps->m.rec[ps->idx.n]);
    return 0;
}

int
cm_pushstore_scope(struct cm_push_scope *out, const char *metric, const char *resource,
                   const char *ns)
{
    const char *part[3] = { metric, resource, ns };
    size_t i, n;

    out->len = 0;
    for (i = 0; i < 3; i++) {
        n = strlen(part[i]) + 1;
        if (out->len + n > CM_PUSHSTORE_KEY_MAX)
            return -1;
        memcpy(out->prefix + out->len, part[i], n);
        out->len += n;
    }
    out->hash = cm_hash_bytes(out->prefix, out->len);
    return 0;
}

int
cm_pushstore_get(struct cm_pushstore *ps, const struct cm_push_key *key,
                 struct cm_push_value *out)
{
    struct cm_push_scope sc;

    if (cm_pushstore_scope(&sc, key->metric, key->resource, key->ns) < 0)
        return 0;
    return cm_pushstore_get_in(ps, &sc, key->name, out);
}

int
cm_pushstore_get_in(struct cm_pushstore *ps, const struct cm_push_scope *sc, const char *name,
                    struct cm_push_value *out)
{
    long i = cm_pushindex_find_in(&ps->idx, sc, name);

    if (i < 0)
        return 0;
    return cm_pushindex_value(&ps->idx, (uint32_t)i, &ps->m.rec[i], ps->epoch, out);
}

/*
 * Other metrics' records are skipped by this process's copy of their key
 * (the index's), without reading the shared page or taking arena memory;
 * a key is decoded on the stack, and only the values handed to fn come
 * from a.  So a listing costs the arena what its own series take, however
 * many records other metrics have.
 */
void
cm_pushstore_each_external(struct cm_pushstore *ps, const char *metric, struct cm_arena *a,
                           int (*fn)(const struct cm_push_key *k,
                                     const struct cm_push_value *v, void *arg),
                           void *arg)
{
    size_t mlen = strlen(metric) + 1, i;

    for (i = 0; i < ps->idx.next; i++) {
        const struct cm_pushindex_entry *kn = &ps->idx.known[ps->idx.ext[i]];
        const struct cm_pushrec *r = &ps->m.rec[ps->idx.ext[i]];
        char buf[CM_PUSHSTORE_KEY_MAX];
        struct cm_push_key k;
        struct cm_push_value v;
        struct cm_pushrec_copy c;
        size_t size;

        if (kn->key == NULL || kn->key_len < mlen || memcmp(kn->key, metric, mlen) != 0)
            continue;                  /* another metric's (its key starts "metric NUL") */
        if (cm_pushrec_decode_key(r, buf, &k) < 0 || strcmp(k.metric, metric) != 0)
            continue;
        if (cm_pushrec_read(r, &c, NULL) < 0 || (size = cm_pushrec_decoded_size(&c)) == 0 ||
            cm_pushrec_decode_value(&c, cm_arena_alloc(a, size), &v) < 0)
            continue;
        if (fn(&k, &v, arg))
            return;
    }
}

int
cm_pushstore_lock(struct cm_pushstore *ps, char *err, size_t errlen)
{
    int tries;

    for (tries = 0; tries < 16; tries++) {
        struct stat mine, named;

        if (cm_pushmap_lock(ps->m.fd, LOCK_EX) < 0) {
            snprintf(err, errlen, "cannot lock %s: %s", ps->path, strerror(errno));
            return -1;
        }
        if (fstat(ps->m.fd, &mine) == 0 && lstat(ps->path, &named) == 0 &&
            mine.st_dev == named.st_dev && mine.st_ino == named.st_ino &&
            !__atomic_load_n(&ps->m.hdr->replaced, __ATOMIC_ACQUIRE)) {
            if (cm_pushstore_refresh(ps, err, errlen) < 0) {
                cm_pushmap_lock(ps->m.fd, LOCK_UN);
                return -1;
            }
            return 0;
        }
        /*
         * Another file has this one's path: a compaction renamed it there
         * (and, if it died before saying so, readers learn it here).
         */
        __atomic_store_n(&ps->m.hdr->replaced, 1, __ATOMIC_RELEASE);
        cm_pushmap_lock(ps->m.fd, LOCK_UN);
        if (switch_file(ps, err, errlen) < 0)
            return -1;
    }
    snprintf(err, errlen, "cannot lock %s: it keeps being replaced", ps->path);
    return -1;
}

void
cm_pushstore_unlock(struct cm_pushstore *ps)
{
    cm_pushmap_lock(ps->m.fd, LOCK_UN);
}

int
cm_pushstore_fits(const struct cm_push_key *key, const struct cm_push_value *value,
                  char *err, size_t errlen)
{
    char buf[CM_PUSHSTORE_KEY_MAX];
    struct cm_pushrec_copy c;

    if (cm_pushrec_encode_key(key, buf) == 0) {
        snprintf(err, errlen, "the metric, resource, namespace and name take more than %u bytes",
                 CM_PUSHSTORE_KEY_MAX - 4);
        return -1;
    }
    return cm_pushrec_encode_value(value, &c, err, errlen);
}

/* Tells readers that something was written (after the write is visible). */
static void
bump_writes(struct cm_pushrec_header *h)
{
    __atomic_add_fetch(&h->writes, 1, __ATOMIC_RELEASE);
}

/*
 * Replaces the full file by a compacted one (the lock is held, and stays
 * held on the new file).  A CM_PUSHSTORE_* code: CM_PUSHSTORE_FULL, with the
 * file untouched, when every record is worth keeping.
 */
static int
compact(struct cm_pushstore *ps, cm_pushstore_keep_fn keep, void *keep_arg,
        char *err, size_t errlen)
{
    struct cm_pushmap fresh;
    int rc;

    rc = cm_pushcompact_run(&ps->m, ps->tmp_path, ps->path, ps->want_capacity, keep, keep_arg,
                            &fresh, err, errlen);
    if (rc != CM_PUSHMAP_OK)
        return rc == CM_PUSHMAP_FULL ? CM_PUSHSTORE_FULL
               : rc == CM_PUSHMAP_NOSPACE ? CM_PUSHSTORE_NOSPACE : CM_PUSHSTORE_ERROR;
    __atomic_store_n(&ps->m.hdr->replaced, 1, __ATOMIC_RELEASE);
    cm_pushmap_unmap(&ps->m);          /* closing the old file drops its lock */
    ps->m = fresh;
    cm_pushindex_reset(&ps->idx);
    return cm_pushstore_refresh(ps, err, errlen) < 0 ? CM_PUSHSTORE_ERROR : CM_PUSHSTORE_OK;
}

int
cm_pushstore_put(struct cm_pushstore *ps, const struct cm_push_key *key,
                 const struct cm_push_value *value, cm_pushstore_keep_fn keep, void *keep_arg,
                 char *err, size_t errlen)
{
    char buf[CM_PUSHSTORE_KEY_MAX];
    struct cm_pushrec_copy c;
    size_t len;
    long i;
    int rc;

    if (cm_pushstore_fits(key, value, err, errlen) < 0)
        return CM_PUSHSTORE_ERROR;
    len = cm_pushrec_encode_key(key, buf);
    cm_pushrec_encode_value(value, &c, err, errlen);
    i = cm_pushindex_find(&ps->idx, buf, len);
    if (i >= 0) {
        /* a record written before owns its space: rewriting it needs none */
        cm_pushrec_write(&ps->m.rec[i], &c);
        /* ps->epoch moves only at the next refresh: a get before it must not
         * be answered from the value this process cached before the write */
        cm_pushindex_forget(&ps->idx, (uint32_t)i);
        bump_writes(ps->m.hdr);
        return CM_PUSHSTORE_OK;
    }
    if (ps->m.hdr->count == ps->m.capacity) {
        if ((rc = compact(ps, keep, keep_arg, err, errlen)) != CM_PUSHSTORE_OK)
            return rc;
        if (ps->m.hdr->count == ps->m.capacity) {
            snprintf(err, errlen, "the push store is full: %u values are fresh (raise "
                     "--push-capacity)", ps->m.capacity);
            return CM_PUSHSTORE_FULL;
        }
    }
    rc = cm_pushmap_reserve(&ps->m, ps->m.hdr->count, err, errlen);
    if (rc != CM_PUSHMAP_OK)
        return rc == CM_PUSHMAP_NOSPACE ? CM_PUSHSTORE_NOSPACE : CM_PUSHSTORE_ERROR;
    cm_pushrec_fill(&ps->m.rec[ps->m.hdr->count], buf, len, &c);
    __atomic_store_n(&ps->m.hdr->count, ps->m.hdr->count + 1, __ATOMIC_RELEASE);
    cm_pushindex_add(&ps->idx, &ps->m.rec[ps->idx.n]);
    bump_writes(ps->m.hdr);
    return CM_PUSHSTORE_OK;
}
