#include "configdir.h"
#include "alloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
cm_configdir_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
cm_configdir_takes(const char *name)
{
    size_t n = strlen(name);

    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cm_configdir_list(const char *dir, char ***out, size_t *nout, struct cm_diag *d)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    char **paths = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *nout = 0;
    if (dh == NULL) {
        cm_diag_add(d, dir, 0, 0, "cannot read the directory: %s", strerror(errno));
        return -1;
    }
    while ((e = readdir(dh)) != NULL) {
        struct stat st;
        size_t len;
        char *p;

        if (!cm_configdir_takes(e->d_name))
            continue;
        len = strlen(dir) + strlen(e->d_name) + 2;
        p = cm_xmalloc(len);
        snprintf(p, len, "%s/%s", dir, e->d_name);
        if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(p);                /* a dangling link, a directory called x.yaml */
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            paths = cm_xrealloc(paths, cap * sizeof(*paths));
        }
        paths[n++] = p;
    }
    closedir(dh);
    if (n > 1)
        qsort(paths, n, sizeof(*paths), by_name);
    *out = paths;
    *nout = n;
    return 0;
}

void
cm_configdir_free(char **paths, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}
