/*
 * listener.h - the unix socket nginx connects to.
 *
 * The socket lives in a directory the server owns and nobody else can write
 * (created 0750 when missing), has mode 0660, and is never stolen from a
 * live server: if something answers on the path, opening fails.  A stale
 * socket left by a crash is replaced.
 */
#ifndef CM_LISTENER_H
#define CM_LISTENER_H

#include <stddef.h>

/*
 * Opens the listening socket at path.  Returns the descriptor, or -1 with a
 * message naming the path in err.
 */
int cm_listener_open(const char *path, int backlog, char *err, size_t errlen);

/* Closes fd and removes the socket file. */
void cm_listener_close(int fd, const char *path);

#endif
