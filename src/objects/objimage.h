/*
 * objimage.h - the objects of one resource as one flat, pointer-free block
 * of memory: an "image".
 *
 * An image is what the watch cache writes to a file and every worker maps:
 * it holds only offsets, so it reads the same at any address and costs its
 * memory once however many processes map it.  The file loader (--objects)
 * builds images in memory too, so there is one reader.
 *
 * Layout (native byte order; written and read by the same binary):
 *
 *   header    magic, sizes and the offsets of the sections below
 *   objects   one record per object, sorted by (namespace, name):
 *             namespace, name, uid (string offsets), first label, label count
 *   labels    per object, the ids of its label pairs, ascending (so by key)
 *   pairs     every distinct (key, value), sorted: key, value (string
 *             offsets) and the run of posts naming the objects that carry it
 *   posts     object positions, ascending within each pair's run
 *   strings   NUL-terminated; namespaces, label keys and values once each
 *             (names and uids, which rarely repeat, as they come)
 *
 * A pod with five labels costs 20 + 5 * 8 bytes here plus its name and uid;
 * label keys, values and namespaces are shared by every object using them.
 */
#ifndef CM_OBJIMAGE_H
#define CM_OBJIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "labels.h"

#define CM_OBJIMAGE_MAGIC "CMOBJ01\n"

struct cm_objimage_header {
    char magic[8];
    uint64_t size;             /* the whole image, in bytes */
    uint32_t nobjects, npairs, nlabels;
    uint32_t objects_off, labels_off, pairs_off, posts_off, strings_off;
    uint64_t strings_len;
};

struct cm_objimage_object {
    uint32_t ns, name, uid;    /* offsets into strings */
    uint32_t labels;           /* index of its first label id */
    uint32_t nlabels;
};

struct cm_objimage_pair {
    uint32_t key, value;       /* offsets into strings */
    uint32_t start, count;     /* a run of posts */
};

/* An object as the image builder takes it; every string is copied. */
struct cm_objimage_entry {
    const char *ns;            /* "" for cluster-scoped objects */
    const char *name;
    const char *uid;           /* "" when unknown */
    const struct cm_label *labels;
    size_t nlabels;            /* keys unique, any order */
};

/*
 * Builds an image of entries (in any order).  Returns 0 with an owned
 * malloc'd image in *out (free() it) and its size in *len_out; or -1 when two
 * entries share (ns, name), with the index of the second in *dup_out.
 */
int cm_objimage_build(const struct cm_objimage_entry *entries, size_t n,
                      void **out, size_t *len_out, size_t *dup_out);

/*
 * Checks that len bytes at img are a well-formed image: magic, sizes, every
 * offset and run in bounds, strings terminated.  Returns 0 or -1.
 */
int cm_objimage_check(const void *img, size_t len);

static inline const struct cm_objimage_header *
cm_objimage_header(const void *img)
{
    return (const struct cm_objimage_header *)img;
}

/* The string at offset off. */
static inline const char *
cm_objimage_str(const void *img, uint32_t off)
{
    return (const char *)img + cm_objimage_header(img)->strings_off + off;
}

static inline const struct cm_objimage_object *
cm_objimage_objects(const void *img)
{
    return (const struct cm_objimage_object *)((const char *)img +
                                               cm_objimage_header(img)->objects_off);
}

/* The position of (ns, name), or -1. */
long cm_objimage_find(const void *img, const char *ns, const char *name);

/* The positions [*lo, *hi) of the objects in namespace ns (all when NULL). */
void cm_objimage_ns_range(const void *img, const char *ns, size_t *lo, size_t *hi);

/* The pair (key, value), or NULL when no object carries it. */
const struct cm_objimage_pair *cm_objimage_pair(const void *img, const char *key,
                                                const char *value);

/* The object positions of a pair's run, ascending. */
static inline const uint32_t *
cm_objimage_posts(const void *img, const struct cm_objimage_pair *p)
{
    const struct cm_objimage_header *h = cm_objimage_header(img);

    return (const uint32_t *)((const char *)img + h->posts_off) + p->start;
}

/*
 * The labels of the object at pos as a cm_label array: up to cap of them
 * into buf (borrowed strings from img).  Returns the object's label count,
 * which may exceed cap.
 */
size_t cm_objimage_labels(const void *img, size_t pos, struct cm_label *buf, size_t cap);

#endif
