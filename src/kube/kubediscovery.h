/*
 * kubediscovery.h - resources the built-in table does not know (CRDs and the
 * like), found through the cluster's discovery documents: /apis for each
 * group's preferred version, then /apis/GROUP/VERSION (and /api/v1) for the
 * resources it serves, their kind and scope.
 *
 * This runs once, at start, for the names metrics.yaml gives that the table
 * lacks.  The requests are made in a child process, so that libcurl is never
 * loaded into the master (and so into every worker it forks).
 */
#ifndef CM_KUBEDISCOVERY_H
#define CM_KUBEDISCOVERY_H

#include <stddef.h>

#include "kubeconn.h"
#include "resource.h"

struct cm_discovered {
    const struct cm_resource *resource;   /* found: owned by the process, never freed */
    char why[512];                        /* else: why not */
};

/*
 * Resolves names[0..n) ("widgets.example.com", or a bare plural when one
 * group serves it) against the cluster conn reaches, filling out[0..n).
 * Returns 0, or -1 with err when discovery could not be done at all (the
 * kube-apiserver unreachable, say).
 */
int cm_discovery_resolve(const struct cm_kubeconn *conn, const char *const *names, size_t n,
                         struct cm_discovered *out, char *err, size_t errlen);

/*
 * The pure part: finds plural in an APIResourceList document (the answer of
 * /api/v1 or /apis/GROUP/VERSION) and fills *out with owned strings.
 * Returns 1 when found, 0 when not, -1 for a body that is not such a list.
 */
int cm_discovery_find(const char *doc, size_t len, const char *group, const char *version,
                      const char *plural, struct cm_resource *out);

/*
 * The preferred version of group in an APIGroupList document (/apis) into
 * buf.  Returns 1 when the group is served, 0 when not, -1 for a bad body.
 */
int cm_discovery_preferred(const char *doc, size_t len, const char *group,
                           char *buf, size_t buflen);

#endif
