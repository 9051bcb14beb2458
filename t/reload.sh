#!/usr/bin/env bash
# Hot reload of metrics.yaml through the real pair (nginx, TLS, workers):
#   A. under load: a client loop reads by selector while the file is edited
#      50 times (valid and invalid edits mixed; by write, by rename, by a
#      ConfigMap-style ..data swap).  Every answer is a 200 from one whole
#      configuration, each new metric appears, no invalid edit ever serves.
#   B. a configuration directory of three files: one edited, one added, one
#      with a mistake (refused, the others keep serving; check agrees).
#   C. with a cluster (t/tools/kube-double.py): a resource added to
#      metrics.yaml is listed and watched, one removed stops being watched.
# CM_TEST_SEED replays the order of valid and invalid edits.
. "$top_srcdir/t/lib.sh"
PYTHON=$(command -v python3 || true)
need "$NGINX" "$CURL" "$JQ" "$PYTHON" "$(command -v openssl || true)"
seed=${CM_TEST_SEED:-$(( $(date +%s) % 100000 ))}
echo "# seed $seed (CM_TEST_SEED=$seed replays it)"
RANDOM=$seed
CM=/apis/custom.metrics.k8s.io/v1beta2
code_of() { status_of "$url$1"; }
# health_has TEXT: /healthz?verbose has a line containing TEXT (fixed string)
health_has() { "$CURL" -ks --max-time "$HANG" "$url/healthz?verbose" | grep -qF -- "$1"; }
master_of() { pgrep -P "$1" -f 'custom-metrics-fcgi serve'; }

cat > "$tmp/objects.yaml" <<'YAML'
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: default}}
- {apiVersion: v1, kind: Pod, metadata: {name: web-1, namespace: default, labels: {app: web}}}
- {apiVersion: v1, kind: Pod, metadata: {name: web-2, namespace: default, labels: {app: web}}}
- {apiVersion: v1, kind: Pod, metadata: {name: web-3, namespace: default, labels: {app: web}}}
- {apiVersion: v1, kind: Pod, metadata: {name: web-7d4b9c-x2k4p, namespace: default, labels: {app: prom}}}
YAML

# config GEN [MISTAKE]: generation GEN of metrics.yaml: "probe" carries GEN
# both in its window (GEN+1 seconds) and as its value (an answer mixing two
# configurations would show two numbers), and "new_GEN" exists only in it.  With MISTAKE,
# an unknown key: the file is refused as a whole.
config() {
    cat <<YAML
metrics:
  - name: probe
    resources: [pods]
    window: $(($1 + 1))s
    source: {static: "$1"}
  - name: new_$1
    resources: [pods]
    source: {static: "1"}
YAML
    [ -z "${2:-}" ] || echo "mistake_$1: true"
}

# ---- A. 50 edits under load
mkdir -p "$tmp/conf"
cf="$tmp/conf/metrics.yaml"
config 0 > "$cf"
start_pair --workers 3 --config "$cf" --objects "$tmp/objects.yaml"
pair_a=${pids[-1]}
master=$(master_of "$pair_a")
[ -n "$master" ] || { fail "no master process under run-local"; finish; }

# the client: by-selector reads until told to stop, each answer kept
mkdir -p "$tmp/answers"
reader() {
    local i=0
    while [ ! -e "$tmp/stop" ]; do
        i=$((i + 1))
        "$CURL" -ks --max-time "$HANG" -A reload-test -o "$tmp/answers/$i" -w '%{http_code}\n' \
            "$url$CM/namespaces/default/pods/%2A/probe?labelSelector=app%3Dweb" >> "$tmp/codes" ||
            echo "curl-failed" >> "$tmp/codes"
    done
}
reader & reader_pid=$!; pids+=($reader_pid)
reader_started() { [ -s "$tmp/codes" ]; }
eventually 60 reader_started

# edit GEN METHOD [MISTAKE]: writes generation GEN by METHOD:
#   write      rewrites the file in place (it is a regular file then)
#   rename     writes a new file and renames it over the old one
#   configmap  as a ConfigMap volume: a new ..TIMESTAMP directory, ..data
#              swapped to it, metrics.yaml a link to ..data/metrics.yaml
edit() {
    local gen=$1 how=$2 mistake=${3:-} d
    case $how in
    write) config "$gen" "$mistake" > "$cf" ;;
    rename) config "$gen" "$mistake" > "$tmp/conf/.metrics.yaml.tmp"
            mv -f "$tmp/conf/.metrics.yaml.tmp" "$cf" ;;
    configmap)
        d="..2026_12_01_$gen"
        mkdir "$tmp/conf/$d"
        config "$gen" "$mistake" > "$tmp/conf/$d/metrics.yaml"
        ln -s "$d" "$tmp/conf/..data_tmp"
        mv -T "$tmp/conf/..data_tmp" "$tmp/conf/..data"
        if [ "$(readlink "$cf")" != "..data/metrics.yaml" ]; then
            ln -s ..data/metrics.yaml "$tmp/conf/.link_tmp"
            mv -T "$tmp/conf/.link_tmp" "$cf"
        fi ;;
    esac
}
# serves GEN: a by-selector answer is generation GEN's
serves() { prints "$1" probe_gen; }
probe_gen() {
    "$CURL" -ks --max-time "$HANG" -A reload-test \
        "$url$CM/namespaces/default/pods/%2A/probe?labelSelector=app%3Dweb" | "$JQ" -r '.items[0].value'
}

# refusal_logged TEXT: the log has a refused reload whose problems include TEXT
refusal_logged() { grep "refused; generation" "$tmp/pair.log" | grep -qF -- "$1"; }

methods=(configmap configmap rename write)
good=0 valid=0 invalid=0 last=0 took=0 refused_seen=0 stale=0
for gen in $(seq 1 50); do
    how=${methods[$((gen % 4))]}
    if [ $((RANDOM % 3)) -eq 0 ]; then
        invalid=$((invalid + 1))
        echo "$gen" >> "$tmp/invalid"
        edit "$gen" "$how" mistake
        # refused: the failure is visible, and the old generation keeps serving
        eventually 60 refusal_logged "unknown key 'mistake_$gen' in the top level" &&
            refused_seen=$((refused_seen + 1))
        [ "$(probe_gen)" = "$last" ] || stale=$((stale + 1))
    else
        valid=$((valid + 1))
        edit "$gen" "$how"
        eventually 60 prints 200 code_of "$CM/namespaces/default/pods/web-1/new_$gen" &&
            took=$((took + 1))
        last=$gen
        eventually 60 serves "$gen" || true
    fi
done
# under load that keeps a connection always waiting on the socket (20
# keep-alive clients for 3 workers), the retired workers still stop: each
# finishes its request and exits
cat > "$tmp/load.py" <<'PY'
import http.client, os, ssl, sys, threading
host, port, path, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl._create_unverified_context()
def run():
    conn = None
    while not os.path.exists(stop):
        try:
            conn = conn or http.client.HTTPSConnection(host, port, context=ctx, timeout=60)
            conn.request("GET", path); conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn = None
threads = [threading.Thread(target=run) for _ in range(20)]
for t in threads: t.start()
for t in threads: t.join()
PY
port=${url##*:}
"$PYTHON" "$tmp/load.py" 127.0.0.1 "$port" "$CM/namespaces/default/pods/%2A/probe?labelSelector=app%3Dweb" \
    "$tmp/stop" & load_pid=$!; pids+=($load_pid)
old_workers=$(pgrep -P "$master" | tr '\n' ' ')
edit 51 rename
eventually 60 prints 200 code_of "$CM/namespaces/default/pods/web-1/new_51"
# shellcheck disable=SC2086
eventually 60 lacks $old_workers && pass "the previous generation exits under load"
touch "$tmp/stop"; wait "$reader_pid" "$load_pid" 2>/dev/null
echo "# $valid valid and $invalid invalid edits"
check "every valid edit took effect (its new metric answers)" "$took" "$valid"
check "every invalid edit was refused, visibly" "$refused_seen" "$invalid"
check "after a refused edit the last good generation serves" "$stale" 0

n=$(wc -l < "$tmp/codes")
[ "$n" -ge 50 ] && pass "the client read $n times during the edits" || fail "only $n reads"
check "every answer under reload was a 200" "$(grep -vcx 200 "$tmp/codes" || true)" 0
# one whole configuration per answer: the three pods, each with one gen as
# window and value; never a generation that was refused
(cd "$tmp/answers" && ls | xargs "$JQ" -c '[.items[] | [.windowSeconds - 1, (.value | tonumber)]] | unique') \
    > "$tmp/shapes" 2>&1
bad_shape=$("$JQ" -c 'select(length != 1 or .[0][0] != .[0][1])' "$tmp/shapes" | head -3)
check "each answer comes from one configuration (gen window = value, for all 3 pods)" "$bad_shape" ""
check "the answers have 3 pods each" \
    "$(cd "$tmp/answers" && ls | xargs "$JQ" '.items | length' | sort -u | tr '\n' ' ')" "3 "
served_invalid=""
if [ -s "$tmp/invalid" ]; then
    served_invalid=$("$JQ" -r '.[0][0]' "$tmp/shapes" | sort -u | grep -xFf "$tmp/invalid" | tr '\n' ' ')
fi
check "no refused generation ever answered" "$served_invalid" ""
check "the master is the same process (no restart)" "$(master_of "$pair_a")" "$master"
eventually 60 children_are "$master" 4 &&
    pass "the retired generations have exited: 3 workers and the health worker are left"

# SIGHUP reloads too; the refusal names every problem on one log line
config 100 > "$tmp/conf/.metrics.yaml.tmp"; mv -f "$tmp/conf/.metrics.yaml.tmp" "$cf"
eventually 60 serves 100
cat > "$tmp/conf/.m" <<'YAML'
metrics:
  - name: probe
    resources: [pods, gizmos]
    source: {static: "1x"}
YAML
mv -f "$tmp/conf/.m" "$cf"
refused_line() { grep "reload of $cf refused" "$tmp/pair.log" | grep -q "metrics.yaml:3:23: unknown resource 'gizmos'.*metrics.yaml:4:22: "; }
eventually 60 refused_line && pass "a refused reload logs every FILE:LINE:COLUMN problem on one line" ||
    grep "refused" "$tmp/pair.log" | tail -2
"$CM_BIN" check --config "$cf" --objects "$tmp/objects.yaml" > "$tmp/check.out" 2>&1
check "check refuses what the reload refused" "$?" 1
check "healthz stays 200 after a refused reload" "$(code_of /healthz)" 200
check "readyz stays 200 after a refused reload" "$(code_of /readyz)" 200
health_has "[+]config ok: the last reload failed at " && pass "healthz?verbose says the last reload failed" ||
    fail "no failed-reload line in healthz?verbose"
health_has "gizmos" && fail "healthz?verbose quotes the config to anyone" || pass "but not the config's problems"
config 101 > "$tmp/conf/.metrics.yaml.tmp"
mv -f "$tmp/conf/.metrics.yaml.tmp" "$cf"; kill -HUP "$master"
eventually 60 serves 101 && pass "a change with a SIGHUP reloads"
"$CM_BIN" check --config "$cf" --objects "$tmp/objects.yaml" > "$tmp/check.out" 2>&1
check "check accepts what the reload took" "$?" 0
health_has "[+]config ok" && ! health_has "last reload failed" &&
    pass "a reload taken clears the failure from healthz" || fail "healthz still reports a failure"
hups=$(grep -c "SIGHUP: reloading" "$tmp/pair.log")
taken=$(grep -c "reloaded $cf (hash" "$tmp/pair.log")
kill -HUP "$master"
hupped() { [ "$(grep -c "SIGHUP: reloading" "$tmp/pair.log")" -gt "$hups" ]; }
eventually 60 hupped && pass "SIGHUP alone reloads"
took() { [ "$(grep -c "reloaded $cf (hash" "$tmp/pair.log")" -gt "$taken" ]; }
eventually 60 took && pass "the same bytes, on a SIGHUP: a new generation all the same"
eventually 60 serves 101
# the same bytes renamed over the file (a ConfigMap rewritten as it was): no new generation
taken=$(grep -c "reloaded $cf (hash" "$tmp/pair.log")
cp "$cf" "$tmp/conf/.same.tmp" && mv -f "$tmp/conf/.same.tmp" "$cf"
same_seen() { grep -q "changed on disk, to the bytes that serve" "$tmp/pair.log"; }
eventually 60 same_seen && pass "the same bytes again, seen by the watch: nothing to reload" ||
    fail "the identical rename was not noticed"
check "no new generation for them" "$(grep -c "reloaded $cf (hash" "$tmp/pair.log")" "$taken"
kill -TERM "$pair_a"; wait "$pair_a" 2>/dev/null
rm -rf "$tmp/pair"

# ---- B. a configuration directory: three files, one edited, one added, one wrong
mkdir -p "$tmp/dir"
part() {   # part NAME VALUE: one metric called NAME
    printf 'metrics:\n  - name: %s\n    resources: [pods]\n    source: {static: "%s"}\n' "$1" "$2"
}
part alpha 1 > "$tmp/dir/a.yaml"
part beta 2 > "$tmp/dir/b.yaml"
printf 'external:\n  - name: gamma\n    source: {static: "3"}\n' > "$tmp/dir/c.yaml"
echo "not: yaml: here" > "$tmp/dir/notes.txt"            # not a part: never read
"$CM_BIN" check --config "$tmp/dir" > "$tmp/check.out" 2>&1
check "check takes a directory" "$?" 0
grep -q "ok: 2 metrics on 2 resources, 1 external series" "$tmp/check.out" && pass "and counts every part" ||
    fail "$(cat "$tmp/check.out")"
start_pair --workers 2 --config "$tmp/dir" --objects "$tmp/objects.yaml"
value() { "$CURL" -ks --max-time "$HANG" -A reload-test "$url$1" | "$JQ" -r '.items[0].value // .value // .code'; }
check "a metric of the first file" "$(value "$CM/namespaces/default/pods/web-1/alpha")" 1
check "a metric of the second file" "$(value "$CM/namespaces/default/pods/web-1/beta")" 2
check "an external series of the third" \
    "$(value /apis/external.metrics.k8s.io/v1beta1/namespaces/default/gamma)" 3
part beta 20 > "$tmp/dir/.b.tmp"; mv "$tmp/dir/.b.tmp" "$tmp/dir/b.yaml"
eventually 60 prints 20 value "$CM/namespaces/default/pods/web-1/beta" && pass "an edited part takes effect"
part delta 4 > "$tmp/dir/d.yaml"
eventually 60 prints 4 value "$CM/namespaces/default/pods/web-1/delta" && pass "an added part takes effect"
cat > "$tmp/dir/e.yaml" <<'YAML'
metrics:
  - name: alpha
    resources: [pods]
    source: {static: "5"}
  - name: epsilon
    resources: [pods]
    source: {static: "6"}
YAML
eventually 60 refusal_logged "e.yaml:2:11: duplicate metric name 'alpha' (first declared at $tmp/dir/a.yaml:2)" &&
    pass "a duplicate name across files is refused, naming both files"
check "the other parts keep serving" "$(value "$CM/namespaces/default/pods/web-1/delta")" 4
check "the refused part's metrics are not served" "$(code_of "$CM/namespaces/default/pods/web-1/epsilon")" 404
"$CM_BIN" check --config "$tmp/dir" > "$tmp/check.out" 2>&1
check "check refuses the directory too" "$?" 1
grep -q "e.yaml:2:11: duplicate metric name 'alpha'" "$tmp/check.out" && pass "with the same message" ||
    fail "$(cat "$tmp/check.out")"
rm "$tmp/dir/e.yaml"
no_failure() { ! health_has "last reload failed"; }
eventually 60 no_failure && pass "removing the wrong part clears the failure"
check "and the rest still serves" "$(value "$CM/namespaces/default/pods/web-1/alpha")" 1
# what depends on the configuration follows it: a file source's new path, a
# push metric's values once the metric is gone
echo 7 > "$tmp/seven"; echo 8 > "$tmp/eight"
filepart() { printf 'metrics:\n  - name: fromfile\n    resources: [pods]\n    source: {file: {path: %s}}\n  - name: jobs\n    resources: [pods]\n    source: {push: {}}\n' "$1"; }
filepart "$tmp/seven" > "$tmp/dir/f.yaml"
eventually 60 prints 7 value "$CM/namespaces/default/pods/web-1/fromfile" && pass "a file source added by a reload"
"$CURL" -ks --max-time "$HANG" -o /dev/null -X POST -H "Authorization: Bearer $(cat "$tmp/pair/write-token")" \
    -H 'Content-Type: application/json' --data-raw '"42"' "$url/write-metrics/namespaces/default/pods/web-1/jobs"
check "a push metric added by a reload takes writes" "$(value "$CM/namespaces/default/pods/web-1/jobs")" 42
filepart "$tmp/eight" > "$tmp/dir/.f.tmp"; mv "$tmp/dir/.f.tmp" "$tmp/dir/f.yaml"
eventually 60 prints 8 value "$CM/namespaces/default/pods/web-1/fromfile" && pass "a file source reads its new path"
check "the push value stays while its metric does" "$(value "$CM/namespaces/default/pods/web-1/jobs")" 42
rm "$tmp/dir/f.yaml"
eventually 60 prints 404 code_of "$CM/namespaces/default/pods/web-1/jobs" &&
    pass "a removed push metric's values are not served"
check "nor its writes taken" "$("$CURL" -ks --max-time "$HANG" -o /dev/null -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $(cat "$tmp/pair/write-token")" -H 'Content-Type: application/json' \
    --data-raw '"1"' "$url/write-metrics/namespaces/default/pods/web-1/jobs")" 404
# Prometheus settings apply to the next query: two Prometheus-speaking
# servers (t/tools/slow-prom.py), and a reload that moves the url from one
# to the other (the pair had no prometheus source before it)
pair_pid=${pids[-1]}
for p in a b; do
    "$PYTHON" "$top_srcdir/t/tools/slow-prom.py" "$tmp/prom-$p.port" & pids+=($!)
    eventually 60 test -s "$tmp/prom-$p.port"
done
queries() { "$CURL" -s --max-time "$HANG" "http://127.0.0.1:$(cat "$tmp/prom-$1.port")/stats" | "$JQ" -r .queries; }
prompart() {   # prompart SERVER MARKER
    printf 'prometheus: {url: "http://127.0.0.1:%s", timeout: 10s}\nmetrics:\n  - name: rps\n    resources: [pods]\n    source: {prometheus: {query: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)"}}\n  - name: %s\n    resources: [pods]\n    source: {static: "1"}\n' \
        "$(cat "$tmp/prom-$1.port")" "$2"
}
prompart a marker_a > "$tmp/dir/g.yaml"
eventually 60 prints 200 code_of "$CM/namespaces/default/pods/web-1/marker_a"
check "a first prometheus source added by a reload queries its server" \
    "$(value "$CM/namespaces/default/pods/web-7d4b9c-x2k4p/rps")" 1
before_a=$(queries a)
[ "$before_a" -ge 1 ] && pass "server a was asked" || fail "server a was not asked ($before_a)"
prompart b marker_b > "$tmp/dir/.g.tmp"; mv "$tmp/dir/.g.tmp" "$tmp/dir/g.yaml"
eventually 60 prints 200 code_of "$CM/namespaces/default/pods/web-1/marker_b"
check "after the reload the query goes to the new url" \
    "$(value "$CM/namespaces/default/pods/web-7d4b9c-x2k4p/rps")" 1
[ "$(queries b)" -ge 1 ] && pass "server b was asked" || fail "server b was not asked"
check "and server a no more" "$(queries a)" "$before_a"
# retired workers stop even when every worker is busy and connections are
# always waiting (20 clients, queries that take 0.3 s, 2 workers): a ready
# socket must not keep an old worker accepting
"$CURL" -s --max-time "$HANG" "http://127.0.0.1:$(cat "$tmp/prom-b.port")/control?delay=0.3" >/dev/null
rm -f "$tmp/stop"
"$PYTHON" "$tmp/load.py" 127.0.0.1 "${url##*:}" "$CM/namespaces/default/pods/web-7d4b9c-x2k4p/rps" \
    "$tmp/stop" & load_pid=$!; pids+=($load_pid)
busy() { [ "$(queries b)" -gt $((before_b + 10)) ]; }
before_b=$(queries b)
eventually 60 busy
master_b=$(master_of "$pair_pid")
old_workers=$(pgrep -P "$master_b" | tr '\n' ' ')
prompart b marker_c > "$tmp/dir/.g.tmp"; mv "$tmp/dir/.g.tmp" "$tmp/dir/g.yaml"
eventually 60 prints 200 code_of "$CM/namespaces/default/pods/web-1/marker_c"
# shellcheck disable=SC2086
eventually 60 lacks $old_workers && pass "the previous generation exits while every worker is busy"
touch "$tmp/stop"; wait "$load_pid" 2>/dev/null
kill -TERM "$pair_pid"; wait "$pair_pid" 2>/dev/null
rm -rf "$tmp/pair"

# ---- C. with a cluster: the watch cache follows the resources
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
    -subj "/CN=test-ca" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$tmp/api.key" -out "$tmp/api.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > "$tmp/san"
openssl x509 -req -in "$tmp/api.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
    -days 2 -extfile "$tmp/san" -out "$tmp/api.crt" >/dev/null 2>&1
(umask 077; echo "token-one" > "$tmp/token")   # serve refuses a token file others can read
cat > "$tmp/fixture.json" <<'JSON'
{"namespaces": [{"name": "default"}],
 "pods": [{"namespace": "default", "name": "web-1", "labels": {"app": "web"}}],
 "deployments.apps": [{"namespace": "default", "name": "web", "labels": {"app": "web"}}],
 "widgets.example.com": [{"namespace": "default", "name": "w1", "labels": {"app": "web"}}]}
JSON
for i in $(seq 1 20); do
    api_port=$(free_port); ctl_port=$(free_port)
    [ "$api_port" != "$ctl_port" ] || continue
    "$PYTHON" "$top_srcdir/t/tools/kube-double.py" --port "$api_port" --control-port "$ctl_port" \
        --fixture "$tmp/fixture.json" --rv-start 1000 --cert "$tmp/api.crt" --key "$tmp/api.key" \
        --token token-one >> "$tmp/double.log" 2>&1 &
    double_pid=$!; pids+=($double_pid)
    double_up() { "$CURL" -s --max-time "$HANG" "http://127.0.0.1:$ctl_port/stats" 2>/dev/null | grep -q '"lists"' ||
                  ! kill -0 "$double_pid" 2>/dev/null; }
    eventually 60 double_up
    kill -0 "$double_pid" 2>/dev/null && break
done
write_kubeconfig "$tmp/kubeconfig" "https://127.0.0.1:$api_port" ca.crt token
watching() { "$CURL" -s --max-time "$HANG" "http://127.0.0.1:$ctl_port/stats" | "$JQ" -r ".watching[\"$1\"] // 0"; }
watched() { [ "$(watching "$1")" -gt 0 ]; }
unwatched() { prints 0 watching "$1"; }
kcfg="$tmp/kmetrics.yaml"
printf 'metrics:\n  - name: load\n    resources: [pods]\n    source: {static: "1"}\n' > "$kcfg"
start_pair --workers 2 --config "$kcfg" --kubeconfig "$tmp/kubeconfig" -- --watch-retry-max 1
eventually 60 watched pods && pass "pods are watched"
check "deployments are not" "$(watching deployments.apps)" 0
check "by name: a deployment is not a resource of the metric yet" \
    "$(code_of "$CM/namespaces/default/deployments.apps/web/load")" 404
printf 'metrics:\n  - name: load\n    resources: [pods, deployments.apps, widgets]\n    source: {static: "1"}\n' > "$kcfg.tmp"
mv "$kcfg.tmp" "$kcfg"
eventually 60 prints 200 code_of "$CM/namespaces/default/deployments.apps/web/load" &&
    pass "a resource added to metrics.yaml is listed: its objects answer"
check "a deployment that does not exist" "$(code_of "$CM/namespaces/default/deployments.apps/nope/load")" 404
check "a custom resource added (from discovery)" "$(code_of "$CM/namespaces/default/widgets.example.com/w1/load")" 200
eventually 60 watched deployments.apps && pass "and watched"
check "pods are still served" "$(code_of "$CM/namespaces/default/pods/web-1/load")" 200
printf 'metrics:\n  - name: load\n    resources: [deployments.apps]\n    source: {static: "1"}\n' > "$kcfg.tmp"
mv "$kcfg.tmp" "$kcfg"
eventually 60 prints 404 code_of "$CM/namespaces/default/pods/web-1/load" &&
    pass "a resource removed from metrics.yaml is not served"
eventually 60 unwatched pods && pass "and stops being watched"
eventually 60 unwatched widgets.example.com && pass "the custom resource too"
check "deployments are still served" "$(code_of "$CM/namespaces/default/deployments.apps/web/load")" 200
check "ready throughout" "$(code_of /readyz)" 200
finish
