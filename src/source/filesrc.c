#include "filesrc.h"
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One hash table over the samples of one series, keyed by (namespace, object). */
struct cm_sample_index {
    struct cm_sample_index *next;
    const char *series, *ns_label, *obj_label;
    const char *asked[3];              /* the caller's own pointers for them: a fast match */
    size_t mask;                       /* table size - 1 */
    uint32_t *head;                    /* first sample of a key, + 1; 0 is empty */
    uint32_t *chain;                   /* per sample: the next one with its key, + 1 */
    struct sample_key *key;            /* per sample: its key, looked up once */
};

struct sample_key {
    uint64_t hash;
    const char *ns, *name;
};

void
cm_filesrc_init(struct cm_filesrc *f, const char *path)
{
    memset(f, 0, sizeof(*f));
    f->path = path;
    cm_arena_init(&f->arena, 0);
}

void
cm_filesrc_free(struct cm_filesrc *f)
{
    cm_arena_free(&f->arena);
}

static int
same_file(const struct cm_filesrc *f, const struct stat *st)
{
    return f->loaded && f->dev == st->st_dev && f->ino == st->st_ino &&
           f->size == st->st_size && f->mtime.tv_sec == st->st_mtim.tv_sec &&
           f->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Reads the whole of fd (size bytes expected) into a NUL-terminated buffer. */
static char *
read_all(int fd, size_t size, size_t *len_out)
{
    char *buf = malloc(size + 1);
    size_t len = 0;

    while (buf != NULL && len < size) {
        ssize_t k = read(fd, buf + len, size - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    if (buf != NULL)
        buf[len] = '\0';
    *len_out = len;
    return buf;
}

/* 1 if text (trimmed) is a single token: the one-quantity form. */
static int
single_token(const char *text, size_t len, const char **tok, size_t *tlen)
{
    const char *s = text, *e = text + len;

    while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    if (s == e || *s == '#')
        return 0;
    *tok = s;
    *tlen = (size_t)(e - s);
    return strcspn(s, " \t\n\r{") >= *tlen;
}

int
cm_filesrc_refresh(struct cm_filesrc *f)
{
    struct stat before, after;
    struct cm_arena fresh;
    struct cm_samples samples;
    struct cm_quantity q, q_single;
    const char *tok, *qerr;
    char *text = NULL, err[256];
    size_t len = 0, tlen, i;
    int fd, rc = -1, single = 0;

    if (stat(f->path, &before) == 0 && same_file(f, &before) && f->error[0] == '\0')
        return 0;
    fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &before) < 0) {
        snprintf(f->error, sizeof(f->error), "cannot read %s: %s", f->path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(before.st_mode)) {
        snprintf(f->error, sizeof(f->error), "cannot read %s: not a regular file", f->path);
        goto out;
    }
    if (same_file(f, &before)) {
        f->error[0] = '\0';           /* back to the file already loaded */
        rc = 0;
        goto out;
    }
    if ((uintmax_t)before.st_size > CM_FILESRC_MAX_SIZE) {
        snprintf(f->error, sizeof(f->error), "cannot read %s: larger than %u MiB",
                 f->path, CM_FILESRC_MAX_SIZE >> 20);
        goto out;
    }
    text = read_all(fd, (size_t)before.st_size, &len);
    if (text == NULL || fstat(fd, &after) < 0 || len != (size_t)before.st_size ||
        after.st_size != before.st_size || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
        after.st_mtim.tv_nsec != before.st_mtim.tv_nsec) {
        snprintf(f->error, sizeof(f->error),
                 "cannot read %s: it changed while being read (write a new file and rename it)",
                 f->path);
        goto out;
    }

    cm_arena_init(&fresh, 0);
    memset(&samples, 0, sizeof(samples));
    if (single_token(text, len, &tok, &tlen)) {
        if (cm_quantity_parse(tok, tlen, &q, &qerr) < 0 || cm_quantity_check_range(&q, &qerr) < 0) {
            snprintf(f->error, sizeof(f->error), "%s: bad quantity '%.*s': %s", f->path,
                     (int)(tlen > 64 ? 64 : tlen), tok, qerr);
            cm_arena_free(&fresh);
            goto out;
        }
        single = 1;
        q_single = q;
    } else if (cm_expfmt_parse(text, len, &fresh, &samples, err, sizeof(err)) < 0) {
        snprintf(f->error, sizeof(f->error), "%s:%s", f->path, err);
        cm_arena_free(&fresh);
        goto out;
    }
    for (i = 0; i < samples.n; i++) {
        if (cm_quantity_from_double(samples.v[i].value, &q, &qerr) == 0)
            samples.v[i].quantity = cm_arena_strdup(&fresh, q.text);
    }
    cm_arena_free(&f->arena);
    f->arena = fresh;
    f->index = NULL;
    f->single = single;
    if (single)
        f->single_value = q_single;
    f->samples = samples;
    f->loaded = 1;
    f->dev = before.st_dev;
    f->ino = before.st_ino;
    f->size = before.st_size;
    f->mtime = before.st_mtim;
    f->error[0] = '\0';
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    free(text);
    return rc;
}

static const char *
label_or_empty(const struct cm_sample *s, const char *label)
{
    const char *v = label ? cm_labels_get(&s->labels, label) : "";

    return v ? v : "";
}

/* 1 if indexed sample i has the key (ns, name) whose hash is h. */
static int
key_equal(const struct cm_sample_index *ix, uint32_t i, uint64_t h, const char *ns,
          const char *name)
{
    const struct sample_key *k = &ix->key[i];

    return k->hash == h && strcmp(k->name, name) == 0 && strcmp(k->ns, ns) == 0;
}

static int
same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static struct cm_sample_index *
build_index(struct cm_filesrc *f, const char *series, const char *ns_label,
            const char *obj_label)
{
    struct cm_sample_index *ix = cm_arena_zalloc(&f->arena, sizeof(*ix));
    size_t cap = 16, i;

    while (cap < 2 * f->samples.n)
        cap *= 2;
    ix->series = cm_arena_strdup(&f->arena, series);
    ix->ns_label = ns_label ? cm_arena_strdup(&f->arena, ns_label) : NULL;
    ix->obj_label = cm_arena_strdup(&f->arena, obj_label);
    ix->mask = cap - 1;
    ix->head = cm_arena_zalloc(&f->arena, cap * sizeof(*ix->head));
    ix->chain = cm_arena_zalloc(&f->arena, (f->samples.n ? f->samples.n : 1) * sizeof(*ix->chain));
    ix->key = cm_arena_zalloc(&f->arena, (f->samples.n + 1) * sizeof(*ix->key));
    /* Backwards, pushing to the front, so each chain is in file order. */
    for (i = f->samples.n; i-- > 0;) {
        const struct cm_sample *s = &f->samples.v[i];
        const char *o = cm_labels_get(&s->labels, obj_label);
        const char *ns = label_or_empty(s, ns_label);
        uint64_t kh;
        size_t h;

        if (o == NULL || strcmp(s->name, series) != 0)
            continue;
        kh = cm_hash_pair(ns, o);
        ix->key[i].ns = ns;
        ix->key[i].name = o;
        ix->key[i].hash = kh;
        for (h = kh & ix->mask; ix->head[h] != 0; h = (h + 1) & ix->mask)
            if (key_equal(ix, ix->head[h] - 1, kh, ns, o))
                break;
        ix->chain[i] = ix->head[h];
        ix->head[h] = (uint32_t)i + 1;
    }
    ix->next = f->index;
    f->index = ix;
    return ix;
}

const struct cm_sample *
cm_filesrc_find(struct cm_filesrc *f, const char *series, const char *ns_label,
                const char *ns, const char *obj_label, const char *name, size_t *pos)
{
    struct cm_sample_index *ix;
    uint64_t kh;
    uint32_t at;
    size_t h;

    if (!f->loaded || f->single)
        return NULL;
    /* callers pass the same configuration strings each time: compare pointers first */
    for (ix = f->index; ix != NULL; ix = ix->next)
        if (ix->asked[0] == series && ix->asked[1] == ns_label && ix->asked[2] == obj_label)
            break;
    if (ix == NULL) {
        for (ix = f->index; ix != NULL; ix = ix->next)
            if (strcmp(ix->series, series) == 0 && same_str(ix->ns_label, ns_label) &&
                strcmp(ix->obj_label, obj_label) == 0)
                break;
        if (ix == NULL)
            ix = build_index(f, series, ns_label, obj_label);
        ix->asked[0] = series;
        ix->asked[1] = ns_label;
        ix->asked[2] = obj_label;
    }
    if (ns_label == NULL)
        ns = "";
    kh = cm_hash_pair(ns, name);
    for (h = kh & ix->mask; (at = ix->head[h]) != 0; h = (h + 1) & ix->mask)
        if (key_equal(ix, at - 1, kh, ns, name))
            break;
    for (; at != 0; at = ix->chain[at - 1]) {
        if (at - 1 >= *pos) {
            *pos = at;
            return &f->samples.v[at - 1];
        }
    }
    *pos = f->samples.n;
    return NULL;
}
