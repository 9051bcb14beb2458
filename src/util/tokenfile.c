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

/* Reads until EOF or size bytes; the count, or -1 with errno. */
static ssize_t
read_full(int fd, char *buf, size_t size)
{
    size_t got = 0;
    ssize_t n;

    while (got < size) {
        n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

long
cm_token_read(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), saved = 0;
    ssize_t n;
    size_t start = 0, len;
    char extra;

    if (fd < 0)
        return -1;
    n = read_full(fd, buf, size - 1);
    if (n < 0)
        saved = errno;
    else if ((size_t)n == size - 1 && read_full(fd, &extra, 1) != 0)
        saved = EFBIG;                  /* more than fits: refused, not cut */
    close(fd);
    if (saved != 0) {
        buf[0] = '\0';
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

#define STR_(x) #x
#define STR(x) STR_(x)

const char *
cm_token_strerror(int e)
{
    if (e == EFBIG)
        return "the file holds more than " STR(CM_TOKEN_MAX) " bytes, the most a token file may hold";
    return strerror(e);
}
