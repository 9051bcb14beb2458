#include "kubeconn.h"
#include "alloc.h"
#include "yamldoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
cm_kubeconn_free(struct cm_kubeconn *c)
{
    free(c->server);
    free(c->ca_file);
    free(c->ca_data);
    free(c->cert_file);
    free(c->key_file);
    free(c->cert_data);
    free(c->key_data);
    free(c->token);
    free(c->token_file);
    free(c->origin);
    memset(c, 0, sizeof(*c));
}

int
cm_base64_decode(const char *in, char **out, size_t *len_out)
{
    size_t n = strlen(in), len = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    char *buf = cm_xmalloc(n / 4 * 3 + 4);
    const char *p;

    for (p = in; *p; p++) {
        int v;
        char c = *p;

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            goto bad;                   /* data after padding */
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else goto bad;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[len++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (bits >= 6 || pad > 2)
        goto bad;
    buf[len] = '\0';
    *out = buf;
    *len_out = len;
    return 0;
bad:
    free(buf);
    return -1;
}

static int
check_url(const char *url, char *err, size_t errlen)
{
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "the server URL '%s' must start with https:// or http://", url);
        return -1;
    }
    if (strchr(url, ' ') != NULL || strlen(url) > 2048) {
        snprintf(err, errlen, "the server URL '%s' is not a URL", url);
        return -1;
    }
    return 0;
}

int
cm_kubeconn_set_server(struct cm_kubeconn *c, const char *url, char *err, size_t errlen)
{
    size_t n;

    if (check_url(url, err, errlen) < 0)
        return -1;
    free(c->server);
    c->server = cm_xstrdup(url);
    n = strlen(c->server);
    while (n > 0 && c->server[n - 1] == '/')
        c->server[--n] = '\0';
    return 0;
}

int
cm_kubeconn_in_cluster(struct cm_kubeconn *out, const char *sa_dir, char *err, size_t errlen)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    char url[512], path[1024];

    memset(out, 0, sizeof(*out));
    if (host == NULL || *host == '\0' || port == NULL || *port == '\0') {
        snprintf(err, errlen, "not in a cluster (KUBERNETES_SERVICE_HOST and "
                 "KUBERNETES_SERVICE_PORT are not set): give --kubeconfig or --master-url");
        return -1;
    }
    /* An IPv6 service address needs brackets in a URL. */
    snprintf(url, sizeof(url), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    if (cm_kubeconn_set_server(out, url, err, errlen) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/token", sa_dir);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "in a cluster, but cannot read the service-account token %s: %m", path);
        cm_kubeconn_free(out);
        return -1;
    }
    out->token_file = cm_xstrdup(path);
    snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
    out->ca_file = cm_xstrdup(path);
    out->origin = cm_xstrdup("in-cluster service account");
    return 0;
}

/* ---- kubeconfig -------------------------------------------------------- */

struct kc {
    yaml_document_t *doc;
    const char *path;
    struct cm_diag *d;
    char dir[1024];            /* the file's directory, for relative paths */
};

#define KERR(k, node, ...) \
    cm_diag_add((k)->d, (k)->path, CM_YAML_LINE(node), CM_YAML_COL(node), __VA_ARGS__)

/*
 * The entry of a named list (clusters, users, contexts) called name; when
 * there is none, the error is reported at `at`, the node that names it.
 */
static yaml_node_t *
find_named(struct kc *k, const char *list, const char *name, const char *what, yaml_node_t *at)
{
    yaml_node_t *root = yaml_document_get_root_node(k->doc);
    yaml_node_t *seq = cm_yaml_get(k->doc, root, list);
    yaml_node_item_t *it;

    if (seq != NULL && seq->type == YAML_SEQUENCE_NODE) {
        for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
            yaml_node_t *e = yaml_document_get_node(k->doc, *it);
            const char *n = e->type == YAML_MAPPING_NODE ?
                            cm_yaml_scalar(cm_yaml_get(k->doc, e, "name")) : NULL;

            if (n != NULL && strcmp(n, name) == 0) {
                yaml_node_t *body = cm_yaml_get(k->doc, e, what);

                if (body == NULL || body->type != YAML_MAPPING_NODE) {
                    KERR(k, e, "%s '%s' has no '%s' mapping", list, name, what);
                    return NULL;
                }
                return body;
            }
        }
    }
    KERR(k, at, "no entry named '%s' in %s", name, list);
    return NULL;
}

/* An owned path: absolute as given, else relative to the kubeconfig's directory. */
static char *
resolve(struct kc *k, const char *p)
{
    size_t n;
    char *out;

    if (p[0] == '/' || k->dir[0] == '\0')
        return cm_xstrdup(p);
    n = strlen(k->dir) + strlen(p) + 2;
    out = cm_xmalloc(n);
    snprintf(out, n, "%s/%s", k->dir, p);
    return out;
}

static const char *
str_field(struct kc *k, yaml_node_t *map, const char *key, yaml_node_t **node_out)
{
    yaml_node_t *n = cm_yaml_get(k->doc, map, key);

    if (node_out != NULL)
        *node_out = n;
    if (n == NULL)
        return NULL;
    if (n->type != YAML_SCALAR_NODE) {
        KERR(k, n, "%s must be a string", key);
        return NULL;
    }
    return cm_yaml_scalar(n);
}

/* The *-data field key as decoded PEM bytes into *out; 0 if absent, -1 if bad. */
static int
data_field(struct kc *k, yaml_node_t *map, const char *key, char **out, size_t *len)
{
    yaml_node_t *n;
    const char *v = str_field(k, map, key, &n);

    if (v == NULL)
        return 0;
    free(*out);
    *out = NULL;
    if (cm_base64_decode(v, out, len) < 0) {
        KERR(k, n, "%s is not base64", key);
        return -1;
    }
    return 0;
}

static void
load_cluster(struct kc *k, yaml_node_t *cl, struct cm_kubeconn *out)
{
    yaml_node_t *n;
    const char *v;
    char err[512];

    v = str_field(k, cl, "server", &n);
    if (v == NULL)
        KERR(k, cl, "the cluster has no server");
    else if (cm_kubeconn_set_server(out, v, err, sizeof(err)) < 0)
        KERR(k, n, "%s", err);
    if ((v = str_field(k, cl, "certificate-authority", NULL)) != NULL)
        out->ca_file = resolve(k, v);
    data_field(k, cl, "certificate-authority-data", &out->ca_data, &out->ca_len);
    if ((v = str_field(k, cl, "insecure-skip-tls-verify", &n)) != NULL) {
        if (strcmp(v, "true") == 0)
            out->insecure = 1;
        else if (strcmp(v, "false") != 0)
            KERR(k, n, "insecure-skip-tls-verify must be true or false");
    }
}

static void
load_user(struct kc *k, yaml_node_t *u, struct cm_kubeconn *out)
{
    static const char *const unsupported[] = { "exec", "auth-provider", "username", "password",
                                               "as", "as-groups" };
    yaml_node_t *n;
    const char *v;
    size_t i;

    for (i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
        if ((n = cm_yaml_get(k->doc, u, unsupported[i])) != NULL)
            KERR(k, n, "user field '%s' is not supported: use a token, tokenFile or "
                 "a client certificate", unsupported[i]);
    if ((v = str_field(k, u, "token", NULL)) != NULL)
        out->token = cm_xstrdup(v);
    if ((v = str_field(k, u, "tokenFile", NULL)) != NULL)
        out->token_file = resolve(k, v);
    if ((v = str_field(k, u, "client-certificate", NULL)) != NULL)
        out->cert_file = resolve(k, v);
    if ((v = str_field(k, u, "client-key", NULL)) != NULL)
        out->key_file = resolve(k, v);
    data_field(k, u, "client-certificate-data", &out->cert_data, &out->cert_len);
    data_field(k, u, "client-key-data", &out->key_data, &out->key_len);
    if ((out->cert_file || out->cert_data) && !(out->key_file || out->key_data))
        KERR(k, u, "a client certificate needs its client-key");
    if ((out->key_file || out->key_data) && !(out->cert_file || out->cert_data))
        KERR(k, u, "a client key needs its client-certificate");
}

int
cm_kubeconn_kubeconfig(struct cm_kubeconn *out, const char *path, const char *context,
                       struct cm_diag *d)
{
    struct cm_yaml_reader rd;
    yaml_document_t doc;
    struct kc k;
    yaml_node_t *root, *ctx, *body, *at;
    const char *name, *slash;
    size_t before = d->count;
    int rc;

    memset(out, 0, sizeof(*out));
    if (cm_yaml_open(&rd, path, d) < 0)
        return -1;
    rc = cm_yaml_next(&rd, &doc, d);
    cm_yaml_close(&rd);
    if (rc <= 0) {
        if (rc == 0)
            cm_diag_add(d, path, 0, 0, "the kubeconfig is empty");
        return -1;
    }
    memset(&k, 0, sizeof(k));
    k.doc = &doc;
    k.path = path;
    k.d = d;
    slash = strrchr(path, '/');
    if (slash != NULL && (size_t)(slash - path) < sizeof(k.dir))
        snprintf(k.dir, sizeof(k.dir), "%.*s", (int)(slash - path), path);
    root = yaml_document_get_root_node(&doc);
    if (root->type != YAML_MAPPING_NODE) {
        KERR(&k, root, "a kubeconfig is a mapping with clusters, users and contexts");
        goto done;
    }
    name = context;
    at = root;
    if (name == NULL) {
        name = str_field(&k, root, "current-context", &at);
        if (name == NULL || *name == '\0') {
            KERR(&k, at ? at : root, "no current-context: name one with --kube-context");
            goto done;
        }
    }
    ctx = find_named(&k, "contexts", name, "context", at);
    if (ctx == NULL)
        goto done;
    if ((name = str_field(&k, ctx, "cluster", &at)) == NULL)
        KERR(&k, ctx, "the context names no cluster");
    else if ((body = find_named(&k, "clusters", name, "cluster", at)) != NULL)
        load_cluster(&k, body, out);
    if ((name = str_field(&k, ctx, "user", &at)) != NULL &&
        (body = find_named(&k, "users", name, "user", at)) != NULL)
        load_user(&k, body, out);
    {
        size_t n = strlen(path) + 64;

        out->origin = cm_xmalloc(n);
        snprintf(out->origin, n, "kubeconfig %s", path);
    }
done:
    yaml_document_delete(&doc);
    if (d->count > before) {
        cm_kubeconn_free(out);
        return -1;
    }
    return 0;
}
