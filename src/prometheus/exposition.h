/*
 * exposition.h - writing the Prometheus text exposition format (0.0.4),
 * the format of the self-metrics page: "# HELP" and "# TYPE" lines, then
 * samples, label values escaped (backslash, double quote, newline) and
 * numbers printed as Prometheus parses them (integers exactly, +Inf, NaN).
 *
 * The writer appends to a borrowed buffer and keeps no state beyond it; it
 * never fails (a buffer that grows too large reports it itself).  Pure.
 */
#ifndef CM_EXPOSITION_H
#define CM_EXPOSITION_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CM_EXPOSITION_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* "# HELP name help" and "# TYPE name type" (type: counter, gauge, histogram). */
void cm_expo_family(struct cm_buf *b, const char *name, const char *type, const char *help);

/*
 * One sample: name{k1="v1",...} value.  labels holds nlabels pairs as
 * {key, value, key, value, ...} (borrowed); a value is escaped as the
 * format requires.  nlabels 0 writes no braces.
 */
void cm_expo_sample(struct cm_buf *b, const char *name, const char *const *labels,
                    size_t nlabels, double value);
/* The same with an integer value, printed exactly. */
void cm_expo_sample_u64(struct cm_buf *b, const char *name, const char *const *labels,
                        size_t nlabels, uint64_t value);

/*
 * A histogram's samples: name_bucket{labels...,le="B"} for each of the nb
 * bounds le[] and +Inf (cumulative counts made from the per-bucket counts
 * bucket[0..nb], the last one being above every bound), then name_sum (sum)
 * and name_count.  labels may hold up to 8 pairs.
 */
void cm_expo_histogram(struct cm_buf *b, const char *name, const char *const *labels,
                       size_t nlabels, const double *le, const uint64_t *bucket, size_t nb,
                       double sum);

/* Appends s with the escapes of a label value (\\, \", \n). */
void cm_expo_escape(struct cm_buf *b, const char *s);

#endif
