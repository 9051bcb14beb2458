#!/usr/bin/env bash
# Objects from a live cluster: the real pair (nginx, TLS, workers, the watch
# cache) against t/tools/kube-double.py, a test double of the kube-apiserver
# over TLS with a bearer token, which replays fixture objects and injects
# faults: a stream cut inside an event, 410 Gone, compaction, a slow LIST, a
# hung server, a wrong token, and a restart with another set of objects.
# Also: CRDs through discovery, readiness before the first LIST, and
# --master-url on a plain http:// server (kubectl proxy).
. "$top_srcdir/t/lib.sh"
PYTHON=$(command -v python3 || true)
need "$NGINX" "$CURL" "$JQ" "$PYTHON" "$(command -v openssl || true)"

# ---- the double: a CA, a server certificate, a token file, a kubeconfig
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
    -subj "/CN=test-ca" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$tmp/api.key" -out "$tmp/api.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > "$tmp/san"
openssl x509 -req -in "$tmp/api.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
    -days 2 -extfile "$tmp/san" -out "$tmp/api.crt" >/dev/null 2>&1
(umask 077; echo "token-one" > "$tmp/token")   # serve refuses a token file others can read

cat > "$tmp/fixture.json" <<'JSON'
{"namespaces": [{"name": "default"}, {"name": "shop"}],
 "pods": [{"namespace": "default", "name": "web-1", "labels": {"app": "web"}},
          {"namespace": "default", "name": "web-2", "labels": {"app": "web"}},
          {"namespace": "default", "name": "db-0", "labels": {"app": "db"}},
          {"namespace": "shop", "name": "web-1", "labels": {"app": "web"}}],
 "deployments.apps": [{"namespace": "default", "name": "web", "labels": {"app": "web"}}],
 "widgets.example.com": [{"namespace": "default", "name": "w1", "labels": {"app": "web"}}],
 "nodes": [{"name": "node-1"}]}
JSON
cat > "$tmp/fixture2.json" <<'JSON'
{"namespaces": [{"name": "default"}],
 "pods": [{"namespace": "default", "name": "api-7", "labels": {"app": "web"}}]}
JSON
cat > "$tmp/metrics.yaml" <<'YAML'
metrics:
  - name: load
    resources: [pods, deployments.apps, nodes, namespaces, widgets.example.com]
    source: {static: "1"}
YAML

double_pid=""
start_double() {     # start_double FIXTURE RV-START [DOUBLE-ARGS...]
    local i fixture=$1 rv=$2
    shift 2
    [ $# -gt 0 ] || set -- --cert "$tmp/api.crt" --key "$tmp/api.key" --token "$(cat "$tmp/token")"
    for i in $(seq 1 20); do      # another port when one was taken
        "$PYTHON" "$top_srcdir/t/tools/kube-double.py" --port "$api_port" --control-port "$ctl_port" \
            --fixture "$fixture" --rv-start "$rv" "$@" >> "$tmp/double.log" 2>&1 &
        double_pid=$!
        pids+=("$double_pid")
        eventually 60 double_answers || break
        kill -0 "$double_pid" 2>/dev/null && return 0
        wait "$double_pid" 2>/dev/null
        pick_ports
    done
    cat "$tmp/double.log"; echo "the kube-apiserver double did not start"; exit 1
}
# double_answers: the double's control port answers, or the double has died
double_answers() {
    "$CURL" -s --max-time "$HANG" "http://127.0.0.1:$ctl_port/stats" 2>/dev/null | grep -q '"lists"' ||
        ! kill -0 "$double_pid" 2>/dev/null
}
stop_double() { kill "$double_pid" 2>/dev/null; wait "$double_pid" 2>/dev/null || true; }
pick_ports() {
    api_port=$(free_port)
    ctl_port=$(free_port)
    while [ "$ctl_port" = "$api_port" ]; do ctl_port=$(free_port); done
}
pick_ports
start_double "$tmp/fixture.json" 1000

write_kubeconfig "$tmp/kubeconfig" "https://127.0.0.1:$api_port" ca.crt token
ctl() { "$CURL" -s --max-time "$HANG" -X POST "http://127.0.0.1:$ctl_port/$1" -d "$2" >/dev/null; }
stat_of() { "$CURL" -s --max-time "$HANG" "http://127.0.0.1:$ctl_port/stats" | "$JQ" -r ".$1"; }
# lists_above N: the double has been asked for more than N LISTs
lists_above() { [ "$(stat_of lists)" -gt "$1" ]; }
# held_lists: the double holds at least one LIST (fault hold_lists)
held_lists() { [ "$(stat_of held_lists)" -gt 0 ]; }
# health_has REGEX: a line of /healthz?verbose matches
health_has() { "$CURL" -ks --max-time "$HANG" "$url/healthz?verbose" | grep -q "$1"; }

# 0. Resources outside the built-in table (a CRD) come from the cluster's
# discovery; a name it does not serve is a FILE:LINE:COLUMN error.
cat > "$tmp/bad.yaml" <<'YAML'
metrics:
  - name: load
    resources: [widgets, gadgets.example.com, sprockets.nowhere.io]
    source: {static: "1"}
YAML
"$CM_BIN" check --config "$tmp/bad.yaml" --kubeconfig "$tmp/kubeconfig" > "$tmp/out" 2>&1
check "check refuses resources the cluster does not serve" "$?" 1
grep -q "bad.yaml:3:26: unknown resource 'gadgets.example.com': the cluster serves no resource 'gadgets' in example.com/v1alpha1" "$tmp/out" &&
    pass "a missing resource of a served group" || { fail "gadgets message"; cat "$tmp/out"; }
grep -q "bad.yaml:3:47: unknown resource 'sprockets.nowhere.io': the cluster serves no API group 'nowhere.io'" "$tmp/out" &&
    pass "a group the cluster does not serve" || fail "nowhere.io message"
grep -q "bad.yaml:3:18" "$tmp/out" && fail "a bare plural one group serves was refused" ||
    pass "a bare plural one group serves is found"
"$CM_BIN" check --config "$tmp/metrics.yaml" --kubeconfig "$tmp/kubeconfig" > "$tmp/out" 2>&1
check "check with a CRD the cluster serves" "$?" 0
sed "s|:$api_port|:1|" "$tmp/kubeconfig" > "$tmp/kubeconfig.down"
"$CM_BIN" check --config "$tmp/metrics.yaml" --kubeconfig "$tmp/kubeconfig.down" > "$tmp/out" 2>&1
check "discovery needs the kube-apiserver" "$?" 1
grep -q "names resources the built-in table does not know, and cluster discovery failed: .*Couldn.t connect" "$tmp/out" &&
    pass "and says so" || { fail "discovery failure message"; cat "$tmp/out"; }

start_pair --workers 3 --config "$tmp/metrics.yaml" --kubeconfig "$tmp/kubeconfig" -- --watch-retry-max 1
pair_pid=${pids[-1]}
CM=/apis/custom.metrics.k8s.io/v1beta2
# names NS SELECTOR: the pods a by-selector request answers, in order
names() {
    "$CURL" -ks --max-time "$HANG" "$url$CM/namespaces/$1/pods/%2A/load?labelSelector=$2" |
        "$JQ" -r '[.items[].describedObject.name] | join(",")'
}
# logged REGEX: a line of the pair's log matches
logged() { grep -q "$1" "$tmp/pair.log"; }
# has_name NAME NS SELECTOR: the by-selector answer includes NAME
has_name() { case ",$(names "$2" "$3")," in *",$1,"*) return 0 ;; esac; return 1; }
code_of() { status_of "$url$1"; }

# 1. After the first LIST: ready, and the answers are the fixture's objects.
check "ready after the first LIST" "$(code_of /readyz)" 200
check "by selector: the matching pods of the namespace" "$(names default app%3Dweb)" "web-1,web-2"
check "by selector: another namespace" "$(names shop app%3Dweb)" "web-1"
check "by name: an existing pod" "$(code_of "$CM/namespaces/default/pods/db-0/load")" 200
check "by name: a pod the cluster does not have" "$(code_of "$CM/namespaces/default/pods/web-9/load")" 404
check "by name: a deployment" "$(code_of "$CM/namespaces/default/deployments.apps/web/load")" 200
check "by name: a node" "$(code_of "$CM/nodes/node-1/load")" 200
check "by name: a custom resource" "$(code_of "$CM/namespaces/default/widgets.example.com/w1/load")" 200
check "by name: a custom resource that does not exist" \
    "$(code_of "$CM/namespaces/default/widgets.example.com/w2/load")" 404
check "its kind and version come from discovery" \
    "$("$CURL" -ks "$url$CM/namespaces/default/widgets.example.com/%2A/load" | "$JQ" -c '[.items[].describedObject | .kind, .apiVersion]')" \
    '["Widget","example.com/v1alpha1"]'
check "namespace metrics need the Namespace" "$(code_of "$CM/namespaces/shop/metrics/load")" 200
check "a namespace that does not exist" "$(code_of "$CM/namespaces/nope/metrics/load")" 404
"$CURL" -ks "$url/healthz?verbose" > "$tmp/h"
check "healthz says what is watched" "$(grep -c '^\[+\]objects ok: 9 objects of 5 resources, watched$' "$tmp/h")" 1

# 2. Watch events: ADDED, MODIFIED (labels), DELETED.
ctl event '{"resource":"pods","namespace":"default","name":"web-3","labels":{"app":"web"}}'
eventually 60 prints "web-1,web-2,web-3" names default app%3Dweb && pass "an ADDED pod is served"
ctl event '{"resource":"pods","namespace":"default","name":"web-2","labels":{"app":"db"}}'
eventually 60 prints "db-0,web-2" names default app%3Ddb &&
    pass "a MODIFIED pod moves to the selector its labels match"
ctl event '{"resource":"pods","namespace":"default","name":"db-0","type":"DELETED"}'
eventually 60 prints "web-2" names default app%3Ddb && pass "a DELETED pod is not served"
check "by name after DELETED: 404" "$(code_of "$CM/namespaces/default/pods/db-0/load")" 404

# 3. Never served after its DELETED event is applied: delete, then add a
# marker later in the same stream; once any answer has the marker, no answer
# from any worker may have the deleted pod again.
never_again=0
for round in 1 2 3 4 5; do
    ctl event "{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"gone-$round\",\"labels\":{\"app\":\"churn\"}}"
    eventually 60 prints "gone-$round" names default app%3Dchurn
    ctl event "{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"gone-$round\",\"type\":\"DELETED\"}"
    ctl event "{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"mark-$round\",\"labels\":{\"app\":\"churn\"}}"
    eventually 60 has_name "mark-$round" default app%3Dchurn
    for i in $(seq 1 30); do
        got=$(names default app%3Dchurn)
        case ",$got," in *",gone-$round,"*) never_again=$((never_again + 1)) ;; esac
        [ "$(code_of "$CM/namespaces/default/pods/gone-$round/load")" = 404 ] || never_again=$((never_again + 1))
    done
    ctl event "{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"mark-$round\",\"type\":\"DELETED\"}"
done
check "a deleted pod is never served once a later event is" "$never_again" 0

# 4. A stream cut inside an event: LIST again, and the event is not lost.
lists=$(stat_of lists)
ctl fault '{"cut_next_event": true}'
ctl event '{"resource":"pods","namespace":"default","name":"web-4","labels":{"app":"web"}}'
eventually 60 prints "web-1,web-3,web-4" names default app%3Dweb &&
    pass "the event cut off mid-line arrives through a new LIST"
eventually 60 lists_above "$lists" && pass "a cut stream makes a new LIST"
eventually 60 logged 'pods: watch broke off: .*transfer closed' && pass "the log says the watch broke off"

# 5. 410 Gone: an ERROR event, and a watch resumed from a compacted version.
lists=$(stat_of lists)
ctl fault '{"gone": true}'
eventually 60 lists_above $((lists + 4)) && pass "ERROR 410 makes every resource LIST again"
eventually 60 logged 'pods: resourceVersion [0-9]* expired (410 Gone); listing again' &&
    pass "the log says the version expired"
lists=$(stat_of lists)
ctl event '{"resource":"pods","namespace":"default","name":"web-5","labels":{"app":"web"}}'
ctl fault '{"compact": true, "close_watches": true}'
eventually 60 prints "web-1,web-3,web-4,web-5" names default app%3Dweb &&
    pass "a watch from a compacted version lists again"
eventually 60 lists_above "$lists" && pass "compaction makes a new LIST"

# 6. The workers never wait for the kube-apiserver: while it is hung
# (SIGSTOP), and while a LIST is held open, every answer comes from the last
# snapshot.  (No bound on how fast: a worker that waited for the hung server
# would wait for as long as it is stopped, and fail the request's deadline.)
# snapshot_answers N: of N requests in a row, how many get the last
# snapshot's pods (it stops at the first that does not)
snapshot_answers() {
    local n=0
    while [ "$n" -lt "$1" ] && [ "$(names default app%3Dweb)" = "web-1,web-3,web-4,web-5" ]; do
        n=$((n + 1))
    done
    echo "$n"
}
kill -STOP "$double_pid"
check "with the kube-apiserver hung, every answer is the snapshot's" "$(snapshot_answers 40)" 40
check "readyz stays ok while it is hung" "$(code_of /readyz)" 200
kill -CONT "$double_pid"
lists=$(stat_of lists)
ctl fault '{"hold_lists": true, "gone": true}'
eventually 60 held_lists && pass "ERROR 410 makes the cache LIST again (a LIST the double holds open)"
check "during a LIST that does not end, every answer is the snapshot's" "$(snapshot_answers 20)" 20
held_lists && pass "...and the LIST was still open after the last answer" || fail "the LIST ended early"
ctl fault '{"hold_lists": false}'
eventually 60 lists_above $((lists + 4)) && pass "released, every resource is listed again"

# 7. A wrong token: the cache keeps serving and says why; rotating the token
# file (as a projected service-account token rotates) recovers.
ctl fault '{"token": "token-two", "close_watches": true}'
eventually 60 health_has '^\[+\]objects ok: serving a snapshot [0-9]*s old: .*: HTTP 401' &&
    pass "healthz says the snapshot is old and why"
health_has 'Unauthorized' && fail "healthz repeats the kube-apiserver's text to anyone" ||
    pass "but not the kube-apiserver's text"
eventually 60 logged ': 401: Unauthorized' && pass "which the log has" || fail "no 401 in the log"
check "readyz stays ok with a wrong token" "$(code_of /readyz)" 200
check "answers still come from the last snapshot" "$(names default app%3Dweb)" "web-1,web-3,web-4,web-5"
(umask 077; echo "token-two" > "$tmp/token.new") && mv "$tmp/token.new" "$tmp/token"
eventually 60 health_has 'objects ok: .* watched' && pass "a rotated token file is used on the next attempt"

# 8. The kube-apiserver goes away and comes back with other objects.
stop_double
eventually 60 health_has 'serving a snapshot [0-9]*s old: .*no answer from the kube-apiserver' &&
    pass "while it is gone, healthz gives the snapshot's age"
check "and the last snapshot is served" "$(names default app%3Dweb)" "web-1,web-3,web-4,web-5"
eventually 60 logged 'serving the objects as of [0-9]*s ago' && pass "the log gives the snapshot's age"
start_double "$tmp/fixture2.json" 50000
eventually 60 prints "api-7" names default app%3Dweb && pass "after the restart, the new objects are served"
check "objects of the old set are gone" "$(code_of "$CM/namespaces/shop/pods/web-1/load")" 404
eventually 60 prints 404 code_of "$CM/namespaces/shop/metrics/load" && pass "so is their namespace"

# 9. Before the first LIST: not ready, but alive and answering.
stop_double
"$CURL" -ks -o /dev/null "$url/readyz"
kill -TERM "$pair_pid"
wait "$pair_pid" 2>/dev/null
mv "$tmp/pair.log" "$tmp/pair-1.log"
rm -rf "$tmp/pair"
# (built-in resources only: a CRD needs the cluster's discovery to start)
sed 's/, widgets.example.com//' "$tmp/metrics.yaml" > "$tmp/builtin.yaml"
start_pair --unready --workers 2 --config "$tmp/builtin.yaml" --kubeconfig "$tmp/kubeconfig" -- --watch-retry-max 1
pair_pid=${pids[-1]}
check "not ready before the first LIST" "$(code_of /readyz)" 500
"$CURL" -ks "$url/readyz" > "$tmp/r"
grep -q '^\[-\]objects failed: waiting for the first LIST of namespaces: LIST failed: no answer from the kube-apiserver' "$tmp/r" &&
    pass "readyz says what it waits for" || { fail "readyz text"; cat "$tmp/r"; }
grep -q '^readyz check failed$' "$tmp/r" && pass "readyz fails as the Go server does" || fail "readyz last line"
check "alive before the first LIST" "$(code_of /livez)" 200
check "before the first LIST a metric is unavailable, not missing" \
    "$("$CURL" -ks "$url$CM/namespaces/default/pods/%2A/load" | "$JQ" -r '"\(.code) \(.message)"' | sed 's/ (request [0-9a-f-]*)$//')" \
    "503 unable to fetch metric load for pods: the objects have not been listed yet"
start_double "$tmp/fixture.json" 1000
eventually 60 prints 200 code_of /readyz && pass "ready once the kube-apiserver answers"
check "and serving its objects" "$(names default app%3Dweb)" "web-1,web-2"

# 10. --master-url with a plain http:// server and no credentials, as
# "kubectl proxy" serves the API.
stop_double
kill -TERM "$pair_pid"; wait "$pair_pid" 2>/dev/null
mv "$tmp/pair.log" "$tmp/pair-2.log"
rm -rf "$tmp/pair"
start_double "$tmp/fixture2.json" 7000 --plain --token ""
start_pair --workers 2 --config "$tmp/builtin.yaml" --master-url "http://127.0.0.1:$api_port/" \
    -- --watch-retry-max 1
eventually 60 prints "api-7" names default app%3Dweb && pass "--master-url http:// without credentials"
grep -q "objects from http://127.0.0.1:$api_port (--master-url, no credentials)" "$tmp/pair.log" &&
    pass "the log says where objects come from" || fail "no origin in the log"

# 11. A client certificate instead of a token, given inline in the
# kubeconfig (client-certificate-data, client-key-data, and the CA as
# certificate-authority-data), as kubeadm's admin.conf gives them.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=watcher" \
    -keyout "$tmp/client.key" -out "$tmp/client.csr" >/dev/null 2>&1
openssl x509 -req -in "$tmp/client.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
    -days 2 -out "$tmp/client.crt" >/dev/null 2>&1
stop_double
start_double "$tmp/fixture.json" 9000 --cert "$tmp/api.crt" --key "$tmp/api.key" --token "" \
    --client-ca "$tmp/ca.crt"
b64() { base64 -w0 < "$1"; }
cat > "$tmp/kubeconfig-cert" <<YAML
apiVersion: v1
kind: Config
current-context: admin
clusters: [{name: c, cluster: {server: 'https://127.0.0.1:$api_port', certificate-authority-data: $(b64 "$tmp/ca.crt")}}]
users: [{name: admin, user: {client-certificate-data: $(b64 "$tmp/client.crt"), client-key-data: $(b64 "$tmp/client.key")}}]
contexts: [{name: admin, context: {cluster: c, user: admin}}]
YAML
"$CURL" -s --cacert "$tmp/ca.crt" -o /dev/null "https://127.0.0.1:$api_port/api" &&
    fail "the double took a request without a client certificate" ||
    pass "the double requires a client certificate"
"$CM_BIN" check --config "$tmp/metrics.yaml" --kubeconfig "$tmp/kubeconfig-cert" > "$tmp/out" 2>&1
check "discovery with an inline client certificate and CA" "$?" 0

# a build with --enable-sanitizers: nothing the pair did may have been reported
if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$tmp"/pair*.log; then
    fail "sanitizer reports in the pair's log"
    grep -E -A5 'runtime error|AddressSanitizer|LeakSanitizer' "$tmp"/pair*.log | head -40
fi
[ "$failures" -eq 0 ] || { echo "--- the pair's log"; cat "$tmp"/pair*.log | tail -40;
                           echo "--- the double's log"; tail -20 "$tmp/double.log"; }
finish
