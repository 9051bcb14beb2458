/*
 * yamldoc.h - reading YAML (and JSON, which libyaml reads as YAML) documents
 * with positions, for the metrics.yaml and objects loaders.
 *
 * Syntax errors are added to a cm_diag as FILE:LINE:COLUMN: message, with
 * libyaml's 0-based marks turned into 1-based lines and columns.  Nodes are
 * borrowed from the document and die with cm_yaml_doc_free().
 */
#ifndef CM_YAMLDOC_H
#define CM_YAMLDOC_H

#include <stdio.h>
#include <yaml.h>

#include "diag.h"

struct cm_yaml_reader {
    yaml_parser_t parser;
    FILE *file;
    const char *path;          /* borrowed, for messages */
};

/*
 * Opens path ("-": standard input, named <stdin> in messages); on failure
 * adds "PATH: cannot open: reason" and returns -1.
 */
int cm_yaml_open(struct cm_yaml_reader *r, const char *path, struct cm_diag *d);
void cm_yaml_close(struct cm_yaml_reader *r);

/*
 * Loads the next document into *doc.  Returns 1 with a document (free it with
 * yaml_document_delete), 0 at the end of the stream, -1 on a syntax error
 * (added to d).
 */
int cm_yaml_next(struct cm_yaml_reader *r, yaml_document_t *doc, struct cm_diag *d);

/* 1-based position of a node. */
#define CM_YAML_LINE(node) ((size_t)(node)->start_mark.line + 1)
#define CM_YAML_COL(node)  ((size_t)(node)->start_mark.column + 1)

/* The scalar text of node, or NULL if node is not a scalar. */
const char *cm_yaml_scalar(const yaml_node_t *node);
/* 1 when the scalar was written in quotes ("10" rather than 10). */
int cm_yaml_quoted(const yaml_node_t *node);
/* The value node of key in a mapping node, or NULL. */
yaml_node_t *cm_yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key);
/* A short name of a node's type for messages: "a mapping", "a list", "a scalar". */
const char *cm_yaml_type_name(const yaml_node_t *node);

#endif
