#include "authio.h"
#include "alloc.h"
#include "hex.h"
#include "clock.h"
#include "kubeclient.h"
#include "kubereview.h"
#include "frontproxy.h"
#include "log.h"
#include "safefile.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECHECK_MS 1000                  /* how often the trust file is stat()ed */
#define VERDICT_TTL_MS 10000
#define FILE_MAX (4u << 20)

void
cm_authio_init(struct cm_authio *io)
{
    cm_arena_init(&io->arena, 16384);
}

/* The whole file at path, NUL-terminated (malloc'd), or NULL with errno. */
static char *
slurp(const char *path, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf = NULL;
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return NULL;
    buf = malloc(FILE_MAX + 1);
    if (buf == NULL)
        goto fail;
    while (len < FILE_MAX && (n = read(fd, buf + len, FILE_MAX - len)) > 0)
        len += (size_t)n;
    if (n < 0)
        goto fail;
    buf[len] = '\0';
    close(fd);
    if (len_out)
        *len_out = len;
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

/* An X509_STORE of every certificate in pem; NULL when it holds none. */
static X509_STORE *
store_of(const char *pem, size_t len, int *count)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509_STORE *s = X509_STORE_new();
    X509 *x;

    *count = 0;
    while (b != NULL && s != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(s, x) == 1)
            (*count)++;
        X509_free(x);
    }
    BIO_free(b);
    if (*count == 0) {
        X509_STORE_free(s);
        return NULL;
    }
    return s;
}

/* Reloads the trust settings from their file if it changed. */
static void
reload(struct cm_authio *io)
{
    const char *path = io->ca_file ? io->ca_file : io->configmap_file;
    struct stat st;
    char *text = NULL, err[256];
    const char *pem;
    size_t len;
    X509_STORE *s;
    int n;

    if (path == NULL || stat(path, &st) < 0)
        return;
    if (st.st_dev == io->dev && st.st_ino == io->ino && st.st_size == io->size &&
        st.st_mtim.tv_sec == io->mtime.tv_sec && st.st_mtim.tv_nsec == io->mtime.tv_nsec)
        return;
    if ((text = slurp(path, &len)) == NULL) {
        cm_log(CM_LOG_WARN, "cannot read %s: %s", path, strerror(errno));
        return;
    }
    cm_arena_reset(&io->arena);
    if (io->ca_file != NULL) {
        io->fp = io->flags;
        pem = text;
    } else {
        if (cm_frontproxy_parse(text, &io->fp, &pem, &io->arena, err, sizeof(err)) < 0) {
            cm_log(CM_LOG_WARN, "%s: %s; the front proxy is not trusted until it is fixed",
                   path, err);
            memset(&io->fp, 0, sizeof(io->fp));
            pem = "";
        }
        len = strlen(pem);
    }
    s = store_of(pem, len, &n);
    if (io->store != NULL)
        X509_STORE_free(io->store);
    io->store = s;
    io->fp.have_ca = s != NULL;
    io->fp.loaded = 1;
    io->ca_generation++;
    io->dev = st.st_dev;
    io->ino = st.st_ino;
    io->size = st.st_size;
    io->mtime = st.st_mtim;
    if (s == NULL)
        cm_log(CM_LOG_WARN, "%s holds no requestheader CA certificate: no request is taken "
               "as the front proxy's", path);
    else
        cm_log(CM_LOG_DEBUG, "requestheader CA bundle from %s: %d certificate%s", path, n,
               n == 1 ? "" : "s");
    free(text);
}

static const struct cm_frontproxy *
op_frontproxy(void *arg)
{
    struct cm_authio *io = arg;
    int64_t now = cm_clock_ms();

    /* Without a CA yet (the ConfigMap's follower may write it any moment),
     * look on every request: a worker must not refuse the front proxy for
     * up to RECHECK_MS after its siblings have started taking it. */
    if (io->store == NULL || io->checked_ms == 0 || now - io->checked_ms >= RECHECK_MS) {
        io->checked_ms = now;
        reload(io);
    }
    return &io->fp;
}

/* Verifies the PEM certificate against io->store; 1 with cn, or 0 with why. */
static int
verify(struct cm_authio *io, const char *pem, size_t len, char *cn, size_t cnlen, char *why,
       size_t whylen)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    X509_STORE_CTX *sc = NULL;
    int ok = 0;

    cn[0] = '\0';
    if (x == NULL) {
        snprintf(why, whylen, "the client certificate cannot be read");
        goto out;
    }
    if ((sc = X509_STORE_CTX_new()) == NULL || X509_STORE_CTX_init(sc, io->store, x, NULL) != 1) {
        snprintf(why, whylen, "libcrypto cannot verify a certificate");
        goto out;
    }
    X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(sc) != 1) {
        snprintf(why, whylen, "x509: the front-proxy certificate does not verify: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
        goto out;
    }
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, (int)cnlen) < 0)
        cn[0] = '\0';
    ok = 1;
out:
    X509_STORE_CTX_free(sc);
    X509_free(x);
    BIO_free(b);
    return ok;
}

static int
op_verify_cert(void *arg, const char *escaped, char *cn, size_t cnlen, char *why, size_t whylen)
{
    struct cm_authio *io = arg;
    unsigned char fp[32];
    unsigned int fplen = 0;
    size_t n = strlen(escaped), i, o = 0;
    int64_t now = cm_clock_ms();
    struct cm_authio_verdict *v;
    char *pem;
    int ok;

    if (io->store == NULL) {
        snprintf(why, whylen, "no requestheader CA is known");
        return 0;
    }
    if (EVP_Digest(escaped, n, fp, &fplen, EVP_sha256(), NULL) != 1 || fplen != 32) {
        snprintf(why, whylen, "libcrypto cannot hash a certificate");
        return 0;
    }
    for (i = 0; i < CM_AUTHIO_VERDICTS; i++) {
        v = &io->verdict[i];
        if (v->until_ms > now && v->ca_generation == io->ca_generation &&
            memcmp(v->fingerprint, fp, 32) == 0) {
            snprintf(cn, cnlen, "%s", v->cn);
            snprintf(why, whylen, "%s", v->why);
            return v->ok;
        }
    }
    pem = malloc(n + 1);
    if (pem == NULL) {
        snprintf(why, whylen, "out of memory");
        return 0;
    }
    for (i = 0; i < n; i++) {                  /* nginx's $ssl_client_escaped_cert: %XX */
        if (escaped[i] == '%' && i + 2 < n && cm_hex_value(escaped[i + 1]) >= 0 &&
            cm_hex_value(escaped[i + 2]) >= 0) {
            pem[o++] = (char)(cm_hex_value(escaped[i + 1]) * 16 + cm_hex_value(escaped[i + 2]));
            i += 2;
        } else {
            pem[o++] = escaped[i];
        }
    }
    pem[o] = '\0';
    ok = verify(io, pem, o, cn, cnlen, why, whylen);
    free(pem);
    v = &io->verdict[io->next_verdict++ % CM_AUTHIO_VERDICTS];
    memcpy(v->fingerprint, fp, 32);
    v->ca_generation = io->ca_generation;
    v->until_ms = now + VERDICT_TTL_MS;
    v->ok = ok;
    snprintf(v->cn, sizeof(v->cn), "%s", cn);
    snprintf(v->why, sizeof(v->why), "%s", ok ? "" : why);
    return ok;
}

static struct cm_kubeclient *
client(struct cm_authio *io, char *err, size_t errlen)
{
    if (io->conn == NULL) {
        snprintf(err, errlen, "no cluster to ask");
        return NULL;
    }
    if (io->client == NULL)
        io->client = cm_kubeclient_new(io->conn, err, errlen);
    return io->client;
}

static int
op_token_review(void *arg, const char *token, struct cm_identity *out, struct cm_arena *a,
                char *err, size_t errlen)
{
    struct cm_authio *io = arg;
    struct cm_kubeclient *c = client(io, err, errlen);

    return c ? cm_kubereview_token(c, token, io->timeout_ms, out, a, err, errlen) : -1;
}

static int
op_access_review(void *arg, const char *body, size_t len, char *reason, size_t rlen,
                 char *err, size_t errlen)
{
    struct cm_authio *io = arg;
    struct cm_kubeclient *c = client(io, err, errlen);

    return c ? cm_kubereview_access(c, body, len, io->timeout_ms, reason, rlen, err, errlen) : -1;
}

static int64_t
op_now_ms(void *arg)
{
    (void)arg;
    return cm_clock_ms();
}

static void
op_pause_ms(void *arg, int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    (void)arg;
    nanosleep(&ts, NULL);
}

const struct cm_auth_ops cm_authio_ops = {
    op_frontproxy, op_verify_cert, op_token_review, op_access_review, op_now_ms, op_pause_ms,
};

/* ---- the ConfigMap follower -------------------------------------------- */

/*
 * One read of the ConfigMap, written to path when it changed since *last
 * (owned: the data last written, replaced here).  The data goes to a name
 * of this process's own beside path (PATH.new.PID, so the master's first
 * fetch and the helper's never share one), created afresh with O_EXCL and
 * O_NOFOLLOW (a link planted there is removed, never followed), synced,
 * then renamed over path; on failure that name is removed.  A ConfigMap
 * that does not exist is written as empty data ("{}": read, and no front
 * proxy to trust), so that readiness knows the cluster has answered.
 * Returns 1 (written or unchanged), 0 when the ConfigMap does not exist
 * (written or unchanged too), or -1 with err.
 */
static int
fetch(struct cm_kubeclient *c, const char *path, char **last, char *err, size_t errlen)
{
    char tmp[4096], *data = NULL;
    int rc = cm_kubereview_auth_configmap(c, 10000, &data, err, errlen), fd = -1, werr = 0, found;
    size_t len, done = 0;

    if (rc < 0)
        goto out;
    if (rc == 0)                 /* no ConfigMap: an answer too, with no front proxy in it */
        data = cm_xstrdup("{}");
    if (*last != NULL && strcmp(*last, data) == 0)
        goto out;
    found = rc;
    rc = -1;
    if (snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "cannot write %s: the name is too long", path);
        goto out;
    }
    if ((fd = cm_safefile_create(tmp, 0640, err, errlen)) < 0)
        goto out;
    len = strlen(data);
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            werr = n < 0 ? errno : ENOSPC;
            break;
        }
        done += (size_t)n;
    }
    if (done < len || fsync(fd) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(done < len ? werr : errno));
        unlink(tmp);
        goto out;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        fd = -1;
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    fd = -1;
    free(*last);
    *last = data;
    data = NULL;
    rc = found;
    if (found)
        cm_log(CM_LOG_INFO, "front-proxy trust from kube-system/extension-apiserver-authentication "
               "(re-read every %d s)", CM_AUTHIO_FOLLOW_S);
out:
    if (fd >= 0)
        close(fd);
    free(data);
    return rc;
}

int
cm_authio_fetch_configmap(const struct cm_kubeconn *conn, const char *path, char *err,
                          size_t errlen)
{
    struct cm_kubeclient *c = cm_kubeclient_new(conn, err, errlen);
    char *last = NULL;
    int rc;

    if (c == NULL)
        return -1;
    rc = fetch(c, path, &last, err, errlen);
    free(last);
    cm_kubeclient_free(c);
    return rc;
}

void *
cm_authio_follow(void *arg)
{
    const struct cm_authio_follow_args *f = arg;
    struct cm_kubeclient *c = NULL;
    char err[512], *last = NULL;
    int warned = 0;

    for (;;) {
        int rc;

        if (c == NULL)
            c = cm_kubeclient_new(f->conn, err, sizeof(err));
        rc = c ? fetch(c, f->path, &last, err, sizeof(err)) : -1;
        if (rc < 0 && !warned)
            cm_log(CM_LOG_WARN, "%s; the front proxy's trust is the last one read", err);
        else if (rc == 0 && !warned)
            cm_log(CM_LOG_WARN, "kube-system/extension-apiserver-authentication does not exist: "
                   "no request is taken as the front proxy's");
        warned = rc <= 0;
        sleep(CM_AUTHIO_FOLLOW_S);
    }
    return NULL;
}
