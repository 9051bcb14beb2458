/*
 * The watch cache's pure parts: kubeconfig and in-cluster connections, the
 * reflector's LIST/WATCH semantics, the backoff, and publishing images
 * through the cache's files and control page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "curlib.h"
#include "kubeclient.h"
#include "kubeconn.h"
#include "kubediscovery.h"
#include "yamldoc.h"
#include "objcache.h"
#include "objimage.h"
#include "objects.h"
#include "reflector.h"
#include "watcher.h"
#include "fixture_tmpdir.h"

static char dir[64];

static void
write_file(const char *name, const char *text)
{
    assert_int_equal(fixture_tmpdir_write(dir, name, text), 0);
}

static int
make_dir(void **state)
{
    (void)state;
    return fixture_tmpdir_make(dir, sizeof(dir), "cm-test-kube");
}

static int
remove_dir(void **state)
{
    (void)state;
    return fixture_tmpdir_remove(dir);
}

/* ---- connections -------------------------------------------------------- */

static void
test_kubeconfig_current_context(void **state)
{
    struct cm_kubeconn c;
    struct cm_diag d;
    char path[256];
    (void)state;

    /* "YWJj" is base64 for "abc"; relative paths are relative to the file */
    write_file("kc", "apiVersion: v1\nkind: Config\ncurrent-context: prod\n"
               "clusters:\n"
               "- name: dev\n  cluster: {server: 'http://127.0.0.1:8001'}\n"
               "- name: prod\n  cluster:\n    server: https://10.0.0.1:6443/\n"
               "    certificate-authority: ca.crt\n    certificate-authority-data: YWJj\n"
               "users:\n"
               "- name: admin\n  user:\n    client-certificate: certs/a.crt\n"
               "    client-key-data: a2V5\n    tokenFile: /var/token\n"
               "contexts:\n"
               "- name: dev\n  context: {cluster: dev}\n"
               "- name: prod\n  context: {cluster: prod, user: admin}\n");
    snprintf(path, sizeof(path), "%s/kc", dir);
    cm_diag_init(&d);
    assert_int_equal(cm_kubeconn_kubeconfig(&c, path, NULL, &d), 0);
    assert_string_equal(c.server, "https://10.0.0.1:6443");    /* trailing slash dropped */
    assert_non_null(strstr(c.ca_file, "/ca.crt"));
    assert_int_equal(strncmp(c.ca_file, dir, strlen(dir)), 0);
    assert_int_equal(c.ca_len, 3);
    assert_memory_equal(c.ca_data, "abc", 3);
    assert_int_equal(strncmp(c.cert_file, dir, strlen(dir)), 0);
    assert_string_equal(c.key_data, "key");
    assert_string_equal(c.token_file, "/var/token");
    assert_null(c.token);
    assert_int_equal(c.insecure, 0);
    cm_kubeconn_free(&c);

    /* another context: plain http, no credentials (kubectl proxy) */
    assert_int_equal(cm_kubeconn_kubeconfig(&c, path, "dev", &d), 0);
    assert_string_equal(c.server, "http://127.0.0.1:8001");
    assert_null(c.token_file);
    assert_null(c.cert_file);
    cm_kubeconn_free(&c);
    assert_int_equal(d.count, 0);
    cm_diag_free(&d);
}

static void
test_kubeconfig_mistakes_have_positions(void **state)
{
    struct cm_kubeconn c;
    struct cm_diag d;
    char path[256];
    (void)state;

    snprintf(path, sizeof(path), "%s/bad", dir);
    write_file("bad", "current-context: x\n"
               "clusters:\n- name: c\n  cluster: {server: 'ftp://x', insecure-skip-tls-verify: maybe}\n"
               "users:\n- name: u\n  user: {exec: {command: aws}, client-certificate-data: '!!'}\n"
               "contexts:\n- name: x\n  context: {cluster: c, user: u}\n");
    cm_diag_init(&d);
    assert_int_equal(cm_kubeconn_kubeconfig(&c, path, NULL, &d), -1);
    assert_non_null(strstr(d.text.data, ":4:21: the server URL 'ftp://x' must start with https:// or http://"));
    assert_non_null(strstr(d.text.data, ":4:58: insecure-skip-tls-verify must be true or false"));
    assert_non_null(strstr(d.text.data, ":7:16: user field 'exec' is not supported"));
    assert_non_null(strstr(d.text.data, "client-certificate-data is not base64"));
    cm_diag_free(&d);

    cm_diag_init(&d);
    write_file("halfcert", "current-context: x\nclusters:\n- name: c\n  cluster: {server: 'https://k'}\n"
               "users:\n- name: u\n  user: {client-certificate: a.crt}\n"
               "contexts:\n- name: x\n  context: {cluster: c, user: u}\n");
    snprintf(path, sizeof(path), "%s/halfcert", dir);
    assert_int_equal(cm_kubeconn_kubeconfig(&c, path, NULL, &d), -1);
    assert_non_null(strstr(d.text.data, ":7:9: a client certificate needs its client-key"));
    cm_diag_free(&d);

    cm_diag_init(&d);
    assert_int_equal(cm_kubeconn_kubeconfig(&c, path, "missing", &d), -1);
    assert_non_null(strstr(d.text.data, "no entry named 'missing' in contexts"));
    cm_diag_free(&d);

    cm_diag_init(&d);
    write_file("nocontext", "clusters: []\n");
    snprintf(path, sizeof(path), "%s/nocontext", dir);
    assert_int_equal(cm_kubeconn_kubeconfig(&c, path, NULL, &d), -1);
    assert_non_null(strstr(d.text.data, "no current-context"));
    cm_diag_free(&d);
}

static void
test_in_cluster_and_master_url(void **state)
{
    struct cm_kubeconn c;
    char err[512], path[256];
    (void)state;

    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(cm_kubeconn_in_cluster(&c, dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(cm_kubeconn_in_cluster(&c, dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot read the service-account token"));
    write_file("token", "t0\n");
    assert_int_equal(cm_kubeconn_in_cluster(&c, dir, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://[fd00::1]:443");
    snprintf(path, sizeof(path), "%s/token", dir);
    assert_string_equal(c.token_file, path);
    snprintf(path, sizeof(path), "%s/ca.crt", dir);
    assert_string_equal(c.ca_file, path);
    /* --master-url replaces the server and keeps the credentials */
    assert_int_equal(cm_kubeconn_set_server(&c, "http://127.0.0.1:8001//", err, sizeof(err)), 0);
    assert_string_equal(c.server, "http://127.0.0.1:8001");
    assert_non_null(c.token_file);
    assert_int_equal(cm_kubeconn_set_server(&c, "127.0.0.1:8001", err, sizeof(err)), -1);
    cm_kubeconn_free(&c);
    unsetenv("KUBERNETES_SERVICE_HOST");
}

static void
test_base64(void **state)
{
    char *out;
    size_t len;
    (void)state;

    assert_int_equal(cm_base64_decode("aGVs\nbG8=", &out, &len), 0);
    assert_int_equal(len, 5);
    assert_string_equal(out, "hello");
    free(out);
    assert_int_equal(cm_base64_decode("", &out, &len), 0);
    assert_int_equal(len, 0);
    free(out);
    assert_int_equal(cm_base64_decode("aGVs*", &out, &len), -1);
    assert_int_equal(cm_base64_decode("aG=Vs", &out, &len), -1);
    assert_int_equal(cm_base64_decode("a", &out, &len), -1);
}

/* ---- the reflector ------------------------------------------------------ */

static void
release_free(const void *img, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)img);
}

/* The reflector's current set as "ns/name[k=v,...]" lines, by building it. */
static const char *
contents(struct cm_reflector *x)
{
    static char out[4096];
    struct cm_label l[8];
    size_t len, i, k, at = 0;
    void *img;
    char err[256];

    assert_int_equal(cm_reflector_build(x, &img, &len, err, sizeof(err)), 0);
    out[0] = '\0';
    for (i = 0; i < cm_objimage_header(img)->nobjects; i++) {
        const struct cm_objimage_object *o = &cm_objimage_objects(img)[i];
        size_t n = cm_objimage_labels(img, i, l, 8);

        at += (size_t)snprintf(out + at, sizeof(out) - at, "%s/%s[", cm_objimage_str(img, o->ns),
                               cm_objimage_str(img, o->name));
        for (k = 0; k < n; k++)
            at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s=%s", k ? "," : "",
                                   l[k].key, l[k].value);
        at += (size_t)snprintf(out + at, sizeof(out) - at, "] ");
    }
    free(img);
    return out;
}

static int
event(struct cm_reflector *x, const char *line)
{
    char err[256];

    return cm_reflector_event(x, line, strlen(line), err, sizeof(err));
}

#define POD(type, ns, name, rv, labels) \
    "{\"type\":\"" type "\",\"object\":{\"kind\":\"PartialObjectMetadata\",\"metadata\":" \
    "{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\"," \
    "\"resourceVersion\":\"" rv "\",\"labels\":{" labels "}}}}"

static void
test_reflector_list_then_watch(void **state)
{
    const struct cm_resource *pods = cm_resource_lookup("pods");
    struct cm_reflector *x = cm_reflector_new(pods);
    const char *page1 =
        "{\"kind\":\"PartialObjectMetadataList\",\"metadata\":{\"resourceVersion\":\"10\","
        "\"continue\":\"tok\"},\"items\":[{\"metadata\":{\"namespace\":\"a\",\"name\":\"p1\","
        "\"labels\":{\"app\":\"web\",\"n\":7}}}]}";
    const char *page2 =
        "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":["
        "{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"a\",\"name\":\"p2\"},\"spec\":{}}]}";
    char *cont, err[256];
    void *img;
    size_t len;
    (void)state;

    assert_string_equal(cm_reflector_version(x), "");
    cm_reflector_list_begin(x);
    assert_int_equal(cm_reflector_list_page(x, page1, strlen(page1), &cont, err, sizeof(err)), 0);
    assert_string_equal(cont, "tok");
    free(cont);
    assert_int_equal(cm_reflector_list_page(x, page2, strlen(page2), &cont, err, sizeof(err)), 0);
    assert_null(cont);
    assert_int_equal(cm_reflector_list_end(x, &img, &len, err, sizeof(err)), 0);
    cm_reflector_set_base(x, img, len, release_free, NULL);
    assert_string_equal(cm_reflector_version(x), "10");
    assert_int_equal(cm_reflector_count(x), 2);
    assert_string_equal(contents(x), "a/p1[app=web] a/p2[] ");   /* non-string labels ignored */

    assert_int_equal(event(x, POD("ADDED", "b", "p3", "11", "\"app\":\"db\"")), CM_WATCH_ADDED);
    assert_int_equal(event(x, POD("MODIFIED", "a", "p1", "12", "\"app\":\"api\"")), CM_WATCH_MODIFIED);
    assert_int_equal(event(x, POD("DELETED", "a", "p2", "13", "")), CM_WATCH_DELETED);
    assert_int_equal(cm_reflector_pending(x), 3);
    assert_string_equal(cm_reflector_version(x), "13");
    assert_string_equal(contents(x), "a/p1[app=api] b/p3[app=db] ");
    /* a deletion then a re-creation of the same name is the new object */
    assert_int_equal(event(x, POD("DELETED", "b", "p3", "14", "")), CM_WATCH_DELETED);
    assert_int_equal(event(x, POD("ADDED", "b", "p3", "15", "\"v\":\"2\"")), CM_WATCH_ADDED);
    assert_string_equal(contents(x), "a/p1[app=api] b/p3[v=2] ");
    assert_int_equal(event(x, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
                              "{\"resourceVersion\":\"99\"}}}"), CM_WATCH_BOOKMARK);
    assert_string_equal(cm_reflector_version(x), "99");

    /* publishing makes the merge the base and empties the delta */
    assert_int_equal(cm_reflector_build(x, &img, &len, err, sizeof(err)), 0);
    cm_reflector_set_base(x, img, len, release_free, NULL);
    assert_int_equal(cm_reflector_pending(x), 0);
    assert_int_equal(cm_reflector_count(x), 2);
    assert_string_equal(contents(x), "a/p1[app=api] b/p3[v=2] ");

    /* a new LIST replaces everything, the delta included */
    assert_int_equal(event(x, POD("ADDED", "c", "p9", "100", "")), CM_WATCH_ADDED);
    cm_reflector_list_begin(x);
    page1 = "{\"metadata\":{\"resourceVersion\":\"200\"},\"items\":[{\"metadata\":"
            "{\"namespace\":\"z\",\"name\":\"only\"}}]}";
    assert_int_equal(cm_reflector_list_page(x, page1, strlen(page1), &cont, err, sizeof(err)), 0);
    assert_int_equal(cm_reflector_list_end(x, &img, &len, err, sizeof(err)), 0);
    cm_reflector_set_base(x, img, len, release_free, NULL);
    assert_string_equal(contents(x), "z/only[] ");
    assert_string_equal(cm_reflector_version(x), "200");
    cm_reflector_free(x);
}

static void
test_reflector_errors(void **state)
{
    struct cm_reflector *x = cm_reflector_new(cm_resource_lookup("pods"));
    struct cm_reflector *nodes = cm_reflector_new(cm_resource_lookup("nodes"));
    char err[256], *cont;
    const char *bad;
    (void)state;

    assert_int_equal(cm_reflector_event(x, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
        "\"code\":410,\"message\":\"too old resource version: 5 (9)\"}}", 92, err, sizeof(err)),
        -1);                                   /* cut: not the whole line */
    bad = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
          "\"message\":\"too old resource version: 5 (9)\"}}";
    assert_int_equal(cm_reflector_event(x, bad, strlen(bad), err, sizeof(err)), CM_WATCH_GONE);
    assert_string_equal(err, "too old resource version: 5 (9)");
    bad = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd\"}}";
    assert_int_equal(cm_reflector_event(x, bad, strlen(bad), err, sizeof(err)), CM_WATCH_ERROR);
    assert_string_equal(err, "etcd");
    assert_int_equal(event(x, "{\"type\":\"RENAMED\",\"object\":{}}"), -1);
    assert_int_equal(event(x, "[1,2]"), -1);
    /* a namespaced object needs its namespace; a cluster-scoped one ignores it */
    assert_int_equal(event(x, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p\"}}}"), -1);
    assert_int_equal(event(nodes, "{\"type\":\"ADDED\",\"object\":{\"metadata\":"
                                  "{\"name\":\"n1\",\"namespace\":\"x\"}}}"), CM_WATCH_ADDED);
    assert_string_equal(contents(nodes), "/n1[] ");
    assert_int_equal(cm_reflector_pending(x), 0);   /* nothing applied */
    cm_reflector_list_begin(x);
    bad = "{\"kind\":\"Status\",\"code\":403}";
    assert_int_equal(cm_reflector_list_page(x, bad, strlen(bad), &cont, err, sizeof(err)), -1);
    assert_string_equal(err, "the answer is not a List");
    cm_reflector_free(x);
    cm_reflector_free(nodes);
}

static void
test_backoff_grows_to_its_cap_with_jitter(void **state)
{
    unsigned seed = 7, f;
    long d, lo_seen = 1 << 30;
    (void)state;

    for (f = 1; f < 40; f++) {
        long full = 250;
        unsigned k;

        for (k = 1; k < f && full < 30000; k++)
            full *= 2;
        if (full > 30000)
            full = 30000;
        d = cm_reflector_backoff_ms(f, 30000, &seed);
        assert_true(d >= full / 2 && d <= full);
        if (f > 20 && d < lo_seen)
            lo_seen = d;
    }
    assert_true(lo_seen < 30000);                    /* jittered, not constant */
    for (f = 1; f < 10; f++)
        assert_true(cm_reflector_backoff_ms(f, 2000, &seed) <= 2000);
}

/* ---- publishing --------------------------------------------------------- */

static void
test_publish_is_seen_by_a_forked_reader(void **state)
{
    const struct cm_resource *res[] = { cm_resource_lookup("namespaces"), cm_resource_lookup("pods") };
    struct cm_label web = { "app", "web" };
    struct cm_objimage_entry e[] = { { "a", "p1", "u1", &web, 1 }, { "a", "p2", "u2", NULL, 0 } };
    struct cm_objcache *c;
    struct cm_objcache_status st;
    const void *mapped;
    struct cm_object o;
    void *img;
    size_t len, dup;
    char err[256], stale[256];
    int status;
    pid_t pid;
    (void)state;

    snprintf(stale, sizeof(stale), "%s/objects.pods.snap", dir);
    write_file("objects.pods.snap", "from a previous run");
    assert_int_equal(cm_objcache_create(&c, dir, res, 2, err, sizeof(err)), 0);
    assert_int_equal(access(stale, F_OK), -1);          /* removed: not this cluster's */
    assert_int_equal(cm_objects_get(cm_objcache_refresh(c), res[1], "a", "p1", &o), 0);
    cm_objcache_status(c, 1, &st);
    assert_int_equal(st.generation, 0);
    assert_int_equal(st.listed_at, 0);

    assert_int_equal(cm_objimage_build(e, 2, &img, &len, &dup), 0);
    assert_int_equal(cm_objcache_publish(c, 1, img, len, &mapped, err, sizeof(err)), 0);
    free(img);
    cm_objcache_set_listed(c, 1, 1234);
    cm_objcache_set_state(c, 1, 1200, "connection refused");
    /* a reader in another process (a worker) sees the new generation */
    pid = fork();
    if (pid == 0) {
        const struct cm_objects *objs = cm_objcache_refresh(c);
        int ok = cm_objects_get(objs, res[1], "a", "p1", &o) && strcmp(o.uid, "u1") == 0 &&
                 !cm_objects_get(objs, res[1], "a", "p3", &o);

        cm_objcache_status(c, 1, &st);
        ok = ok && st.generation == 1 && st.nobjects == 2 && st.listed_at == 1234 &&
             st.broken_since == 1200 && strcmp(st.message, "connection refused") == 0;
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);

    /* a second version replaces the first for readers; the first stays
     * readable through its mapping until it is released */
    e[1].name = "p3";
    assert_int_equal(cm_objcache_refresh(c) != NULL, 1);
    assert_int_equal(cm_objects_get(cm_objcache_refresh(c), res[1], "a", "p2", &o), 1);
    assert_int_equal(cm_objimage_build(e, 2, &img, &len, &dup), 0);
    {
        const void *second;

        assert_int_equal(cm_objcache_publish(c, 1, img, len, &second, err, sizeof(err)), 0);
        free(img);
        assert_int_equal(cm_objimage_find(mapped, "a", "p2"), 1);   /* old mapping intact */
        assert_int_equal(cm_objects_get(cm_objcache_refresh(c), res[1], "a", "p2", &o), 0);
        assert_int_equal(cm_objects_get(cm_objcache_refresh(c), res[1], "a", "p3", &o), 1);
        cm_objcache_unmap(second, len, NULL);
    }
    cm_objcache_unmap(mapped, len, NULL);
    cm_objcache_free(c);
}

static void
test_resource_paths(void **state)
{
    char p[128];
    (void)state;

    cm_watcher_path(cm_resource_lookup("pods"), p, sizeof(p));
    assert_string_equal(p, "/api/v1/pods");
    cm_watcher_path(cm_resource_lookup("deployments.apps"), p, sizeof(p));
    assert_string_equal(p, "/apis/apps/v1/deployments");
    cm_watcher_path(cm_resource_lookup("ingresses"), p, sizeof(p));
    assert_string_equal(p, "/apis/networking.k8s.io/v1/ingresses");
}

/* 1 if the scalars of sequence seq include s. */
static int
seq_has(yaml_document_t *doc, yaml_node_t *seq, const char *s)
{
    yaml_node_item_t *it;

    if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
        return 0;
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        const char *v = cm_yaml_scalar(yaml_document_get_node(doc, *it));

        if (v != NULL && strcmp(v, s) == 0)
            return 1;
    }
    return 0;
}

/*
 * k8s/common/rbac-objects.yaml lets the watch cache get, list and watch every
 * resource of the built-in table (so adding one there without its RBAC
 * fails here), binds the role to the ServiceAccount, and grants no write.
 */
static void
test_rbac_covers_the_built_in_table(void **state)
{
    struct cm_yaml_reader rd;
    yaml_document_t doc;
    struct cm_diag d;
    const struct cm_resource *r;
    size_t i, covered[64] = { 0 };
    int rc, role = 0, binding = 0;
    (void)state;

    cm_diag_init(&d);
    assert_int_equal(cm_yaml_open(&rd, TOP_SRCDIR "/k8s/common/rbac-objects.yaml", &d), 0);
    while ((rc = cm_yaml_next(&rd, &doc, &d)) > 0) {
        yaml_node_t *root = yaml_document_get_root_node(&doc), *rules;
        const char *kind = cm_yaml_scalar(cm_yaml_get(&doc, root, "kind"));
        yaml_node_item_t *it;

        if (kind != NULL && strcmp(kind, "ClusterRoleBinding") == 0) {
            yaml_node_t *subjects = cm_yaml_get(&doc, root, "subjects");
            yaml_node_t *sa = yaml_document_get_node(&doc, *subjects->data.sequence.items.start);

            assert_string_equal(cm_yaml_scalar(cm_yaml_get(&doc, sa, "kind")), "ServiceAccount");
            assert_string_equal(cm_yaml_scalar(cm_yaml_get(&doc, sa, "name")), "custom-metrics-fcgi");
            binding = 1;
        }
        if (kind == NULL || strcmp(kind, "ClusterRole") != 0) {
            yaml_document_delete(&doc);
            continue;
        }
        role = 1;
        rules = cm_yaml_get(&doc, root, "rules");
        assert_non_null(rules);
        for (it = rules->data.sequence.items.start; it < rules->data.sequence.items.top; it++) {
            yaml_node_t *rule = yaml_document_get_node(&doc, *it);
            yaml_node_t *verbs = cm_yaml_get(&doc, rule, "verbs");

            assert_int_equal(verbs->data.sequence.items.top - verbs->data.sequence.items.start, 3);
            assert_true(seq_has(&doc, verbs, "get") && seq_has(&doc, verbs, "list") &&
                        seq_has(&doc, verbs, "watch"));
            for (i = 0; (r = cm_resource_at(i)) != NULL; i++)
                if (seq_has(&doc, cm_yaml_get(&doc, rule, "apiGroups"), r->group) &&
                    seq_has(&doc, cm_yaml_get(&doc, rule, "resources"), r->plural))
                    covered[i] = 1;
        }
        yaml_document_delete(&doc);
    }
    cm_yaml_close(&rd);
    assert_int_equal(rc, 0);
    assert_true(role && binding);
    for (i = 0; (r = cm_resource_at(i)) != NULL; i++)
        if (!covered[i])
            fail_msg("k8s/common/rbac-objects.yaml does not let the cache watch %s", r->group_resource);
    cm_diag_free(&d);
}

/* ---- discovery's documents ------------------------------------------------ */

/*
 * Where a bare plural is looked for: the core group at /api/v1, then each
 * group's preferred version; names the server sends that are not
 * well-formed (a newline, a space, a path) are left out, never used.
 */
static void
test_discovery_groups(void **state)
{
    static const char apis[] =
        "{\"kind\":\"APIGroupList\",\"groups\":["
        "{\"name\":\"apps\",\"preferredVersion\":{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}},"
        "{\"name\":\"evil.example.com\",\"preferredVersion\":{\"version\":\"v1\\nx\"}},"
        "{\"name\":\"a b\",\"preferredVersion\":{\"version\":\"v1\"}},"
        "{\"name\":\"up.example.com\",\"preferredVersion\":{\"version\":\"../../api/v1\"}},"
        "{\"name\":\"nl\\n.example.com\",\"preferredVersion\":{\"version\":\"v1\"}},"
        "{\"name\":\"\",\"preferredVersion\":{\"version\":\"v1\"}},"
        "{\"name\":\"..\",\"preferredVersion\":{\"version\":\"v1\"}},"
        "{\"name\":\".hidden.com\",\"preferredVersion\":{\"version\":\"v1\"}},"
        "{\"name\":\"a..b.com\",\"preferredVersion\":{\"version\":\"v1\"}},"
        "{\"name\":\"dash-.com\",\"preferredVersion\":{\"version\":\"v1\"}},"
        "{\"name\":\"ok.com\",\"preferredVersion\":{\"version\":\"-v1\"}},"
        "{\"name\":\"noversion.example.com\"},"
        "{\"name\":\"example.com\",\"preferredVersion\":{\"version\":\"v1beta1\"}}]}";
    struct cm_discovery_gv *gv;
    char path[64], version[64];
    size_t n;

    (void)state;
    gv = cm_discovery_groups(apis, sizeof(apis) - 1, &n);
    assert_non_null(gv);
    assert_int_equal(n, 3);
    assert_string_equal(gv[0].group, "");
    assert_string_equal(gv[0].version, "v1");
    assert_int_equal(cm_discovery_path(&gv[0], path, sizeof(path)), 0);
    assert_string_equal(path, "/api/v1");
    assert_string_equal(gv[1].group, "apps");
    assert_int_equal(cm_discovery_path(&gv[1], path, sizeof(path)), 0);
    assert_string_equal(path, "/apis/apps/v1");
    assert_string_equal(gv[2].group, "example.com");
    assert_string_equal(gv[2].version, "v1beta1");
    assert_int_equal(cm_discovery_path(&gv[2], path, 8), -1);     /* does not fit */
    free(gv);
    assert_null(cm_discovery_groups("[]", 2, &n));
    assert_int_equal(cm_discovery_preferred(apis, sizeof(apis) - 1, "example.com", version,
                                            sizeof(version)), 1);
    assert_string_equal(version, "v1beta1");
    assert_int_equal(cm_discovery_preferred(apis, sizeof(apis) - 1, "evil.example.com", version,
                                            sizeof(version)), 0);
    assert_int_equal(cm_discovery_preferred(apis, sizeof(apis) - 1, "up.example.com", version,
                                            sizeof(version)), 0);
}

/* A resource whose kind or singular holds a control character or a space is passed over. */
static void
test_discovery_find_plain_names(void **state)
{
    static const char bad[] =
        "{\"resources\":[{\"name\":\"widgets\",\"kind\":\"Wid\\nget\",\"namespaced\":true},"
        "{\"name\":\"gadgets\",\"kind\":\"Gadget\",\"singularName\":\"gad get\"},"
        "{\"name\":\"gizmos\",\"kind\":\"Gizmo\\t\",\"singularName\":\"gizmo\"}]}";
    static const char good[] =
        "{\"resources\":[{\"name\":\"widgets\",\"kind\":\"Widget\",\"namespaced\":true}]}";
    struct cm_resource r;

    (void)state;
    assert_int_equal(cm_discovery_find(bad, sizeof(bad) - 1, "example.com", "v1", "widgets", &r), 0);
    assert_int_equal(cm_discovery_find(bad, sizeof(bad) - 1, "example.com", "v1", "gadgets", &r), 0);
    assert_int_equal(cm_discovery_find(bad, sizeof(bad) - 1, "example.com", "v1", "gizmos", &r), 0);
    assert_int_equal(cm_discovery_find(good, sizeof(good) - 1, "example.com", "v1", "widgets", &r), 1);
    assert_string_equal(r.singular, "widget");
    assert_string_equal(r.group_resource, "widgets.example.com");
    assert_true(r.namespaced);
    free((void *)r.plural);
    free((void *)r.group);
    free((void *)r.version);
    free((void *)r.kind);
    free((void *)r.group_resource);
    free((void *)r.api_version);
    free((void *)r.singular);
}

/* ---- the client's libcurl handle ------------------------------------------ */

/*
 * libcurl's table with setopt and reset watched: errbuf is the error buffer
 * the handle holds now (curl_easy_reset() drops it).  The table is the
 * loaded library's own (curlib.c's static), patched for this test only.
 */
static struct {
    CURLcode (*setopt)(CURL *, CURLoption, ...);
    void (*reset)(CURL *);
    void *errbuf;
} real;

static CURLcode
watch_setopt(CURL *h, CURLoption opt, ...)
{
    va_list ap;
    CURLcode rc;

    va_start(ap, opt);
    if (opt < CURLOPTTYPE_OBJECTPOINT) {
        rc = real.setopt(h, opt, va_arg(ap, long));
    } else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB) {
        rc = real.setopt(h, opt, va_arg(ap, curl_off_t));
    } else {
        void *p = va_arg(ap, void *);         /* objects, functions, blobs */

        if (opt == CURLOPT_ERRORBUFFER)
            real.errbuf = p;
        rc = real.setopt(h, opt, p);
    }
    va_end(ap);
    return rc;
}

static void
watch_reset(CURL *h)
{
    real.errbuf = NULL;
    real.reset(h);
}

static int
ignore_data(long status, const char *p, size_t n, void *arg)
{
    (void)status;
    (void)p;
    (void)n;
    (void)arg;
    return 0;
}

/* A request's stack error buffer is not left on the handle, whatever the outcome. */
static void
test_client_leaves_no_error_buffer(void **state)
{
    struct cm_curlib *lib = (struct cm_curlib *)cm_curlib();
    struct cm_kubeconn conn;
    struct cm_kubeclient *c;
    struct cm_kube_call call = { "/api", "application/json", 60000, ignore_data, NULL, NULL,
                                 NULL, 0 };
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    char server[64], err[512];
    void *left[2];
    long status[2];
    int fd;

    (void)state;
    if (lib == NULL)
        skip();
    /* a port bound and not listening: the connection is refused, nobody else can take it */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
    snprintf(server, sizeof(server), "http://127.0.0.1:%d", ntohs(sa.sin_port));
    memset(&conn, 0, sizeof(conn));
    conn.server = server;
    real.setopt = lib->easy_setopt;
    real.reset = lib->easy_reset;
    real.errbuf = NULL;
    lib->easy_setopt = watch_setopt;
    lib->easy_reset = watch_reset;
    c = cm_kubeclient_new(&conn, err, sizeof(err));
    /* a transfer that fails, then a call that stops before it (no token file) */
    status[0] = c ? cm_kubeclient_get(c, &call, err, sizeof(err)) : 0;
    left[0] = real.errbuf;
    conn.token_file = "/nonexistent/token";
    status[1] = c ? cm_kubeclient_get(c, &call, err, sizeof(err)) : 0;
    left[1] = real.errbuf;
    cm_kubeclient_free(c);
    lib->easy_setopt = real.setopt;
    lib->easy_reset = real.reset;
    close(fd);
    assert_non_null(c);
    assert_int_equal(status[0], -1);
    assert_null(left[0]);
    assert_int_equal(status[1], -1);
    assert_null(left[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kubeconfig_current_context, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_kubeconfig_mistakes_have_positions, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_in_cluster_and_master_url, make_dir, remove_dir),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_reflector_list_then_watch),
        cmocka_unit_test(test_reflector_errors),
        cmocka_unit_test(test_backoff_grows_to_its_cap_with_jitter),
        cmocka_unit_test_setup_teardown(test_publish_is_seen_by_a_forked_reader, make_dir, remove_dir),
        cmocka_unit_test(test_resource_paths),
        cmocka_unit_test(test_rbac_covers_the_built_in_table),
        cmocka_unit_test(test_discovery_groups),
        cmocka_unit_test(test_discovery_find_plain_names),
        cmocka_unit_test(test_client_leaves_no_error_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
