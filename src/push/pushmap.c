#include "pushmap.h"
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
cm_pushmap_lock(int fd, int op)
{
    while (flock(fd, op) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

void
cm_pushmap_unmap(struct cm_pushmap *m)
{
    if (m->hdr != NULL)
        munmap(m->hdr, m->len);
    if (m->fd >= 0)
        close(m->fd);
    memset(m, 0, sizeof(*m));
    m->fd = -1;
}

static int
is_nospace(int e)
{
    return e == ENOSPC || e == EDQUOT;
}

/* posix_fallocate() of [off, off + len): a CM_PUSHMAP_* code, errno set. */
static int
reserve_range(int fd, uint64_t off, uint64_t len)
{
    int e;

    do
        e = posix_fallocate(fd, (off_t)off, (off_t)len);
    while (e == EINTR);
    if (e == 0)
        return CM_PUSHMAP_OK;
    errno = e;
    return is_nospace(e) ? CM_PUSHMAP_NOSPACE : CM_PUSHMAP_IO;
}

int
cm_pushmap_init_file(int fd, uint32_t capacity, uint32_t nrecords)
{
    struct cm_pushrec_header h;
    int rc;

    cm_pushrec_header_init(&h, capacity);
    if (nrecords > capacity)
        nrecords = capacity;
    if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)CM_PUSHREC_FILE_SIZE(capacity)) < 0)
        return is_nospace(errno) ? CM_PUSHMAP_NOSPACE : CM_PUSHMAP_IO;
    rc = reserve_range(fd, 0, CM_PUSHREC_FILE_SIZE(nrecords));
    if (rc != CM_PUSHMAP_OK)
        return rc;
    if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
        return is_nospace(errno) ? CM_PUSHMAP_NOSPACE : CM_PUSHMAP_IO;
    return CM_PUSHMAP_OK;
}

int
cm_pushmap_attach(struct cm_pushmap *m, int fd, const char *path, char *err, size_t errlen)
{
    struct cm_pushrec_header h;
    struct stat st;
    void *p;

    memset(m, 0, sizeof(*m));
    m->fd = fd;
    memset(&h, 0, sizeof(h));
    if (fstat(fd, &st) < 0 || pread(fd, &h, sizeof(h), 0) < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        cm_pushmap_unmap(m);
        return CM_PUSHMAP_IO;
    }
    if (cm_pushrec_header_check(&h, (uint64_t)st.st_size) < 0) {
        snprintf(err, errlen, "%s is not a push store of this version", path);
        cm_pushmap_unmap(m);
        return CM_PUSHMAP_BAD;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
        cm_pushmap_unmap(m);
        return CM_PUSHMAP_IO;
    }
    m->hdr = p;
    m->rec = (struct cm_pushrec *)((char *)p + CM_PUSHREC_HEADER_SIZE);
    m->len = (size_t)st.st_size;
    m->capacity = h.capacity;
    return CM_PUSHMAP_OK;
}

int
cm_pushmap_reserve(struct cm_pushmap *m, uint32_t i, char *err, size_t errlen)
{
    uint32_t end;
    int rc;

    if (i < m->reserved)
        return CM_PUSHMAP_OK;
    end = m->capacity - i > CM_PUSHMAP_RESERVE_CHUNK ? i + CM_PUSHMAP_RESERVE_CHUNK : m->capacity;
    rc = reserve_range(m->fd, CM_PUSHREC_OFFSET(i), CM_PUSHREC_OFFSET(end) - CM_PUSHREC_OFFSET(i));
    if (rc == CM_PUSHMAP_NOSPACE && end > i + 1) {
        end = i + 1;                   /* the last few blocks of the filesystem */
        rc = reserve_range(m->fd, CM_PUSHREC_OFFSET(i), CM_PUSHREC_SIZE);
    }
    if (rc == CM_PUSHMAP_NOSPACE) {
        snprintf(err, errlen, "no space left on the state directory's filesystem for a new "
                 "value (%u values stored): the write is refused, stored values are kept", i);
        return rc;
    }
    if (rc != CM_PUSHMAP_OK) {
        snprintf(err, errlen, "cannot reserve space for the push store: %s", strerror(errno));
        return rc;
    }
    m->reserved = end;
    return CM_PUSHMAP_OK;
}

int
cm_pushmap_open(struct cm_pushmap *m, const char *path, const char *bad_path, uint32_t capacity,
                int reset_bad, char *err, size_t errlen)
{
    int attempt;

    memset(m, 0, sizeof(*m));
    m->fd = -1;
    for (attempt = 0; attempt < 3; attempt++) {
        struct stat st;
        int fd = cm_safefile_open(path, O_RDWR | O_CREAT, 0600, err, errlen), rc;

        if (fd < 0)
            return CM_PUSHMAP_IO;
        if (fstat(fd, &st) == 0 && st.st_size != 0 && attempt == 0) {
            rc = cm_pushmap_attach(m, fd, path, err, errlen);
            if (rc != CM_PUSHMAP_BAD)
                return rc;
            continue;                  /* bad: look again under the lock */
        }
        if (cm_pushmap_lock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
            close(fd);
            return CM_PUSHMAP_IO;
        }
        if (st.st_size == 0 && (rc = cm_pushmap_init_file(fd, capacity, 0)) != CM_PUSHMAP_OK) {
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
            (void)!ftruncate(fd, 0);   /* empty again: the next open makes it afresh */
            close(fd);
            return rc;
        }
        rc = cm_pushmap_attach(m, fd, path, err, errlen);
        if (rc == CM_PUSHMAP_OK) {
            cm_pushmap_lock(m->fd, LOCK_UN);
            return CM_PUSHMAP_OK;
        }
        /* attach() closed fd, which dropped the lock */
        if (rc != CM_PUSHMAP_BAD || !reset_bad)
            return rc;
        if (rename(path, bad_path) < 0) {
            snprintf(err, errlen, "cannot move %s aside to %s: %s", path, bad_path,
                     strerror(errno));
            return CM_PUSHMAP_IO;
        }
    }
    return CM_PUSHMAP_IO;
}
