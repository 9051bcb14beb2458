#include "cli.h"
#include "duration.h"
#include "log.h"
#include "pushstore.h"
#include "watcher.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const char usage_text[] =
    "usage: custom-metrics-fcgi serve --config FILE --socket PATH [options]\n"
    "       custom-metrics-fcgi check --config FILE [--objects FILE | --kubeconfig FILE\n"
    "                                 [--kube-context NAME] | --master-url URL]\n"
    "       custom-metrics-fcgi explain --hpa FILE --url URL --replicas N --selector S [...]\n"
    "                                 (explain --help for its options)\n"
    "       custom-metrics-fcgi --help | --version\n"
    "\n"
    "A Kubernetes metrics API server (custom.metrics.k8s.io and\n"
    "external.metrics.k8s.io): FastCGI workers behind nginx, serving the\n"
    "metrics declared in metrics.yaml.\n"
    "\n"
    "serve options:\n"
    "  -c, --config FILE|DIR      metrics.yaml to serve, or a directory whose *.yaml\n"
    "                             files are its parts (required); reloaded when it\n"
    "                             changes and on SIGHUP, if check would accept it\n"
    "  -s, --socket PATH          unix socket for nginx; its directory must be the\n"
    "                             server's own (created 0750 if missing) (required)\n"
    "      --health-socket PATH   unix socket for nginx's /healthz, /livez and /readyz,\n"
    "                             served by a worker of its own that no slow source can\n"
    "                             hold up (default: health.sock beside --socket)\n"
    "  -w, --workers N            worker processes (default: the number of CPUs)\n"
    "  -o, --objects FILE         the objects that exist: a Kubernetes List in YAML or\n"
    "                             JSON, as 'kubectl get ... -o yaml' prints it\n"
    "      --kubeconfig FILE      watch the objects of the cluster this kubeconfig's\n"
    "                             current context names\n"
    "      --kube-context NAME    the kubeconfig context to use instead\n"
    "      --master-url URL       the kube-apiserver's URL (with --kubeconfig: instead\n"
    "                             of its server; alone: no credentials, e.g. kubectl proxy)\n"
    "                             Neither, no --objects, and KUBERNETES_SERVICE_HOST set:\n"
    "                             the in-cluster service account\n"
    "      --cache-dir DIR        where the watch cache keeps its images (default: the\n"
    "                             socket's directory)\n"
    "      --watch-retry-max S    the longest wait between attempts to reach the\n"
    "                             kube-apiserver (default 30)\n"
    "      --state-dir DIR        where push sources keep their values (DIR/push.db);\n"
    "                             without it push sources have no store\n"
    "      --push-capacity N      values the push store holds (default 65536)\n"
    "      --write-token-file F   the bearer token of the write API (POST /write-metrics);\n"
    "                             without it the write API is off\n"
    "      --shutdown-timeout S   seconds to let requests finish on SIGTERM (default 10)\n"
    "\n"
    "who may ask (the names of the Go generic apiserver's flags; LIST is comma-separated):\n"
    "      --requestheader-client-ca-file FILE   CA bundle the front proxy's client\n"
    "                             certificate must chain to (re-read when it changes);\n"
    "                             with a cluster and no such file: the ConfigMap\n"
    "                             kube-system/extension-apiserver-authentication\n"
    "      --requestheader-allowed-names LIST    CNs allowed (default: any)\n"
    "      --requestheader-username-headers LIST (default X-Remote-User)\n"
    "      --requestheader-group-headers LIST    (default X-Remote-Group)\n"
    "      --requestheader-extra-headers-prefix LIST (default X-Remote-Extra-)\n"
    "      --requestheader-uid-headers LIST      (default X-Remote-Uid)\n"
    "      --authorization-always-allow-paths LIST  (default /healthz,/readyz,/livez)\n"
    "      --authorization-webhook-cache-authorized-ttl D    (default 10s)\n"
    "      --authorization-webhook-cache-unauthorized-ttl D  (default 10s)\n"
    "      --authorization-review-timeout D      a review's longest wait (default 10s)\n"
    "      --authorization-static-allow-users LIST   without a cluster: who may read\n"
    "      --authorization-static-allow-groups LIST\n"
    "      --insecure-serve-anyone    no authentication and no authorization at all\n"
    "\n"
    "logging:\n"
    "      --log-format F         text (the default), logfmt or json: one record a line\n"
    "      --log-level L          error, warn, info (the default) or debug\n"
    "  -v, --verbose              log debug records (--log-level debug)\n"
    "\n"
    "check validates metrics.yaml (and --objects, or the kubeconfig, and with a\n"
    "cluster the resources only its discovery knows), prints one summary line and\n"
    "exits 0, or prints every problem as FILE:LINE:COLUMN: message and exits 1.\n";

static int
parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int
cm_cli_parse(int argc, char **argv, struct cm_cli *a)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "socket", required_argument, NULL, 's' },
        { "health-socket", required_argument, NULL, 'H' },
        { "workers", required_argument, NULL, 'w' },
        { "objects", required_argument, NULL, 'o' },
        { "shutdown-timeout", required_argument, NULL, 'T' },
        { "state-dir", required_argument, NULL, 'S' },
        { "push-capacity", required_argument, NULL, 'P' },
        { "write-token-file", required_argument, NULL, 'W' },
        { "kubeconfig", required_argument, NULL, 'K' },
        { "kube-context", required_argument, NULL, 'X' },
        { "master-url", required_argument, NULL, 'M' },
        { "cache-dir", required_argument, NULL, 'D' },
        { "watch-retry-max", required_argument, NULL, 'R' },
        { "requestheader-client-ca-file", required_argument, NULL, 1000 },
        { "requestheader-allowed-names", required_argument, NULL, 1001 },
        { "requestheader-username-headers", required_argument, NULL, 1002 },
        { "requestheader-group-headers", required_argument, NULL, 1003 },
        { "requestheader-extra-headers-prefix", required_argument, NULL, 1004 },
        { "requestheader-uid-headers", required_argument, NULL, 1005 },
        { "authorization-always-allow-paths", required_argument, NULL, 1006 },
        { "authorization-webhook-cache-authorized-ttl", required_argument, NULL, 1007 },
        { "authorization-webhook-cache-unauthorized-ttl", required_argument, NULL, 1008 },
        { "authorization-review-timeout", required_argument, NULL, 1009 },
        { "authorization-static-allow-users", required_argument, NULL, 1010 },
        { "authorization-static-allow-groups", required_argument, NULL, 1011 },
        { "insecure-serve-anyone", no_argument, NULL, 1012 },
        { "verbose", no_argument, NULL, 'v' },
        { "log-format", required_argument, NULL, 'F' },
        { "log-level", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(a, 0, sizeof(*a));
    a->shutdown_timeout = 10;
    a->allow_ttl_s = a->deny_ttl_s = a->review_timeout_s = 10;
    a->watch_retry_max = CM_WATCHER_RETRY_MAX_MS / 1000;
    a->workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (a->workers < 1)
        a->workers = 1;
    if (argc >= 2 && argv[1][0] != '-') {
        a->command = argv[1];
        argv++;
        argc--;
    }
    while ((c = getopt_long(argc, argv, "c:s:w:o:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->config = optarg; break;
        case 's': a->socket = optarg; break;
        case 'H': a->health_socket = optarg; break;
        case 'o': a->objects = optarg; break;
        case 'S': a->state_dir = optarg; break;
        case 'W': a->write_token_file = optarg; break;
        case 'K': a->kubeconfig = optarg; break;
        case 'X': a->kube_context = optarg; break;
        case 'M': a->master_url = optarg; break;
        case 'D': a->cache_dir = optarg; break;
        case 'R':
            if (parse_int(optarg, 1, 300, &a->watch_retry_max) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --watch-retry-max takes seconds from 1 to 300\n");
                return 2;
            }
            break;
        case 'P':
            if (parse_int(optarg, 16, (int)CM_PUSHSTORE_MAX_CAPACITY, &a->push_capacity) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --push-capacity takes a number from 16 to %u\n",
                        CM_PUSHSTORE_MAX_CAPACITY);
                return 2;
            }
            break;
        case 'w':
            if (parse_int(optarg, 1, 1024, &a->workers) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --workers takes a number from 1 to 1024\n");
                return 2;
            }
            break;
        case 'T':
            if (parse_int(optarg, 0, 3600, &a->shutdown_timeout) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --shutdown-timeout takes seconds from 0 to 3600\n");
                return 2;
            }
            break;
        case 1000: a->rh_ca_file = optarg; break;
        case 1001: a->rh_allowed_names = optarg; break;
        case 1002: a->rh_user_headers = optarg; break;
        case 1003: a->rh_group_headers = optarg; break;
        case 1004: a->rh_extra_prefix = optarg; break;
        case 1005: a->rh_uid_headers = optarg; break;
        case 1006: a->always_allow_paths = optarg; break;
        case 1007: case 1008: case 1009: {
            int64_t *d = c == 1007 ? &a->allow_ttl_s : c == 1008 ? &a->deny_ttl_s
                                                                 : &a->review_timeout_s;
            const char *why;

            if (strcmp(optarg, "0") == 0 || strcmp(optarg, "0s") == 0) {
                *d = 0;
            } else if (cm_duration_parse(optarg, strlen(optarg), d, &why) < 0 || *d > 3600) {
                const struct option *o = opts;

                while (o->name != NULL && o->val != c)      /* the flag's name, for the message */
                    o++;
                fprintf(stderr, "custom-metrics-fcgi: --%s takes a duration up to 1h, such as "
                        "10s (%s)\n", o->name ? o->name : "?", optarg);
                return 2;
            }
            if (c == 1009 && *d == 0) {
                fprintf(stderr, "custom-metrics-fcgi: --authorization-review-timeout must be "
                        "positive\n");
                return 2;
            }
            break;
        }
        case 1010: a->static_users = optarg; break;
        case 1011: a->static_groups = optarg; break;
        case 1012: a->insecure = 1; break;
        case 'v': cm_log_set_level(CM_LOG_DEBUG); break;
        case 'F': {
            enum cm_log_format f;

            if (cm_logfmt_parse(optarg, &f) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --log-format takes text, logfmt or json\n");
                return 2;
            }
            cm_log_set_format(f);
            break;
        }
        case 'L': {
            enum cm_log_level l;

            if (cm_log_level_parse(optarg, &l) < 0) {
                fprintf(stderr, "custom-metrics-fcgi: --log-level takes error, warn, info or debug\n");
                return 2;
            }
            cm_log_set_level(l);
            break;
        }
        case 'h': fputs(usage_text, stdout); exit(0);
        case 'V': printf("custom-metrics-fcgi %s\n", PACKAGE_VERSION); exit(0);
        default:
            fputs("Try 'custom-metrics-fcgi --help'.\n", stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "custom-metrics-fcgi: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (a->command == NULL) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (strcmp(a->command, "serve") != 0 && strcmp(a->command, "check") != 0) {
        fprintf(stderr, "custom-metrics-fcgi: unknown command '%s' (serve or check)\n", a->command);
        return 2;
    }
    if (a->config == NULL) {
        fprintf(stderr, "custom-metrics-fcgi: %s needs --config FILE\n", a->command);
        return 2;
    }
    if (a->objects != NULL && (a->kubeconfig != NULL || a->master_url != NULL)) {
        fprintf(stderr, "custom-metrics-fcgi: --objects or a cluster (--kubeconfig, "
                "--master-url), not both\n");
        return 2;
    }
    if (a->kube_context != NULL && a->kubeconfig == NULL) {
        fprintf(stderr, "custom-metrics-fcgi: --kube-context needs --kubeconfig\n");
        return 2;
    }
    if (strcmp(a->command, "serve") == 0 && a->socket == NULL) {
        fprintf(stderr, "custom-metrics-fcgi: serve needs --socket PATH\n");
        return 2;
    }
    return 0;
}

