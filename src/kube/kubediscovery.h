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
 * /api/v1 or /apis/GROUP/VERSION) and fills *out with owned strings.  An
 * entry whose kind (or singularName) is empty of text or holds a space or
 * a control character is passed over.  Returns 1 when found, 0 when not,
 * -1 for a body that is not such a list.
 */
int cm_discovery_find(const char *doc, size_t len, const char *group, const char *version,
                      const char *plural, struct cm_resource *out);

/*
 * The preferred version of group in an APIGroupList document (/apis) into
 * buf.  Returns 1 when the group is served, 0 when not, -1 for a bad body.
 * A group whose name or version is not well-formed (below) is not served.
 */
int cm_discovery_preferred(const char *doc, size_t len, const char *group,
                           char *buf, size_t buflen);

#define CM_DISCOVERY_GROUP_MAX 253       /* a DNS-1123 subdomain */
#define CM_DISCOVERY_VERSION_MAX 63      /* a DNS-1123 label */

/* One place to look a resource up: an API group ("" the core group) and a version. */
struct cm_discovery_gv {
    const char *group;
    const char *version;
};

/*
 * Where a bare plural is looked for: the core group's v1, then every group
 * of an APIGroupList document (/apis) with its preferred version, in the
 * document's order.  Only well-formed names are kept: a group of 1 to 253
 * bytes of [a-z0-9.-] (a DNS-1123 subdomain's characters), a version of 1
 * to 63 of [a-z0-9-]; any other (a space, a newline, a '/') is left out, as
 * it would change the request path.  Returns an owned array of *n whose
 * strings live in the same block (one free() releases it all), or NULL for
 * a body that is not such a list.
 */
struct cm_discovery_gv *cm_discovery_groups(const char *doc, size_t len, size_t *n);

/*
 * The discovery document's path of gv into buf: /api/VERSION for the core
 * group, /apis/GROUP/VERSION otherwise.  Returns 0, or -1 when it does not fit.
 */
int cm_discovery_path(const struct cm_discovery_gv *gv, char *buf, size_t buflen);

#endif
