#include "pushstore.h"
#include "alloc.h"
#include "hash.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "CMPUSH01"
#define HEADER_SIZE 4096u
#define RECORD_SIZE 2048u
#define KEY_MAX CM_PUSHSTORE_KEY_MAX
#define COPY_DATA 680u
#define READ_TRIES 1000

/* One value: text NUL, then labels as key NUL value NUL ... */
struct copy {
    int64_t timestamp;
    uint16_t text_len;                 /* without its NUL */
    uint16_t labels_len;               /* bytes after the text's NUL */
    uint16_t nlabels;
    uint16_t pad;
    char data[COPY_DATA];
};

/*
 * version 2W: W writes are done and copy[W & 1] is current; 2W+1: write W+1
 * is under way into copy[(W+1) & 1] (or its writer died, and copy[W & 1] is
 * still current).
 */
struct record {
    uint32_t version;
    uint32_t reserved;                 /* 0 (each process hashes the keys it indexes) */
    uint16_t key_len;                  /* the NULs included */
    uint16_t pad[3];
    char key[KEY_MAX];                 /* metric NUL resource NUL ns NUL name NUL */
    struct copy copy[2];
};

_Static_assert(sizeof(struct record) == RECORD_SIZE, "a record is 2 KiB");

struct header {
    char magic[8];
    uint32_t record_size;
    uint32_t capacity;
    uint32_t count;                    /* records published; bumped after they are whole */
    uint32_t replaced;                 /* a compacted file has taken this one's path */
    uint32_t writes;                   /* bumped after every write: readers' cache epoch */
};

/* One mapped file. */
struct mapping {
    int fd;
    struct header *hdr;
    struct record *rec;
    size_t len;
    uint32_t capacity;
};

struct cm_pushstore {
    char *dir, *path, *tmp_path, *bad_path;
    uint32_t want_capacity;
    struct mapping m;
    /* this process's index of the records of m: record index + 1, 0 = empty */
    uint32_t nindexed;
    uint32_t *slots;
    size_t mask;
    uint32_t *ext;                     /* the external series' records */
    size_t next, ext_cap;
    /*
     * What this process knows of each indexed record: a copy of its key (so
     * lookups touch no shared page), and its value once decoded, reused while
     * the record's write count is the same; while the store's write count
     * (epoch) has not moved, not even the record's version is read.
     */
    struct known *known;
    size_t nknown;
    struct cm_arena keys;
    uint32_t epoch;                    /* hdr->writes at the last refresh */
    void **grave;                      /* replaced values, freed at the next refresh */
    size_t ngrave, grave_cap;
};

struct known {
    const char *key;                   /* from ps->keys; NULL: a malformed record */
    uint32_t hash;
    uint32_t key_len;
    uint32_t writes;                   /* the record's version >> 1 when decoded */
    uint32_t epoch;                    /* the store's write count when last checked */
    int valid;
    struct cm_push_value v;
    void *mem;                         /* owns v's strings and labels */
};

/*
 * A key's hash combines the hash of its scope (metric NUL resource NUL ns
 * NUL) with that of its name (name NUL), so that a request looking up many
 * names in one scope hashes the scope once.
 */
static uint32_t
hash_combine(uint64_t scope, uint64_t name)
{
    return (uint32_t)cm_hash_combine(scope, name);
}

/* The hash of an encoded key (metric NUL resource NUL ns NUL name NUL). */
static uint32_t
hash_key(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    int k;

    for (k = 0; k < 3 && p < end; k++) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        p = nul ? nul + 1 : end;
    }
    return hash_combine(cm_hash_bytes(buf, (size_t)(p - buf)), cm_hash_bytes(p, (size_t)(end - p)));
}

/* key as metric NUL resource NUL ns NUL name NUL in buf[KEY_MAX]; its length, or 0. */
static size_t
encode_key(const struct cm_push_key *k, char *buf)
{
    const char *part[4] = { k->metric, k->resource, k->ns, k->name };
    size_t len = 0, i, n;

    for (i = 0; i < 4; i++) {
        n = strlen(part[i]) + 1;
        if (len + n > KEY_MAX)
            return 0;
        memcpy(buf + len, part[i], n);
        len += n;
    }
    return len;
}

/* Splits a record's key (copied to buf) into *out; -1 if it is malformed. */
static int
decode_key(const struct record *r, char *buf, struct cm_push_key *out)
{
    const char **part[4] = { &out->metric, &out->resource, &out->ns, &out->name };
    size_t len = r->key_len, at = 0, i;

    if (len == 0 || len > KEY_MAX)
        return -1;
    memcpy(buf, r->key, len);
    if (buf[len - 1] != '\0')
        return -1;
    for (i = 0; i < 4; i++) {
        const char *nul;

        if (at >= len)
            return -1;
        *part[i] = buf + at;
        nul = memchr(buf + at, '\0', len - at);
        at = (size_t)(nul - buf) + 1;
    }
    return at == len ? 0 : -1;
}

static int
encode_value(const struct cm_push_value *v, struct copy *c, char *err, size_t errlen)
{
    size_t text_len = strlen(v->text), at, i;

    memset(c, 0, sizeof(*c));
    if (text_len + 1 > COPY_DATA || text_len > UINT16_MAX) {
        snprintf(err, errlen, "the value is too long");
        return -1;
    }
    memcpy(c->data, v->text, text_len + 1);
    at = text_len + 1;
    for (i = 0; i < v->labels.n; i++) {
        size_t kn = strlen(v->labels.v[i].key) + 1, vn = strlen(v->labels.v[i].value) + 1;

        if (at + kn + vn > COPY_DATA) {
            snprintf(err, errlen, "the labels take more than %u bytes",
                     COPY_DATA - (unsigned)text_len - 1);
            return -1;
        }
        memcpy(c->data + at, v->labels.v[i].key, kn);
        memcpy(c->data + at + kn, v->labels.v[i].value, vn);
        at += kn + vn;
    }
    c->timestamp = v->timestamp;
    c->text_len = (uint16_t)text_len;
    c->labels_len = (uint16_t)(at - text_len - 1);
    c->nlabels = (uint16_t)v->labels.n;
    return 0;
}

/* The bytes decode_value() needs for c (its labels, then its data), or 0 if c is malformed. */
static size_t
decoded_size(const struct copy *c)
{
    size_t used = (size_t)c->text_len + 1 + c->labels_len;

    if (used > COPY_DATA || c->data[c->text_len] != '\0' || c->nlabels > COPY_DATA / 2 ||
        (c->labels_len > 0 && c->data[used - 1] != '\0'))
        return 0;
    return c->nlabels * sizeof(struct cm_label) + used;
}

/* Decodes c into block (decoded_size(c) bytes); -1 if its labels are malformed. */
static int
decode_value(const struct copy *c, void *block, struct cm_push_value *out)
{
    size_t used = (size_t)c->text_len + 1 + c->labels_len, i;
    struct cm_label *labels = block;
    char *data = (char *)(labels + c->nlabels);
    const char *p, *end;

    memcpy(data, c->data, used);
    p = data + c->text_len + 1;
    end = data + used;
    for (i = 0; i < c->nlabels; i++) {
        if (p >= end)
            return -1;
        labels[i].key = p;
        p += strlen(p) + 1;
        if (p >= end)
            return -1;
        labels[i].value = p;
        p += strlen(p) + 1;
    }
    if (p != end)
        return -1;
    out->text = data;
    out->timestamp = c->timestamp;
    out->labels.n = c->nlabels;
    out->labels.v = labels;
    return 0;
}

/*
 * Copies r's current value out without a lock (its header, then only the
 * bytes in use), retrying while a writer may have overwritten the copy being
 * read.  Returns 0, or -1 when no whole copy could be read.
 */
static int
read_copy(const struct record *r, struct copy *out, uint32_t *version)
{
    int tries;

    for (tries = 0; tries < READ_TRIES; tries++) {
        uint32_t v1 = __atomic_load_n(&r->version, __ATOMIC_ACQUIRE), v2;
        const struct copy *c = &r->copy[(v1 >> 1) & 1];
        size_t used;

        memcpy(out, c, offsetof(struct copy, data));
        used = (size_t)out->text_len + 1 + out->labels_len;
        memcpy(out->data, c->data, used < COPY_DATA ? used : COPY_DATA);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        v2 = __atomic_load_n(&r->version, __ATOMIC_RELAXED);
        /* the copy read is overwritten only by the write after the next one */
        if (v2 - v1 <= ((v1 & 1) ? 1u : 2u)) {
            if (version != NULL)
                *version = v1;
            return 0;
        }
    }
    return -1;
}

/* Writes c as r's new value (the writers' lock is held). */
static void
write_copy(struct record *r, const struct copy *c)
{
    uint32_t v = r->version, w = v >> 1;

    if ((v & 1) == 0) {
        __atomic_store_n(&r->version, v + 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_RELEASE);
    }
    /* else a writer died mid-write into the same copy: it is not current */
    memcpy(&r->copy[(w + 1) & 1], c, sizeof(*c));
    __atomic_store_n(&r->version, 2 * (w + 1), __ATOMIC_RELEASE);
}

/* Tells readers that something was written (after the write is visible). */
static void
bump_writes(struct header *h)
{
    __atomic_add_fetch(&h->writes, 1, __ATOMIC_RELEASE);
}

static void
unmap(struct mapping *m)
{
    if (m->hdr != NULL)
        munmap(m->hdr, m->len);
    if (m->fd >= 0)
        close(m->fd);
    memset(m, 0, sizeof(*m));
    m->fd = -1;
}

static int
lock_fd(int fd, int op)
{
    while (flock(fd, op) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Makes fd an empty store of capacity records. */
static int
init_file(int fd, uint32_t capacity)
{
    struct header h;

    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, 8);
    h.record_size = RECORD_SIZE;
    h.capacity = capacity;
    if (ftruncate(fd, 0) < 0 ||
        ftruncate(fd, (off_t)HEADER_SIZE + (off_t)capacity * RECORD_SIZE) < 0)
        return -1;
    return pwrite(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) ? 0 : -1;
}

enum { ATTACH_OK = 0, ATTACH_IO = -1, ATTACH_BAD = -2 };

/* Maps fd into *m after checking that it is a store; takes ownership of fd. */
static int
attach(int fd, const char *path, struct mapping *m, char *err, size_t errlen)
{
    struct header h;
    struct stat st;
    void *p;

    memset(m, 0, sizeof(*m));
    m->fd = fd;
    if (fstat(fd, &st) < 0 || pread(fd, &h, sizeof(h), 0) < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        unmap(m);
        return ATTACH_IO;
    }
    if ((size_t)st.st_size < sizeof(h) || memcmp(h.magic, MAGIC, 8) != 0 ||
        h.record_size != RECORD_SIZE || h.capacity == 0 ||
        h.capacity > CM_PUSHSTORE_MAX_CAPACITY || h.count > h.capacity ||
        (uint64_t)st.st_size != HEADER_SIZE + (uint64_t)h.capacity * RECORD_SIZE) {
        snprintf(err, errlen, "%s is not a push store of this version", path);
        unmap(m);
        return ATTACH_BAD;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
        unmap(m);
        return ATTACH_IO;
    }
    m->hdr = p;
    m->rec = (struct record *)((char *)p + HEADER_SIZE);
    m->len = (size_t)st.st_size;
    m->capacity = h.capacity;
    return ATTACH_OK;
}

/*
 * Opens the store's path into *m.  A missing or empty file becomes an empty
 * store; the lock is taken only then, or to look again at a file that does
 * not check out (it may be one another process is creating).
 */
static int
open_path(struct cm_pushstore *ps, int reset_bad, struct mapping *m, char *err, size_t errlen)
{
    int attempt;

    for (attempt = 0; attempt < 3; attempt++) {
        struct stat st;
        int fd = open(ps->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600), rc;

        if (fd < 0) {
            snprintf(err, errlen, "cannot open %s: %s", ps->path, strerror(errno));
            return -1;
        }
        if (fstat(fd, &st) == 0 && st.st_size != 0 && attempt == 0) {
            rc = attach(fd, ps->path, m, err, errlen);
            if (rc == ATTACH_OK)
                return 0;
            if (rc == ATTACH_IO)
                return -1;
            continue;                  /* bad: look again under the lock */
        }
        if (lock_fd(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0 ||
            (st.st_size == 0 && init_file(fd, ps->want_capacity) < 0)) {
            snprintf(err, errlen, "cannot create %s: %s", ps->path, strerror(errno));
            close(fd);
            return -1;
        }
        rc = attach(fd, ps->path, m, err, errlen);
        if (rc == ATTACH_OK) {
            lock_fd(m->fd, LOCK_UN);
            return 0;
        }
        /* attach() closed fd, which dropped the lock */
        if (rc != ATTACH_BAD || !reset_bad || rename(ps->path, ps->bad_path) < 0)
            return -1;
    }
    return -1;
}

static void
bury(struct cm_pushstore *ps, void *mem)
{
    if (mem == NULL)
        return;
    if (ps->ngrave == ps->grave_cap) {
        ps->grave_cap = ps->grave_cap ? 2 * ps->grave_cap : 16;
        ps->grave = cm_xrealloc(ps->grave, ps->grave_cap * sizeof(*ps->grave));
    }
    ps->grave[ps->ngrave++] = mem;
}

static void
empty_grave(struct cm_pushstore *ps)
{
    while (ps->ngrave > 0)
        free(ps->grave[--ps->ngrave]);
}

static void
index_reset(struct cm_pushstore *ps)
{
    size_t i;

    for (i = 0; i < ps->nindexed; i++)
        bury(ps, ps->known[i].mem);
    free(ps->known);
    ps->known = NULL;
    ps->nknown = 0;
    cm_arena_reset(&ps->keys);
    free(ps->slots);
    ps->slots = NULL;
    ps->mask = 0;
    ps->nindexed = 0;
    ps->next = 0;
}

static void
index_insert(struct cm_pushstore *ps, uint32_t i)
{
    size_t h;

    for (h = ps->known[i].hash & ps->mask; ps->slots[h] != 0; h = (h + 1) & ps->mask)
        ;
    ps->slots[h] = i + 1;
}

/* Adds record i (published, its key immutable) to this process's index. */
static void
index_add(struct cm_pushstore *ps, uint32_t i)
{
    const struct record *r = &ps->m.rec[i];
    char buf[KEY_MAX];
    struct cm_push_key k;
    struct known *kn;
    uint32_t j;

    if (i >= ps->nknown) {
        size_t n = ps->nknown ? 2 * ps->nknown : 256;

        ps->known = cm_xrealloc(ps->known, n * sizeof(*ps->known));
        ps->nknown = n;
    }
    kn = &ps->known[i];
    memset(kn, 0, sizeof(*kn));
    if (decode_key(r, buf, &k) < 0)
        return;
    kn->key_len = r->key_len;
    kn->key = memcpy(cm_arena_alloc(&ps->keys, kn->key_len), buf, kn->key_len);
    kn->hash = hash_key(buf, kn->key_len);
    if ((size_t)(i + 1) * 2 > ps->mask) {
        size_t size = ps->mask ? 2 * (ps->mask + 1) : 1024;

        free(ps->slots);
        ps->slots = cm_xcalloc(size, sizeof(*ps->slots));
        ps->mask = size - 1;
        for (j = 0; j < i; j++)
            if (ps->known[j].key != NULL)
                index_insert(ps, j);
    }
    index_insert(ps, i);
    if (*k.resource == '\0') {
        if (ps->next == ps->ext_cap) {
            ps->ext_cap = ps->ext_cap ? 2 * ps->ext_cap : 16;
            ps->ext = cm_xrealloc(ps->ext, ps->ext_cap * sizeof(*ps->ext));
        }
        ps->ext[ps->next++] = i;
    }
}

/* The index of the record whose key is buf[0..len), or -1. */
static long
index_find(const struct cm_pushstore *ps, const char *buf, size_t len)
{
    uint32_t h = hash_key(buf, len), at;
    size_t s;

    if (ps->slots == NULL)
        return -1;
    for (s = h & ps->mask; (at = ps->slots[s]) != 0; s = (s + 1) & ps->mask) {
        const struct known *kn = &ps->known[at - 1];

        if (kn->hash == h && kn->key_len == len && memcmp(kn->key, buf, len) == 0)
            return (long)at - 1;
    }
    return -1;
}

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
    cm_arena_init(&ps->keys, 0);
    ps->dir = cm_xstrdup(dir);
    ps->path = join(dir, CM_PUSHSTORE_FILE);
    ps->tmp_path = join(dir, CM_PUSHSTORE_FILE ".tmp");
    ps->bad_path = join(dir, CM_PUSHSTORE_FILE ".bad");
    ps->want_capacity = capacity == 0 ? CM_PUSHSTORE_DEFAULT_CAPACITY
                        : capacity > CM_PUSHSTORE_MAX_CAPACITY ? CM_PUSHSTORE_MAX_CAPACITY
                        : capacity;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        cm_pushstore_close(ps);
        return -1;
    }
    if (open_path(ps, reset_bad, &ps->m, err, errlen) < 0 ||
        cm_pushstore_refresh(ps, err, errlen) < 0) {
        cm_pushstore_close(ps);
        return -1;
    }
    *out = ps;
    return 0;
}

void
cm_pushstore_close(struct cm_pushstore *ps)
{
    if (ps == NULL)
        return;
    if (ps->m.hdr != NULL)
        index_reset(ps);
    empty_grave(ps);
    free(ps->grave);
    cm_arena_free(&ps->keys);
    unmap(&ps->m);
    free(ps->ext);
    free(ps->dir);
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
    struct mapping m;

    if (open_path(ps, 0, &m, err, errlen) < 0)
        return -1;
    unmap(&ps->m);
    ps->m = m;
    index_reset(ps);
    return 0;
}

int
cm_pushstore_refresh(struct cm_pushstore *ps, char *err, size_t errlen)
{
    uint32_t count;

    empty_grave(ps);                   /* values handed out before this request */
    if (__atomic_load_n(&ps->m.hdr->replaced, __ATOMIC_ACQUIRE) &&
        switch_file(ps, err, errlen) < 0)
        return -1;
    ps->epoch = __atomic_load_n(&ps->m.hdr->writes, __ATOMIC_ACQUIRE);
    count = __atomic_load_n(&ps->m.hdr->count, __ATOMIC_ACQUIRE);
    if (count > ps->m.capacity) {
        snprintf(err, errlen, "%s is damaged: it counts more records than it holds", ps->path);
        return -1;
    }
    while (ps->nindexed < count)
        index_add(ps, ps->nindexed++);
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
        if (out->len + n > KEY_MAX)
            return -1;
        memcpy(out->prefix + out->len, part[i], n);
        out->len += n;
    }
    out->hash = cm_hash_bytes(out->prefix, out->len);
    return 0;
}

/* The index of the record keyed by sc's scope and name, or -1. */
static long
index_find_in(const struct cm_pushstore *ps, const struct cm_push_scope *sc, const char *name)
{
    size_t nlen = strlen(name) + 1, s;
    uint32_t h = hash_combine(sc->hash, cm_hash_bytes(name, nlen)), at;

    if (ps->slots == NULL)
        return -1;
    for (s = h & ps->mask; (at = ps->slots[s]) != 0; s = (s + 1) & ps->mask) {
        const struct known *kn = &ps->known[at - 1];

        if (kn->hash == h && kn->key_len == sc->len + nlen &&
            memcmp(kn->key, sc->prefix, sc->len) == 0 &&
            memcmp(kn->key + sc->len, name, nlen) == 0)
            return (long)at - 1;
    }
    return -1;
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
    struct copy c;
    struct known *d;
    uint32_t version;
    size_t size;
    long i;

    if ((i = index_find_in(ps, sc, name)) < 0)
        return 0;
    d = &ps->known[i];
    if (d->valid && d->epoch == ps->epoch) {
        *out = d->v;                   /* nothing was written since it was checked */
        return 1;
    }
    version = __atomic_load_n(&ps->m.rec[i].version, __ATOMIC_ACQUIRE);
    if (!d->valid || d->writes != version >> 1) {
        if (read_copy(&ps->m.rec[i], &c, &version) < 0)
            return 0;
        bury(ps, d->mem);              /* still borrowed by this request's earlier answers */
        size = decoded_size(&c);
        d->mem = size ? cm_xmalloc(size) : NULL;
        d->valid = d->mem != NULL && decode_value(&c, d->mem, &d->v) == 0;
        d->writes = version >> 1;
        if (!d->valid)
            return 0;
    }
    d->epoch = ps->epoch;
    *out = d->v;
    return 1;
}

void
cm_pushstore_each_external(struct cm_pushstore *ps, const char *metric, struct cm_arena *a,
                           int (*fn)(const struct cm_push_key *k,
                                     const struct cm_push_value *v, void *arg),
                           void *arg)
{
    size_t i;

    for (i = 0; i < ps->next; i++) {
        const struct record *r = &ps->m.rec[ps->ext[i]];
        char *buf = cm_arena_alloc(a, KEY_MAX);
        struct cm_push_key k;
        struct cm_push_value v;
        struct copy c;
        size_t size;

        if (decode_key(r, buf, &k) < 0 || strcmp(k.metric, metric) != 0)
            continue;
        if (read_copy(r, &c, NULL) < 0 || (size = decoded_size(&c)) == 0 ||
            decode_value(&c, cm_arena_alloc(a, size), &v) < 0)
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

        if (lock_fd(ps->m.fd, LOCK_EX) < 0) {
            snprintf(err, errlen, "cannot lock %s: %s", ps->path, strerror(errno));
            return -1;
        }
        if (fstat(ps->m.fd, &mine) == 0 && stat(ps->path, &named) == 0 &&
            mine.st_dev == named.st_dev && mine.st_ino == named.st_ino &&
            !__atomic_load_n(&ps->m.hdr->replaced, __ATOMIC_ACQUIRE)) {
            if (cm_pushstore_refresh(ps, err, errlen) < 0) {
                lock_fd(ps->m.fd, LOCK_UN);
                return -1;
            }
            return 0;
        }
        /*
         * Another file has this one's path: a compaction renamed it there
         * (and, if it died before saying so, readers learn it here).
         */
        __atomic_store_n(&ps->m.hdr->replaced, 1, __ATOMIC_RELEASE);
        lock_fd(ps->m.fd, LOCK_UN);
        if (switch_file(ps, err, errlen) < 0)
            return -1;
    }
    snprintf(err, errlen, "cannot lock %s: it keeps being replaced", ps->path);
    return -1;
}

void
cm_pushstore_unlock(struct cm_pushstore *ps)
{
    lock_fd(ps->m.fd, LOCK_UN);
}

int
cm_pushstore_fits(const struct cm_push_key *key, const struct cm_push_value *value,
                  char *err, size_t errlen)
{
    char buf[KEY_MAX];
    struct copy c;

    if (encode_key(key, buf) == 0) {
        snprintf(err, errlen, "the metric, resource, namespace and name take more than %u bytes",
                 KEY_MAX - 4);
        return -1;
    }
    return encode_value(value, &c, err, errlen);
}

/* Appends a record (the lock is held, and there is room). */
static void
append(struct cm_pushstore *ps, const char *key, size_t key_len, const struct copy *c)
{
    uint32_t i = ps->m.hdr->count;
    struct record *r = &ps->m.rec[i];

    memset(r, 0, offsetof(struct record, key));
    memcpy(r->key, key, key_len);
    r->key_len = (uint16_t)key_len;
    memcpy(&r->copy[0], c, sizeof(*c));
    __atomic_store_n(&ps->m.hdr->count, i + 1, __ATOMIC_RELEASE);
    index_add(ps, ps->nindexed++);
}

/*
 * Rewrites the store with the records keep() accepts, into a new file
 * renamed over the old one (the lock is held, and stays held on the new file).
 */
static int
compact(struct cm_pushstore *ps, cm_pushstore_keep_fn keep, void *keep_arg,
        char *err, size_t errlen)
{
    struct mapping fresh;
    uint32_t i, n = 0, count = ps->m.hdr->count;
    uint32_t cap = ps->want_capacity;
    int fd;

    fd = open(ps->tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || lock_fd(fd, LOCK_EX) < 0 || init_file(fd, cap) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", ps->tmp_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (attach(fd, ps->tmp_path, &fresh, err, errlen) != ATTACH_OK)
        return -1;
    for (i = 0; i < count; i++) {
        const struct record *r = &ps->m.rec[i];
        struct record *to;
        char buf[KEY_MAX];
        struct cm_push_key k;
        struct copy c;

        if (decode_key(r, buf, &k) < 0 || read_copy(r, &c, NULL) < 0 || !keep(&k, c.timestamp, keep_arg))
            continue;
        if (n == cap)
            break;                     /* more kept than the new file holds: the rest go */
        to = &fresh.rec[n++];
        memcpy(to->key, r->key, r->key_len);
        to->key_len = r->key_len;
        memcpy(&to->copy[0], &c, sizeof(c));
    }
    fresh.hdr->count = n;
    if (rename(ps->tmp_path, ps->path) < 0) {
        snprintf(err, errlen, "cannot rename %s: %s", ps->tmp_path, strerror(errno));
        unmap(&fresh);
        return -1;
    }
    __atomic_store_n(&ps->m.hdr->replaced, 1, __ATOMIC_RELEASE);
    unmap(&ps->m);                     /* closing the old file drops its lock */
    ps->m = fresh;
    index_reset(ps);
    return cm_pushstore_refresh(ps, err, errlen);
}

int
cm_pushstore_put(struct cm_pushstore *ps, const struct cm_push_key *key,
                 const struct cm_push_value *value, cm_pushstore_keep_fn keep, void *keep_arg,
                 char *err, size_t errlen)
{
    char buf[KEY_MAX];
    struct copy c;
    size_t len;
    long i;

    if (cm_pushstore_fits(key, value, err, errlen) < 0)
        return -1;
    len = encode_key(key, buf);
    encode_value(value, &c, err, errlen);
    i = index_find(ps, buf, len);
    if (i >= 0) {
        write_copy(&ps->m.rec[i], &c);
        bump_writes(ps->m.hdr);
        return 0;
    }
    if (ps->m.hdr->count == ps->m.capacity) {
        if (compact(ps, keep, keep_arg, err, errlen) < 0)
            return -1;
        if (ps->m.hdr->count == ps->m.capacity) {
            snprintf(err, errlen, "the push store is full: %u values are fresh (raise "
                     "--push-capacity)", ps->m.capacity);
            return -2;
        }
    }
    append(ps, buf, len, &c);
    bump_writes(ps->m.hdr);
    return 0;
}
