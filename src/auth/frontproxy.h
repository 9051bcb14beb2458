/*
 * frontproxy.h - the front proxy's trust settings as kube-apiserver
 * publishes them in ConfigMap kube-system/extension-apiserver-authentication
 * (hpa-aggregator.md §3.7): the requestheader CA bundle, the allowed CNs and
 * the header names, the lists stored as JSON arrays inside strings.  Pure.
 */
#ifndef CM_FRONTPROXY_H
#define CM_FRONTPROXY_H

#include <stddef.h>

#include "arena.h"
#include "auth.h"

/*
 * Reads the ConfigMap's data (a JSON object of strings) into *fp, with the
 * CA bundle's PEM in *ca_pem ("" when the key is absent; fp->have_ca is then
 * 0).  A missing list is an empty one, as in the Go server.  Strings are
 * allocated in a.  Returns 0, or -1 with the reason in err.
 */
int cm_frontproxy_parse(const char *data_json, struct cm_frontproxy *fp, const char **ca_pem,
                        struct cm_arena *a, char *err, size_t errlen);

/*
 * Splits a comma-separated flag value into list (capacity cap), as the
 * Go flags' StringSlice does (no quoting).  Returns the count, or -1 when
 * there are more than cap.  The strings are allocated in a.
 */
int cm_frontproxy_split(const char *value, const char **list, size_t cap, struct cm_arena *a);

#endif
