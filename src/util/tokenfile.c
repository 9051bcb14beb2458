#include "tokenfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

long
cm_token_read(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), saved;
    ssize_t n;
    size_t start = 0, len;

    if (fd < 0)
        return -1;
    do
        n = read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    len = (size_t)n;
    while (len > 0 && is_space(buf[len - 1]))
        len--;
    while (start < len && is_space(buf[start]))
        start++;
    memmove(buf, buf + start, len - start);
    buf[len - start] = '\0';
    return (long)(len - start);
}
