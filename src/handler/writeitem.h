/*
 * writeitem.h - one value a write sets, from the request to the record:
 * checked against metrics.yaml, the Kubernetes naming rules and the objects
 * the server serves, then turned into the push store's key and value.  Pure:
 * the handler (write.c) does the I/O, the body decoder (writebody.c) fills
 * the items.
 */
#ifndef CM_WRITEITEM_H
#define CM_WRITEITEM_H

#include <time.h>

#include "ctx.h"
#include "labels.h"
#include "pushkey.h"
#include "quantity.h"

/* Why a write is refused: an HTTP code, a Status reason and a message. */
struct cm_write_failure {
    int code;
    const char *reason;
    char msg[1024];
};

/* Fills f and returns -1, so that a check can end with "return cm_write_fail(...)". */
int cm_write_fail(struct cm_write_failure *f, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* One value to write, as the request gives it (strings borrowed from the arena). */
struct cm_write_item {
    const char *metric;
    const char *resource;              /* as given; NULL for an external series */
    const char *ns;                    /* "" when none is given */
    const char *name;
    const char *value;                 /* quantity text */
    struct cm_labels labels;           /* sorted */
    struct cm_quantity q;
    struct cm_push_key key;            /* filled by cm_write_item_resolve() */
    struct cm_push_value val;
};

/*
 * Checks it against the configuration, the naming rules and (with an object
 * source) the objects the server serves, and fills its record key and value,
 * stamped now (memory from a).  Returns 0, or -1 with f filled.
 */
int cm_write_item_resolve(const struct cm_api *api, struct cm_write_item *it, time_t now,
                          struct cm_arena *a, struct cm_write_failure *f);

/*
 * Whether a stored record is still wanted when the push store is compacted:
 * its metric still has a push source describing its resource, and its value
 * is not older than that source's max_age at time now.
 */
struct cm_write_keep {
    const struct cm_config *config;
    time_t now;
};
int cm_write_keep(const struct cm_push_key *k, int64_t timestamp, void *arg);

#endif
