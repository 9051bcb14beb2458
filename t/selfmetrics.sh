#!/usr/bin/env bash
# Self-metrics on the metrics port, through the real pair: the port serves
# /metrics and the health paths without credentials and nothing else; the
# API port does not serve /metrics.  Counters move as requests are made, and
# are shared by every worker: requests served by workers that are then all
# killed (and the health worker with them) are still counted by the new
# ones.  A real Prometheus (Debian's package) scrapes the port and sees the
# same sums.  Last, the watch cache's metrics with the pair watching
# t/tools/kube-double.py: objects per resource, a relist after 410 Gone, the
# age of a broken watch.
. "$top_srcdir/t/lib.sh"
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}
need "$NGINX" "$CURL" "$JQ"

# a static metric for the load, a push metric, and two sources that fail:
# a file that is not there, and a Prometheus that nothing listens for
dead_port=$(free_port)
cat > "$tmp/metrics.yaml" <<YAML
prometheus: {url: "http://127.0.0.1:$dead_port", timeout: 3s}
metrics:
  - name: http_requests_per_second
    resources: [pods]
    source: {static: "250m"}
  - name: jobs_waiting
    resources: [pods]
    source: {push: {max_age: 2m}}
  - name: from_file
    resources: [pods]
    source: {file: {path: "$tmp/missing.prom"}}
  - name: from_prometheus
    resources: [pods]
    source: {prometheus: {query: 'up{<<.LabelMatchers>>}'}}
YAML
start_pair --metrics-port 0 --workers 3 --config "$tmp/metrics.yaml" -- --log-format json --log-level debug
murl=$(cat "$tmp/pair/metrics-url")
master=$(pgrep -f "serve --config .* --socket $tmp/pair/sock/fcgi.sock" | head -1)
[ -n "$master" ] || { fail "cannot find the master"; finish; }

# mget PATH: "STATUS BODY" from the metrics port
mget() {
    "$CURL" -s --path-as-is --max-time "$HANG" -o "$tmp/mbody" -w '%{http_code}' -D "$tmp/mhead" \
        "$@" > "$tmp/mcode"
    echo "$(cat "$tmp/mcode") $(cat "$tmp/mbody")"
}
# sample NAME{LABELS}: the value of one sample of the page at $tmp/page ("" when absent)
sample() { awk -v s="$1" '$1 == s { print $2 }' "$tmp/page"; }
scrape() { "$CURL" -s --max-time "$HANG" -o "$tmp/page" -w '%{http_code}' "$murl/metrics"; }

SEL='/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/http_requests_per_second?labelSelector=app%3Dweb'
SEL_SAMPLE='cmf_requests_total{group="custom.metrics.k8s.io",version="v1beta2",route="selector",code="200"}'
NF_SAMPLE='cmf_requests_total{group="custom.metrics.k8s.io",version="v1beta1",route="object",code="404"}'

# ---- the metrics port serves /metrics and health, and nothing else
check "metrics port: /metrics is 200" "$(scrape)" 200
grep -qi '^content-type: text/plain; version=0.0.4' <("$CURL" -s -D - -o /dev/null "$murl/metrics") &&
    pass "metrics port: the Prometheus text format's content type" ||
    fail "metrics port: not text/plain; version=0.0.4"
grep -q '^cmf_build_info{version="[^"]*"} 1$' "$tmp/page" && pass "cmf_build_info is there" ||
    fail "no cmf_build_info: $(head -5 "$tmp/page")"
for fam in cmf_requests_total cmf_request_duration_seconds cmf_config_reloads_total \
           cmf_config_last_reload_success_timestamp_seconds cmf_config_info \
           cmf_source_errors_total cmf_prometheus_query_duration_seconds cmf_push_values \
           cmf_push_capacity cmf_worker_restarts_total; do
    grep -q "^# TYPE $fam " "$tmp/page" || fail "the page has no family $fam"
done
pass "every family is on the page"
check "the push store's capacity" "$(sample cmf_push_capacity)" 65536
check "the configuration's hash is the file's" \
    "$(grep -c '^cmf_config_info{hash="[0-9a-f]\{16\}"} 1$' "$tmp/page")" 1
for p in /apis /apis/custom.metrics.k8s.io/v1beta1 "$SEL" /openapi/v2 /metrics/ /metricsx /; do
    r=$(mget "$murl$p")
    check "metrics port: $p is a 404" "${r%% *}" 404
    check "metrics port: $p is a Status" "$(echo "${r#* }" | "$JQ" -r '.kind + " " + .reason')" \
        "Status NotFound"
done
r=$(mget "$murl/write-metrics/namespaces/default/pods/web-1/jobs_waiting" -X POST \
    -H "Authorization: Bearer $(cat "$tmp/pair/write-token")" -H 'Content-Type: application/json' \
    --data-raw '"1"')
check "metrics port: the write API is not there, even with its token" "${r%% *}" 404
check "metrics port: /healthz" "$(mget "$murl/healthz")" "200 ok"
check "metrics port: /readyz?verbose" "$(mget "$murl/readyz?verbose" | head -1 | cut -c1-14)" "200 [+]ping ok"
r=$(get /metrics)
check "API port: /metrics is a 404 (not served there)" "${r%% *}" 404
r=$(get /metrics -H "Authorization: Bearer $(cat "$tmp/pair/write-token")")
check "API port: /metrics is a 404 with a token too" "${r%% *}" 404

# ---- sources: their errors, Prometheus' query latency, the push store's size
POD=/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p
scrape > /dev/null
check "no file source error yet" "$(sample 'cmf_source_errors_total{kind="file"}')" 0
check "no Prometheus query yet" "$(sample cmf_prometheus_query_duration_seconds_count)" 0
check "an empty push store" "$(sample cmf_push_values)" 0
check "a missing file is a 503" "$(status_of "$url$POD/from_file")" 503
check "a Prometheus that is down is a 503" "$(status_of "$url$POD/from_prometheus")" 503
check "a write" "$(status_of "$url/write-metrics/namespaces/default/pods/web-7d4b9c-x2k4p/jobs_waiting" \
    -X POST -H "Authorization: Bearer $(cat "$tmp/pair/write-token")" \
    -H 'Content-Type: application/json' --data-raw '"3"')" 200
scrape > /dev/null
check "the file source's error is counted" "$(sample 'cmf_source_errors_total{kind="file"}')" 1
check "the Prometheus source's error is counted" "$(sample 'cmf_source_errors_total{kind="prometheus"}')" 1
check "no other kind failed" "$(sample 'cmf_source_errors_total{kind="push"}')$(sample 'cmf_source_errors_total{kind="static"}')" 00
check "the query is in Prometheus' latency histogram" \
    "$(sample cmf_prometheus_query_duration_seconds_count)" 1
check "the written value is in the push store" "$(sample cmf_push_values)" 1
check "the write is counted under route write" \
    "$(sample 'cmf_requests_total{group="",version="",route="write",code="200"}')" 1

# ---- counters move, and are shared: batch 1, all workers killed, batch 2
scrape > /dev/null
before=$(sample "$SEL_SAMPLE")
check "no by-selector request counted yet" "${before:-0}" 0
# batch N K: K requests from 3 concurrent clients
batch() {
    local k=$1 c
    for c in 1 2 3; do
        ( for _ in $(seq 1 "$k"); do
              "$CURL" -ks --max-time "$HANG" -o /dev/null -w '%{http_code}\n' "$url$SEL"
          done ) > "$tmp/batch.$c" &
    done
    wait
    cat "$tmp/batch.1" "$tmp/batch.2" "$tmp/batch.3" | sort | uniq -c | awk '{ print $2 ":" $1 }'
}
check "batch 1: 30 answers, all 200" "$(batch 10)" "200:30"
get "/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/no_such" > /dev/null
scrape > /dev/null
check "batch 1 counted: 30" "$(sample "$SEL_SAMPLE")" 30
check "a 404 by name counted under its own code and route" "$(sample "$NF_SAMPLE")" 1
check "its latency histogram counts 30" \
    "$(sample 'cmf_request_duration_seconds_count{route="selector"}')" 30
check "its +Inf bucket counts 30" \
    "$(sample 'cmf_request_duration_seconds_bucket{route="selector",le="+Inf"}')" 30
pids_served() { "$JQ" -r 'select(.msg? // "" | test("^GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/")) | .pid' \
    < <(grep '^{' "$tmp/pair.log") 2>/dev/null | sort -u; }
pids_served > "$tmp/pids1"
[ -s "$tmp/pids1" ] && pass "the workers logged the requests they served ($(wc -l < "$tmp/pids1") worker(s))" ||
    fail "no worker logged a by-selector request"

old=$(pgrep -P "$master" | sort)
check "4 processes: 3 workers and the health worker" "$(echo "$old" | wc -l)" 4
kill -KILL $old
# respawned: none of the old processes is left, and four new ones run
respawned() { lacks $old && children_are "$master" 4; }
eventually 60 respawned && pass "every worker killed, and respawned"
eventually 60 prints 200 scrape
check "the restarts are counted" "$(sample cmf_worker_restarts_total)" 4
check "the counts of the dead workers are still there" "$(sample "$SEL_SAMPLE")" 30
check "batch 2: 30 answers, all 200" "$(batch 10)" "200:30"
pids_served > "$tmp/pids2"
new_pids=$(comm -13 "$tmp/pids1" "$tmp/pids2" | wc -l)
[ "$new_pids" -ge 1 ] && pass "batch 2 was served by new workers" || fail "no new worker served batch 2"
scrape > /dev/null
check "batches 1 and 2, served by different workers, sum to 60" "$(sample "$SEL_SAMPLE")" 60

# ---- reloads are counted: a refused edit, then a taken one (hot reload)
info() { scrape > /dev/null; grep '^cmf_config_info{' "$tmp/page"; }
hash_before=$(info)
reloads() { scrape > /dev/null; sample "cmf_config_reloads_total{result=\"$1\"}"; }
cp "$tmp/metrics.yaml" "$tmp/metrics.good"
printf 'metrics: [oops\n' > "$tmp/metrics.bad" && mv "$tmp/metrics.bad" "$tmp/metrics.yaml"
eventually 60 prints 1 reloads failure && pass "a refused reload is counted"
check "and the configuration serving is the same" "$(info)" "$hash_before"
{ cat "$tmp/metrics.good"; echo "# an edit"; } > "$tmp/metrics.new" && mv "$tmp/metrics.new" "$tmp/metrics.yaml"
eventually 60 prints 1 reloads success && pass "a taken reload is counted"
[ "$(info)" != "$hash_before" ] && pass "cmf_config_info names the new configuration's hash" ||
    fail "cmf_config_info did not change: $(info)"

# ---- the watch cache's metrics, with the pair watching a kube-apiserver double
watch_cache_part() {
    local py ctl_port api_port double_pid first
    py=$(command -v python3 || true)
    [ -n "$py" ] || { echo "SKIP: no python3: the watch cache's metrics are not tested"; return; }
    api_port=$(free_port); ctl_port=$(free_port)
    while [ "$ctl_port" = "$api_port" ]; do ctl_port=$(free_port); done
    cat > "$tmp/fixture.json" <<'JSON'
{"namespaces": [{"name": "default"}, {"name": "shop"}],
 "pods": [{"namespace": "default", "name": "web-1", "labels": {"app": "web"}},
          {"namespace": "default", "name": "web-2", "labels": {"app": "web"}},
          {"namespace": "shop", "name": "web-1", "labels": {"app": "web"}}]}
JSON
    printf 'metrics:\n  - name: load\n    resources: [pods]\n    source: {static: "1"}\n' > "$tmp/kmetrics.yaml"
    (umask 077; echo "token-one" > "$tmp/token")   # serve refuses a token file others can read
    write_kubeconfig "$tmp/kubeconfig" "http://127.0.0.1:$api_port" "" token
    "$py" "$top_srcdir/t/tools/kube-double.py" --plain --port "$api_port" --control-port "$ctl_port" \
        --token token-one --fixture "$tmp/fixture.json" > "$tmp/double.log" 2>&1 &
    double_pid=$!; pids+=($double_pid)
    ctl_up() { "$CURL" -s --max-time "$HANG" "http://127.0.0.1:$ctl_port/stats" 2>/dev/null | grep -q '"lists"'; }
    eventually 60 ctl_up || { cat "$tmp/double.log"; return; }
    kill -TERM "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true      # the first pair
    rm -rf "$tmp/pair"
    start_pair --metrics-port 0 --config "$tmp/kmetrics.yaml" --kubeconfig "$tmp/kubeconfig" \
        -- --watch-retry-max 1
    murl=$(cat "$tmp/pair/metrics-url")
    ctl() { "$CURL" -s --max-time "$HANG" -X POST "http://127.0.0.1:$ctl_port/$1" -d "$2" >/dev/null; }
    # metric SAMPLE: its value on a fresh scrape
    metric() { scrape > /dev/null; sample "$1"; }
    check "objects per resource: pods" "$(metric 'cmf_watch_cache_objects{resource="pods"}')" 3
    check "objects per resource: namespaces" "$(sample 'cmf_watch_cache_objects{resource="namespaces"}')" 2
    check "no relist yet" "$(sample 'cmf_watch_cache_relists_total{resource="pods"}')" 0
    check "in sync while watched" "$(sample 'cmf_watch_cache_sync_age_seconds{resource="pods"}')" 0
    first=$(sample 'cmf_watch_cache_last_list_timestamp_seconds{resource="pods"}')
    [ "${first:-0}" -gt 1700000000 ] 2>/dev/null && pass "the last LIST's time is there" ||
        fail "no last LIST time: '$first'"
    ctl event '{"resource":"pods","namespace":"default","name":"web-3","labels":{"app":"web"}}'
    eventually 60 prints 4 metric 'cmf_watch_cache_objects{resource="pods"}' &&
        pass "a pod added in the cluster is counted"
    ctl fault '{"gone": true}'
    eventually 60 prints 1 metric 'cmf_watch_cache_relists_total{resource="pods"}' &&
        pass "ERROR 410 Gone is counted as a relist"
    # the kube-apiserver goes away: the watch breaks, and is out of sync from then on
    kill -TERM "$double_pid"; wait "$double_pid" 2>/dev/null || true
    out_of_sync() { [ "$(metric 'cmf_watch_cache_sync_age_seconds{resource="pods"}')" -gt 0 ] 2>/dev/null; }
    eventually 60 out_of_sync && pass "a broken watch shows its age"
    check "the objects are still served (and counted)" \
        "$(sample 'cmf_watch_cache_objects{resource="pods"}')" 4
}

# ---- a real Prometheus scrapes the port, without credentials
prometheus_part() {
    local base prom_port prom_pid prom
    if [ -z "$PROMETHEUS" ]; then
        echo "SKIP: no prometheus binary: the scrape by a real Prometheus is not tested"
        return
    fi
    scrape > /dev/null
    base=$(sample "$SEL_SAMPLE"); base=${base:-0}
    prom_port=$(free_port)
    cat > "$tmp/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: custom-metrics-fcgi
    static_configs: [{targets: ["${murl#http://}"]}]
YML
    "$PROMETHEUS" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom-data" \
        --web.listen-address="127.0.0.1:$prom_port" > "$tmp/prometheus.log" 2>&1 &
    prom_pid=$!; pids+=($prom_pid)
    prom="http://127.0.0.1:$prom_port"
    # promq QUERY: the first result's value ("" when none)
    promq() {
        "$CURL" -s --max-time "$HANG" --data-urlencode "query=$1" "$prom/api/v1/query" 2>/dev/null |
            "$JQ" -r '.data.result[0].value[1] // ""' 2>/dev/null
    }
    if eventually 120 prints 1 promq 'up{job="custom-metrics-fcgi"}'; then
        pass "Prometheus scrapes the metrics port (up is 1)"
    else
        cat "$tmp/prometheus.log" | tail -20
    fi
    eventually 120 prints "$base" promq 'sum(cmf_requests_total{route="selector",code="200"}) or vector(0)' &&
        pass "Prometheus sees the $base by-selector requests"
    check "batch 3: 15 answers, all 200" "$(batch 5)" "200:15"
    eventually 120 prints $((base + 15)) promq 'sum(cmf_requests_total{route="selector",code="200"})' &&
        pass "Prometheus sees the counter move by 15"
    eventually 120 prints $((base + 15)) promq 'sum(cmf_request_duration_seconds_count{route="selector"})' &&
        pass "Prometheus reads the latency histogram"
    eventually 120 prints 4 promq 'cmf_worker_restarts_total' && pass "Prometheus sees the restarts"
    kill -TERM "$prom_pid"; wait "$prom_pid" 2>/dev/null || true
}

prometheus_part
watch_cache_part
finish
