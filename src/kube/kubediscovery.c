#include "kubediscovery.h"
#include "alloc.h"
#include "buf.h"
#include "kubeclient.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOC_MAX ((size_t)16 << 20)
#define DISCOVERY_TIMEOUT_MS 10000L

static struct json_object *
parse(const char *doc, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = len < 0x7fffffff ? json_tokener_parse_ex(tok, doc, (int)len) : NULL;

    if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

static const char *
str(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
           json_object_get_string(v) : NULL;
}

static char *
joined(const char *a, const char *sep, const char *b)
{
    size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
    char *s = cm_xmalloc(n);

    snprintf(s, n, "%s%s%s", a, sep, b);
    return s;
}

/*
 * 1 if s is 1 to max bytes of DNS-1123 labels (lower-case letters, digits
 * and '-', each label starting and ending with a letter or digit), joined
 * by '.' when dots, as API group names (subdomains) and versions (labels)
 * are: such a name can go into a request path and an answer line as it is
 * (no "..", no leading '.' or '-').
 */
static int
name_ok(const char *s, size_t max, int dots)
{
    size_t n;

    for (n = 0; s[n]; n++) {
        int alnum = (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9');
        int edge = n == 0 || s[n - 1] == '.' || s[n + 1] == '\0' || s[n + 1] == '.';

        if (!alnum && (edge || !(s[n] == '-' || (dots && s[n] == '.'))))
            return 0;
    }
    return n > 0 && n <= max;
}

/* 1 if s is not empty and holds no space and no control character (a kind, a singular). */
static int
plain(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return p != (const unsigned char *)s;
}

int
cm_discovery_find(const char *doc, size_t len, const char *group, const char *version,
                  const char *plural, struct cm_resource *out)
{
    struct json_object *root = parse(doc, len), *list, *ns;
    size_t i, n;
    int rc = 0;

    if (root == NULL || !json_object_object_get_ex(root, "resources", &list) ||
        !json_object_is_type(list, json_type_array)) {
        json_object_put(root);
        return -1;
    }
    n = json_object_array_length(list);
    for (i = 0; i < n && rc == 0; i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        const char *name = str(r, "name"), *kind = str(r, "kind"), *singular = str(r, "singularName");

        if (name == NULL || kind == NULL || strcmp(name, plural) != 0)
            continue;                   /* (subresources are "pods/log": never equal) */
        if (!plain(kind) || (singular != NULL && *singular && !plain(singular)))
            continue;                   /* nothing a name has: not a resource to serve */
        memset(out, 0, sizeof(*out));
        out->plural = cm_xstrdup(name);
        out->group = cm_xstrdup(group);
        out->version = cm_xstrdup(version);
        out->kind = cm_xstrdup(kind);
        out->namespaced = json_object_object_get_ex(r, "namespaced", &ns) && json_object_get_boolean(ns);
        out->group_resource = *group ? joined(name, ".", group) : cm_xstrdup(name);
        out->api_version = *group ? joined(group, "/", version) : cm_xstrdup(version);
        if (singular != NULL && *singular) {
            out->singular = cm_xstrdup(singular);
        } else {
            char *s = cm_xstrdup(kind), *p;

            for (p = s; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p - 'A' + 'a');
            out->singular = s;
        }
        rc = 1;
    }
    json_object_put(root);
    return rc;
}

/* The name and preferred version of groups[i] when both are well-formed, else 0. */
static int
group_at(struct json_object *groups, size_t i, const char **name, const char **version)
{
    struct json_object *g = json_object_array_get_idx(groups, i), *pv;

    *name = str(g, "name");
    *version = json_object_object_get_ex(g, "preferredVersion", &pv) ? str(pv, "version") : NULL;
    return *name != NULL && *version != NULL && name_ok(*name, CM_DISCOVERY_GROUP_MAX, 1) &&
           name_ok(*version, CM_DISCOVERY_VERSION_MAX, 0);
}

/*
 * The groups of an APIGroupList (/apis) with their preferred versions, after
 * the core group's v1 when with_core, as one owned block (free() it): the
 * array of *n, then the strings it points to (the core's are literals).  A group whose name or
 * version is not well-formed (name_ok) is left out.  NULL for a body that
 * is not such a list.
 */
static struct cm_discovery_gv *
groups_of(const char *doc, size_t len, int with_core, size_t *n)
{
    struct json_object *root = parse(doc, len), *groups;
    struct cm_discovery_gv *gv;
    const char *name, *version;
    size_t i, count, kept = with_core ? 1 : 0, bytes = 0;
    char *text;

    *n = 0;
    if (root == NULL || !json_object_object_get_ex(root, "groups", &groups) ||
        !json_object_is_type(groups, json_type_array)) {
        json_object_put(root);
        return NULL;
    }
    count = json_object_array_length(groups);
    for (i = 0; i < count; i++)
        if (group_at(groups, i, &name, &version)) {
            kept++;
            bytes += strlen(name) + strlen(version) + 2;
        }
    gv = cm_xmalloc(kept * sizeof(*gv) + bytes + 1);
    text = (char *)(gv + kept);
    if (with_core)
        gv[(*n)++] = (struct cm_discovery_gv){ "", "v1" };      /* /api/v1 */
    for (i = 0; i < count; i++) {
        if (!group_at(groups, i, &name, &version))
            continue;
        gv[*n].group = strcpy(text, name);
        text += strlen(name) + 1;
        gv[*n].version = strcpy(text, version);
        text += strlen(version) + 1;
        (*n)++;
    }
    json_object_put(root);
    return gv;
}

struct cm_discovery_gv *
cm_discovery_groups(const char *doc, size_t len, size_t *n)
{
    return groups_of(doc, len, 1, n);
}

int
cm_discovery_path(const struct cm_discovery_gv *gv, char *buf, size_t buflen)
{
    int n = *gv->group ? snprintf(buf, buflen, "/apis/%s/%s", gv->group, gv->version)
                       : snprintf(buf, buflen, "/api/%s", gv->version);

    return n >= 0 && (size_t)n < buflen ? 0 : -1;
}

int
cm_discovery_preferred(const char *doc, size_t len, const char *group, char *buf, size_t buflen)
{
    struct cm_discovery_gv *gv;
    size_t i, n;
    int rc = 0;

    if ((gv = groups_of(doc, len, 0, &n)) == NULL)
        return -1;
    for (i = 0; i < n && rc == 0; i++)
        if (strcmp(gv[i].group, group) == 0) {
            snprintf(buf, buflen, "%s", gv[i].version);
            rc = 1;
        }
    free(gv);
    return rc;
}

/* ---- the child: GETs, answers down a pipe -------------------------------- */

static int
collect(long status, const char *data, size_t len, void *arg)
{
    struct cm_buf *b = arg;

    (void)status;
    cm_buf_add(b, data, len);
    return cm_buf_failed(b) ? -1 : 0;
}

/* GETs path into b; 0 on a 200, else -1 with err. */
static int
get(struct cm_kubeclient *c, const char *path, struct cm_buf *b, char *err, size_t errlen)
{
    struct cm_kube_call call = { path, "application/json", DISCOVERY_TIMEOUT_MS, collect, NULL, b, NULL, 0 };
    long status;

    cm_buf_reset(b);
    status = cm_kubeclient_get(c, &call, err, errlen);
    if (status < 0)
        return -1;
    if (status != 200) {
        snprintf(err, errlen, "GET %s: %ld", path, status);
        return -1;
    }
    return 0;
}

static void
answer(int fd, size_t i, const struct cm_resource *r, const char *why)
{
    char line[2048];
    int n;

    if (r != NULL)
        n = snprintf(line, sizeof(line), "%zu\tOK\t%s\t%s\t%s\t%s\t%d\t%s\n", i, r->group, r->version,
                     r->plural, r->kind, r->namespaced, r->singular);
    else
        n = snprintf(line, sizeof(line), "%zu\tERR\t%s\n", i, why);
    if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
        _exit(3);
}

static int
child(const struct cm_kubeconn *conn, const char *const *names, size_t n, int fd)
{
    struct cm_kubeclient *c;
    struct cm_buf apis, doc;
    char err[512], why[1024], path[512], group[256], version[128];
    size_t i, ngv;

    c = cm_kubeclient_new(conn, err, sizeof(err));
    if (c == NULL) {
        dprintf(fd, "FAIL\t%s\n", err);
        return 1;
    }
    cm_buf_init(&apis, DOC_MAX);
    cm_buf_init(&doc, DOC_MAX);
    if (get(c, "/apis", &apis, err, sizeof(err)) < 0) {
        dprintf(fd, "FAIL\t%s\n", err);
        return 1;
    }
    for (i = 0; i < n; i++) {
        const char *dot = strchr(names[i], '.');
        struct cm_resource r, found;
        char plural[256];
        int hits = 0, rc;

        snprintf(plural, sizeof(plural), "%.*s", dot ? (int)(dot - names[i]) : (int)strlen(names[i]),
                 names[i]);
        if (dot != NULL) {
            snprintf(group, sizeof(group), "%s", dot + 1);
            rc = cm_discovery_preferred(apis.data, apis.len, group, version, sizeof(version));
            if (rc <= 0) {
                snprintf(why, sizeof(why), "the cluster serves no API group '%s' (for resource '%s')",
                         group, names[i]);
                answer(fd, i, NULL, why);
                continue;
            }
            snprintf(path, sizeof(path), "/apis/%s/%s", group, version);
            if (get(c, path, &doc, err, sizeof(err)) < 0) {
                answer(fd, i, NULL, err);
                continue;
            }
            rc = cm_discovery_find(doc.data, doc.len, group, version, plural, &r);
            if (rc <= 0) {
                snprintf(why, sizeof(why), "the cluster serves no resource '%s' in %s/%s",
                         plural, group, version);
                answer(fd, i, NULL, why);
                continue;
            }
            answer(fd, i, &r, NULL);
            continue;
        }
        /* A bare plural: the core group, then every group's preferred version. */
        {
            struct cm_discovery_gv core = { "", "v1" };
            struct cm_discovery_gv *gv = cm_discovery_groups(apis.data, apis.len, &ngv);
            const struct cm_discovery_gv *at = gv != NULL ? gv : &core;
            size_t k;

            for (k = 0; k < (gv != NULL ? ngv : 1); k++) {
                if (cm_discovery_path(&at[k], path, sizeof(path)) < 0 ||
                    get(c, path, &doc, err, sizeof(err)) < 0)
                    continue;
                if (cm_discovery_find(doc.data, doc.len, at[k].group, at[k].version, plural,
                                      &r) == 1) {
                    if (hits++ == 0)
                        found = r;
                }
            }
            free(gv);
            if (hits == 1)
                answer(fd, i, &found, NULL);
            else if (hits == 0)
                answer(fd, i, NULL, "the cluster serves no resource of that name");
            else
                answer(fd, i, NULL, "several API groups serve a resource of that name: "
                       "qualify it with its group (plural.group)");
        }
    }
    return 0;
}

int
cm_discovery_resolve(const struct cm_kubeconn *conn, const char *const *names, size_t n,
                     struct cm_discovered *out, char *err, size_t errlen)
{
    struct cm_buf got;
    char chunk[4096], *line, *save = NULL;
    int fds[2], status, rc = 0;
    ssize_t r;
    pid_t pid;
    size_t i;

    for (i = 0; i < n; i++) {
        out[i].resource = NULL;
        snprintf(out[i].why, sizeof(out[i].why), "discovery gave no answer for '%s'", names[i]);
    }
    if (pipe(fds) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        _exit(child(conn, names, n, fds[1]));
    }
    close(fds[1]);
    cm_buf_init(&got, 1 << 20);
    while ((r = read(fds[0], chunk, sizeof(chunk))) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        cm_buf_add(&got, chunk, (size_t)r);
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (line = got.len ? strtok_r(got.data, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[8];
        size_t nf = 0;

        for (f[nf++] = line; nf < 8 && (f[nf] = strchr(f[nf - 1], '\t')) != NULL; nf++)
            *f[nf]++ = '\0';
        if (strcmp(f[0], "FAIL") == 0 && nf >= 2) {
            snprintf(err, errlen, "cluster discovery failed: %s", f[1]);
            rc = -1;
            continue;
        }
        i = (size_t)strtoul(f[0], NULL, 10);
        if (i >= n || nf < 3)
            continue;
        if (strcmp(f[1], "ERR") == 0) {
            snprintf(out[i].why, sizeof(out[i].why), "%s", f[2]);
        } else if (strcmp(f[1], "OK") == 0 && nf == 8) {
            struct cm_resource *res = cm_xcalloc(1, sizeof(*res));

            res->group = cm_xstrdup(f[2]);
            res->version = cm_xstrdup(f[3]);
            res->plural = cm_xstrdup(f[4]);
            res->kind = cm_xstrdup(f[5]);
            res->namespaced = atoi(f[6]);
            res->singular = cm_xstrdup(f[7]);
            res->group_resource = *f[2] ? joined(f[4], ".", f[2]) : cm_xstrdup(f[4]);
            res->api_version = *f[2] ? joined(f[2], "/", f[3]) : cm_xstrdup(f[3]);
            out[i].resource = res;
        }
    }
    cm_buf_free(&got);
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        snprintf(err, errlen, "cluster discovery failed (its process %s)",
                 WIFSIGNALED(status) ? "was killed" : "failed");
        rc = -1;
    }
    return rc;
}
