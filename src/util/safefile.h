/*
 * safefile.h - files and directories opened as nobody else can steer.
 *
 * The server's own directories (state, socket, cache) must be its own: not
 * writable by others, nor by a group other than its own.  Every file it
 * creates or replaces there is opened without following a symbolic link,
 * and the names it creates afresh are created exclusively, so that a link
 * planted in one of them is refused instead of followed.  Token files
 * (bearer tokens, read afresh per use) must not be readable or writable by
 * others, nor owned by another user than the server's or root.
 *
 * Every function here returns 0, or -1 with a message in err that names the
 * file and says how to fix it.
 */
#ifndef CM_SAFEFILE_H
#define CM_SAFEFILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Checks that a directory with these attributes is safe for a server
 * running as (euid, egid): owned by euid or root, not writable by others
 * (sticky or not), and writable by its group only when that group is egid.
 * what names the directory in the message ("the state directory").
 */
int cm_safefile_dir_ok(const char *path, const char *what, const struct stat *st, uid_t euid,
                       gid_t egid, char *err, size_t errlen);

/*
 * Creates path (mode, one level) when it is missing, then checks it with
 * cm_safefile_dir_ok() for this process.
 */
int cm_safefile_check_dir(const char *path, const char *what, mode_t mode, char *err,
                          size_t errlen);

/* cm_safefile_token_ok() flags */
#define CM_SAFEFILE_OTHERS_MAY_READ 1  /* a file whose mode the kubelet sets (0644 by default) */

/*
 * Checks that a token file with these attributes is safe for a server
 * running as euid: a regular file, owned by euid or root, not writable by
 * its group or by others, and not readable by others (unless flags say
 * CM_SAFEFILE_OTHERS_MAY_READ).  what names it ("--write-token-file").
 */
int cm_safefile_token_ok(const char *path, const char *what, const struct stat *st, uid_t euid,
                         int flags, char *err, size_t errlen);

/* stat()s path (following links: mounted Secrets are links) and checks it. */
int cm_safefile_check_token(const char *path, const char *what, int flags, char *err,
                            size_t errlen);

/*
 * Refuses path when it is a symbolic link, or exists and is not a regular
 * file (a missing path is fine).  For names the server will create later.
 */
int cm_safefile_refuse_link(const char *path, char *err, size_t errlen);

/*
 * open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode) of a regular file.
 * Returns the descriptor (owned by the caller), or -1 with a message; errno
 * is kept (ELOOP for a link).
 */
int cm_safefile_open(const char *path, int flags, mode_t mode, char *err, size_t errlen);

/*
 * Creates path afresh for writing (O_RDWR): whatever has the name is removed
 * first (a link itself, never what it points to), then the file is created
 * with O_CREAT | O_EXCL | O_NOFOLLOW, so that a name planted in between is
 * refused.  Returns the descriptor, or -1 with a message and errno kept.
 */
int cm_safefile_create(const char *path, mode_t mode, char *err, size_t errlen);

#endif
