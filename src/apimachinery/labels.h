/*
 * labels.h - a set of Kubernetes labels: key/value pairs sorted by key,
 * keys unique.  The strings are borrowed from whoever built the set (the
 * configuration, an object snapshot).
 */
#ifndef CM_LABELS_H
#define CM_LABELS_H

#include <stddef.h>

struct cm_label {
    const char *key;
    const char *value;
};

struct cm_labels {
    size_t n;
    const struct cm_label *v;   /* sorted by strcmp on key */
};

/* The value of key, or NULL when the set has no such key. */
const char *cm_labels_get(const struct cm_labels *l, const char *key);

/* Sorts v[0..n) by key; returns the index of a duplicated key, or -1. */
long cm_labels_sort(struct cm_label *v, size_t n);

#endif
