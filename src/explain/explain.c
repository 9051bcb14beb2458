#include "explain.h"
#include "buf.h"
#include "curlib.h"
#include "json.h"
#include "quantity.h"
#include "replicas.h"
#include "selector.h"
#include "tokenfile.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (16u << 20)
#define TIMEOUT_MS 30000L
#define VALUES_MAX 100000

static const char usage_text[] =
    "usage: custom-metrics-fcgi explain --hpa FILE --url https://HOST:PORT\n"
    "           [--insecure-skip-tls-verify | --cacert FILE]\n"
    "           [--cert FILE --key FILE | --token-file FILE]\n"
    "           --replicas N --selector SELECTOR [-o text|json]\n"
    "\n"
    "Fetches every metric of an autoscaling/v2 HorizontalPodAutoscaler (FILE, or - for\n"
    "standard input) as the HPA controller does, and prints the values, the ratio to\n"
    "each target, the tolerance check and the replica count the HPA would ask for.\n"
    "--replicas and --selector are the scale target's current replica count and pod\n"
    "selector (kubectl get deploy NAME -o jsonpath='{.status.replicas} {.spec.selector}').\n";

struct options {
    const char *hpa, *url, *cacert, *cert, *key, *token_file, *selector;
    int insecure, json;
    long replicas;
};

/* One GET over libcurl. */
struct fetcher {
    const struct cm_curlib *lib;
    CURL *curl;
    const struct options *opt;
    struct cm_buf body;
    long status;
    char error[CURL_ERROR_SIZE + 64];
};

/* What one metric gave, and what the HPA makes of it. */
struct result {
    char url[4096];
    int64_t *milli;
    char **names;                  /* Pods: the pods whose values were kept */
    size_t n;
    struct cm_hpa_reading reading;
    struct cm_hpa_outcome outcome;
    char client_error[CM_HPA_TEXT_MAX];
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct fetcher *f = arg;

    cm_buf_add(&f->body, p, size * n);
    return cm_buf_failed(&f->body) ? 0 : size * n;
}

/* GETs base URL + path into f->body.  Returns 0 with f->status, or -1 with f->error. */
static int
fetch(struct fetcher *f, const char *path)
{
    const struct cm_curlib *lib = f->lib;
    struct curl_slist *headers = NULL;
    char url[8192], token[8192], auth[8300], curl_err[CURL_ERROR_SIZE] = "";
    CURLcode rc;
    int ret = -1;

    cm_buf_reset(&f->body);
    f->status = 0;
    snprintf(url, sizeof(url), "%s%s", f->opt->url, path);
    /* the HPA's client: protobuf preferred, anything accepted */
    headers = lib->slist_append(headers, "Accept: application/vnd.kubernetes.protobuf, */*");
    if (f->opt->token_file != NULL) {
        long n = cm_token_read(f->opt->token_file, token, sizeof(token));

        if (n <= 0) {
            snprintf(f->error, sizeof(f->error), "cannot read the token file %s",
                     f->opt->token_file);
            goto out;
        }
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        headers = lib->slist_append(headers, auth);
    }
    lib->easy_reset(f->curl);
    lib->easy_setopt(f->curl, CURLOPT_URL, url);
    lib->easy_setopt(f->curl, CURLOPT_HTTPHEADER, headers);
    lib->easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
    lib->easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
    lib->easy_setopt(f->curl, CURLOPT_ERRORBUFFER, curl_err);
    lib->easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
    lib->easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
    lib->easy_setopt(f->curl, CURLOPT_USERAGENT, "custom-metrics-fcgi-explain");
    lib->easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (f->opt->cacert != NULL)
        lib->easy_setopt(f->curl, CURLOPT_CAINFO, f->opt->cacert);
    if (f->opt->cert != NULL)
        lib->easy_setopt(f->curl, CURLOPT_SSLCERT, f->opt->cert);
    if (f->opt->key != NULL)
        lib->easy_setopt(f->curl, CURLOPT_SSLKEY, f->opt->key);
    if (f->opt->insecure) {
        lib->easy_setopt(f->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        lib->easy_setopt(f->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    rc = lib->easy_perform(f->curl);
    if (rc != CURLE_OK) {
        snprintf(f->error, sizeof(f->error), "%s", curl_err[0] ? curl_err : lib->easy_strerror(rc));
        goto out;
    }
    lib->easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->status);
    cm_buf_addc(&f->body, '\0');
    f->body.len--;
    ret = 0;
out:
    /* the handle outlives this frame: it must keep no pointer into it, nor to the headers */
    lib->easy_setopt(f->curl, CURLOPT_ERRORBUFFER, NULL);
    lib->easy_setopt(f->curl, CURLOPT_HTTPHEADER, NULL);
    lib->slist_free_all(headers);
    return ret;
}

static json_object *
parse_json(const struct cm_buf *b)
{
    return b->len > 0 && b->len < 0x7fffffff ? json_tokener_parse(b->data) : NULL;
}

static const char *
json_get_string(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

/*
 * The error client-go makes of a failed request: the Status message when
 * the body is one, else its generic text for the code.
 */
static void
client_error(const struct fetcher *f, const char *what, char *out, size_t outlen)
{
    json_object *o;
    const char *msg;

    if (f->status == 0) {
        snprintf(out, outlen, "Get \"%s\": %s", f->opt->url, f->error);
        return;
    }
    o = parse_json(&f->body);
    msg = o ? json_get_string(o, "message") : NULL;
    if (msg != NULL && json_get_string(o, "kind") && strcmp(json_get_string(o, "kind"), "Status") == 0)
        snprintf(out, outlen, "%s", msg);
    else if (f->status == 503)
        snprintf(out, outlen, "the server is currently unable to handle the request (get %s)", what);
    else if (f->status == 404)
        snprintf(out, outlen, "the server could not find the requested resource (get %s)", what);
    else
        snprintf(out, outlen, "the server responded with the status code %ld but did not "
                 "return more information (get %s)", f->status, what);
    json_object_put(o);
}

/* An item's value ("1500m", or a bare number) in thousandths. */
static int
item_milli(json_object *item, int64_t *out)
{
    struct cm_quantity q;
    json_object *v;
    const char *s, *err;

    if (!json_object_object_get_ex(item, "value", &v))
        return -1;
    s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                 : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    if (cm_quantity_parse(s, strlen(s), &q, &err) < 0)
        return -1;
    *out = cm_quantity_milli(&q);
    return 0;
}

/* The preferred version of custom.metrics.k8s.io, as the HPA's client discovers it. */
static const char *
preferred_version(struct fetcher *f, char *err, size_t errlen)
{
    static char version[64];
    json_object *o, *pv;
    const char *v;

    if (fetch(f, "/apis/custom.metrics.k8s.io") < 0) {
        snprintf(err, errlen, "no custom metrics API (custom.metrics.k8s.io) registered: %s",
                 f->error);
        return NULL;
    }
    o = f->status == 200 ? parse_json(&f->body) : NULL;
    v = o && json_object_object_get_ex(o, "preferredVersion", &pv) ? json_get_string(pv, "version")
                                                                  : NULL;
    if (v == NULL || (strcmp(v, "v1beta2") != 0 && strcmp(v, "v1beta1") != 0)) {
        snprintf(err, errlen, f->status == 200 ? "no known available metric versions found"
                                               : "no custom metrics API (custom.metrics.k8s.io) registered");
        json_object_put(o);
        return NULL;
    }
    snprintf(version, sizeof(version), "%s", v);
    json_object_put(o);
    return version;
}

/*
 * Fetches metric m into r.  Errors are the HPA's metrics client's texts
 * (pkg/controller/podautoscaler/metrics/client.go), in r->reading.error.
 */
static void
read_metric(struct fetcher *f, const struct cm_hpa *h, const struct cm_hpa_metric *m,
            const char *version, const char *version_error, const char *pod_selector,
            struct result *r)
{
    const char *api = m->source == CM_HPA_EXTERNAL ? "external" : "custom";
    json_object *o = NULL, *items;
    struct cm_buf path;
    char what[1024], err[CM_HPA_TEXT_MAX / 2];
    size_t i, n;

    r->reading.error = NULL;
    if (m->source == CM_HPA_RESOURCE)
        return;
    if (m->source != CM_HPA_EXTERNAL && version == NULL) {
        snprintf(r->client_error, sizeof(r->client_error),
                 "unable to fetch metrics from custom metrics API: %s", version_error);
        r->reading.error = r->client_error;
        return;
    }
    cm_buf_init(&path, sizeof(r->url));
    if (cm_hpa_request(h, m, version, pod_selector, &path) < 0) {
        snprintf(r->client_error, sizeof(r->client_error), "unable to fetch metrics from custom "
                 "metrics API: no matches for kind \"%s\" in group \"%s\" (explain knows the "
                 "built-in kinds only)", m->object_kind, m->object_api_version);
        r->reading.error = r->client_error;
        cm_buf_free(&path);
        return;
    }
    snprintf(r->url, sizeof(r->url), "%.*s", (int)path.len, path.data);
    cm_buf_free(&path);
    if (m->source == CM_HPA_PODS)
        snprintf(what, sizeof(what), "pods.custom.metrics.k8s.io *");
    else if (m->source == CM_HPA_OBJECT)
        snprintf(what, sizeof(what), "%s.custom.metrics.k8s.io %s", m->object_kind, m->object_name);
    else
        snprintf(what, sizeof(what), "%s.external.metrics.k8s.io", m->name);

    if (fetch(f, r->url) < 0 || f->status != 200) {
        client_error(f, what, err, sizeof(err));
        snprintf(r->client_error, sizeof(r->client_error), "unable to fetch metrics from %s "
                 "metrics API: %s", api, err);
        r->reading.error = r->client_error;
        return;
    }
    o = parse_json(&f->body);
    if (o == NULL || !json_object_object_get_ex(o, "items", &items) ||
        !json_object_is_type(items, json_type_array)) {
        snprintf(r->client_error, sizeof(r->client_error), "unable to fetch metrics from %s "
                 "metrics API: the answer is not a %sMetricValueList", api,
                 m->source == CM_HPA_EXTERNAL ? "External" : "");
        r->reading.error = r->client_error;
        goto done;
    }
    n = json_object_array_length(items);
    if (m->source == CM_HPA_OBJECT && n != 1) {
        snprintf(r->client_error, sizeof(r->client_error), "unable to fetch metrics from custom "
                 "metrics API: the custom metrics API server returned %zu results when we asked "
                 "for exactly one", n);
        r->reading.error = r->client_error;
        goto done;
    }
    if (n == 0) {
        snprintf(r->client_error, sizeof(r->client_error), "no metrics returned from %s metrics API",
                 api);
        r->reading.error = r->client_error;
        goto done;
    }
    if (n > VALUES_MAX)
        n = VALUES_MAX;
    r->milli = calloc(n, sizeof(*r->milli));
    r->names = calloc(n, sizeof(*r->names));
    if (r->milli == NULL || r->names == NULL) {
        snprintf(r->client_error, sizeof(r->client_error), "out of memory");
        r->reading.error = r->client_error;
        goto done;
    }
    for (i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(items, i), *d;
        const char *name = NULL;
        int64_t v;
        size_t k;

        if (item_milli(item, &v) < 0) {
            snprintf(r->client_error, sizeof(r->client_error), "unable to fetch metrics from %s "
                     "metrics API: item %zu has no value that is a quantity", api, i);
            r->reading.error = r->client_error;
            goto done;
        }
        if (json_object_object_get_ex(item, "describedObject", &d))
            name = json_get_string(d, "name");
        if (m->source == CM_HPA_PODS && name != NULL) {
            /* keyed by pod name: a repeated name keeps the last value */
            for (k = 0; k < r->n && strcmp(r->names[k], name) != 0; k++)
                ;
            if (k < r->n) {
                r->milli[k] = v;
                continue;
            }
        }
        r->names[r->n] = strdup(name ? name : "");
        r->milli[r->n++] = v;
    }
    r->reading.n = r->n;
    r->reading.milli = r->milli;
done:
    json_object_put(o);
}

static const char *
milli_text(int64_t milli, struct cm_quantity *q)
{
    cm_quantity_from_milli(milli, q);
    return q->text;
}

static const char *
target_name(const struct cm_hpa_metric *m)
{
    return m->target == CM_HPA_VALUE ? "value" : m->target == CM_HPA_AVERAGE_VALUE
                                                     ? "averageValue" : "averageUtilization";
}

static void
print_text(const struct cm_hpa *h, long replicas, const struct result *res,
           const struct cm_hpa_decision *d)
{
    size_t i, k;

    printf("HorizontalPodAutoscaler %s/%s: %ld replicas now, min %d, max %d, tolerance "
           "-%g/+%g\n", h->ns, h->name, replicas, h->min_replicas, h->max_replicas,
           h->tolerance_down, h->tolerance_up);
    for (i = 0; i < h->nmetrics; i++) {
        const struct cm_hpa_metric *m = &h->metrics[i];
        const struct result *r = &res[i];
        const struct cm_hpa_outcome *o = &r->outcome;
        struct cm_quantity q;

        printf("\n%zu. %s metric %s", i + 1, cm_hpa_source_name(m->source), m->name);
        if (m->source == CM_HPA_OBJECT)
            printf(" of %s %s", m->object_kind, m->object_name);
        if (*m->selector)
            printf(" {%s}", m->selector);
        printf(", target %s %s\n", target_name(m), m->target_text ? m->target_text : "-");
        if (r->url[0])
            printf("   GET %s\n", r->url);
        if (!o->ok) {
            printf("   %s: %s\n", o->reason, o->event);
            continue;
        }
        printf("   values:");
        for (k = 0; k < r->n && k < 20; k++)
            printf("%s %s%s%s", k ? "," : "", r->names[k][0] ? r->names[k] : "",
                   r->names[k][0] ? " " : "", milli_text(r->milli[k], &q));
        if (r->n > 20)
            printf(", ... (%zu in all)", r->n);
        printf("\n");
        printf("   current %s %s: ratio %.3f, %s the tolerance\n",
               m->source == CM_HPA_PODS || m->target == CM_HPA_AVERAGE_VALUE ? "averageValue"
                                                                             : "value",
               milli_text(o->usage_milli, &q), o->ratio, o->within ? "within" : "outside");
        printf("   proposes %d replica%s\n", o->replicas, o->replicas == 1 ? "" : "s");
    }
    printf("\n%s replicas: %d (%s)\n", d->ok ? "desired" : "kept", d->desired, d->message);
}

static void
print_json(const struct cm_hpa *h, long replicas, const struct result *res,
           const struct cm_hpa_decision *d)
{
    struct cm_buf b;
    struct cm_json j;
    struct cm_quantity q;
    size_t i;

    cm_buf_init(&b, 64u << 20);
    cm_json_init(&j, &b, 1);
    cm_json_object_begin(&j);
    cm_json_key(&j, "namespace");       cm_json_string(&j, h->ns);
    cm_json_key(&j, "name");            cm_json_string(&j, h->name);
    cm_json_key(&j, "currentReplicas"); cm_json_int(&j, replicas);
    cm_json_key(&j, "desiredReplicas"); cm_json_int(&j, d->desired);
    cm_json_key(&j, "rescale");         cm_json_bool(&j, d->ok && d->desired != replicas);
    cm_json_key(&j, "message");         cm_json_string(&j, d->message);
    cm_json_key(&j, "metrics");
    cm_json_array_begin(&j);
    for (i = 0; i < h->nmetrics; i++) {
        const struct cm_hpa_metric *m = &h->metrics[i];
        const struct cm_hpa_outcome *o = &res[i].outcome;

        cm_json_object_begin(&j);
        cm_json_key(&j, "name");   cm_json_string(&j, m->name);
        cm_json_key(&j, "type");   cm_json_string(&j, cm_hpa_source_name(m->source));
        cm_json_key(&j, "value");
        if (o->ok)
            cm_json_string(&j, milli_text(o->usage_milli, &q));
        else
            cm_json_null(&j);
        cm_json_key(&j, "target");
        if (m->target_text)
            cm_json_string(&j, m->target_text);
        else
            cm_json_null(&j);
        cm_json_key(&j, "ratio");
        if (o->ok)
            cm_json_double(&j, o->ratio, 3);
        else
            cm_json_null(&j);
        cm_json_key(&j, "withinTolerance");
        if (o->ok)
            cm_json_bool(&j, o->within);
        else
            cm_json_null(&j);
        cm_json_key(&j, "replicas");
        if (o->ok)
            cm_json_int(&j, o->replicas);
        else
            cm_json_null(&j);
        cm_json_key(&j, "error");
        if (o->ok) {
            cm_json_null(&j);
        } else {
            char e[CM_HPA_TEXT_MAX + 64];

            snprintf(e, sizeof(e), "%s: %s", o->reason, o->event);
            cm_json_string(&j, e);
        }
        cm_json_object_end(&j);
    }
    cm_json_array_end(&j);
    cm_json_object_end(&j);
    printf("%s\n", b.data);
    cm_buf_free(&b);
}

static int
parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "hpa", required_argument, NULL, 'H' },
        { "url", required_argument, NULL, 'u' },
        { "insecure-skip-tls-verify", no_argument, NULL, 'k' },
        { "cacert", required_argument, NULL, 'C' },
        { "cert", required_argument, NULL, 'c' },
        { "key", required_argument, NULL, 'K' },
        { "token-file", required_argument, NULL, 't' },
        { "replicas", required_argument, NULL, 'r' },
        { "selector", required_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    char *end;

    memset(o, 0, sizeof(*o));
    o->replicas = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': o->hpa = optarg; break;
        case 'u': o->url = optarg; break;
        case 'k': o->insecure = 1; break;
        case 'C': o->cacert = optarg; break;
        case 'c': o->cert = optarg; break;
        case 'K': o->key = optarg; break;
        case 't': o->token_file = optarg; break;
        case 's': o->selector = optarg; break;
        case 'r':
            o->replicas = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || o->replicas < 0 || o->replicas > INT32_MAX) {
                fprintf(stderr, "explain: --replicas takes a whole number, not '%s'\n", optarg);
                return -1;
            }
            break;
        case 'o':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr, "explain: -o takes text or json, not '%s'\n", optarg);
                return -1;
            }
            o->json = optarg[0] == 'j';
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        default:
            fputs(usage_text, stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "explain: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->hpa == NULL || o->url == NULL || o->replicas < 0 || o->selector == NULL) {
        fprintf(stderr, "explain: --hpa, --url, --replicas and --selector are required\n%s",
                usage_text);
        return -1;
    }
    if (o->insecure && o->cacert) {
        fprintf(stderr, "explain: --insecure-skip-tls-verify and --cacert exclude each other\n");
        return -1;
    }
    if ((o->cert == NULL) != (o->key == NULL) || (o->cert && o->token_file)) {
        fprintf(stderr, "explain: give --cert with --key, or --token-file\n");
        return -1;
    }
    return 0;
}

int
cm_explain_main(int argc, char **argv)
{
    struct options opt;
    struct cm_hpa hpa;
    struct cm_diag diag;
    struct cm_arena arena;
    struct cm_selector sel;
    struct cm_buf canon;
    struct fetcher f;
    struct result *res = NULL;
    struct cm_hpa_outcome *outcomes = NULL;
    struct cm_hpa_decision decision;
    const char *version = NULL, *err;
    char version_error[1024] = "";
    size_t i, k;
    int status = 2, wants_custom = 0;

    memset(&f, 0, sizeof(f));
    cm_diag_init(&diag);
    cm_arena_init(&arena, 4096);
    cm_buf_init(&canon, CM_SELECTOR_MAX_LEN * 4);
    memset(&hpa, 0, sizeof(hpa));
    cm_arena_init(&hpa.arena, 64);
    if (parse_options(argc, argv, &opt) < 0)
        goto out;
    if (cm_selector_parse(&sel, opt.selector, strlen(opt.selector), &arena, &err) < 0) {
        fprintf(stderr, "explain: --selector: %s\n", err);
        goto out;
    }
    cm_selector_format(&sel, &canon);
    cm_buf_addc(&canon, '\0');
    cm_hpa_free(&hpa);
    if (cm_hpa_load(&hpa, opt.hpa, &diag) < 0) {
        cm_diag_print(&diag, stderr);
        goto out;
    }
    if ((f.lib = cm_curlib()) == NULL || (f.curl = f.lib->easy_init()) == NULL) {
        fprintf(stderr, "explain: %s\n", f.lib ? "libcurl cannot make a handle" : cm_curlib_error());
        goto out;
    }
    f.opt = &opt;
    cm_buf_init(&f.body, BODY_MAX);
    res = calloc(hpa.nmetrics, sizeof(*res));
    outcomes = calloc(hpa.nmetrics, sizeof(*outcomes));
    if (res == NULL || outcomes == NULL) {
        fprintf(stderr, "explain: out of memory\n");
        goto out;
    }
    for (i = 0; i < hpa.nmetrics; i++)
        wants_custom |= hpa.metrics[i].source == CM_HPA_PODS || hpa.metrics[i].source == CM_HPA_OBJECT;
    if (wants_custom)
        version = preferred_version(&f, version_error, sizeof(version_error));
    for (i = 0; i < hpa.nmetrics; i++) {
        read_metric(&f, &hpa, &hpa.metrics[i], version, version_error, canon.data, &res[i]);
        cm_hpa_compute(&hpa, &hpa.metrics[i], (int32_t)opt.replicas, &res[i].reading,
                       &res[i].outcome);
        outcomes[i] = res[i].outcome;
    }
    cm_hpa_decide(&hpa, (int32_t)opt.replicas, outcomes, hpa.nmetrics, &decision);
    if (opt.json)
        print_json(&hpa, opt.replicas, res, &decision);
    else
        print_text(&hpa, opt.replicas, res, &decision);
    status = decision.ok ? 0 : 1;
out:
    for (i = 0; res != NULL && i < hpa.nmetrics; i++) {
        for (k = 0; k < res[i].n; k++)
            free(res[i].names[k]);
        free(res[i].names);
        free(res[i].milli);
    }
    free(res);
    free(outcomes);
    if (f.curl != NULL)
        f.lib->easy_cleanup(f.curl);
    cm_buf_free(&f.body);
    cm_hpa_free(&hpa);
    cm_buf_free(&canon);
    cm_arena_free(&arena);
    cm_diag_free(&diag);
    return status;
}
