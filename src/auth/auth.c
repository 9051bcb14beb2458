#include "auth.h"

#include <string.h>

int
cm_auth_always_allowed(const struct cm_auth *auth, const char *path)
{
    size_t i, n;

    for (i = 0; i < auth->nalways; i++) {
        const char *p = auth->always_allow_paths[i];

        n = strlen(p);
        if (n > 0 && p[n - 1] == '*') {
            if (strncmp(path, p, n - 1) == 0)
                return 1;
        } else if (strcmp(path, p) == 0) {
            return 1;
        }
    }
    return 0;
}

int
cm_auth_static_allows(const struct cm_auth *auth, const struct cm_identity *id)
{
    size_t i;

    for (i = 0; i < auth->nstatic_users; i++)
        if (strcmp(auth->static_users[i], id->user) == 0)
            return 1;
    for (i = 0; i < auth->nstatic_groups; i++)
        if (cm_identity_in_group(id, auth->static_groups[i]))
            return 1;
    return 0;
}

int
cm_auth_cn_allowed(const struct cm_frontproxy *fp, const char *cn)
{
    size_t i;

    if (fp->nallowed == 0)
        return 1;
    for (i = 0; i < fp->nallowed; i++)
        if (strcmp(fp->allowed_names[i], cn) == 0)
            return 1;
    return 0;
}
