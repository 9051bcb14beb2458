#include "listener.h"
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Creates the directory if missing (0750); refuses one that is not the server's own. */
static int
check_dir(const char *path, char *err, size_t errlen)
{
    char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];

    snprintf(copy, sizeof(copy), "%s", path);
    return cm_safefile_check_dir(dirname(copy), "the socket directory", 0750, err, errlen);
}

int
cm_listener_open(const char *path, int backlog, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    struct stat st;
    mode_t old_umask;
    int fd = -1;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "%s: the socket path is longer than %zu bytes",
                 path, sizeof(sa.sun_path) - 1);
        return -1;
    }
    if (check_dir(path, err, errlen) < 0)
        return -1;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "%s: exists and is not a socket%s; remove it", path,
                     S_ISLNK(st.st_mode) ? " (a symbolic link: the server follows none)" : "");
            return -1;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            close(fd);
            snprintf(err, errlen, "%s: another server is already listening here", path);
            return -1;
        }
        if (fd >= 0)
            close(fd);
        if (unlink(path) < 0) {
            snprintf(err, errlen, "%s: cannot remove the stale socket: %s",
                     path, strerror(errno));
            return -1;
        }
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s: socket: %s", path, strerror(errno));
        return -1;
    }
    /*
     * The socket is born 0660 by this umask, and nothing sets its mode after
     * bind(): a chmod() by path would follow a link put in its place.
     */
    old_umask = umask(0117);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(err, errlen, "%s: bind: %s", path, strerror(errno));
        umask(old_umask);
        close(fd);
        return -1;
    }
    umask(old_umask);
    if (listen(fd, backlog) < 0) {
        snprintf(err, errlen, "%s: listen: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

void
cm_listener_close(int fd, const char *path)
{
    if (fd >= 0)
        close(fd);
    unlink(path);
}
