#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int
cm_proc_self(void)
{
    return (int)getpid();
}

int
cm_proc_alive(int pid)
{
    char path[64], buf[512], *paren;
    ssize_t n;
    int fd;

    if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? 0 : 1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 1;
    buf[n] = '\0';
    paren = strrchr(buf, ')');            /* "PID (COMM) STATE ...": COMM may hold ")" too */
    return !(paren != NULL && paren[1] == ' ' && paren[2] == 'Z');
}
