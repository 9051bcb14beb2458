/*
 * cm-handle - answer one request through cm_router_handle(), without FastCGI.
 *
 *   cm-handle --config FILE [--objects FILE] [--method M] [--user-agent UA]
 *             [--accept A] [--now EPOCH] [--headers] [--count] [--repeat N] REQUEST_URI
 *
 * Prints the body (and with --headers the status line first).  The golden
 * tests use it with a fixed --now, so their expected files are exact bytes.
 * --count answers with the self-metrics' shared counters in use, as serve
 * does; --repeat N answers the request N times (printing the last answer),
 * so that make bench can count the instructions per request with and
 * without counting (callgrind), with the mean time per request on stderr.
 */
#include "router.h"
#include "counters.h"
#include "status.h"
#include "config.h"
#include "objects.h"
#include "source.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "objects", required_argument, NULL, 'o' },
        { "method", required_argument, NULL, 'm' },
        { "user-agent", required_argument, NULL, 'u' },
        { "accept", required_argument, NULL, 'a' },
        { "now", required_argument, NULL, 'n' },
        { "headers", no_argument, NULL, 'H' },
        { "count", no_argument, NULL, 'C' },
        { "repeat", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *objects = NULL;
    struct cm_request req = { .method = "GET", .uri = NULL, .now = 1795640400 };
    struct cm_config *cfg;
    struct cm_objects *objs = NULL;
    struct cm_response res;
    struct cm_arena arena;
    struct cm_buf body;
    struct cm_diag d;
    struct cm_api api;
    struct timespec t0, t1;
    size_t skipped;
    struct cm_counters *counters = NULL;
    char err[256];
    long repeat = 1, i;
    int c, headers = 0, count = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': objects = optarg; break;
        case 'm': req.method = optarg; break;
        case 'u': req.user_agent = optarg; break;
        case 'a': req.accept = optarg; break;
        case 'n': req.now = (time_t)strtoll(optarg, NULL, 10); break;
        case 'H': headers = 1; break;
        case 'C': count = 1; break;
        case 'r': repeat = strtol(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    if (config == NULL || optind + 1 != argc || repeat < 1) {
        fprintf(stderr, "usage: cm-handle --config FILE [--objects FILE] [options] [--repeat N] URI\n");
        return 2;
    }
    req.uri = argv[optind];
    cm_diag_init(&d);
    if (cm_config_load(&cfg, config, &d) < 0 ||
        (objects != NULL && cm_objects_load_file(&objs, objects, &skipped, &d) < 0)) {
        cm_diag_print(&d, stderr);
        return 1;
    }
    cm_diag_free(&d);
    api.config = cfg;
    api.objects = objs;
    api.sources = cm_sources_new(cfg, cm_source_backends_all);
    api.write_token_file = NULL;
    api.self_metrics = 0;
    api.cache = NULL;
    if (count) {
        counters = cm_counters_new(err, sizeof(err));
        if (counters == NULL) {
            fprintf(stderr, "cm-handle: %s\n", err);
            return 1;
        }
        cm_counters_use(counters);
    }
    cm_arena_init(&arena, 0);
    cm_buf_init(&body, 1u << 26);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < (repeat < 1 ? 1 : repeat); i++) {
        if (i > 0) {                /* as a worker does: one arena and body, reset */
            cm_arena_reset(&arena);
            cm_buf_reset(&body);
        }
        memset(&res, 0, sizeof(res));
        res.body = &body;
        cm_router_handle(&api, &req, &arena, &res);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (repeat > 1)
        fprintf(stderr, "cm-handle: %ld requests, %.2f us each\n", repeat,
                ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
                    1e3 / (double)repeat);
    if (headers)
        printf("%s\nContent-Type: %s\n\n", cm_status_text(res.status), res.content_type);
    fwrite(body.data, 1, body.len, stdout);
    cm_buf_free(&body);
    cm_arena_free(&arena);
    cm_sources_free(api.sources);
    cm_objects_free(objs);
    cm_config_free(cfg);
    cm_counters_free(counters);
    return 0;
}
