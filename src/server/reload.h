/*
 * reload.h - what starts a configuration reload besides SIGHUP: inotify on
 * the directory that holds metrics.yaml (or on the configuration directory
 * itself).  The directory is watched rather than the file, because the file
 * is replaced rather than written: editors rename a new file over it, and a
 * Kubernetes ConfigMap volume swaps its ..data symbolic link to a new
 * directory of files.  The events arrive as SIGIO to the process that opened
 * the watch (the master waits for signals), which drains them; the master
 * debounces them, so that a burst is one reload.
 */
#ifndef CM_RELOAD_H
#define CM_RELOAD_H

#include <stddef.h>

struct cm_reload_watch;

/*
 * Watches for changes of the configuration at path (a file or a
 * configuration directory), each event raising SIGIO in the calling
 * process, which it blocks (wait for it with sigtimedwait, or drain the
 * watch now and then).  Returns 0 with an owned watch in *out, or -1 with
 * the reason in err.
 */
int cm_reload_watch_open(struct cm_reload_watch **out, const char *path, char *err,
                         size_t errlen);
void cm_reload_watch_free(struct cm_reload_watch *w);

/* The watch's descriptor (children close it). */
int cm_reload_watch_fd(const struct cm_reload_watch *w);

/*
 * Reads every pending event without blocking.  Returns 1 when one of them
 * may have changed the configuration (the file itself, a *.yaml of the
 * directory, ..data, an overflowed queue, the directory going away), else 0.
 */
int cm_reload_watch_drain(struct cm_reload_watch *w);

#endif
