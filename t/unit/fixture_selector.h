/*
 * fixture_selector.h - a test helper: the label selector TEXT parsed into
 * ARENA (borrowed from it), failing the running cmocka test with the
 * parser's message when TEXT does not parse.
 */
#ifndef CM_FIXTURE_SELECTOR_H
#define CM_FIXTURE_SELECTOR_H

#include <string.h>

#include "arena.h"
#include "selector.h"

static const struct cm_selector *
fixture_selector(struct cm_arena *arena, const char *text)
{
    struct cm_selector *s = cm_arena_alloc(arena, sizeof(*s));
    const char *err;

    if (cm_selector_parse(s, text, strlen(text), arena, &err) < 0)
        fail_msg("selector %s: %s", text, err);
    return s;
}

#endif
