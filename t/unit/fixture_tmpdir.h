/*
 * fixture_tmpdir.h - test helpers for a private temporary directory: made
 * fresh, filled with whole files, and removed again with everything in it,
 * without a shell.  Static inline, so that a test calling only some of
 * them is not warned about the others.  nftw()'s FTW_DEPTH and FTW_PHYS
 * need _GNU_SOURCE (or _XOPEN_SOURCE 500), which configure defines
 * (AC_USE_SYSTEM_EXTENSIONS).
 */
#ifndef CM_FIXTURE_TMPDIR_H
#define CM_FIXTURE_TMPDIR_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Makes a new directory, mode 0700, named NAME-XXXXXX (mkdtemp) under
 * $TMPDIR, or /tmp when that is unset or empty, and leaves its path in DIR
 * (SIZE bytes).  Returns 0, or -1 with errno set when the path does not fit
 * in DIR or mkdtemp() fails.
 */
static inline int
fixture_tmpdir_make(char *dir, size_t size, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    int n;

    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    n = snprintf(dir, size, "%s/%s-XXXXXX", tmp, name);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int fixture_tmpdir_failed;

static inline int
fixture_tmpdir_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if ((type == FTW_DP || type == FTW_DNR ? rmdir(path) : unlink(path)) < 0)
        fixture_tmpdir_failed = 1;
    return 0;                           /* go on: remove what can be removed */
}

/*
 * Removes DIR and everything below it, children first (nftw with
 * FTW_DEPTH | FTW_PHYS): a symbolic link is unlinked, never followed.
 * Returns 0 once it is all gone, or -1 when DIR cannot be walked (a DIR
 * that does not exist included) or anything in it could not be removed;
 * what could be removed is removed either way.
 */
static inline int
fixture_tmpdir_remove(const char *dir)
{
    fixture_tmpdir_failed = 0;
    if (nftw(dir, fixture_tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return -1;
    return fixture_tmpdir_failed ? -1 : 0;
}

/*
 * Writes TEXT as the whole of the file NAME (a path relative to DIR),
 * created or truncated.  Returns 0, or -1 when the path is too long or the
 * file cannot be opened, written or closed.
 */
static inline int
fixture_tmpdir_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    size_t len = strlen(text);
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f;
    int rc;

    if (n < 0 || (size_t)n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    rc = fwrite(text, 1, len, f) == len ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

#endif
