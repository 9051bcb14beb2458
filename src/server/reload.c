#include "reload.h"
#include "alloc.h"
#include "configdir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
                IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

struct cm_reload_watch {
    int fd;
    int is_dir;                       /* the configuration is a directory of parts */
    char *name;                       /* the file's name in its directory (a file) */
};

int
cm_reload_watch_open(struct cm_reload_watch **out, const char *path, char *err, size_t errlen)
{
    struct cm_reload_watch *w = cm_xcalloc(1, sizeof(*w));
    const char *slash;
    char *dir = NULL;
    sigset_t io;
    int rc = -1;

    *out = NULL;
    w->fd = -1;
    w->is_dir = cm_configdir_is_dir(path);
    if (w->is_dir) {
        dir = cm_xstrdup(path);
    } else {
        slash = strrchr(path, '/');
        dir = slash == NULL ? cm_xstrdup(".") : slash == path ? cm_xstrdup("/") :
              cm_xstrndup(path, (size_t)(slash - path));
        w->name = cm_xstrdup(slash ? slash + 1 : path);
    }
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0) {
        snprintf(err, errlen, "inotify: %s", strerror(errno));
        goto out;
    }
    if (inotify_add_watch(w->fd, dir, EVENTS) < 0) {
        snprintf(err, errlen, "cannot watch %s: %s", dir, strerror(errno));
        goto out;
    }
    /* each event raises SIGIO in this process, which must wait for it
     * (sigtimedwait) rather than die of it */
    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    sigprocmask(SIG_BLOCK, &io, NULL);
    if (fcntl(w->fd, F_SETOWN, getpid()) < 0 ||
        fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_ASYNC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "cannot have inotify signal changes: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(dir);
    if (rc < 0)
        cm_reload_watch_free(w);
    else
        *out = w;
    return rc;
}

void
cm_reload_watch_free(struct cm_reload_watch *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w->name);
    free(w);
}

int
cm_reload_watch_fd(const struct cm_reload_watch *w)
{
    return w->fd;
}

/* 1 if an event about name (in the watched directory) may change the configuration. */
static int
relevant(const struct cm_reload_watch *w, const struct inotify_event *e)
{
    if (e->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
        return 1;
    if (e->len == 0)
        return 0;
    if (strcmp(e->name, "..data") == 0)       /* a ConfigMap volume's swap */
        return 1;
    return w->is_dir ? cm_configdir_takes(e->name) : strcmp(e->name, w->name) == 0;
}

int
cm_reload_watch_drain(struct cm_reload_watch *w)
{
    char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
        __attribute__((aligned(__alignof__(struct inotify_event))));
    int changed = 0;
    ssize_t n;

    while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
        const char *p = buf;

        while (p < buf + n) {
            const struct inotify_event *e = (const struct inotify_event *)p;

            changed |= relevant(w, e);
            p += sizeof(*e) + e->len;
        }
    }
    return changed;
}
