/*
 * backends.c - every kind of source, for the server (libcmio.a): the table
 * cm_sources_new() is given in main(), indexed by kind.
 */
#include "backend.h"

const struct cm_source_ops *const cm_source_backends_all[CM_SOURCE_NKINDS] = {
    [CM_SOURCE_STATIC] = &cm_source_static,
    [CM_SOURCE_FILE] = &cm_source_file,
    [CM_SOURCE_PUSH] = &cm_source_push,
    [CM_SOURCE_PROMETHEUS] = &cm_source_prometheus,
};
