/*
 * hash.h - the hash the server's lookup tables use: eight bytes at a time,
 * with a multiply-xorshift mix.  Not for anything adversarial beyond what
 * open addressing with linear probing tolerates (keys are names the
 * configuration and the cluster choose, not request input).
 */
#ifndef CM_HASH_H
#define CM_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t
cm_hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

/* Two hashes combined into one, order mattering. */
static inline uint64_t
cm_hash_combine(uint64_t a, uint64_t b)
{
    uint64_t h = (a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2))) * 0xff51afd7ed558ccdull;

    return h ^ (h >> 32);
}

/* The hash of a (namespace, name) pair. */
static inline uint64_t
cm_hash_pair(const char *ns, const char *name)
{
    return cm_hash_combine(cm_hash_bytes(ns, strlen(ns)), cm_hash_bytes(name, strlen(name)));
}

#endif
