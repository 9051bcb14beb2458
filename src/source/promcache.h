/*
 * promcache.h - the last good answer of a prometheus source, per object, so
 * that a worker can serve values younger than max_age while Prometheus is
 * down (with their real timestamps, as file sources do).
 *
 * One cache per metric per worker.  Every successful fetch replaces the
 * cached series of each object it asked for (an object the answer does not
 * name is forgotten); entries older than max_age are dropped as the cache
 * grows, so pods that come and go do not accumulate.
 */
#ifndef CM_PROMCACHE_H
#define CM_PROMCACHE_H

#include <stdint.h>
#include <time.h>

#include "promsrc.h"

/*
 * The most objects one cache remembers (per metric, per worker).  Beyond
 * it, objects not cached yet are not remembered until cached ones age past
 * max_age (checked at most once a second); cached ones are still replaced.
 */
#define CM_PROM_CACHE_MAX 16384

struct cm_prom_cache;

/* An empty cache of answers younger than max_age seconds; owned, free with cm_prom_cache_free(). */
struct cm_prom_cache *cm_prom_cache_new(int64_t max_age);
void cm_prom_cache_free(struct cm_prom_cache *c);

/* Records what ans says about the n objects names[] in namespace ns, fetched at now. */
void cm_prom_cache_store(struct cm_prom_cache *c, const struct cm_prom_answer *ans,
                         const char *ns, const char *const *names, size_t n, time_t now);

/* The objects cached (0 until a fetch succeeded). */
size_t cm_prom_cache_count(const struct cm_prom_cache *c);

/*
 * The cached series of object (ns, name), or NULL.  Borrowed: valid until
 * the next store.
 */
const struct cm_prom_result *cm_prom_cache_get(const struct cm_prom_cache *c, const char *ns,
                                               const char *name);

#endif
