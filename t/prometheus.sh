#!/usr/bin/env bash
# Prometheus sources against a real Prometheus (Debian's package), started on
# loopback, scraping a fixture target that nginx serves.  Queried through the
# real pair; then Prometheus stopped, and a Prometheus that answers too slowly.
. "$top_srcdir/t/lib.sh"
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}
OPENSSL=${OPENSSL:-$(command -v openssl || true)}
need "$NGINX" "$CURL" "$JQ" "$PROMETHEUS" "$OPENSSL"

target_port=$(free_port) slow_port=$(free_port) prom_port=$(free_port) tls_port=$(free_port)

# ---- the fixture target, and a "Prometheus" that trickles its answer (1 byte/s)
mkdir -p "$tmp/target/tmp"
cat > "$tmp/target/metrics" <<'TXT'
# TYPE fixture_requests counter
fixture_requests{namespace="default",pod="web-7d4b9c-x2k4p",verb="GET"} 10
fixture_requests{namespace="default",pod="web-7d4b9c-x2k4p",verb="POST"} 5
fixture_requests{namespace="default",pod="web-7d4b9c-h3j9s",verb="GET"} 2.5
fixture_requests{namespace="shop",pod="web-7d4b9c-x2k4p",verb="GET"} 1000
# TYPE fixture_queue gauge
fixture_queue{namespace="default",pod="web-7d4b9c-q8z6m",queue="a"} 7
fixture_queue{namespace="default",pod="web-7d4b9c-h3j9s",queue="b"} NaN
fixture_queue{namespace="default",deployment="web"} 3
# TYPE fixture_backlog gauge
fixture_backlog{queue="orders"} 120
fixture_backlog{queue="billing",namespace="shop"} 9
TXT
# Prometheus behind TLS and a bearer-token check (as kube-rbac-proxy would put it)
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
    -subj /CN=prometheus -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$tmp/target/tls.key" -out "$tmp/target/tls.crt" >/dev/null 2>&1
echo "prom-secret" > "$tmp/prom-token"
echo "wrong" > "$tmp/wrong-token"
user_line=""; [ "$(id -u)" = 0 ] && user_line="user root root;"
cat > "$tmp/target/nginx.conf" <<CONF
$user_line
worker_processes 1; pid $tmp/target/nginx.pid; error_log $tmp/target/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $tmp/target/tmp; fastcgi_temp_path $tmp/target/tmp;
    proxy_temp_path $tmp/target/tmp; scgi_temp_path $tmp/target/tmp; uwsgi_temp_path $tmp/target/tmp;
    server {
        listen 127.0.0.1:$target_port;
        location = /metrics { default_type text/plain; root $tmp/target; }
    }
    server {
        listen 127.0.0.1:$tls_port ssl;
        ssl_certificate $tmp/target/tls.crt; ssl_certificate_key $tmp/target/tls.key;
        location / {
            if (\$http_authorization != "Bearer prom-secret") { return 401; }
            proxy_pass http://127.0.0.1:$prom_port;
        }
    }
    server {
        listen 127.0.0.1:$slow_port;
        location / { limit_rate 1; default_type application/json;
                     return 200 '{"status":"success","data":{"resultType":"vector","result":[]}}'; }
    }
}
CONF
"$NGINX" -p "$tmp/target/" -c "$tmp/target/nginx.conf" -e "$tmp/target/error.log" -g 'daemon off;' &
pids+=($!)

# ---- Prometheus: scrapes the target every second
cat > "$tmp/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: fixture
    honor_labels: true
    static_configs: [{targets: ["127.0.0.1:$target_port"]}]
YML
"$PROMETHEUS" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom-data" \
    --web.listen-address="127.0.0.1:$prom_port" > "$tmp/prometheus.log" 2>&1 &
prom_pid=$!; pids+=($prom_pid)
prom="http://127.0.0.1:$prom_port"
# scraped: Prometheus has both backlog series (or has died: no use waiting)
scraped() {
    [ "$("$CURL" -s --max-time "$HANG" "$prom/api/v1/query?query=fixture_backlog" 2>/dev/null |
         "$JQ" -r '.data.result | length' 2>/dev/null)" = 2 ] || ! kill -0 "$prom_pid" 2>/dev/null
}
if ! eventually 120 scraped || ! kill -0 "$prom_pid" 2>/dev/null; then
    tail -20 "$tmp/prometheus.log"; echo "Prometheus did not scrape the fixture"; exit 1
fi
pass "Prometheus scrapes the fixture target"

# (a timeout far above what a loaded machine needs: only the slow case below
# is about the timeout)
cat > "$tmp/metrics.yaml" <<YAML
prometheus:
  url: $prom
  timeout: 20s
metrics:
  - name: http_requests
    resources: [pods]
    source:
      prometheus:
        query: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
        series: fixture_requests
  - name: queue_len
    resources: [pods, deployments.apps]
    source:
      prometheus: {query: '<<.Series>>{<<.LabelMatchers>>}', series: fixture_queue}
  - name: guarded
    resources: [pods]
    fallback: "0"
    source:
      prometheus: {query: '<<.Series>>{<<.LabelMatchers>>}', series: fixture_queue}
  - name: remembered
    resources: [pods]
    source:
      prometheus: {query: '<<.Series>>{<<.LabelMatchers>>}', series: fixture_queue, max_age: 10m}
  - name: broken
    resources: [pods]
    source:
      prometheus: {query: 'rate(<<.Series>>{<<.LabelMatchers>>}[1m]'}
external:
  - name: fixture_backlog
    labels: {source: prometheus}
    source:
      prometheus: {query: '<<.Series>>{<<.LabelMatchers>>}'}
YAML
start_pair --workers 1 --config "$tmp/metrics.yaml" --objects "$top_srcdir/examples/objects.yaml"
CM=/apis/custom.metrics.k8s.io/v1beta2/namespaces/default
items() { "$JQ" -r '[.items[] | .describedObject.name + "=" + .value] | join(",")' "$tmp/body"; }
queries() { "$CURL" -s "$prom/metrics" | awk '/^prometheus_http_requests_total\{.*handler="\/api\/v1\/query"/ { n += $2 } END { print n + 0 }'; }

# By selector: one query for all the pods; the namespace label is aggregated
# away, so the request's namespace applies; the shop pod of the same name is not counted.
before=$(queries) t0=$(date -u +%s)
get "$CM/pods/*/http_requests?labelSelector=app%3Dweb" > /dev/null
after=$(queries) t1=$(date -u +%s)
check "by selector: summed per pod" "$(items)" "web-7d4b9c-h3j9s=2500m,web-7d4b9c-x2k4p=15"
check "by selector: one query for all the pods" "$((after - before))" 1
# evaluated during the request: between the clock before it and after it
# (a second either side for rounding), however long the request took
ts=$(date -u -d "$("$JQ" -r '.items[0].timestamp' "$tmp/body")" +%s)
check "the timestamp is Prometheus' evaluation time" "$(( ts >= t0 - 1 && ts <= t1 + 1 ))" 1

get "$CM/pods/web-7d4b9c-q8z6m/queue_len?metricLabelSelector=queue%3Da" > /dev/null
check "by name, with a metric label selector" "$(items)" "web-7d4b9c-q8z6m=7"
check "by name: a metric label that does not match" \
    "$(get "$CM/pods/web-7d4b9c-q8z6m/queue_len?metricLabelSelector=queue%3Db" | head -c3)" 404
check "NaN is no value" "$(get "$CM/pods/web-7d4b9c-h3j9s/queue_len" | head -c3)" 404
get "$CM/deployments.apps/web/queue_len" > /dev/null
check "deployments by their label" "$(items)" "web=3"
check "a fallback for pods with no series" \
    "$(get "$CM/pods/*/guarded?labelSelector=app%3Dweb" >/dev/null; items)" \
    "web-7d4b9c-h3j9s=0,web-7d4b9c-q8z6m=7,web-7d4b9c-x2k4p=0"

code=$(get "$CM/pods/web-7d4b9c-x2k4p/broken" | head -c3)
check "a bad query is a 503" "$code" 503
check "that says what kind of error Prometheus gave" \
    "$("$JQ" -r .message "$tmp/body" | grep -c 'unable to fetch metric broken for pods: prometheus answered 400 (bad_data) (request ')" 1

EM=/apis/external.metrics.k8s.io/v1beta1/namespaces
check "external: series in their namespace, and those with none" \
    "$(get "$EM/shop/fixture_backlog" >/dev/null; "$JQ" -r '[.items[] | .metricLabels.queue + "=" + .value + "/" + .metricLabels.source] | sort | join(",")' "$tmp/body")" \
    "billing=9/prometheus,orders=120/prometheus"
check "external: labelSelector becomes matchers" \
    "$(get "$EM/shop/fixture_backlog?labelSelector=queue%3Dbilling" >/dev/null; "$JQ" -r '[.items[].value] | join(",")' "$tmp/body")" 9

# ---- Prometheus over TLS with a bearer token (one request each through cm-handle: real libcurl)
tls_case() {   # tls_case NAME EXTRA-YAML-LINES EXPECTED-STATUS [MESSAGE-PATTERN]
    { echo "prometheus:"; echo "  url: https://127.0.0.1:$tls_port"; echo "  timeout: 20s"; printf '%b' "$2"
      sed -n '/^metrics:/,$p' "$tmp/metrics.yaml"; } > "$tmp/tls.yaml"
    "$top_builddir/t/tools/cm-handle" --config "$tmp/tls.yaml" \
        --objects "$top_srcdir/examples/objects.yaml" --headers \
        "$CM/pods/web-7d4b9c-q8z6m/queue_len" > "$tmp/tls.out" 2> "$tmp/tls.log"
    check "$1" "$(head -1 "$tmp/tls.out")" "$3"
    [ -z "${4:-}" ] || check "$1: why" "$(cat "$tmp/tls.out" "$tmp/tls.log" | grep -c -- "$4")" 1
}
tls_case "TLS verified with ca_file, bearer token" \
    "  ca_file: $tmp/target/tls.crt\n  bearer_token_file: $tmp/prom-token\n" "200 OK"
check "TLS: the value" "$(tail -1 "$tmp/tls.out" | "$JQ" -r '.items[0].value')" 7
tls_case "TLS: a wrong token" \
    "  ca_file: $tmp/target/tls.crt\n  bearer_token_file: $tmp/wrong-token\n" \
    "503 Service Unavailable" "prometheus answered 401 (request"
tls_case "TLS: an unknown CA" "  bearer_token_file: $tmp/prom-token\n" \
    "503 Service Unavailable" "warn: request .*: prometheus https://127.0.0.1:$tls_port: .*certificate"
tls_case "TLS: insecure_skip_tls_verify" \
    "  insecure_skip_tls_verify: true\n  bearer_token_file: $tmp/prom-token\n" "200 OK"

# with max_age, the worker remembers each object's last good answer
get "$CM/pods/*/remembered?labelSelector=app%3Dweb" > /dev/null
check "max_age: a live answer" "$(items)" "web-7d4b9c-q8z6m=7"
remembered_at=$("$JQ" -r '.items[0].timestamp' "$tmp/body")

# ---- Prometheus goes away
kill -TERM "$prom_pid"; wait "$prom_pid" 2>/dev/null || true
get "$CM/pods/web-7d4b9c-q8z6m/remembered" > /dev/null
check "Prometheus down, within max_age: the last good value" "$(items)" "web-7d4b9c-q8z6m=7"
check "...with its real timestamp" "$("$JQ" -r '.items[0].timestamp' "$tmp/body")" "$remembered_at"
check "...and by selector" "$(get "$CM/pods/*/remembered?labelSelector=app%3Dweb" >/dev/null; items)" \
    "web-7d4b9c-q8z6m=7"
check "...an object it had no value for is a 404" \
    "$(get "$CM/pods/web-7d4b9c-h3j9s/remembered" | head -c3)" 404
code=$(get "$CM/pods/web-7d4b9c-x2k4p/http_requests" | head -c3)
check "Prometheus down: 503" "$code" 503
check "Prometheus down: the Status says why" \
    "$("$JQ" -r .message "$tmp/body" | grep -c "unable to fetch metric http_requests for pods: prometheus is not reachable (request ")" 1
check "Prometheus down: the fallback answers" \
    "$(get "$CM/pods/web-7d4b9c-x2k4p/guarded" >/dev/null; items)" "web-7d4b9c-x2k4p=0"

# ---- a Prometheus too slow to answer: the timeout bounds the request.
# What is asserted is the kind of failure (the transfer timed out, on the
# slow server, not before the configured 300 ms), never how long it took: a
# loaded machine takes longer.  The slow server would need about a minute to
# send its answer at 1 byte/s; "timeout 50" only guards against a hang.
sed -e "s|url: $prom|url: http://127.0.0.1:$slow_port|" -e 's|timeout: 20s|timeout: 300ms|' \
    "$tmp/metrics.yaml" > "$tmp/slow.yaml"
timeout 50 "$top_builddir/t/tools/cm-handle" --config "$tmp/slow.yaml" \
    --objects "$top_srcdir/examples/objects.yaml" --headers \
    "$CM/pods/web-7d4b9c-x2k4p/http_requests" > "$tmp/slow.out" 2> "$tmp/slow.log"
check "slow Prometheus: 503" "$(head -1 "$tmp/slow.out")" "503 Service Unavailable"
check "slow Prometheus: the client is told it timed out" "$(grep -c 'prometheus did not answer in time' "$tmp/slow.out")" 1
# the log has curl's detail; load can only make the wait longer than the configured 300 ms
ms=$(sed -n 's/.*Operation timed out after \([0-9]*\) milliseconds.*/\1/p' "$tmp/slow.log" | head -1)
check "slow Prometheus: the log says it timed out, not before the configured timeout" \
    "$([ "${ms:-0}" -ge 300 ] && echo yes)" yes
finish
