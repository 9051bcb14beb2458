#include "pushcompact.h"
#include "safefile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

uint32_t
cm_pushcompact_copy(const struct cm_pushrec *from, uint32_t count, struct cm_pushrec *to,
                    uint32_t cap, cm_pushstore_keep_fn keep, void *keep_arg)
{
    uint32_t i, n = 0;

    for (i = 0; i < count && n < cap; i++) {
        const struct cm_pushrec *r = &from[i];
        char buf[CM_PUSHSTORE_KEY_MAX];
        struct cm_push_key k;
        struct cm_pushrec_copy c;

        if (cm_pushrec_decode_key(r, buf, &k) < 0 || cm_pushrec_read(r, &c, NULL) < 0 ||
            !keep(&k, c.timestamp, keep_arg))
            continue;
        if (to != NULL)
            cm_pushrec_fill(&to[n], r->key, r->key_len, &c);
        n++;
    }
    return n;
}

int
cm_pushcompact_run(const struct cm_pushmap *old, const char *tmp_path, const char *path,
                   uint32_t capacity, cm_pushstore_keep_fn keep, void *keep_arg,
                   struct cm_pushmap *fresh, char *err, size_t errlen)
{
    uint32_t count = old->hdr->count, n;
    int fd, rc = CM_PUSHMAP_IO;

    n = cm_pushcompact_copy(old->rec, count, NULL, capacity, keep, keep_arg);
    if (n >= capacity) {
        /* a new file would have no room either: refuse before writing anything */
        snprintf(err, errlen, "the push store is full: %u values are fresh (raise "
                 "--push-capacity)", capacity);
        return CM_PUSHMAP_FULL;
    }
    fd = cm_safefile_create(tmp_path, 0600, err, errlen);
    if (fd < 0)
        return CM_PUSHMAP_IO;          /* nothing was made */
    if (cm_pushmap_lock(fd, LOCK_EX) < 0) {
        snprintf(err, errlen, "cannot lock %s: %s", tmp_path, strerror(errno));
        close(fd);
        goto fail;
    }
    /* every kept record has its space before the first is written */
    rc = cm_pushmap_init_file(fd, capacity, n);
    if (rc != CM_PUSHMAP_OK) {
        if (rc == CM_PUSHMAP_NOSPACE)
            snprintf(err, errlen, "no space left on the state directory's filesystem to compact "
                     "the push store (%u values to keep): the write is refused, stored values "
                     "are kept", n);
        else
            snprintf(err, errlen, "cannot write %s: %s", tmp_path, strerror(errno));
        close(fd);
        goto fail;
    }
    rc = cm_pushmap_attach(fresh, fd, tmp_path, err, errlen);   /* closes fd on failure */
    if (rc != CM_PUSHMAP_OK)
        goto fail;
    fresh->reserved = n;
    fresh->hdr->count = cm_pushcompact_copy(old->rec, count, fresh->rec, n, keep, keep_arg);
    if (rename(tmp_path, path) < 0) {
        snprintf(err, errlen, "cannot rename %s: %s", tmp_path, strerror(errno));
        cm_pushmap_unmap(fresh);
        rc = CM_PUSHMAP_IO;
        goto fail;
    }
    return CM_PUSHMAP_OK;

fail:
    unlink(tmp_path);
    return rc == CM_PUSHMAP_NOSPACE ? CM_PUSHMAP_NOSPACE : CM_PUSHMAP_IO;
}
