/*
 * objects_file.c - loading a snapshot of objects from a file: a Kubernetes
 * List as "kubectl get pods,deployments,nodes,namespaces -A -o yaml" (or
 * -o json) prints it, a single object, or several YAML documents.
 */
#include "objects.h"
#include "alloc.h"
#include "yamldoc.h"

#include <malloc.h>
#include <string.h>

#define MAX_LABELS 256

struct loader {
    yaml_document_t *doc;
    const char *path;
    struct cm_diag *diag;
    struct cm_objects_builder *b;
    size_t skipped;
};

#define ERR(ld, node, ...) \
    cm_diag_add((ld)->diag, (ld)->path, CM_YAML_LINE(node), CM_YAML_COL(node), __VA_ARGS__)

static const char *
get_scalar(struct loader *ld, yaml_node_t *map, const char *key)
{
    return cm_yaml_scalar(cm_yaml_get(ld->doc, map, key));
}

static void
load_object(struct loader *ld, yaml_node_t *obj)
{
    yaml_node_t *meta, *labels;
    const char *api_version, *kind, *name, *ns, *uid, *slash;
    const struct cm_resource *r;
    struct cm_label lv[MAX_LABELS];
    char group[256];
    size_t nl = 0, glen;

    if (obj->type != YAML_MAPPING_NODE) {
        ERR(ld, obj, "an object must be a mapping with apiVersion, kind and metadata");
        return;
    }
    api_version = get_scalar(ld, obj, "apiVersion");
    kind = get_scalar(ld, obj, "kind");
    meta = cm_yaml_get(ld->doc, obj, "metadata");
    if (api_version == NULL || kind == NULL) {
        ERR(ld, obj, "this object has no %s", api_version == NULL ? "apiVersion" : "kind");
        return;
    }
    slash = strchr(api_version, '/');
    glen = slash ? (size_t)(slash - api_version) : 0;
    if (glen >= sizeof(group)) {
        ERR(ld, obj, "apiVersion '%s' is too long", api_version);
        return;
    }
    memcpy(group, api_version, glen);
    group[glen] = '\0';
    r = cm_resource_by_kind(group, kind);
    if (r == NULL) {
        ld->skipped++;
        return;
    }
    if (meta == NULL || meta->type != YAML_MAPPING_NODE) {
        ERR(ld, obj, "this %s has no metadata", kind);
        return;
    }
    name = get_scalar(ld, meta, "name");
    ns = get_scalar(ld, meta, "namespace");
    uid = get_scalar(ld, meta, "uid");
    if (name == NULL || *name == '\0') {
        ERR(ld, meta, "this %s has no metadata.name", kind);
        return;
    }
    if (r->namespaced && (ns == NULL || *ns == '\0')) {
        ERR(ld, meta, "%s '%s' has no metadata.namespace", kind, name);
        return;
    }
    labels = cm_yaml_get(ld->doc, meta, "labels");
    if (labels != NULL && labels->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;

        for (p = labels->data.mapping.pairs.start; p < labels->data.mapping.pairs.top; p++) {
            yaml_node_t *kn = yaml_document_get_node(ld->doc, p->key);
            yaml_node_t *vn = yaml_document_get_node(ld->doc, p->value);

            if (cm_yaml_scalar(kn) == NULL || cm_yaml_scalar(vn) == NULL) {
                ERR(ld, kn, "labels must map names to strings");
                return;
            }
            if (nl == MAX_LABELS) {
                ERR(ld, labels, "more than %d labels", MAX_LABELS);
                return;
            }
            lv[nl].key = cm_yaml_scalar(kn);
            lv[nl].value = cm_yaml_scalar(vn);
            nl++;
        }
    } else if (labels != NULL && !(labels->type == YAML_SCALAR_NODE &&
                                   strcmp(cm_yaml_scalar(labels), "null") == 0)) {
        ERR(ld, labels, "metadata.labels must be a mapping");
        return;
    }
    if (cm_objects_builder_add(ld->b, r, ns, name, uid, lv, nl) < 0)
        ERR(ld, labels, "%s '%s' repeats a label key", kind, name);
}

static void
load_document(struct loader *ld, yaml_node_t *root)
{
    yaml_node_t *items;
    yaml_node_item_t *it;

    if (root->type != YAML_MAPPING_NODE) {
        ERR(ld, root, "expected a Kubernetes List (with 'items') or an object");
        return;
    }
    items = cm_yaml_get(ld->doc, root, "items");
    if (items == NULL) {
        load_object(ld, root);
        return;
    }
    if (items->type == YAML_SCALAR_NODE && strcmp(cm_yaml_scalar(items), "null") == 0)
        return;                               /* "items": null, an empty list */
    if (items->type != YAML_SEQUENCE_NODE) {
        ERR(ld, items, "'items' must be a list of objects");
        return;
    }
    for (it = items->data.sequence.items.start; it < items->data.sequence.items.top; it++)
        load_object(ld, yaml_document_get_node(ld->doc, *it));
}

int
cm_objects_load_file(struct cm_objects **out, const char *path,
                     size_t *skipped_out, struct cm_diag *d)
{
    struct cm_yaml_reader rd;
    struct loader ld;
    yaml_document_t doc;
    size_t before = d->count;
    struct cm_buf err;
    int rc;

    *out = NULL;
    *skipped_out = 0;
    if (cm_yaml_open(&rd, path, d) < 0)
        return -1;
    memset(&ld, 0, sizeof(ld));
    ld.path = path;
    ld.diag = d;
    ld.b = cm_objects_builder_new();
    while ((rc = cm_yaml_next(&rd, &doc, d)) > 0) {
        ld.doc = &doc;
        load_document(&ld, yaml_document_get_root_node(&doc));
        yaml_document_delete(&doc);
    }
    cm_yaml_close(&rd);

    cm_buf_init(&err, 4096);
    if (cm_objects_builder_finish(ld.b, out, &err) < 0)
        cm_diag_add(d, path, 0, 0, "%s", err.data);
    cm_buf_free(&err);
    /* The documents' nodes are gone: give their pages back.  The server
     * loads before it forks its workers, and every page the master keeps
     * here is a page each worker maps too. */
    malloc_trim(0);
    if (d->count > before) {
        cm_objects_free(*out);
        *out = NULL;
        return -1;
    }
    *skipped_out = ld.skipped;
    return 0;
}
