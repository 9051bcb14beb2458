#include "param.h"
#include "status.h"

#include <string.h>
#include <strings.h>

int
cm_param_selector(struct cm_ctx *ctx, const char *name, int code, const char *reason,
                  struct cm_selector *out)
{
    const struct cm_query_pair *p = cm_query_get(&ctx->query, name);
    const char *err;

    out->n = 0;
    out->req = NULL;
    if (p == NULL)
        return 0;
    if (cm_selector_parse(out, p->value, p->value_len, ctx->arena, &err) < 0) {
        cm_status_write(ctx, code, reason, 0, "%s", err);
        return -1;
    }
    return 0;
}

int
cm_param_flag(const struct cm_query *q, const char *name)
{
    const struct cm_query_pair *p = cm_query_get(q, name);

    return p != NULL && !(p->value_len == 1 && p->value[0] == '0') &&
           !(p->value_len == 5 && strncasecmp(p->value, "false", 5) == 0);
}

int
cm_param_parse_bool(const char *s, size_t len, int *out)
{
    static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
    size_t i;

    for (i = 0; i < 6; i++) {
        if (strlen(yes[i]) == len && memcmp(s, yes[i], len) == 0) { *out = 1; return 0; }
        if (strlen(no[i]) == len && memcmp(s, no[i], len) == 0) { *out = 0; return 0; }
    }
    return -1;
}
