#include "counters.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

const double cm_counters_bucket_le[CM_COUNTERS_NBUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* The bounds in nanoseconds, for the request path's comparisons. */
static const int64_t bucket_ns[CM_COUNTERS_NBUCKETS] = {
    500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
    250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};

struct hist {
    uint64_t bucket[CM_COUNTERS_NBUCKETS + 1];
    uint64_t sum_ns;
};

struct cm_counters {
    uint64_t requests[CM_ROUTE_N][CM_GV_N][CM_COUNTERS_NCODES];
    struct hist latency[CM_ROUTE_N];
    struct hist prometheus;
    uint64_t source_errors[CM_COUNTERS_SOURCE_KINDS];
    uint64_t push_count, push_capacity, push_known;
    uint64_t worker_restarts;
    uint64_t reloads[2];                   /* [0] failure, [1] success */
    int64_t last_success;
    uint64_t hash_seq;                     /* odd while the hash is being written */
    char hash[CM_COUNTERS_HASH_MAX];
};

static struct cm_counters *current;

#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

struct cm_counters *
cm_counters_new(char *err, size_t errlen)
{
    void *p = mmap(NULL, sizeof(struct cm_counters), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the self-metrics counters: %s", strerror(errno));
        return NULL;
    }
    return p;                              /* anonymous memory is zeroed */
}

void
cm_counters_free(struct cm_counters *c)
{
    if (c == NULL)
        return;
    if (current == c)
        current = NULL;
    munmap(c, sizeof(*c));
}

void
cm_counters_use(struct cm_counters *c)
{
    current = c;
}

struct cm_counters *
cm_counters_current(void)
{
    return current;
}

int64_t
cm_counters_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
observe(struct hist *h, int64_t ns)
{
    size_t i = 0;

    if (ns < 0)
        ns = 0;
    while (i < CM_COUNTERS_NBUCKETS && ns > bucket_ns[i])
        i++;
    ADD(&h->bucket[i], 1);
    ADD(&h->sum_ns, (uint64_t)ns);
}

void
cm_counters_request(enum cm_counters_route route, enum cm_counters_gv gv, int code, int64_t ns)
{
    struct cm_counters *c = current;

    if (c == NULL)
        return;
    if ((unsigned)route >= CM_ROUTE_N)
        route = CM_ROUTE_OTHER;
    if ((unsigned)gv >= CM_GV_N)
        gv = CM_GV_NONE;
    if (code < CM_COUNTERS_CODE_MIN || code > CM_COUNTERS_CODE_MAX)
        code = 500;
    ADD(&c->requests[route][gv][code - CM_COUNTERS_CODE_MIN], 1);
    observe(&c->latency[route], ns);
}

void
cm_counters_source_error(int kind)
{
    if (current != NULL && kind >= 0 && kind < CM_COUNTERS_SOURCE_KINDS)
        ADD(&current->source_errors[kind], 1);
}

void
cm_counters_prometheus_query(int64_t ns)
{
    if (current != NULL)
        observe(&current->prometheus, ns);
}

void
cm_counters_push_store(uint32_t count, uint32_t capacity)
{
    if (current == NULL)
        return;
    STORE(&current->push_count, count);
    STORE(&current->push_capacity, capacity);
    STORE(&current->push_known, 1);
}

void
cm_counters_worker_restart(void)
{
    if (current != NULL)
        ADD(&current->worker_restarts, 1);
}

/* A seqlock: the only writer is whoever loads a configuration (the master). */
static void
set_hash(struct cm_counters *c, const char *hash)
{
    __atomic_fetch_add(&c->hash_seq, 1, __ATOMIC_ACQ_REL);
    snprintf(c->hash, sizeof(c->hash), "%s", hash);
    __atomic_fetch_add(&c->hash_seq, 1, __ATOMIC_RELEASE);
}

void
cm_counters_config_reloaded(int ok, const char *hash, time_t now)
{
    struct cm_counters *c = current;

    if (c == NULL)
        return;
    ADD(&c->reloads[ok ? 1 : 0], 1);
    if (ok)
        STORE(&c->last_success, (int64_t)now);
    if (ok && hash != NULL)
        set_hash(c, hash);
}

void
cm_counters_config_loaded(const char *hash, time_t now)
{
    struct cm_counters *c = current;

    if (c == NULL)
        return;
    STORE(&c->last_success, (int64_t)now);
    if (hash != NULL)
        set_hash(c, hash);
}

uint64_t
cm_counters_requests(const struct cm_counters *c, enum cm_counters_route route,
                     enum cm_counters_gv gv, int code)
{
    if ((unsigned)route >= CM_ROUTE_N || (unsigned)gv >= CM_GV_N ||
        code < CM_COUNTERS_CODE_MIN || code > CM_COUNTERS_CODE_MAX)
        return 0;
    return LOAD(&c->requests[route][gv][code - CM_COUNTERS_CODE_MIN]);
}

static void
read_hist(const struct hist *h, struct cm_counters_hist *out)
{
    size_t i;

    out->count = 0;
    for (i = 0; i <= CM_COUNTERS_NBUCKETS; i++) {
        out->bucket[i] = LOAD(&h->bucket[i]);
        out->count += out->bucket[i];
    }
    out->sum_ns = LOAD(&h->sum_ns);
}

void
cm_counters_request_hist(const struct cm_counters *c, enum cm_counters_route route,
                         struct cm_counters_hist *out)
{
    memset(out, 0, sizeof(*out));
    if ((unsigned)route < CM_ROUTE_N)
        read_hist(&c->latency[route], out);
}

void
cm_counters_prometheus_hist(const struct cm_counters *c, struct cm_counters_hist *out)
{
    read_hist(&c->prometheus, out);
}

uint64_t
cm_counters_source_errors(const struct cm_counters *c, int kind)
{
    return kind >= 0 && kind < CM_COUNTERS_SOURCE_KINDS ? LOAD(&c->source_errors[kind]) : 0;
}

void
cm_counters_push(const struct cm_counters *c, uint32_t *count, uint32_t *capacity, int *known)
{
    *known = LOAD(&c->push_known) != 0;
    *count = (uint32_t)LOAD(&c->push_count);
    *capacity = (uint32_t)LOAD(&c->push_capacity);
}

uint64_t
cm_counters_worker_restarts(const struct cm_counters *c)
{
    return LOAD(&c->worker_restarts);
}

uint64_t
cm_counters_config_reloads(const struct cm_counters *c, int ok)
{
    return LOAD(&c->reloads[ok ? 1 : 0]);
}

time_t
cm_counters_config_last_success(const struct cm_counters *c)
{
    return (time_t)LOAD(&c->last_success);
}

void
cm_counters_config_hash(const struct cm_counters *c, char *out, size_t size)
{
    uint64_t before, after;
    int tries = 0;

    if (size == 0)
        return;
    do {
        before = __atomic_load_n(&c->hash_seq, __ATOMIC_ACQUIRE);
        memcpy(out, c->hash, size < sizeof(c->hash) ? size : sizeof(c->hash));
        out[size - 1] = '\0';
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        after = __atomic_load_n(&c->hash_seq, __ATOMIC_RELAXED);
    } while ((before != after || (before & 1)) && ++tries < 1000);
    if (before != after || (before & 1))
        out[0] = '\0';                     /* a writer that never finished: say nothing */
}

int
cm_counters_hash_file(const char *path, char *out, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull;
    unsigned char chunk[8192];
    size_t n, i;
    FILE *f;

    if (size > 0)
        out[0] = '\0';
    f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        for (i = 0; i < n; i++)
            h = (h ^ chunk[i]) * 0x100000001b3ull;
    if (ferror(f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    if (size > 0)
        snprintf(out, size, "%016llx", (unsigned long long)h);
    return 0;
}

const char *
cm_counters_route_name(enum cm_counters_route route)
{
    static const char *const names[CM_ROUTE_N] = {
        [CM_ROUTE_OTHER] = "other",
        [CM_ROUTE_HEALTH] = "health",
        [CM_ROUTE_SELF] = "metrics",
        [CM_ROUTE_OPENAPI] = "openapi",
        [CM_ROUTE_DISCOVERY] = "discovery",
        [CM_ROUTE_OBJECT] = "object",
        [CM_ROUTE_SELECTOR] = "selector",
        [CM_ROUTE_EXTERNAL] = "external",
        [CM_ROUTE_WRITE] = "write",
    };

    return (unsigned)route < CM_ROUTE_N ? names[route] : "other";
}

void
cm_counters_gv_names(enum cm_counters_gv gv, const char **group, const char **version)
{
    static const char *const g[CM_GV_N] = {
        "", "custom.metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io",
        "custom.metrics.k8s.io", "external.metrics.k8s.io",
    };
    static const char *const v[CM_GV_N] = { "", "v1beta1", "v1beta2", "v1beta1", "", "" };

    if ((unsigned)gv >= CM_GV_N)
        gv = CM_GV_NONE;
    *group = g[gv];
    *version = v[gv];
}
