/*
 * expfmt.h - the Prometheus text exposition format, as a file source reads it
 * (what a node-exporter textfile collector or a sidecar writes):
 *
 *   # HELP and # TYPE lines and other comments are skipped
 *   name{label="value",...} VALUE [TIMESTAMP_MS]
 *
 * Label values take the escapes \\ \" \n.  VALUE is a float as Go's
 * strconv.ParseFloat reads it (NaN, +Inf and -Inf included); TIMESTAMP_MS is
 * milliseconds since the epoch.  Any malformed line fails the whole parse,
 * as a Prometheus scrape does.
 */
#ifndef CM_EXPFMT_H
#define CM_EXPFMT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "labels.h"

#define CM_EXPFMT_MAX_LABELS 64
#define CM_EXPFMT_MAX_SAMPLES 1000000

struct cm_sample {
    const char *name;
    struct cm_labels labels;       /* sorted by key */
    double value;
    int has_timestamp;
    int64_t timestamp_ms;
    const char *quantity;          /* left NULL by the parser; see filesrc.c */
};

struct cm_samples {
    size_t n;
    struct cm_sample *v;           /* in file order */
};

/*
 * Parses the n bytes at text into out; everything is allocated from a.
 * Returns 0, or -1 with a message "LINE:COLUMN: what" in err (size errlen).
 */
int cm_expfmt_parse(const char *text, size_t n, struct cm_arena *a,
                    struct cm_samples *out, char *err, size_t errlen);

#endif
