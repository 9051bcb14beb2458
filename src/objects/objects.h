/*
 * objects.h - the objects that exist: an immutable snapshot of Kubernetes
 * objects (namespace, name, uid, labels), one image (objimage.h) per
 * resource.
 *
 * This is the one interface between request handling and wherever objects
 * come from: a file (--objects, a List as "kubectl get ... -o yaml|json"
 * prints it), built in memory; or the watch cache (objcache.h), whose images
 * are files every worker maps.  Handlers only read snapshots.
 *
 * Within a resource, objects are sorted by (namespace, name), so one
 * namespace is a contiguous range and a lookup by name is a binary search.
 */
#ifndef CM_OBJECTS_H
#define CM_OBJECTS_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "labels.h"
#include "resource.h"
#include "selector.h"

/*
 * A view of one object.  The strings are borrowed from the snapshot (valid
 * while it is); labels.v is borrowed from the call that filled the view and
 * is valid only during it (a visit callback, see below).
 */
struct cm_object {
    const char *namespace;     /* "" for cluster-scoped objects */
    const char *name;
    const char *uid;           /* "" when unknown */
    struct cm_labels labels;
};

struct cm_objects;             /* opaque, immutable once built */
struct cm_objects_builder;

/* An empty builder; owned until cm_objects_builder_finish() consumes it. */
struct cm_objects_builder *cm_objects_builder_new(void);
/*
 * Adds an object; every string is copied.  labels need not be sorted; uid may
 * be NULL.  Returns 0, or -1 if the labels repeat a key.
 */
int cm_objects_builder_add(struct cm_objects_builder *b, const struct cm_resource *r,
                           const char *ns, const char *name, const char *uid,
                           const struct cm_label *labels, size_t nlabels);
/*
 * Consumes the builder.  Returns 0 with an owned snapshot in *out, or -1 when
 * the same (resource, namespace, name) was added twice, described in err.
 */
int cm_objects_builder_finish(struct cm_objects_builder *b, struct cm_objects **out,
                              struct cm_buf *err);
void cm_objects_free(struct cm_objects *objs);

/*
 * An empty snapshot that images are attached to one resource at a time (the
 * watch cache's readers).  Owned; free with cm_objects_free().
 */
struct cm_objects *cm_objects_new(void);

/*
 * Makes img (len bytes) the objects of r, replacing what r had.  The image
 * is checked first (cm_objimage_check); on success objs takes it over and
 * calls release(img, len, arg) when it is replaced or freed.  Returns 0, or
 * -1 for a malformed image (objs unchanged, img still the caller's).
 */
int cm_objects_attach(struct cm_objects *objs, const struct cm_resource *r,
                      const void *img, size_t len,
                      void (*release)(const void *img, size_t len, void *arg), void *arg);

/* The image of r's objects, or NULL when r has none; borrowed from objs. */
const void *cm_objects_image(const struct cm_objects *objs, const struct cm_resource *r,
                             size_t *len_out);

/*
 * Fills *out with the object and returns 1, or returns 0 when there is no
 * such object.  out->labels is left empty.
 */
int cm_objects_get(const struct cm_objects *objs, const struct cm_resource *r,
                   const char *ns, const char *name, struct cm_object *out);
size_t cm_objects_count(const struct cm_objects *objs);

/*
 * Called for each selected object; a non-zero return stops the walk.  obj is
 * valid during the call only (its strings as long as the snapshot).
 */
typedef int (*cm_objects_visit_fn)(const struct cm_object *obj, void *arg);

/*
 * Visits, in (namespace, name) order, the objects of resource r in namespace
 * ns (every namespace when ns is NULL) whose labels satisfy sel, and returns
 * how many were visited.  An equality term (k=v, k==v, k in (v)) is answered
 * from the snapshot's label index, so the cost follows the rarest such term's
 * matches, not the number of objects; other selectors scan the namespace.
 */
size_t cm_objects_select(const struct cm_objects *objs, const struct cm_resource *r,
                         const char *ns, const struct cm_selector *sel,
                         cm_objects_visit_fn fn, void *arg);

/*
 * cm_objects_select() for a visitor that reads no labels: obj->labels may
 * be left empty (it is when the selector is answered without them: no
 * terms, or one equality term answered from the label index), which saves
 * gathering the labels of every object visited.
 */
size_t cm_objects_select_bare(const struct cm_objects *objs, const struct cm_resource *r,
                              const char *ns, const struct cm_selector *sel,
                              cm_objects_visit_fn fn, void *arg);

/*
 * Loads a Kubernetes List (or a single object, or several YAML documents) in
 * YAML or JSON.  Objects of kinds the server does not know are skipped and
 * counted in *skipped_out.  Returns 0 with an owned snapshot, or -1 with the
 * problems in d.
 */
int cm_objects_load_file(struct cm_objects **out, const char *path,
                         size_t *skipped_out, struct cm_diag *d);

#endif
