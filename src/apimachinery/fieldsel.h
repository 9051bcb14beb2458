/*
 * fieldsel.h - the apiserver's fieldSelector rule for named requests.
 *
 * A custom metrics request always names its object (a name or "*"), and the
 * Go apiserver then accepts a fieldSelector only if it pins metadata.name to
 * that same name.  This module parses a field selector (k=v, k==v, k!=v
 * terms separated by ',', with \ escapes) as k8s.io/apimachinery/pkg/fields
 * does, and applies that rule.  The selector is n bytes, NUL bytes included:
 * as in Go, a NUL is an ordinary byte of a field or value, so
 * "metadata.name=web\0x" does not name "web" (messages write it "\x00").
 */
#ifndef CM_FIELDSEL_H
#define CM_FIELDSEL_H

#include <stddef.h>

#include "arena.h"

/*
 * Checks the n bytes at s against the requested name.  Returns 0 when the
 * request may proceed, or -1 with *err_out set to the 400 message (allocated
 * from a), Go's text for each: a term without an operator, a value with an
 * escape other than \\ \, \= or an unescaped '=' (fields.UnescapeValue), a
 * field other than metadata.name or metadata.namespace, or "fieldSelector
 * metadata.name doesn't match requested name".  Terms are read in sorted
 * order, as Go reads them: the first failing one is reported, the first
 * metadata.name=... term names the object.
 */
int cm_fieldsel_check(const char *s, size_t n, const char *name,
                      struct cm_arena *a, const char **err_out);

#endif
