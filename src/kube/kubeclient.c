#include "kubeclient.h"
#include "alloc.h"
#include "curlib.h"
#include "log.h"
#include "tokenfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 10000L

struct cm_kubeclient {
    const struct cm_curlib *lib;
    const struct cm_kubeconn *conn;
    CURL *curl;
    const struct cm_kube_call *call;   /* the request under way */
};

struct cm_kubeclient *
cm_kubeclient_new(const struct cm_kubeconn *conn, char *err, size_t errlen)
{
    const struct cm_curlib *lib = cm_curlib();
    struct cm_kubeclient *c;

    if (lib == NULL) {
        snprintf(err, errlen, "%s", cm_curlib_error());
        return NULL;
    }
    c = cm_xcalloc(1, sizeof(*c));
    c->lib = lib;
    c->conn = conn;
    c->curl = lib->easy_init();
    if (c->curl == NULL) {
        snprintf(err, errlen, "libcurl cannot make a handle");
        free(c);
        return NULL;
    }
    return c;
}

void
cm_kubeclient_free(struct cm_kubeclient *c)
{
    if (c == NULL)
        return;
    c->lib->easy_cleanup(c->curl);
    free(c);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct cm_kubeclient *c = arg;
    long status = 0;

    c->lib->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    return c->call->on_data(status, p, size * n, c->call->arg) == 0 ? size * n : 0;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    const struct cm_kube_call *call = arg;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return call->on_tick != NULL ? call->on_tick(call->arg) : 0;
}

static void
set_blob(const struct cm_curlib *lib, CURL *curl, CURLoption opt, const char *data, size_t len)
{
    struct curl_blob blob;

    blob.data = (void *)data;
    blob.len = len;
    blob.flags = CURL_BLOB_COPY;
    lib->easy_setopt(curl, opt, &blob);
}

long
cm_kubeclient_get(struct cm_kubeclient *c, const struct cm_kube_call *call,
                  char *err, size_t errlen)
{
    const struct cm_kubeconn *k = c->conn;
    const struct cm_curlib *lib = c->lib;
    struct curl_slist *headers = NULL;
    char url[4096], hdr[CM_TOKEN_MAX + 64], token[CM_TOKEN_MAX + 1], curl_err[CURL_ERROR_SIZE] = "";
    long status = -1;
    CURLcode rc;

    if ((size_t)snprintf(url, sizeof(url), "%s%s", k->server, call->path) >= sizeof(url)) {
        snprintf(err, errlen, "the request path is too long");
        return -1;
    }
    snprintf(hdr, sizeof(hdr), "Accept: %s", call->accept);
    headers = lib->slist_append(headers, hdr);
    if (call->body != NULL)
        headers = lib->slist_append(headers, "Content-Type: application/json");
    if (k->token_file != NULL) {
        if (cm_token_read(k->token_file, token, sizeof(token)) < 0) {
            snprintf(err, errlen, "cannot read the token file %s: %s", k->token_file,
                     cm_token_strerror(errno));
            goto out;
        }
        snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
        headers = lib->slist_append(headers, hdr);
    } else if (k->token != NULL) {
        snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", k->token);
        headers = lib->slist_append(headers, hdr);
    }

    lib->easy_reset(c->curl);              /* keeps the connection cache */
    lib->easy_setopt(c->curl, CURLOPT_URL, url);
    lib->easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    lib->easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    lib->easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
    c->call = call;
    lib->easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
    lib->easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    lib->easy_setopt(c->curl, CURLOPT_XFERINFODATA, (void *)call);
    lib->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, curl_err);
    lib->easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    lib->easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, call->timeout_ms);
    /* A peer that vanished without closing is found by keepalive probes. */
    lib->easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    lib->easy_setopt(c->curl, CURLOPT_TCP_KEEPIDLE, 30L);
    lib->easy_setopt(c->curl, CURLOPT_TCP_KEEPINTVL, 10L);
    lib->easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    lib->easy_setopt(c->curl, CURLOPT_USERAGENT, "custom-metrics-fcgi");
    lib->easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    lib->easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
    if (call->body != NULL) {
        lib->easy_setopt(c->curl, CURLOPT_POSTFIELDS, call->body);
        lib->easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
    }
    if (k->ca_file != NULL)
        lib->easy_setopt(c->curl, CURLOPT_CAINFO, k->ca_file);
    if (k->ca_data != NULL)
        set_blob(lib, c->curl, CURLOPT_CAINFO_BLOB, k->ca_data, k->ca_len);
    if (k->cert_file != NULL)
        lib->easy_setopt(c->curl, CURLOPT_SSLCERT, k->cert_file);
    if (k->cert_data != NULL)
        set_blob(lib, c->curl, CURLOPT_SSLCERT_BLOB, k->cert_data, k->cert_len);
    if (k->key_file != NULL)
        lib->easy_setopt(c->curl, CURLOPT_SSLKEY, k->key_file);
    if (k->key_data != NULL)
        set_blob(lib, c->curl, CURLOPT_SSLKEY_BLOB, k->key_data, k->key_len);
    if (k->insecure) {
        lib->easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        lib->easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    rc = lib->easy_perform(c->curl);
    if (rc != CURLE_OK) {
        cm_log_url(k->server, url, sizeof(url));          /* without its userinfo */
        snprintf(err, errlen, "%s%s: %s", url, call->path,
                 curl_err[0] ? curl_err : lib->easy_strerror(rc));
        goto out;
    }
    lib->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
out:
    /* the handle outlives this frame: it must keep no pointer into it, nor to the headers */
    lib->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    lib->easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    lib->slist_free_all(headers);
    return status;
}
