/*
 * curlib.h - libcurl, loaded with dlopen() on first use.
 *
 * libcurl and the ~25 libraries it pulls in cost every process about 1.2 MiB
 * of relocated data, and the pair several MiB of PSS, which a server that
 * never calls out (no prometheus sources, no cluster to watch) should not
 * pay.  Every caller (promclient.c, kubeclient.c, redis.c) goes through this
 * table.
 */
#ifndef CM_CURLIB_H
#define CM_CURLIB_H

#include <curl/curl.h>

struct cm_curlib {
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    char *(*easy_escape)(CURL *, const char *, int);
    void (*free)(void *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    /* CURLOPT_CONNECT_ONLY connections (the Redis client, src/push/redis.c) */
    CURLcode (*easy_send)(CURL *, const void *, size_t, size_t *);
    CURLcode (*easy_recv)(CURL *, void *, size_t, size_t *);
};

/*
 * The loaded library, or NULL with the reason in cm_curlib_error().  The
 * first call loads and initializes it (curl_global_init), so make it before
 * starting threads.
 */
const struct cm_curlib *cm_curlib(void);
const char *cm_curlib_error(void);

#endif
