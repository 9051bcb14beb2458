/*
 * configdir.h - a configuration directory: every *.yaml file in it is one
 * part of the configuration (a ConfigMap with several keys mounts as
 * several files).  Names starting with '.' are left out (a ConfigMap
 * volume's ..data and ..TIMESTAMP entries), as is anything that is not a
 * regular file once symbolic links are followed (a ConfigMap's keys are
 * links into ..data).  The order is the byte order of the names, so a
 * directory always reads the same.
 */
#ifndef CM_CONFIGDIR_H
#define CM_CONFIGDIR_H

#include <stddef.h>

#include "diag.h"

/* 1 if path names a directory (following links), else 0. */
int cm_configdir_is_dir(const char *path);

/*
 * The parts of directory dir, as "DIR/NAME.yaml" paths sorted by name, into
 * *out (owned: cm_configdir_free) and *nout.  Returns 0, or -1 with
 * "DIR: cannot read the directory: reason" added to d.
 */
int cm_configdir_list(const char *dir, char ***out, size_t *nout, struct cm_diag *d);
void cm_configdir_free(char **paths, size_t n);

/* 1 if name is one a configuration directory reads (NAME.yaml, not hidden). */
int cm_configdir_takes(const char *name);

#endif
