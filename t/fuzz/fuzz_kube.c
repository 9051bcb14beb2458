/*
 * libFuzzer target for what the kube-apiserver (or a file) hands the watch
 * cache: every input is applied as watch event lines and as a LIST page to
 * reflectors of a namespaced and a cluster-scoped resource, whose merged
 * image must then pass cm_objimage_check(); read as a discovery document;
 * checked as an image itself (and, if accepted, read whole); and loaded as a
 * kubeconfig.
 */
#include "kubeconn.h"
#include "kubediscovery.h"
#include "objimage.h"
#include "objects.h"
#include "reflector.h"
#include "fuzz_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[256];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cm_fuzz_path(path, sizeof(path), "kube");
    return 0;
}

static int
visit(const struct cm_object *obj, void *arg)
{
    size_t *n = arg;

    *n += strlen(obj->namespace) + strlen(obj->name) + strlen(obj->uid) + obj->labels.n;
    return 0;
}

static void
release_free(const void *img, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)img);
}

/* Events, one per line; then the merged image must be well-formed. */
static void
reflect(const struct cm_resource *r, const char *text, size_t size)
{
    struct cm_reflector *x = cm_reflector_new(r);
    char err[256], *cont = NULL;
    const char *p = text, *end = text + size;
    void *img;
    size_t len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

        cm_reflector_event(x, p, n, err, sizeof(err));
        p += n + 1;
    }
    if (cm_reflector_build(x, &img, &len, err, sizeof(err)) == 0) {
        if (cm_objimage_check(img, len) != 0)
            abort();
        cm_reflector_set_base(x, img, len, release_free, NULL);
    }
    cm_reflector_list_begin(x);
    if (cm_reflector_list_page(x, text, size, &cont, err, sizeof(err)) == 0 &&
        cm_reflector_list_end(x, &img, &len, err, sizeof(err)) == 0) {
        if (cm_objimage_check(img, len) != 0)
            abort();
        free(img);
    }
    free(cont);
    cm_reflector_free(x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct cm_resource found;
    struct cm_kubeconn conn;
    struct cm_diag d;
    char version[64];
    size_t ngv;

    reflect(cm_resource_lookup("pods"), text, size);
    reflect(cm_resource_lookup("nodes"), text, size);
    if (cm_discovery_find(text, size, "example.com", "v1", "widgets", &found) == 1) {
        free((void *)found.plural);
        free((void *)found.group);
        free((void *)found.version);
        free((void *)found.kind);
        free((void *)found.group_resource);
        free((void *)found.api_version);
        free((void *)found.singular);
    }
    cm_discovery_preferred(text, size, "example.com", version, sizeof(version));
    {
        struct cm_discovery_gv *gv = cm_discovery_groups(text, size, &ngv);
        char path[512];
        size_t k;

        for (k = 0; gv != NULL && k < ngv; k++)
            if (cm_discovery_path(&gv[k], path, sizeof(path)) == 0 && strchr(path, ' ') != NULL)
                abort();                /* nothing the server sent may reach a path unchecked */
        free(gv);
    }

    /* Raw bytes as an image: refused, or safe to read whole. */
    {
        void *img = malloc(size ? size : 1);
        struct cm_objects *objs = cm_objects_new();

        memcpy(img, data, size);
        if (cm_objects_attach(objs, cm_resource_lookup("pods"), img, size, release_free, NULL) == 0) {
            struct cm_selector none = { 0 };
            size_t i, n = cm_objimage_header(img)->nobjects;
            struct cm_label l[4];
            size_t seen = 0;

            for (i = 0; i < n; i++)
                cm_objimage_labels(img, i, l, 4);
            cm_objects_select(objs, cm_resource_lookup("pods"), NULL, &none, visit, &seen);
        } else {
            free(img);
        }
        cm_objects_free(objs);
    }

    cm_fuzz_write(path, data, size);
    cm_diag_init(&d);
    if (cm_kubeconn_kubeconfig(&conn, path, NULL, &d) == 0)
        cm_kubeconn_free(&conn);
    cm_diag_free(&d);
    unlink(path);
    return 0;
}
