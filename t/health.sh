#!/usr/bin/env bash
# Health never waits behind work, and a slow or failing Prometheus is asked
# no more than it can answer.  The real pair (nginx, TLS, workers) in front
# of t/tools/slow-prom.py, a Prometheus-speaking server that answers slowly
# (or fails) and counts the queries it receives; 20 clients loop on a
# Prometheus metric meanwhile.
. "$top_srcdir/t/lib.sh"
PYTHON=${PYTHON:-$(command -v python3 || true)}
need "$NGINX" "$CURL" "$JQ" "$PYTHON"

CLIENTS=20 WORKERS=6 DELAY=1.5
metric="/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/slow_requests"

"$PYTHON" "$top_srcdir/t/tools/slow-prom.py" "$tmp/prom.port" --delay "$DELAY" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$tmp/prom.port" ] && break; sleep 0.1; done
prom="http://127.0.0.1:$(cat "$tmp/prom.port")"
stat_of() { "$CURL" -s --max-time 5 "$prom/stats" | "$JQ" -r ".$1"; }
control() { "$CURL" -s --max-time 5 -o /dev/null "$prom/control?$1"; }

cat > "$tmp/metrics.yaml" <<YAML
prometheus:
  url: $prom
  timeout: 10s
metrics:
  - name: slow_requests
    resources: [pods]
    source:
      prometheus: {query: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)', series: up}
YAML
start_pair --config "$tmp/metrics.yaml" --workers "$WORKERS"

# clients LABEL: starts $CLIENTS loops on the metric until $tmp/stop-LABEL
# exists (at most 200 requests each); each request's status goes to a file.
clients() {
    local i
    rm -f "$tmp/stop-$1"
    client_pids=()
    for i in $(seq 1 "$CLIENTS"); do
        (for _ in $(seq 1 200); do
            [ -e "$tmp/stop-$1" ] && break
            "$CURL" -ks -o /dev/null -w '%{http_code}\n' --max-time 60 "$url$metric"
         done > "$tmp/$1.$i") &
        pids+=($!) client_pids+=($!)
    done
}
# answered LABEL [CODE]: requests the clients have had answered (with CODE)
answered() { cat "$tmp/$1".* 2>/dev/null | grep -c "^${2:-[0-9]}" || true; }
# wait_for DESC CMD...: CMD (a function, evaluated each time) succeeds within 60 s
wait_for() {
    local desc=$1 i
    shift
    for i in $(seq 1 600); do "$@" && return 0; sleep 0.1; done
    fail "$desc (not within 60 s)"
    return 1
}
# stop_clients LABEL: each loop ends after its request in flight (curl --max-time bounds it)
stop_clients() {
    touch "$tmp/stop-$1"
    wait "${client_pids[@]}" 2>/dev/null
}

# ---- 1. health answers while every worker waits on Prometheus
check "a Prometheus metric through the pair" "$(status_of "$url$metric")" 200
control reset=1
clients slow
busy() { [ "$(stat_of inflight)" -ge 1 ]; }
wait_for "the clients keep Prometheus busy" busy
# The bound is generous (2 s, for a loaded machine); what matters is that no
# slow answer landed while health was asked: it did not wait behind one.
for path in /livez /readyz /healthz /readyz/objects; do
    seen=""
    for attempt in 1 2 3 4 5; do
        before=$(stat_of done) busy=$(stat_of inflight)
        got=$("$CURL" -ks --max-time 2 -o "$tmp/h" -w '%{http_code}' "$url$path")
        body=$(cat "$tmp/h")
        after=$(stat_of done)
        if [ "$got $body" != "200 ok" ]; then
            fail "$path under load: got '$got $body' (curl --max-time 2)"
            seen=bad
            break
        fi
        if [ "$busy" -ge 1 ] && [ "$before" = "$after" ]; then seen=1; break; fi
    done
    [ "$seen" = 1 ] && pass "$path: 200 ok while Prometheus was still answering the clients"
    [ -z "$seen" ] && fail "$path: never asked while a slow query was in flight"
done
"$CURL" -ks --max-time 2 "$url/readyz?verbose" > "$tmp/verbose"
grep -q '^readyz check passed$' "$tmp/verbose" && pass "readyz?verbose: the same Go text under load" ||
    fail "readyz?verbose under load: $(cat "$tmp/verbose")"

# ---- 2. identical concurrent queries reach Prometheus once per flight
has_answers() { [ "$(answered "$1")" -ge "$2" ]; }
wait_for "the clients have 40 answers" has_answers slow 40
stop_clients slow
requests=$(answered slow) ok=$(answered slow 200) queries=$(stat_of queries)
check "every slow request answered 200" "$ok" "$requests"
# Without sharing each request is one query; with $WORKERS workers sharing,
# about one query per $WORKERS requests.  Half is far from both.
if [ "$queries" -ge 1 ] && [ $((queries * 2)) -le "$requests" ]; then
    pass "$requests requests, $queries queries reached Prometheus"
else
    fail "$requests requests made $queries queries (want at most $((requests / 2)))"
fi

# ---- 3. a failing Prometheus is asked at most at the breaker's rate
control "mode=fail&reset=1"
start=$(date +%s)
clients failing
wait_for "the clients have 300 answers" has_answers failing 300
code=$(status_of "$url/readyz" --max-time 2)
check "readyz: 200 while Prometheus fails" "$code" 200
stop_clients failing
elapsed=$(( $(date +%s) - start + 1 ))
requests=$(answered failing) failed=$(answered failing 503) queries=$(stat_of queries)
check "every request failed with a 503" "$failed" "$requests"
# 5 failures in a row open the breaker (CM_BREAKER_FAILURES); then one probe
# per back-off (1 s, doubling).  Allow a flight per worker on top.
bound=$((5 + WORKERS + elapsed))
if [ "$queries" -le "$bound" ]; then
    pass "$requests requests in ${elapsed}s, $queries queries reached Prometheus (at most $bound)"
else
    fail "$requests requests in ${elapsed}s made $queries queries (want at most $bound)"
fi
grep -q 'prometheus: 5 queries in a row failed; not asking it for' "$tmp/pair.log" &&
    pass "the log says the breaker opened" || fail "no breaker line in the log"

# ---- 4. it recovers: a probe finds Prometheus answering again
control "mode=ok&delay=0"
recovered() { [ "$(status_of "$url$metric" --max-time 20)" = 200 ]; }
wait_for "the metric answers again once Prometheus does" recovered &&
    pass "a probe closed the breaker: the metric answers again"
grep -q 'prometheus answers again; queries resume' "$tmp/pair.log" &&
    pass "the log says the breaker closed" || fail "no recovery line in the log"
finish
