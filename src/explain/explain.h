/*
 * explain.h - "custom-metrics-fcgi explain": why a HorizontalPodAutoscaler
 * does what it does.
 *
 *   custom-metrics-fcgi explain --hpa FILE --url https://HOST:PORT
 *       [--insecure-skip-tls-verify | --cacert FILE]
 *       [--cert FILE --key FILE | --token-file FILE]
 *       --replicas N --selector SELECTOR [-o text|json]
 *
 * Given an autoscaling/v2 HPA manifest (hpa.h; "-" reads standard input),
 * the scale target's current replicas and pod selector (which only the
 * cluster knows), it fetches every metric from a metrics API server (this
 * one, or any other: the URLs are the ones the HPA's client requests) and
 * prints, per metric, the values, the value compared with the target, the
 * ratio, whether it is within the tolerance and the replicas it proposes,
 * then the count the HPA would ask for (replicas.h), or the event text the
 * HPA would show where it would fail.
 *
 * The fetches use libcurl (loaded on first use, src/util/curlib.c) and read
 * the answers with json-c; the arithmetic is replicas.c's, which is pure.
 */
#ifndef CM_EXPLAIN_H
#define CM_EXPLAIN_H

/* Runs the command on argv[1..] (argv[0] is "explain"); returns the exit status. */
int cm_explain_main(int argc, char **argv);

#endif
