#include "promclient.h"
#include "alloc.h"
#include "tokenfile.h"

#include <curl/curl.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESPONSE_MAX (32u << 20)

/*
 * libcurl is loaded with dlopen() on first use, not linked: it and the ~25
 * libraries it pulls in cost every process about 1.2 MiB of relocated data
 * and the pair several MiB of PSS, which a server without prometheus
 * sources should not pay.
 */
static struct {
    int tried, ok;
    CURLcode (*global_init)(long);
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
} lib;

static char load_error[256];

static int
load_libcurl(void)
{
    void *h;

    if (lib.tried)
        return lib.ok ? 0 : -1;
    lib.tried = 1;
    h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(load_error, sizeof(load_error), "cannot load libcurl: %s", dlerror());
        return -1;
    }
#define SYM(field, name) \
    if ((*(void **)&lib.field = dlsym(h, name)) == NULL) { \
        snprintf(load_error, sizeof(load_error), "libcurl has no %s", name); \
        return -1; \
    }
    SYM(global_init, "curl_global_init")
    SYM(easy_init, "curl_easy_init")
    SYM(easy_cleanup, "curl_easy_cleanup")
    SYM(easy_reset, "curl_easy_reset")
    SYM(easy_setopt, "curl_easy_setopt")
    SYM(easy_perform, "curl_easy_perform")
    SYM(easy_getinfo, "curl_easy_getinfo")
    SYM(easy_strerror, "curl_easy_strerror")
    SYM(easy_escape, "curl_easy_escape")
    SYM(free, "curl_free")
    SYM(slist_append, "curl_slist_append")
    SYM(slist_free_all, "curl_slist_free_all")
#undef SYM
    if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof(load_error), "libcurl failed to initialize");
        return -1;
    }
    lib.ok = 1;
    return 0;
}

struct cm_promclient {
    CURL *curl;
};

struct cm_promclient *
cm_promclient_new(void)
{
    struct cm_promclient *c = cm_xcalloc(1, sizeof(*c));

    if (load_libcurl() == 0)
        c->curl = lib.easy_init();
    return c;
}

void
cm_promclient_free(struct cm_promclient *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        lib.easy_cleanup(c->curl);
    free(c);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct cm_buf *out = arg;

    if (out->len + size * n > RESPONSE_MAX)
        return 0;                      /* curl reports a write error */
    cm_buf_add(out, p, size * n);
    return cm_buf_failed(out) ? 0 : size * n;
}

/* "Authorization: Bearer <the token in path>" into hdr; -1 on failure. */
static int
bearer_header(const char *path, char *hdr, size_t size, char *err, size_t errlen)
{
    char token[4096];

    if (cm_token_read(path, token, sizeof(token)) < 0) {
        snprintf(err, errlen, "cannot read the bearer token file %s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(hdr, size, "Authorization: Bearer %s", token);
    return 0;
}

long
cm_promclient_query(struct cm_promclient *c, const struct cm_prometheus *pc, const char *query,
                    struct cm_buf *out, char *err, size_t errlen)
{
    struct curl_slist *headers = NULL;
    char url[4096], auth[4200], curl_err[CURL_ERROR_SIZE] = "";
    char *form = NULL, *escaped = NULL;
    size_t flen;
    long status = -1;
    CURLcode rc;

    if (c->curl == NULL) {
        snprintf(err, errlen, "%s", load_error[0] ? load_error : "cannot start libcurl");
        return -1;
    }
    snprintf(url, sizeof(url), "%s%sapi/v1/query", pc->url,
             pc->url[strlen(pc->url) - 1] == '/' ? "" : "/");
    escaped = lib.easy_escape(c->curl, query, 0);
    if (escaped == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    flen = strlen(escaped) + 7;
    form = cm_xmalloc(flen);
    snprintf(form, flen, "query=%s", escaped);
    headers = lib.slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    headers = lib.slist_append(headers, "Accept: application/json");
    if (pc->bearer_token_file != NULL) {
        if (bearer_header(pc->bearer_token_file, auth, sizeof(auth), err, errlen) < 0)
            goto out;
        headers = lib.slist_append(headers, auth);
    }

    lib.easy_reset(c->curl);         /* keeps the connection cache */
    lib.easy_setopt(c->curl, CURLOPT_URL, url);
    lib.easy_setopt(c->curl, CURLOPT_POSTFIELDS, form);
    lib.easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    lib.easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    lib.easy_setopt(c->curl, CURLOPT_WRITEDATA, out);
    lib.easy_setopt(c->curl, CURLOPT_ERRORBUFFER, curl_err);
    lib.easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)pc->timeout_ms);
    lib.easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    lib.easy_setopt(c->curl, CURLOPT_USERAGENT, "custom-metrics-fcgi");
    lib.easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (pc->ca_file != NULL)
        lib.easy_setopt(c->curl, CURLOPT_CAINFO, pc->ca_file);
    if (pc->cert_file != NULL)
        lib.easy_setopt(c->curl, CURLOPT_SSLCERT, pc->cert_file);
    if (pc->key_file != NULL)
        lib.easy_setopt(c->curl, CURLOPT_SSLKEY, pc->key_file);
    if (pc->insecure_skip_tls_verify) {
        lib.easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        lib.easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    rc = lib.easy_perform(c->curl);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "prometheus %s: %s", pc->url,
                 curl_err[0] ? curl_err : lib.easy_strerror(rc));
        goto out;
    }
    lib.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
out:
    lib.slist_free_all(headers);
    lib.free(escaped);
    free(form);
    return status;
}
