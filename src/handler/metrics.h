/*
 * metrics.h - /metrics: the server's own metrics in the Prometheus text
 * format, for Prometheus to scrape on the metrics port without
 * credentials.  Only an API whose self_metrics is set answers it (the
 * health worker, which nginx's metrics-port server sends /metrics to);
 * anywhere else the path is an ordinary 404 Status, so the API port never
 * shows it.
 *
 * The numbers are the shared counters (counters.h), which every process of
 * the pool adds to, plus what the watch cache's control page says
 * (objcache.h) and the build.  The families, with their labels:
 *
 *   cmf_build_info{version}                                      gauge 1
 *   cmf_requests_total{group,version,route,code}                 counter
 *   cmf_request_duration_seconds{route}                          histogram
 *   cmf_config_reloads_total{result="success"|"failure"}          counter
 *   cmf_config_last_reload_success_timestamp_seconds             gauge
 *   cmf_config_info{hash}                                        gauge 1
 *   cmf_source_errors_total{kind}                                counter
 *   cmf_prometheus_query_duration_seconds                        histogram
 *   cmf_push_values, cmf_push_capacity                           gauge
 *   cmf_watch_cache_objects{resource}                            gauge
 *   cmf_watch_cache_last_list_timestamp_seconds{resource}        gauge
 *   cmf_watch_cache_sync_age_seconds{resource}                   gauge
 *   cmf_watch_cache_relists_total{resource}                      counter
 *   cmf_worker_restarts_total                                    counter
 */
#ifndef CM_METRICS_H
#define CM_METRICS_H

#include "ctx.h"

/* The version cmf_build_info reports; set by main (borrowed; "unknown" by default). */
void cm_metrics_set_version(const char *version);

/* Answers /metrics (see above), or a 404 Status where self-metrics are off. */
void cm_metrics_respond(struct cm_ctx *ctx);

#endif
