/*
 * libFuzzer target for what Redis (or anyone between it and a redis://
 * client) hands the server: every input is parsed as RESP replies, one
 * after another (whole, and through the reader in reads of 1 to 16 bytes,
 * which must agree), as a change message of prefix cmf:, as a key and as a value
 * text, and (NUL-terminated) as the URL of a push: block.
 */
#include "redisurl.h"
#include "rediskv.h"
#include "resp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count(const struct cm_push_key *k, const struct cm_push_value *v, void *arg)
{
    /* touch every string: a bad pointer or a missing NUL shows under ASan */
    *(size_t *)arg += strlen(k->metric) + strlen(k->resource) + strlen(k->ns) +
                      strlen(k->name) + strlen(v->text) + v->labels.n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *why;
    struct cm_arena a;
    struct cm_resp r;
    struct cm_push_key k;
    struct cm_push_value v;
    struct cm_redis_url u;
    struct cm_resp_reader rd;
    size_t off = 0, n = 0, whole = 0, fed = 0, read = 0;
    char err[256], *url;
    long used;
    int rc = 0;

    cm_arena_init(&a, 0);
    while (off < size && (used = cm_resp_parse(p + off, size - off, &a, &r, &why)) > 0) {
        if ((size_t)used > size - off)
            abort();                           /* it took bytes it was not given */
        off += (size_t)used;
        whole++;
        cm_arena_reset(&a);
    }
    cm_resp_reader_init(&rd, size + 1);
    while (fed < size && rc >= 0) {
        size_t chunk = 1 + (size_t)data[fed] % 16;

        if (chunk > size - fed)
            chunk = size - fed;
        if (cm_resp_reader_feed(&rd, p + fed, chunk) < 0)
            abort();                           /* it holds no more than it was given */
        fed += chunk;
        while ((rc = cm_resp_reader_next(&rd, &a, &r, &why)) == 1) {
            read++;
            cm_arena_reset(&a);
        }
    }
    /* the same replies; and a refusal only where the whole parse stopped */
    if (read != whole || (rc < 0 && off == size))
        abort();
    cm_resp_reader_free(&rd);
    cm_redis_changes_each(p, size, "cmf:", &a, count, &n);
    cm_arena_reset(&a);
    if (cm_redis_key_parse(p, size, "cmf:", &a, &k) == 0)
        n += strlen(k.name);
    if (cm_redis_value_parse(p, size, &a, &v) == 0)
        n += strlen(v.text);
    url = malloc(size + 1);
    memcpy(url, data, size);
    url[size] = '\0';
    if (cm_redis_url_parse(url, &u, err, sizeof(err)) == 0 && (u.port < 1 || u.port > 65535))
        abort();
    free(url);
    cm_arena_free(&a);
    return n == (size_t)-1;
}
