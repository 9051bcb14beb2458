#include "objcache.h"
#include "safefile.h"
#include "alloc.h"
#include "log.h"
#include "objimage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct slot {
    _Atomic uint64_t generation;
    _Atomic uint64_t nobjects;
    _Atomic int64_t listed_at;
    _Atomic int64_t broken_since;
    _Atomic uint32_t seq;            /* odd while message is being written */
    char message[256];
};

struct cm_objcache {
    char *dir;
    size_t n;
    const struct cm_resource *res[CM_OBJCACHE_MAX];
    struct slot *page;               /* shared: n slots */
    size_t page_len;
    /* a reader's own state */
    uint64_t mapped[CM_OBJCACHE_MAX];
    struct cm_objects *objects;
};

static void
image_path(const struct cm_objcache *c, size_t i, const char *suffix, char *buf, size_t len)
{
    snprintf(buf, len, "%s/objects.%s.snap%s", c->dir, c->res[i]->group_resource, suffix);
}

int
cm_objcache_create(struct cm_objcache **out, const char *dir,
                   const struct cm_resource *const *res, size_t n, char *err, size_t errlen)
{
    struct cm_objcache *c;
    size_t i;
    void *page;

    *out = NULL;
    if (n > CM_OBJCACHE_MAX) {
        snprintf(err, errlen, "more than %d resources to watch", CM_OBJCACHE_MAX);
        return -1;
    }
    c = cm_xcalloc(1, sizeof(*c));
    c->dir = cm_xstrdup(dir);
    c->n = n;
    c->page_len = (n ? n : 1) * sizeof(struct slot);
    page = mmap(NULL, c->page_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the cache's control page: %s", strerror(errno));
        free(c->dir);
        free(c);
        return -1;
    }
    c->page = page;
    if (cm_safefile_check_dir(dir, "the cache directory", 0750, err, errlen) < 0) {
        cm_objcache_free(c);
        return -1;
    }
    for (i = 0; i < n; i++) {
        char path[4096], tmp[4096];

        c->res[i] = res[i];
        image_path(c, i, "", path, sizeof(path));
        image_path(c, i, ".new", tmp, sizeof(tmp));
        /* a link where an image goes was planted: refused, never followed */
        if (cm_safefile_refuse_link(path, err, errlen) < 0 ||
            cm_safefile_refuse_link(tmp, err, errlen) < 0) {
            cm_objcache_free(c);
            return -1;
        }
        if (unlink(path) < 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove the old %s: %s", path, strerror(errno));
            cm_objcache_free(c);
            return -1;
        }
    }
    c->objects = cm_objects_new();
    *out = c;
    return 0;
}

void
cm_objcache_free(struct cm_objcache *c)
{
    if (c == NULL)
        return;
    if (c->objects != NULL)
        cm_objects_free(c->objects);
    munmap(c->page, c->page_len);
    free(c->dir);
    free(c);
}

size_t
cm_objcache_size(const struct cm_objcache *c)
{
    return c->n;
}

const struct cm_resource *
cm_objcache_resource(const struct cm_objcache *c, size_t i)
{
    return c->res[i];
}

void
cm_objcache_unmap(const void *img, size_t len, void *arg)
{
    (void)arg;
    munmap((void *)img, len ? len : 1);
}

/* Maps the image file at path read-only; NULL with errno on failure. */
static const void *
map_image(const char *path, size_t *len_out)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), saved;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || st.st_size <= 0) {
        saved = errno;
        close(fd);
        errno = saved ? saved : EINVAL;
        return NULL;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    saved = errno;
    close(fd);
    if (p == MAP_FAILED) {
        errno = saved;
        return NULL;
    }
    *len_out = (size_t)st.st_size;
    return p;
}

int
cm_objcache_publish(struct cm_objcache *c, size_t i, const void *img, size_t len,
                    const void **mapped_out, char *err, size_t errlen)
{
    char tmp[4096], path[4096];
    const char *p = img;
    size_t done = 0, mlen = 0;
    int fd;

    image_path(c, i, ".new", tmp, sizeof(tmp));
    image_path(c, i, "", path, sizeof(path));
    fd = cm_safefile_create(tmp, 0640, err, errlen);   /* a planted link is replaced, not followed */
    if (fd < 0)
        return -1;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "cannot write %s: %s", tmp, n < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            return -1;
        }
        done += (size_t)n;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot put %s in place: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    *mapped_out = map_image(path, &mlen);
    if (*mapped_out == NULL || mlen != len) {
        snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
        if (*mapped_out != NULL)
            cm_objcache_unmap(*mapped_out, mlen, NULL);
        return -1;
    }
    atomic_store(&c->page[i].nobjects, cm_objimage_header(img)->nobjects);
    atomic_fetch_add(&c->page[i].generation, 1);
    return 0;
}

void
cm_objcache_set_listed(struct cm_objcache *c, size_t i, time_t t)
{
    atomic_store(&c->page[i].listed_at, (int64_t)t);
}

void
cm_objcache_set_state(struct cm_objcache *c, size_t i, time_t broken_since, const char *message)
{
    struct slot *s = &c->page[i];

    atomic_fetch_add(&s->seq, 1);            /* odd: writing */
    atomic_thread_fence(memory_order_release);
    snprintf(s->message, sizeof(s->message), "%s", message ? message : "");
    atomic_store(&s->broken_since, (int64_t)broken_since);
    atomic_thread_fence(memory_order_release);
    atomic_fetch_add(&s->seq, 1);            /* even: done */
}

void
cm_objcache_status(const struct cm_objcache *c, size_t i, struct cm_objcache_status *out)
{
    struct slot *s = &c->page[i];
    uint32_t before, after;
    int tries = 0;

    out->resource = c->res[i]->group_resource;
    out->generation = atomic_load(&s->generation);
    out->nobjects = atomic_load(&s->nobjects);
    out->listed_at = (time_t)atomic_load(&s->listed_at);
    do {
        before = atomic_load(&s->seq);
        atomic_thread_fence(memory_order_acquire);
        memcpy(out->message, s->message, sizeof(out->message));
        out->broken_since = (time_t)atomic_load(&s->broken_since);
        atomic_thread_fence(memory_order_acquire);
        after = atomic_load(&s->seq);
    } while ((before != after || (before & 1)) && ++tries < 1000);
    out->message[sizeof(out->message) - 1] = '\0';
}

const struct cm_objects *
cm_objcache_refresh(struct cm_objcache *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        uint64_t g = atomic_load(&c->page[i].generation);
        char path[4096];
        const void *img;
        size_t len = 0;

        if (g == c->mapped[i])
            continue;
        /* The generation is read before the file is opened: a newer file
         * than g says is fine, and the next call maps it again. */
        image_path(c, i, "", path, sizeof(path));
        img = map_image(path, &len);
        if (img == NULL) {
            cm_log(CM_LOG_WARN, "cannot map %s: %s; serving the previous objects",
                   path, strerror(errno));
            continue;
        }
        if (cm_objects_attach(c->objects, c->res[i], img, len, cm_objcache_unmap, NULL) < 0) {
            cm_log(CM_LOG_WARN, "%s is not a well-formed image; serving the previous objects", path);
            cm_objcache_unmap(img, len, NULL);
        }
        c->mapped[i] = g;
    }
    return c->objects;
}
