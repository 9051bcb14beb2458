#include "labels.h"

#include <stdlib.h>
#include <string.h>

const char *
cm_labels_get(const struct cm_labels *l, const char *key)
{
    size_t lo = 0, hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, l->v[mid].key);

        if (c == 0)
            return l->v[mid].value;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int
cmp_label(const void *a, const void *b)
{
    return strcmp(((const struct cm_label *)a)->key,
                  ((const struct cm_label *)b)->key);
}

long
cm_labels_sort(struct cm_label *v, size_t n)
{
    size_t i;

    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_label);
    for (i = 1; i < n; i++)
        if (strcmp(v[i - 1].key, v[i].key) == 0)
            return (long)i;
    return -1;
}
