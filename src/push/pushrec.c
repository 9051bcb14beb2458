#include "pushrec.h"
#include "hash.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define KEY_MAX CM_PUSHSTORE_KEY_MAX
#define COPY_DATA CM_PUSHREC_COPY_DATA
#define READ_TRIES 1000

_Static_assert(sizeof(struct cm_pushrec) == CM_PUSHREC_SIZE, "a record is 2 KiB");
_Static_assert(sizeof(struct cm_pushrec_header) <= CM_PUSHREC_HEADER_SIZE, "the header fits its page");

void
cm_pushrec_header_init(struct cm_pushrec_header *out, uint32_t capacity)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->magic, CM_PUSHREC_MAGIC, 8);
    out->record_size = CM_PUSHREC_SIZE;
    out->capacity = capacity;
}

int
cm_pushrec_header_check(const struct cm_pushrec_header *h, uint64_t file_size)
{
    if (file_size < sizeof(*h) || memcmp(h->magic, CM_PUSHREC_MAGIC, 8) != 0 ||
        h->record_size != CM_PUSHREC_SIZE || h->capacity == 0 ||
        h->capacity > CM_PUSHSTORE_MAX_CAPACITY || h->count > h->capacity ||
        file_size != CM_PUSHREC_FILE_SIZE(h->capacity))
        return -1;
    return 0;
}

uint32_t
cm_pushrec_hash_combine(uint64_t scope, uint64_t name)
{
    return (uint32_t)cm_hash_combine(scope, name);
}

uint32_t
cm_pushrec_hash_key(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    int k;

    for (k = 0; k < 3 && p < end; k++) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        p = nul ? nul + 1 : end;
    }
    return cm_pushrec_hash_combine(cm_hash_bytes(buf, (size_t)(p - buf)),
                                   cm_hash_bytes(p, (size_t)(end - p)));
}

size_t
cm_pushrec_encode_key(const struct cm_push_key *k, char *buf)
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

int
cm_pushrec_decode_key(const struct cm_pushrec *r, char *buf, struct cm_push_key *out)
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

int
cm_pushrec_encode_value(const struct cm_push_value *v, struct cm_pushrec_copy *c, char *err,
                        size_t errlen)
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

size_t
cm_pushrec_decoded_size(const struct cm_pushrec_copy *c)
{
    size_t used = (size_t)c->text_len + 1 + c->labels_len;

    if (used > COPY_DATA || c->data[c->text_len] != '\0' || c->nlabels > COPY_DATA / 2 ||
        (c->labels_len > 0 && c->data[used - 1] != '\0'))
        return 0;
    return c->nlabels * sizeof(struct cm_label) + used;
}

int
cm_pushrec_decode_value(const struct cm_pushrec_copy *c, void *block, struct cm_push_value *out)
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

int
cm_pushrec_read(const struct cm_pushrec *r, struct cm_pushrec_copy *out, uint32_t *version)
{
    int tries;

    for (tries = 0; tries < READ_TRIES; tries++) {
        uint32_t v1 = __atomic_load_n(&r->version, __ATOMIC_ACQUIRE), v2;
        const struct cm_pushrec_copy *c = &r->copy[(v1 >> 1) & 1];
        size_t used;

        memcpy(out, c, offsetof(struct cm_pushrec_copy, data));
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

void
cm_pushrec_write(struct cm_pushrec *r, const struct cm_pushrec_copy *c)
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

void
cm_pushrec_fill(struct cm_pushrec *r, const char *key, size_t key_len,
                const struct cm_pushrec_copy *c)
{
    memset(r, 0, offsetof(struct cm_pushrec, key));
    memcpy(r->key, key, key_len);
    r->key_len = (uint16_t)key_len;
    memcpy(&r->copy[0], c, sizeof(*c));
}
