/*
 * filesrc.h - one file a file source reads, cached per worker.
 *
 * cm_filesrc_refresh() stats the path and re-reads it only when it changed
 * (device, inode, size or mtime), so a request costs one stat().  Writers
 * should write a new file and rename() it over the old one; a reader then
 * sees either file whole.  A file that changes while it is read is left for
 * the next request.  When reading or parsing fails, the last good contents
 * stay loaded and the failure is kept in error[].  Each sample's value is
 * converted to its quantity text once, at load (NULL for NaN and infinities).
 */
#ifndef CM_FILESRC_H
#define CM_FILESRC_H

#include <sys/types.h>
#include <time.h>

#include "arena.h"
#include "expfmt.h"
#include "quantity.h"

#define CM_FILESRC_MAX_SIZE (64u << 20)

struct cm_sample_index;

struct cm_filesrc {
    const char *path;                  /* borrowed from the config */
    int loaded;                        /* the fields below hold a good load */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int single;                        /* the file is one quantity */
    struct cm_quantity single_value;
    struct cm_samples samples;         /* else its samples */
    struct cm_arena arena;             /* owns samples and indexes */
    struct cm_sample_index *index;     /* lookup tables built on demand */
    char error[512];                   /* the last failure; "" when the load is current */
};

void cm_filesrc_init(struct cm_filesrc *f, const char *path);
void cm_filesrc_free(struct cm_filesrc *f);

/*
 * Brings f up to date with its file.  Returns 0 when f->error is empty, -1
 * when the latest attempt failed (f may still hold an older good load).
 */
int cm_filesrc_refresh(struct cm_filesrc *f);

/*
 * The first sample named series whose label ns_label is ns (not checked when
 * ns_label is NULL) and whose label obj_label is name, with index >= *pos;
 * *pos moves past it.  Lookups go through a hash index built on first use.
 */
const struct cm_sample *cm_filesrc_find(struct cm_filesrc *f, const char *series,
                                        const char *ns_label, const char *ns,
                                        const char *obj_label, const char *name,
                                        size_t *pos);

#endif
