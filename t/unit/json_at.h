/*
 * json_at.h - a test helper: the value at a dotted path in a json-c document
 * ("items.0.describedObject.name"; numbers index arrays) as a string,
 * "<missing>" when a member is absent, "null" for JSON null.  Borrowed from
 * the document.
 */
#ifndef CM_TEST_JSON_AT_H
#define CM_TEST_JSON_AT_H

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
json_at(json_object *o, const char *path)
{
    char key[128];
    const char *dot;

    while (o != NULL && *path) {
        dot = strchr(path, '.');
        snprintf(key, sizeof(key), "%.*s", (int)(dot ? dot - path : (long)strlen(path)), path);
        if (json_object_is_type(o, json_type_array))
            o = json_object_array_get_idx(o, (size_t)atoi(key));
        else if (!json_object_object_get_ex(o, key, &o))
            return "<missing>";
        path = dot ? dot + 1 : "";
    }
    return o == NULL ? "null" : json_object_get_string(o);
}

#endif
