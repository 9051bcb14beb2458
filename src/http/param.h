/*
 * param.h - query parameters as the Go apiserver reads them into its
 * options: label selectors, and the two ways Go turns text into a bool.
 * Values are read with their full length (a NUL byte is a byte like any
 * other).
 */
#ifndef CM_PARAM_H
#define CM_PARAM_H

#include "ctx.h"
#include "selector.h"

/*
 * Parses the label selector in query parameter name into out (an absent
 * parameter selects everything; memory from the arena).  On a parse error
 * writes the Go server's answer with the given code and reason (400
 * BadRequest for labelSelector, a bare 500 for metricLabelSelector) and
 * returns -1.
 */
int cm_param_selector(struct cm_ctx *ctx, const char *name, int code, const char *reason,
                      struct cm_selector *out);

/*
 * Go's Convert_Slice_string_To_bool, as metav1.ListOptions decodes ?watch=:
 * 1 when the parameter is present with any value but "0" or "false"
 * (any case), else 0.
 */
int cm_param_flag(const struct cm_query *q, const char *name);

/* strconv.ParseBool: 0 with *out set for 1 t T TRUE true True 0 f F FALSE false False, else -1. */
int cm_param_parse_bool(const char *s, size_t len, int *out);

#endif
