#include "promclient.h"
#include "alloc.h"
#include "counters.h"
#include "curlib.h"
#include "log.h"
#include "promshare.h"
#include "tokenfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESPONSE_MAX (32u << 20)

struct cm_promclient {
    const struct cm_curlib *lib;
    CURL *curl;
};

struct cm_promclient *
cm_promclient_new(void)
{
    struct cm_promclient *c = cm_xcalloc(1, sizeof(*c));

    c->lib = cm_curlib();
    if (c->lib != NULL)
        c->curl = c->lib->easy_init();
    return c;
}

void
cm_promclient_free(struct cm_promclient *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        c->lib->easy_cleanup(c->curl);
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

/*
 * "Authorization: Bearer <the token in path>" into hdr (size bytes); -1 on
 * failure, with the file's name in the log and a message without it in err.
 */
static int
bearer_header(const char *path, char *hdr, size_t size, char *err, size_t errlen)
{
    char token[CM_TOKEN_MAX + 1];

    if (cm_token_read(path, token, sizeof(token)) < 0) {
        cm_log_request(CM_LOG_WARN, "cannot read the bearer token file %s for prometheus: %s",
                       path, cm_token_strerror(errno));
        snprintf(err, errlen, "the bearer token for prometheus cannot be read");
        return -1;
    }
    snprintf(hdr, size, "Authorization: Bearer %s", token);
    return 0;
}

/* What a client may be told of a failed transfer: its kind, never a host or address. */
static const char *
public_reason(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return "prometheus did not answer in time";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return "prometheus is not reachable";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return "the TLS connection to prometheus failed";
    case CURLE_WRITE_ERROR:
        return "the answer of prometheus is too large";
    default:
        return "the query to prometheus failed";
    }
}

/* One POST of query to PC's /api/v1/query: cm_promclient_query() without the sharing. */
static long
send_query(struct cm_promclient *c, const struct cm_prometheus *pc, const char *query,
           struct cm_buf *out, char *err, size_t errlen)
{
    struct curl_slist *headers = NULL;
    char url[4096], auth[CM_TOKEN_MAX + 32], curl_err[CURL_ERROR_SIZE] = "", shown[4096];
    char *form = NULL, *escaped = NULL;
    size_t flen;
    long status = -1;
    CURLcode rc;

    if (c->curl == NULL) {
        snprintf(err, errlen, "%s", cm_curlib_error());
        return -1;
    }
    snprintf(url, sizeof(url), "%s%sapi/v1/query", pc->url,
             pc->url[strlen(pc->url) - 1] == '/' ? "" : "/");
    escaped = c->lib->easy_escape(c->curl, query, 0);
    if (escaped == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    flen = strlen(escaped) + 7;
    form = cm_xmalloc(flen);
    snprintf(form, flen, "query=%s", escaped);
    headers = c->lib->slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    headers = c->lib->slist_append(headers, "Accept: application/json");
    if (pc->bearer_token_file != NULL) {
        if (bearer_header(pc->bearer_token_file, auth, sizeof(auth), err, errlen) < 0)
            goto out;
        headers = c->lib->slist_append(headers, auth);
    }

    c->lib->easy_reset(c->curl);         /* keeps the connection cache */
    c->lib->easy_setopt(c->curl, CURLOPT_URL, url);
    c->lib->easy_setopt(c->curl, CURLOPT_POSTFIELDS, form);
    c->lib->easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    c->lib->easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    c->lib->easy_setopt(c->curl, CURLOPT_WRITEDATA, out);
    c->lib->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, curl_err);
    c->lib->easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)pc->timeout_ms);
    c->lib->easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    c->lib->easy_setopt(c->curl, CURLOPT_USERAGENT, "custom-metrics-fcgi");
    c->lib->easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (pc->ca_file != NULL)
        c->lib->easy_setopt(c->curl, CURLOPT_CAINFO, pc->ca_file);
    if (pc->cert_file != NULL)
        c->lib->easy_setopt(c->curl, CURLOPT_SSLCERT, pc->cert_file);
    if (pc->key_file != NULL)
        c->lib->easy_setopt(c->curl, CURLOPT_SSLKEY, pc->key_file);
    if (pc->insecure_skip_tls_verify) {
        c->lib->easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        c->lib->easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    rc = c->lib->easy_perform(c->curl);
    if (rc != CURLE_OK) {
        cm_log_url(pc->url, shown, sizeof(shown));
        cm_log_request(CM_LOG_WARN, "prometheus %s: %s", shown,
                       curl_err[0] ? curl_err : c->lib->easy_strerror(rc));
        snprintf(err, errlen, "%s", public_reason(rc));
        goto out;
    }
    c->lib->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
out:
    /* the handle outlives this frame: it must keep no pointer into it, nor to what is freed */
    c->lib->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    c->lib->easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    c->lib->easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
    c->lib->slist_free_all(headers);
    c->lib->free(escaped);
    free(form);
    return status;
}

static struct cm_promshare *shared;    /* set before the workers fork; NULL: none */

void
cm_promclient_share(struct cm_promshare *s)
{
    shared = s;
}

/* send_query(), its duration observed in the self-metrics' query histogram. */
static long
timed_query(struct cm_promclient *c, const struct cm_prometheus *pc, const char *query,
            struct cm_buf *out, char *err, size_t errlen)
{
    int64_t t0 = cm_counters_now_ns();
    long rc = send_query(c, pc, query, out, err, errlen);

    cm_counters_prometheus_query(cm_counters_now_ns() - t0);
    return rc;
}

struct send_args {
    struct cm_promclient *c;
    const struct cm_prometheus *pc;
    const char *query;
};

static long
send_shared(void *arg, struct cm_buf *out, char *err, size_t errlen)
{
    struct send_args *sa = arg;

    return timed_query(sa->c, sa->pc, sa->query, out, err, errlen);
}

long
cm_promclient_query(struct cm_promclient *c, const struct cm_prometheus *pc, const char *query,
                    struct cm_buf *out, char *err, size_t errlen)
{
    struct send_args sa = { c, pc, query };

    if (shared == NULL)
        return timed_query(c, pc, query, out, err, errlen);
    return cm_promshare_query(shared, query, strlen(query), pc->timeout_ms, send_shared, &sa,
                              out, err, errlen);
}
