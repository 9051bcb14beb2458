#include "curlib.h"

#include <dlfcn.h>
#include <stdio.h>

static struct cm_curlib lib;
static int tried, ok;
static char load_error[256];

const char *
cm_curlib_error(void)
{
    return load_error[0] ? load_error : "cannot start libcurl";
}

const struct cm_curlib *
cm_curlib(void)
{
    CURLcode (*global_init)(long);
    void *h;

    if (tried)
        return ok ? &lib : NULL;
    tried = 1;
    h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(load_error, sizeof(load_error), "cannot load libcurl: %s", dlerror());
        return NULL;
    }
#define SYM(field, name) \
    if ((*(void **)&field = dlsym(h, name)) == NULL) { \
        snprintf(load_error, sizeof(load_error), "libcurl has no %s", name); \
        return NULL; \
    }
    SYM(global_init, "curl_global_init")
    SYM(lib.easy_init, "curl_easy_init")
    SYM(lib.easy_cleanup, "curl_easy_cleanup")
    SYM(lib.easy_reset, "curl_easy_reset")
    SYM(lib.easy_setopt, "curl_easy_setopt")
    SYM(lib.easy_perform, "curl_easy_perform")
    SYM(lib.easy_getinfo, "curl_easy_getinfo")
    SYM(lib.easy_strerror, "curl_easy_strerror")
    SYM(lib.easy_escape, "curl_easy_escape")
    SYM(lib.free, "curl_free")
    SYM(lib.slist_append, "curl_slist_append")
    SYM(lib.slist_free_all, "curl_slist_free_all")
    SYM(lib.easy_send, "curl_easy_send")
    SYM(lib.easy_recv, "curl_easy_recv")
#undef SYM
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof(load_error), "libcurl failed to initialize");
        return NULL;
    }
    ok = 1;
    return &lib;
}
