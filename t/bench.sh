#!/usr/bin/env bash
# make bench: the pair against the architecture's own limits, in one run.
#
# One nginx (same TLS, same HTTP settings, same FastCGI parameters) serves
# every row three ways, on the same response bytes:
#   static   nginx sends the bytes from a file (no FastCGI at all)
#   trivial  t/tools/cm-trivial writes the bytes over FastCGI, doing no work
#   pair     custom-metrics-fcgi computes the response
# wrk drives each over TLS with keep-alive, the trivial responder and the
# pair in interleaved runs (BENCH_RUNS of each, medians).  The ratio
# pair/trivial is the number that matters: 1.0 means the workers cost
# nothing over the hop itself.  Beside it, the CPU a request cost the
# machine (wrk, nginx's workers and the FastCGI pool, from /proc), which
# other tenants of a shared machine move far less than they move req/s.
# Then the proportional set size (PSS) of the master plus 4 idle workers.
# Last, the watch cache: the pair fed by t/tools/kube-double.py (a
# kube-apiserver double) with 10,000 and 100,000 pods of 5 labels each; the
# PSS of the whole pair (nginx, master, workers, watch cache) over the same
# pair with no pods, per pod; and a by-selector request matching 1000 of
# those pods against the trivial responder (BENCH_CACHE=0 skips this part,
# BENCH_MAIN=0 the rows before it).  Before it, the cost of a reload
# (BENCH_RELOAD=0 skips it): for a 10-metric and a 1000-metric metrics.yaml,
# the time from the rename of an edited file over it to the first answer
# that uses the edit (a by-name request for the metric it adds, polled over
# one keep-alive TLS connection), BENCH_RELOADS times (default 10).
#
# Environment: BENCH_DURATION (seconds per run, default 5), BENCH_RUNS
# (runs of the trivial responder and of the pair per row, default 3),
# BENCH_CONNECTIONS (default 16), BENCH_THREADS (default 2), BENCH_WORKERS
# (FastCGI workers for the trivial responder and the pair, default 4).
# This is a benchmark, not a test: it never fails on a number.
set -euo pipefail
: "${top_srcdir:?run through make bench}" "${CM_BIN:?}" "${CM_TRIVIAL:?}"
NGINX=${CM_NGINX:-$(command -v nginx || true)}
export -n NGINX     # nginx reads $NGINX as inherited sockets; keep it unexported
WRK=${WRK:-$(command -v wrk || true)}
duration=${BENCH_DURATION:-5}
runs=${BENCH_RUNS:-3}
conns=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-2}
workers=${BENCH_WORKERS:-4}
for t in "$NGINX" "$WRK"; do
    [ -n "$t" ] && [ -x "$t" ] || { echo "bench: needs nginx and wrk (./bootstrap bench installs them)" >&2; exit 1; }
done
command -v openssl >/dev/null && command -v curl >/dev/null || { echo "bench: needs openssl and curl" >&2; exit 1; }
CM_LIB=helpers . "$top_srcdir/t/lib.sh"     # eventually, free_port

dir=$(mktemp -d "${TMPDIR:-/tmp}/cm-bench.XXXXXX")
pids=()
cleanup() {
    local p
    [ -s "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/tmp" "$dir/tls" "$dir/static" "$dir/sock"
chmod 0700 "$dir"

# ---- fixtures: 2000 pods in one namespace; in10/in100/in1000 pick subsets.
cat > "$dir/metrics.yaml" <<'EOF'
version: 1
metrics:
  - name: bench_metric
    resources: [pods, nodes]
    window: 1m
    source:
      static: "250m"
  - name: bench_file
    resources: [pods]
    window: 1m
    source:
      file: {path: BENCH_DIR/bench_file.prom}
  - name: bench_push
    resources: [pods]
    window: 1m
    source:
      push: {max_age: 1h}
EOF
sed -i "s|BENCH_DIR|$dir|" "$dir/metrics.yaml"
# the file source: one sample per pod, each its own value and timestamp
awk 'BEGIN { for (i = 0; i < 2000; i++)
    printf "bench_file{namespace=\"bench\",pod=\"web-%04d\"} %d.%03d 1795640400%03d\n", i, i, i % 1000, i % 1000 }' \
    > "$dir/bench_file.prom"
awk 'BEGIN {
    print "apiVersion: v1\nkind: List\nitems:"
    for (i = 0; i < 2000; i++) {
        printf "- apiVersion: v1\n  kind: Pod\n  metadata:\n    namespace: bench\n    name: web-%04d\n    labels:\n      app: web\n      pod-template-hash: 7d9f8c6b5\n", i
        if (i < 10) print "      in10: \"yes\""
        if (i < 100) print "      in100: \"yes\""
        if (i < 1000) print "      in1000: \"yes\""
    }
    print "- apiVersion: v1\n  kind: Node\n  metadata:\n    name: node-1"
}' > "$dir/objects.yaml"

CM=/apis/custom.metrics.k8s.io/v1beta1
rows=(discovery by-name selector-10 selector-100 selector-1000 file-1000 push-1000)
declare -A path=(
    [discovery]="$CM"
    [by-name]="$CM/namespaces/bench/pods/web-0042/bench_metric"
    [selector-10]="$CM/namespaces/bench/pods/%2A/bench_metric?labelSelector=in10%3Dyes"
    [selector-100]="$CM/namespaces/bench/pods/%2A/bench_metric?labelSelector=in100%3Dyes"
    [selector-1000]="$CM/namespaces/bench/pods/%2A/bench_metric?labelSelector=in1000%3Dyes"
    [file-1000]="$CM/namespaces/bench/pods/%2A/bench_file?labelSelector=in1000%3Dyes"
    [push-1000]="$CM/namespaces/bench/pods/%2A/bench_push?labelSelector=in1000%3Dyes"
)

# ---- nginx: the pair's own server block plus a static and a trivial location per row.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
    -subj /CN=localhost -keyout "$dir/tls/tls.key" -out "$dir/tls/tls.crt" >/dev/null 2>&1
port=$(free_port)
params=$(grep -E '^\s*fastcgi_param ' "$top_srcdir/nginx/custom-metrics.conf")
user_line=""; [ "$(id -u)" = 0 ] && user_line="user root root;"
{
    echo "$user_line"
    echo "worker_processes 2; pid $dir/nginx.pid; error_log $dir/nginx-error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http {"
    echo "  access_log off; default_type application/json;"
    for d in body fastcgi proxy scgi uwsgi; do echo "  ${d}_temp_path $dir/tmp/$d;" | sed 's/^  body_/  client_body_/'; done
    echo "  upstream cm_workers { server unix:$dir/sock/pair.sock; }"
    echo "  upstream cm_health { server unix:$dir/sock/health.sock; }"
    echo "  server {"
    echo "    listen 127.0.0.1:$port ssl http2;"
    echo "    ssl_certificate $dir/tls/tls.crt; ssl_certificate_key $dir/tls/tls.key;"
    echo "    include $top_srcdir/nginx/custom-metrics.conf;"
    echo "    location ^~ /_bench/static/ { alias $dir/static/; add_header Cache-Control \"no-cache, private\"; }"
    for r in "${rows[@]}" cache-10000 cache-100000; do
        echo "    location = /_bench/trivial/$r {"
        echo "      fastcgi_pass unix:$dir/sock/trivial-$r.sock;"
        echo "$params"
        echo "    }"
    done
    echo "  }"
    echo "}"
} > "$dir/nginx.conf"

(umask 077; echo bench-token > "$dir/write-token")
"$CM_BIN" serve --config "$dir/metrics.yaml" --objects "$dir/objects.yaml" \
    --socket "$dir/sock/pair.sock" --workers "$workers" \
    --state-dir "$dir/state" --write-token-file "$dir/write-token" --insecure-serve-anyone 2> "$dir/pair.log" &
master=$!; pids+=($master)
eventually 60 children_are "$master" "$((workers + 1))" || { echo "bench: the pair did not start" >&2; exit 1; }
"$NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/nginx-error.log"
base="https://127.0.0.1:$port"
readyz() { curl -ks --max-time 60 -o /dev/null -w '%{http_code}' "$base/readyz"; }
eventually 60 prints 200 readyz || { echo "bench: the pair did not become ready" >&2; exit 1; }

# The push source: every pod's value written in one batch through the write API.
awk 'BEGIN { printf "["; for (i = 0; i < 2000; i++)
    printf "%s{\"metric\":\"bench_push\",\"resource\":\"pods\",\"namespace\":\"bench\",\"name\":\"web-%04d\",\"value\":\"%d.%03d\"}",
        i ? "," : "", i, i, i % 1000
    print "]" }' > "$dir/push.json"
curl -ksf -o /dev/null -X POST -H 'Authorization: Bearer bench-token' -H 'Content-Type: application/json' \
    --data-binary @"$dir/push.json" "$base/write-metrics" || { echo "bench: the batch write failed" >&2; exit 1; }

# Each row's bytes, as the pair answers them (wrk sends no User-Agent, so
# compact), and a trivial responder for each: pool[ROW] is its pid.
declare -A pool
for r in "${rows[@]}"; do
    curl -ksf -A '' "$base${path[$r]}" > "$dir/static/$r" || { echo "bench: the pair failed on $r" >&2; exit 1; }
    "$CM_TRIVIAL" "$dir/sock/trivial-$r.sock" "$dir/static/$r" "$workers" & pids+=($!); pool[$r]=$!
done
for r in "${rows[@]}"; do
    eventually 60 test -S "$dir/sock/trivial-$r.sock" || { echo "bench: cm-trivial did not start" >&2; exit 1; }
done

# PSS in KiB of a process and its children, from /proc/PID/smaps_rollup.
pss_tree() {
    local p total=0 v
    for p in "$1" $(pgrep -P "$1"); do
        v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}
pss_idle=$(pss_tree "$master")

# wrk prints latencies as 812.00us / 1.20ms / 1.02s; normalise to ms.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
# median LINE...: each column's median over the lines ("RPS P50 P99 CPU" each)
median() {
    printf '%s\n' "$@" | awk '{ for (c = 1; c <= NF; c++) v[c, NR] = $c; nc = NF }
        END { for (c = 1; c <= nc; c++) {
                  for (i = 1; i <= NR; i++) s[i] = v[c, i]
                  for (i = 2; i <= NR; i++) for (j = i; j > 1 && s[j - 1] + 0 > s[j] + 0; j--) {
                      t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
                  m = NR % 2 ? s[(NR + 1) / 2] : (s[NR / 2] + s[NR / 2 + 1]) / 2
                  printf "%s%s", (c > 1 ? " " : ""), (c == 1 ? sprintf("%d", m) : sprintf("%.2f", m)) }
              print "" }'
}
# compare TRIVIAL-URL TRIVIAL-POOL PAIR-URL PAIR-POOL: $runs runs of each,
# interleaved in pairs that alternate their order (trivial, pair; pair,
# trivial; ...) so that drift on a shared machine hits both alike.  Sets
# t_rps t_50 t_99 t_cpu and p_rps p_50 p_99 p_cpu to each side's medians,
# ratio to pair/trivial of the median req/s, cpu_ratio to trivial/pair of
# the median CPU a request cost, and ratios to each pair of runs' own ratio.
compare() {
    local i t=() p=() a b
    for ((i = 0; i < runs; i++)); do
        if ((i % 2 == 0)); then a=$(run_wrk "$1" "$2"); b=$(run_wrk "$3" "$4")
        else b=$(run_wrk "$3" "$4"); a=$(run_wrk "$1" "$2"); fi
        [ -n "$a" ] && [ -n "$b" ] || exit 1            # run_wrk said why
        t+=("$a"); p+=("$b")
    done
    read -r t_rps t_50 t_99 t_cpu < <(median "${t[@]}")
    read -r p_rps p_50 p_99 p_cpu < <(median "${p[@]}")
    ratio=$(awk -v a="$p_rps" -v b="$t_rps" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
    cpu_ratio=$(awk -v a="$p_cpu" -v b="$t_cpu" 'BEGIN { printf "%.2f", a ? b / a : 0 }')
    ratios=""
    for ((i = 0; i < runs; i++)); do
        ratios+="${ratios:+ }$(awk -v a="${p[i]%% *}" -v b="${t[i]%% *}" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
    done
}
# cpu_ticks POOL_PID: the CPU clock ticks (user + system) that nginx's
# workers and the FastCGI pool (POOL_PID's children) have used so far.
cpu_ticks() {
    local p t=0 v
    for p in $(pgrep -P "$(cat "$dir/nginx.pid")") ${1:+$(pgrep -P "$1")}; do
        v=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
        t=$((t + ${v:-0}))
    done
    echo "$t"
}
# children_ticks FILE: the CPU ticks of the shell's waited-for children in
# FILE, which holds what the builtin "times" printed.
children_ticks() {
    awk -v hz="$(getconf CLK_TCK)" 'NR == 2 { gsub(/[ms]/, " "); print int(($1 * 60 + $2 + $3 * 60 + $4) * hz + 0.5) }' "$1"
}
# run_wrk URL POOL_PID -> "RPS P50 P99 CPU": CPU is the microseconds of CPU
# a request cost the whole machine during the run (wrk, nginx's workers and
# the pool; other tenants' load does not count, unlike in req/s).
wrk_hdr=()           # extra wrk arguments for the pair's requests (-H ...)
run_wrk() {   # URL POOL -> "RPS P50 P99 CPU-US-PER-REQUEST"
    local out c0 w0 c1 w1 n
    c0=$(cpu_ticks "$2"); times > "$dir/times.0"
    out=$("$WRK" -t"$threads" -c"$conns" -d"${duration}s" --latency "${wrk_hdr[@]}" "$1" 2>&1)
    times > "$dir/times.1"; c1=$(cpu_ticks "$2")
    w0=$(children_ticks "$dir/times.0"); w1=$(children_ticks "$dir/times.1")
    if echo "$out" | grep -q 'Non-2xx'; then echo "bench: non-2xx answers from $1" >&2; echo "$out" >&2; return; fi
    n=$(echo "$out" | awk '/ requests in / { print $1 }')
    printf '%s %s %s %s\n' "$(echo "$out" | awk '/^Requests\/sec:/ { printf "%d", $2 }')" \
        "$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")" \
        "$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")" \
        "$(awk -v t=$((c1 - c0 + w1 - w0)) -v n="${n:-0}" -v hz="$(getconf CLK_TCK)" \
            'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')"
}

if [ "${BENCH_MAIN:-1}" != 0 ]; then
echo "custom-metrics-fcgi benchmark: wrk -t$threads -c$conns -d${duration}s over TLS (HTTP/1.1 keep-alive), $workers FastCGI workers"
echo "(trivial and pair: the median of $runs runs each, interleaved; p50/p99 in ms; runs: each pair of"
echo " runs' pair/trivial; cpu: microseconds of CPU a request cost wrk, nginx and the workers together,"
echo " which other tenants' load does not move as it moves req/s)"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
echo "nginx $("$NGINX" -v 2>&1 | sed 's|.*/||'), $("$WRK" -v 2>&1 | head -1 | awk '{ print $1, $2 }')"
echo
printf '%-14s %8s | %9s %7s %7s | %9s %7s %7s | %9s %7s %7s | %7s %7s | %7s %7s %7s | %s\n' \
    row bytes static p50ms p99ms trivial p50ms p99ms pair p50ms p99ms pair/tr tr/stat \
    "cpu tr" "pair" "tr/pair" runs
worst=""
for r in "${rows[@]}"; do
    "$WRK" -t1 -c4 -d1s "$base${path[$r]}" >/dev/null 2>&1 || true     # warm-up
    read -r s_rps s_50 s_99 _ < <(run_wrk "$base/_bench/static/$r" "")
    [ -n "$s_rps" ] || exit 1
    compare "$base/_bench/trivial/$r" "${pool[$r]}" "$base${path[$r]}" "$master"
    ratio2=$(awk -v a="$t_rps" -v b="$s_rps" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
    printf '%-14s %8d | %9d %7s %7s | %9d %7s %7s | %9d %7s %7s | %6sx %6sx | %7s %7s %6sx | %s\n' \
        "$r" "$(stat -c %s "$dir/static/$r")" "$s_rps" "$s_50" "$s_99" \
        "$t_rps" "$t_50" "$t_99" "$p_rps" "$p_50" "$p_99" "$ratio" "$ratio2" \
        "$t_cpu" "$p_cpu" "$cpu_ratio" "$ratios"
    worst=$(awk -v w="${worst:-9}" -v r="$ratio" 'BEGIN { print (r < w ? r : w) }')
    worst_cpu=$(awk -v w="${worst_cpu:-9}" -v r="$cpu_ratio" 'BEGIN { print (r < w ? r : w) }')
done
pss_after=$(pss_tree "$master")
echo
echo "lowest pair/trivial ratio: ${worst}x (target: 0.90x or better on every row)"
echo "lowest CPU ratio (trivial's CPU a request over the pair's): ${worst_cpu}x"
printf 'PSS of the master + %d idle workers: %.1f MiB at start, %.1f MiB after the load (target: under 10 MiB for 4 workers)\n' \
    "$workers" "$(awk -v k="$pss_idle" 'BEGIN { print k / 1024 }')" "$(awk -v k="$pss_after" 'BEGIN { print k / 1024 }')"
fi

# ---- what counting the self-metrics costs a request: the instructions
# cm_router_handle() executes per request (callgrind, which counts them
# exactly: no timing noise), with the shared counters in use (as serve runs)
# and without.  BENCH_COUNTERS=0 skips it.
if [ "${BENCH_COUNTERS:-1}" != 0 ] && [ -n "${CM_HANDLE:-}" ] && command -v valgrind >/dev/null; then
    echo
    echo "self-metrics: instructions per request in cm_router_handle (callgrind), counting on and off"
    printf '%-14s %12s %12s %8s\n' row "without" "with" "added"
    # ir ROW N [--count]: instructions per request over N answers of the row
    ir() {
        local r=$1 n=$2 out
        shift 2
        # LD_BIND_NOW: with lazy binding, the dynamic linker resolving a
        # symbol inside the first request made callgrind stop collecting
        # for good (some rows read 13 instructions a request)
        out=$(LD_BIND_NOW=1 valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
                  --toggle-collect=cm_router_handle "$CM_HANDLE" --config "$dir/metrics.yaml" \
                  --objects "$dir/objects.yaml" --repeat "$n" "$@" "${path[$r]}" 2>&1 >/dev/null |
              awk '/Collected :/ { print $NF }')
        awk -v t="$out" -v n="$n" 'BEGIN { printf "%d", t / n }'
    }
    for r in discovery by-name selector-1000; do
        n=200; [ "$r" = selector-1000 ] && n=20
        off=$(ir "$r" "$n")
        on=$(ir "$r" "$n" --count)
        printf '%-14s %12d %12d %8d\n' "$r" "$off" "$on" "$((on - off))"
    done
fi

# ---- the cost of a reload: write to the first answer that uses it
if [ "${BENCH_RELOAD:-1}" != 0 ] && command -v python3 >/dev/null; then
reloads=${BENCH_RELOADS:-10}
# reload_config N MARKER: N static metrics, and MARKER (the metric an edit adds)
reload_config() {
    awk -v n="$1" -v m="$2" 'BEGIN { print "metrics:"
        for (i = 0; i < n - 1; i++)
            printf "  - name: metric_%04d\n    resources: [pods]\n    window: 1m\n    labels: {team: t%d}\n    source: {static: \"%d\"}\n", i, i % 10, i
        printf "  - name: %s\n    resources: [pods]\n    source: {static: \"1\"}\n", m }'
}
# polls over one connection until PATH answers 200; prints the ms since the epoch-ms given
cat > "$dir/first-answer.py" <<'PY'
import http.client, ssl, sys, time
host, port, path, t0 = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ctx = ssl._create_unverified_context()
deadline = time.time() + 120
conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=60)
while time.time() < deadline:
    try:
        conn.request("GET", path)
        r = conn.getresponse(); r.read()
        if r.status == 200:
            print("%.1f" % (time.time() * 1000 - t0)); sys.exit(0)
    except (OSError, http.client.HTTPException):
        conn.close(); conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=60)
sys.exit(1)
PY
echo
echo "reload: rename an edited metrics.yaml over the old one -> first answer using it (ms;"
echo "includes the 200 ms debounce that makes a burst of events one reload; $reloads reloads each)"
printf '%-14s %8s | %8s %8s %8s\n' metrics bytes min median max
for n in 10 1000; do
    reload_config "$n" marker_0 > "$dir/reload.yaml"
    kill -TERM "$master"; wait "$master" 2>/dev/null || true
    "$CM_BIN" serve --config "$dir/reload.yaml" --objects "$dir/objects.yaml" \
        --socket "$dir/sock/pair.sock" --workers "$workers" --insecure-serve-anyone 2>> "$dir/pair.log" &
    master=$!; pids+=($master)
    eventually 60 prints 200 readyz || { echo "bench: the pair did not start for the reload part" >&2; exit 1; }
    : > "$dir/reload-times"
    for k in $(seq 1 "$reloads"); do
        reload_config "$n" "marker_$k" > "$dir/.reload.yaml.new"
        t0=$(date +%s%3N)
        mv "$dir/.reload.yaml.new" "$dir/reload.yaml"
        python3 "$dir/first-answer.py" 127.0.0.1 "$port" "$CM/namespaces/bench/pods/web-0001/marker_$k" "$t0" \
            >> "$dir/reload-times" || { echo "bench: reload $k of $n metrics never answered" >&2; exit 1; }
    done
    sort -n "$dir/reload-times" | awk -v n="$n" -v b="$(stat -c %s "$dir/reload.yaml")" \
        '{ v[NR] = $1 } END { printf "%-14s %8d | %8.1f %8.1f %8.1f\n", n, b, v[1], v[int((NR + 1) / 2)], v[NR] }'
done
fi

# ---- the watch cache
[ "${BENCH_CACHE:-1}" = 0 ] && exit 0
command -v python3 >/dev/null || { echo "bench: the watch cache part needs python3" >&2; exit 0; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
    -subj /CN=kube -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$dir/tls/kube.key" -out "$dir/tls/kube.crt" >/dev/null 2>&1
(umask 077; echo bench-kube-token > "$dir/kube-token")
# PSS in KiB of the whole pair: nginx's processes and the server's.
pss_pair() {
    local n
    n=$(pss_tree "$(cat "$dir/nginx.pid")")
    echo $(( n + $(pss_tree "$master") ))
}
echo
echo "watch cache: pods of 5 labels from a kube-apiserver double; by selector: 1000 of them (group=g0)"
printf '%-14s %8s | %9s %7s %7s | %9s %7s %7s | %7s | %7s %7s %7s | %9s %9s | %s\n' \
    row bytes trivial p50ms p99ms pair p50ms p99ms pair/tr "cpu tr" "pair" "tr/pair" "PSS MiB" "B/pod" runs
base_pss=""
for n in 0 10000 100000; do
    kport=$(free_port) cport=$(free_port)
    python3 "$top_srcdir/t/tools/kube-double.py" --port "$kport" --control-port "$cport" \
        --cert "$dir/tls/kube.crt" --key "$dir/tls/kube.key" --token bench-kube-token \
        --generate "pods=$n,labels=5" > "$dir/double.log" 2>&1 &
    double=$!; pids+=($double)
    write_kubeconfig "$dir/kubeconfig" "https://127.0.0.1:$kport" tls/kube.crt kube-token
    kill -TERM "$master"; wait "$master" 2>/dev/null || true
    "$CM_BIN" serve --config "$dir/metrics.yaml" --kubeconfig "$dir/kubeconfig" \
        --socket "$dir/sock/pair.sock" --workers "$workers" --insecure-serve-anyone 2>> "$dir/pair.log" &
    master=$!; pids+=($master)
    eventually 300 prints 200 readyz ||
        { echo "bench: the watch cache did not list $n pods in 300 s" >&2; tail "$dir/pair.log" >&2; exit 1; }
    sel="$CM/namespaces/bench/pods/%2A/bench_metric?labelSelector=group%3Dg0"
    # Every worker maps the images (a small request, so that no worker's
    # response buffer has grown yet); then the pair's PSS is the cache's.
    for _ in $(seq 1 $((workers * 4))); do
        curl -ks -o /dev/null -A '' "$base$CM/namespaces/bench/pods/pod-000000/bench_metric"
    done
    pss=$(pss_pair)
    curl -ksf -A '' "$base$sel" > "$dir/static/cache-$n"
    if [ "$n" = 0 ]; then
        base_pss=$pss
        printf '%-14s %8s | %9s %7s %7s | %9s %7s %7s | %7s | %7s %7s %7s | %9.1f %9s |\n' no-pods - - - - - - - - \
            - - - "$(awk -v k="$base_pss" 'BEGIN { print k / 1024 }')" -
    else
        [ "$(jq '.items | length' "$dir/static/cache-$n" 2>/dev/null || echo 1000)" = 1000 ] ||
            { echo "bench: the selector did not match 1000 pods" >&2; exit 1; }
        "$CM_TRIVIAL" "$dir/sock/trivial-cache-$n.sock" "$dir/static/cache-$n" "$workers" & pids+=($!); pool[cache-$n]=$!
        eventually 60 test -S "$dir/sock/trivial-cache-$n.sock" || { echo "bench: cm-trivial did not start" >&2; exit 1; }
        "$WRK" -t1 -c4 -d1s "$base$sel" >/dev/null 2>&1 || true
        compare "$base/_bench/trivial/cache-$n" "${pool[cache-$n]}" "$base$sel" "$master"
        printf '%-14s %8d | %9d %7s %7s | %9d %7s %7s | %6sx | %7s %7s %6sx | %9.1f %9d | %s\n' "pods-$n" \
            "$(stat -c %s "$dir/static/cache-$n")" "$t_rps" "$t_50" "$t_99" "$p_rps" "$p_50" "$p_99" \
            "$ratio" "$t_cpu" "$p_cpu" "$cpu_ratio" \
            "$(awk -v k="$pss" 'BEGIN { print k / 1024 }')" \
            "$(awk -v k="$pss" -v b="$base_pss" -v n="$n" 'BEGIN { printf "%d", (k - b) * 1024 / n }')" \
            "$ratios"
    fi
    if [ "$n" = 10000 ]; then
        # The same by-selector request, authorized: a bearer token (wrk sends
        # no client certificate) whose TokenReview and SubjectAccessReview
        # the shared decision cache answers after the first request.
        curl -sf -X POST "http://127.0.0.1:$cport/auth" \
            -d '{"allow": [{}], "tokens": {"bench-reader": {"username": "bench", "groups": ["readers"]}}}' >/dev/null ||
            { echo "bench: the double's control port $cport did not take the policy" >&2; exit 1; }
        kill -TERM "$master"; wait "$master" 2>/dev/null || true
        "$CM_BIN" serve --config "$dir/metrics.yaml" --kubeconfig "$dir/kubeconfig" \
            --socket "$dir/sock/pair.sock" --workers "$workers" \
            --authorization-webhook-cache-authorized-ttl 1h 2>> "$dir/pair.log" &
        master=$!; pids+=($master)
        eventually 120 prints 200 readyz || { echo "bench: the pair did not become ready" >&2; exit 1; }
        [ "$(curl -ks -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer bench-reader' "$base$sel")" = 200 ] ||
            { echo "bench: the authorized request was refused" >&2; tail "$dir/pair.log" >&2; exit 1; }
        noauth_rps=$p_rps noauth_50=$p_50 noauth_99=$p_99
        wrk_hdr=(-H "Authorization: Bearer bench-reader")
        a1=$(run_wrk "$base$sel" "$master"); a2=$(run_wrk "$base$sel" "$master")
        wrk_hdr=()
        [ -n "$a1" ] && [ -n "$a2" ] || exit 1
        read -r a_rps a_50 a_99 _ < <(median "$a1" "$a2")
        printf '%-14s %8s | %9s %7s %7s | %9d %7s %7s | %6sx | %9s %9s\n' "pods-10000+az" - \
            "$noauth_rps" "$noauth_50" "$noauth_99" "$a_rps" "$a_50" "$a_99" \
            "$(awk -v a="$a_rps" -v b="$noauth_rps" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" - -
    fi
    kill "$double"; wait "$double" 2>/dev/null || true
done
echo "(pods-10000+az: the by-selector row authorized from the decision cache; its"
echo " \"trivial\" columns are the same request without authorization, pair/tr their ratio)"
echo "(PSS: the whole pair before the load; B/pod: that over the no-pods pair's, per cached pod;"
echo " target: under 300 bytes;"
echo " pair/tr target: 0.90x or better)"
