#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
cm_safefile_dir_ok(const char *path, const char *what, const struct stat *st, uid_t euid,
                   gid_t egid, char *err, size_t errlen)
{
    unsigned mode = (unsigned)(st->st_mode & 07777);

    if (!S_ISDIR(st->st_mode)) {
        snprintf(err, errlen, "%s: %s is not a directory", path, what);
        return -1;
    }
    if (st->st_uid != euid && st->st_uid != 0) {
        snprintf(err, errlen, "%s: %s belongs to uid %ld, not to this server (uid %ld): "
                 "use a directory of its own (chown %ld %s)", path, what, (long)st->st_uid,
                 (long)euid, (long)euid, path);
        return -1;
    }
    if (st->st_mode & S_IWOTH) {
        snprintf(err, errlen, "%s: %s is writable by others (mode %04o): chmod 0700 %s, or "
                 "use a directory of its own", path, what, mode, path);
        return -1;
    }
    if ((st->st_mode & S_IWGRP) && st->st_gid != egid) {
        snprintf(err, errlen, "%s: %s is writable by group %ld, not this server's (gid %ld; "
                 "mode %04o): chmod g-w %s", path, what, (long)st->st_gid, (long)egid, mode,
                 path);
        return -1;
    }
    return 0;
}

int
cm_safefile_check_dir(const char *path, const char *what, mode_t mode, char *err, size_t errlen)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        if (errno != ENOENT || (mkdir(path, mode) < 0 && errno != EEXIST) ||
            stat(path, &st) < 0) {
            snprintf(err, errlen, "%s: cannot create %s: %s", path, what, strerror(errno));
            return -1;
        }
    }
    return cm_safefile_dir_ok(path, what, &st, geteuid(), getegid(), err, errlen);
}

int
cm_safefile_token_ok(const char *path, const char *what, const struct stat *st, uid_t euid,
                     int flags, char *err, size_t errlen)
{
    unsigned mode = (unsigned)(st->st_mode & 07777);

    if (!S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s %s is not a regular file", what, path);
        return -1;
    }
    if (st->st_uid != euid && st->st_uid != 0) {
        snprintf(err, errlen, "%s %s belongs to uid %ld, not to this server (uid %ld) or "
                 "root: chown %ld %s", what, path, (long)st->st_uid, (long)euid, (long)euid,
                 path);
        return -1;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) ||
        (!(flags & CM_SAFEFILE_OTHERS_MAY_READ) && (st->st_mode & S_IROTH))) {
        snprintf(err, errlen, "%s %s is %s by others (mode %04o): chmod 0600 %s (in a pod: "
                 "defaultMode 0400, or 0440 with fsGroup)", what, path,
                 (st->st_mode & (S_IWGRP | S_IWOTH)) ? "writable" : "readable", mode, path);
        return -1;
    }
    return 0;
}

int
cm_safefile_check_token(const char *path, const char *what, int flags, char *err, size_t errlen)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    return cm_safefile_token_ok(path, what, &st, geteuid(), flags, err, errlen);
}

int
cm_safefile_refuse_link(const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "%s is a symbolic link: the server follows no link in its own "
                 "directories; remove it (rm %s)", path, path);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file; remove it", path);
        return -1;
    }
    return 0;
}

/* The message for a failed open or create of path (errno is kept). */
static void
open_error(const char *path, const char *verb, char *err, size_t errlen)
{
    int saved = errno;

    if (saved == ELOOP)
        snprintf(err, errlen, "%s is a symbolic link: the server follows no link in its own "
                 "directories; remove it (rm %s)", path, path);
    else if (saved == EEXIST)
        snprintf(err, errlen, "cannot %s %s: something else created it meanwhile", verb, path);
    else
        snprintf(err, errlen, "cannot %s %s: %s", verb, path, strerror(saved));
    errno = saved;
}

int
cm_safefile_open(const char *path, int flags, mode_t mode, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);

    if (fd < 0) {
        open_error(path, "open", err, errlen);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        open_error(path, "open", err, errlen);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file; remove it", path);
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

int
cm_safefile_create(const char *path, mode_t mode, char *err, size_t errlen)
{
    int fd;

    if (unlink(path) < 0 && errno != ENOENT) {
        open_error(path, "replace", err, errlen);
        return -1;
    }
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        open_error(path, "create", err, errlen);
        return -1;
    }
    return fd;
}
