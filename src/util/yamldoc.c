#include "yamldoc.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int
cm_yaml_open(struct cm_yaml_reader *r, const char *path, struct cm_diag *d)
{
    r->path = path;
    if (strcmp(path, "-") == 0) {
        int fd = dup(STDIN_FILENO);

        r->path = "<stdin>";
        r->file = fd < 0 ? NULL : fdopen(fd, "rb");
        if (r->file == NULL && fd >= 0)
            close(fd);
    } else {
        r->file = fopen(path, "rb");
    }
    if (r->file == NULL) {
        cm_diag_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (!yaml_parser_initialize(&r->parser)) {
        fclose(r->file);
        r->file = NULL;
        cm_diag_add(d, path, 0, 0, "cannot initialize the YAML parser");
        return -1;
    }
    yaml_parser_set_input_file(&r->parser, r->file);
    return 0;
}

void
cm_yaml_close(struct cm_yaml_reader *r)
{
    if (r->file == NULL)
        return;
    yaml_parser_delete(&r->parser);
    fclose(r->file);
    r->file = NULL;
}

int
cm_yaml_next(struct cm_yaml_reader *r, yaml_document_t *doc, struct cm_diag *d)
{
    if (!yaml_parser_load(&r->parser, doc)) {
        const yaml_parser_t *p = &r->parser;

        /* yaml_parser_load() has already freed the document. */
        if (p->context != NULL)
            cm_diag_add(d, r->path, p->problem_mark.line + 1,
                        p->problem_mark.column + 1, "%s %s (started at line %zu)",
                        p->problem ? p->problem : "syntax error", p->context,
                        (size_t)p->context_mark.line + 1);
        else
            cm_diag_add(d, r->path, p->problem_mark.line + 1,
                        p->problem_mark.column + 1, "%s",
                        p->problem ? p->problem : "syntax error");
        return -1;
    }
    if (yaml_document_get_root_node(doc) == NULL) {
        yaml_document_delete(doc);
        return 0;
    }
    return 1;
}

const char *
cm_yaml_scalar(const yaml_node_t *node)
{
    if (node == NULL || node->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)node->data.scalar.value;
}

int
cm_yaml_quoted(const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE &&
           (node->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
            node->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

yaml_node_t *
cm_yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    yaml_node_pair_t *pair;

    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        const char *k = cm_yaml_scalar(yaml_document_get_node(doc, pair->key));
        if (k != NULL && strcmp(k, key) == 0)
            return yaml_document_get_node(doc, pair->value);
    }
    return NULL;
}

const char *
cm_yaml_type_name(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE:  return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE:   return "a scalar";
    default:                 return "empty";
    }
}
