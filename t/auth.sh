#!/usr/bin/env bash
# Only the aggregator gets in, as the user it vouches for: the real pair
# (nginx asking for client certificates, TLS, workers) against the
# kube-apiserver double, which answers SubjectAccessReviews and TokenReviews
# and serves the extension-apiserver-authentication ConfigMap.  Certificates
# are made here with openssl: the front-proxy CA and its client certificate,
# a rogue CA issuing the same CN, a CN not allowed, an expired certificate,
# one without clientAuth, and a second CA for rotation.  curl is the client,
# over HTTP/1.1 and HTTP/2.
. "$top_srcdir/t/lib.sh"
PYTHON=$(command -v python3 || true)
need "$NGINX" "$CURL" "$JQ" "$PYTHON" "$(command -v openssl || true)"

# ---- certificates
ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"; }
mkca() {   # mkca NAME CN
    openssl req -x509 $(ec) -sha256 -days 2 -subj "/CN=$2" -keyout "$tmp/$1.key" \
        -out "$tmp/$1.crt" >/dev/null 2>&1 || { echo "openssl: cannot make CA $1"; exit 1; }
}
mkcert() { # mkcert NAME CA CN EKU
    openssl req $(ec) -subj "/CN=$3" -keyout "$tmp/$1.key" -out "$tmp/$1.csr" >/dev/null 2>&1
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=%s\nsubjectAltName=IP:127.0.0.1\n' "$4" > "$tmp/$1.ext"
    openssl x509 -req -sha256 -in "$tmp/$1.csr" -CA "$tmp/$2.crt" -CAkey "$tmp/$2.key" \
        -CAcreateserial -days 2 -extfile "$tmp/$1.ext" -out "$tmp/$1.crt" >/dev/null 2>&1 ||
        { echo "openssl: cannot make certificate $1"; exit 1; }
}
mkca api-ca test-ca
mkcert api api-ca kube-apiserver serverAuth
mkca fp-ca front-proxy-ca
mkca fp-ca2 front-proxy-ca-2
mkca rogue-ca front-proxy-ca                       # same subject as the real CA, other key
mkcert good fp-ca front-proxy-client clientAuth
mkcert good2 fp-ca2 front-proxy-client clientAuth
mkcert rogue rogue-ca front-proxy-client clientAuth
mkcert othercn fp-ca someone-else clientAuth
mkcert noclient fp-ca front-proxy-client serverAuth
# expired: issued by the real CA for a month in 2020 (openssl ca sets the dates)
mkdir -p "$tmp/cadb"; : > "$tmp/cadb/index.txt"; echo 01 > "$tmp/cadb/serial"
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = fp
[fp]
database = $tmp/cadb/index.txt
new_certs_dir = $tmp/cadb
serial = $tmp/cadb/serial
default_md = sha256
policy = any
x509_extensions = ext
[any]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
CNF
openssl req $(ec) -subj "/CN=front-proxy-client" -keyout "$tmp/expired.key" -out "$tmp/expired.csr" >/dev/null 2>&1
openssl ca -batch -config "$tmp/ca.cnf" -cert "$tmp/fp-ca.crt" -keyfile "$tmp/fp-ca.key" \
    -in "$tmp/expired.csr" -out "$tmp/expired.crt" -startdate 20200101000000Z \
    -enddate 20200201000000Z -notext >/dev/null 2>&1 || { echo "openssl ca failed"; exit 1; }
cat "$tmp/fp-ca.crt" "$tmp/fp-ca2.crt" > "$tmp/bundle.crt"     # rotation: two CAs at once
(umask 077; echo "watcher-token" > "$tmp/token")   # serve refuses a token file others can read

# ---- 0. the flags: insecure is a choice of its own, durations are checked
"$CM_BIN" serve --config "$top_srcdir/examples/metrics.yaml" --socket "$tmp/s/fcgi.sock" \
    --insecure-serve-anyone --requestheader-client-ca-file "$tmp/fp-ca.crt" > "$tmp/out" 2>&1
check "--insecure-serve-anyone with a trust flag is refused" "$?" 1
grep -q "it takes no --requestheader-\* or --authorization-static-\* flag" "$tmp/out" && pass "and says why" ||
    fail "insecure+CA message: $(cat "$tmp/out")"
"$CM_BIN" serve --config "$top_srcdir/examples/metrics.yaml" --socket "$tmp/s/fcgi.sock" \
    --authorization-webhook-cache-authorized-ttl soon > "$tmp/out" 2>&1
check "a TTL that is no duration is a usage error" "$?" 2
grep -q -- "--authorization-webhook-cache-authorized-ttl takes a duration" "$tmp/out" && pass "naming the flag" ||
    fail "ttl message: $(cat "$tmp/out")"
"$CM_BIN" serve --config "$top_srcdir/examples/metrics.yaml" --socket "$tmp/s/fcgi.sock" \
    --requestheader-client-ca-file "$tmp/missing.crt" > "$tmp/out" 2>&1
check "a CA file that cannot be read" "$?" 1

# the RBAC: both delegations, and nothing for anonymous users or cluster-admin
rbac=$top_srcdir/k8s/common/rbac-auth.yaml
grep -v '^ *#' "$rbac" > "$tmp/rbac"
grep -q "name: system:auth-delegator" "$tmp/rbac" && grep -q "name: extension-apiserver-authentication-reader" "$tmp/rbac" &&
    grep -A3 "kind: RoleBinding" "$tmp/rbac" | grep -q "namespace: kube-system" &&
    pass "RBAC: auth-delegator, and the ConfigMap reader in kube-system" || fail "RBAC delegations"
grep -qE "system:anonymous|system:unauthenticated|cluster-admin|system:authenticated" "$tmp/rbac" &&
    fail "RBAC grants to everyone or binds cluster-admin" || pass "RBAC grants nothing to everyone"
grep -q "name: horizontal-pod-autoscaler" "$tmp/rbac" && pass "RBAC: the HPA controller reads" ||
    fail "RBAC: no HPA binding"

# ---- the double and the kubeconfig
cat > "$tmp/fixture.json" <<'JSON'
{"namespaces": [{"name": "default"}],
 "pods": [{"namespace": "default", "name": "web-1", "labels": {"app": "web"}}],
 "deployments.apps": [{"namespace": "default", "name": "web", "labels": {"app": "web"}}]}
JSON
cat > "$tmp/metrics.yaml" <<'YAML'
metrics:
  - name: load
    resources: [pods, deployments.apps, namespaces]
    source: {static: "1"}
  - name: backlog
    resources: [pods]
    source: {push: {max_age: 10m}}
external:
  - name: queue_depth
    source: {static: "7"}
YAML
api_port=$(free_port); ctl_port=$(free_port)
while [ "$ctl_port" = "$api_port" ]; do ctl_port=$(free_port); done
"$PYTHON" "$top_srcdir/t/tools/kube-double.py" --port "$api_port" --control-port "$ctl_port" \
    --cert "$tmp/api.crt" --key "$tmp/api.key" --token watcher-token --fixture "$tmp/fixture.json" \
    > "$tmp/double.log" 2>&1 &
double_pid=$!; pids+=("$double_pid")
eventually 60 "$CURL" -s -o /dev/null "http://127.0.0.1:$ctl_port/stats" || exit 1
write_kubeconfig "$tmp/kubeconfig" "https://127.0.0.1:$api_port" api-ca.crt token
ctl() { "$CURL" -s -X POST "http://127.0.0.1:$ctl_port/$1" -d "$2" >/dev/null; }
reviews() { "$CURL" -s "http://127.0.0.1:$ctl_port/reviews"; }
sars() { reviews | "$JQ" '.sars | length'; }
last_sar() { reviews | "$JQ" -c '.sars[-1]'; }


CM=/apis/custom.metrics.k8s.io/v1beta2
HPA=$CM/namespaces/default/pods/%2A/load
hdr_hpa=(-H "X-Remote-User: system:serviceaccount:kube-system:horizontal-pod-autoscaler"
         -H "X-Remote-Group: system:serviceaccounts" -H "X-Remote-Group: system:serviceaccounts:kube-system"
         -H "X-Remote-Uid: 5c3a" -H "X-Remote-Extra-Scopes: metrics")
cert() { echo --cert "$tmp/$1.crt" --key "$tmp/$1.key"; }
# code PROTO PATH [curl args...]: the HTTP status only; g PATH [curl args...]:
# "STATUS BODY" with compact JSON (curl's own User-Agent asks for pretty)
code() { local p=$1 path=$2; shift 2; status_of "$p" -A cm-test "$@" "$url$path"; }
g() { local path=$1; shift; get "$path" -A cm-test "$@"; }

ctl auth '{"allow": [{"user": "system:serviceaccount:kube-system:horizontal-pod-autoscaler"},
                     {"user": "alice"},
                     {"user": "system:serviceaccount:default:pusher", "verb": "create", "resource": "values"},
                     {"user": "eve", "resource": "deployments.apps", "deny": true, "reason": "eve is banned"}],
           "tokens": {"pod-token": {"username": "system:serviceaccount:default:pusher", "uid": "u-1",
                                    "groups": ["system:serviceaccounts"]}}}'

export CM_PAIR_SECURE=1
start_pair --workers 4 --config "$tmp/metrics.yaml" --kubeconfig "$tmp/kubeconfig" -- \
    --requestheader-client-ca-file "$tmp/bundle.crt" --requestheader-allowed-names front-proxy-client \
    --authorization-review-timeout 3s --authorization-webhook-cache-authorized-ttl 5m \
    --authorization-webhook-cache-unauthorized-ttl 5m
pair_pid=${pids[-1]}

# ---- 1. health answers anyone, with any certificate or none, never asking the cluster
ctl reviews '{}'
for p in /healthz /livez /readyz; do
    check "$p without a certificate" "$(code --http2 $p)" 200
    check "$p with a rogue certificate" "$(code --http1.1 $p $(cert rogue))" 200
done
check "health needs no review" "$(sars)" 0

# ---- 2. the front proxy's certificate and headers: the HPA gets in, as itself
ctl reviews '{}'
for proto in --http1.1 --http2; do
    check "HPA by selector, $proto" "$(code $proto "$HPA?labelSelector=app%3Dweb" $(cert good) "${hdr_hpa[@]}")" 200
    check "one SubjectAccessReview, then its cached answer, $proto" "$(sars)" 1
done
check "the review's exact attributes and user" "$(last_sar)" \
    '{"resourceAttributes":{"namespace":"default","verb":"get","group":"custom.metrics.k8s.io","version":"v1beta2","resource":"pods","subresource":"load","name":"*"},"user":"system:serviceaccount:kube-system:horizontal-pod-autoscaler","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"],"extra":{"scopes":["metrics"]},"uid":"5c3a"}'
check "the second CA of the bundle verifies too" "$(code --http2 "$HPA" $(cert good2) "${hdr_hpa[@]}")" 200

# ---- 3. the attributes of each kind of request (user alice may do anything)
attrs() {   # attrs PATH: the last review's attributes after alice GETs PATH
    ctl reviews '{}'
    code --http2 "$1" $(cert good) -H "X-Remote-User: alice" >/dev/null
    reviews | "$JQ" -c '.sars[-1] | (.resourceAttributes // .nonResourceAttributes)'
}
check "by name" "$(attrs $CM/namespaces/default/deployments.apps/web/load)" \
    '{"namespace":"default","verb":"get","group":"custom.metrics.k8s.io","version":"v1beta2","resource":"deployments.apps","subresource":"load","name":"web"}'
check "a namespace's metric" "$(attrs $CM/namespaces/default/metrics/load)" \
    '{"namespace":"default","verb":"get","group":"custom.metrics.k8s.io","version":"v1beta2","resource":"metrics","name":"load"}'
check "external: list" "$(attrs /apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth)" \
    '{"namespace":"default","verb":"list","group":"external.metrics.k8s.io","version":"v1beta1","resource":"queue_depth"}'
check "discovery: non-resource" "$(attrs $CM)" '{"path":"/apis/custom.metrics.k8s.io/v1beta2","verb":"get"}'
check "OpenAPI: non-resource" "$(attrs /openapi/v2)" '{"path":"/openapi/v2","verb":"get"}'
check "the aggregator's probe (system:masters): no review" \
    "$(ctl reviews '{}'; code --http2 $CM $(cert good) -H 'X-Remote-User: system:kube-aggregator' -H 'X-Remote-Group: system:masters')/$(sars)" "200/0"

# ---- 4. spoofed identity headers never get in
spoof=(-H "X-Remote-User: system:admin" -H "X-Remote-Group: system:masters")
ctl reviews '{}'
for proto in --http1.1 --http2; do
    out=$(g "$HPA" $proto "${spoof[@]}")
    check "no certificate: anonymous, $proto" "${out%% *}" 403
    echo "$out" | grep -qF '"message":"pods.custom.metrics.k8s.io \"*\" is forbidden: User \"system:anonymous\" cannot get resource \"pods/load\" in API group \"custom.metrics.k8s.io\" in the namespace \"default\"","reason":"Forbidden","details":{"name":"*","group":"custom.metrics.k8s.io","kind":"pods"},"code":403}' &&
        pass "Go's Forbidden Status, $proto" || fail "403 body: $out"
    for c in rogue othercn expired noclient; do
        out=$(g "$HPA" $proto $(cert $c) "${spoof[@]}")
        check "$c certificate: 401, $proto" "$out" \
            '401 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'
    done
done
check "the one review asked about system:anonymous" "$(reviews | "$JQ" -c '[.sars[] | [.user, .groups]]')" \
    '[["system:anonymous",["system:unauthenticated"]]]'
grep -q "x509: subject with cn=someone-else is not in the allowed list" "$tmp/pair.log" &&
    pass "the log says why a CN was refused" || fail "no CN message in the log"
grep -q "unsuitable certificate purpose" "$tmp/pair.log" && pass "the log says a usage was missing" ||
    fail "no certificate purpose message in the log"
# a header with underscores would reach the workers as the same param; nginx drops it
check "X_Remote_Group does not make the front proxy's user a master" \
    "$(ctl reviews '{}'; code --http1.1 "$HPA" $(cert good) -H 'X-Remote-User: mallory' -H 'X_Remote_Group: system:masters')/$(last_sar | "$JQ" -c .groups)" \
    '403/["system:authenticated"]'
# each header line is one group, never split: a comma gives no extra group
check "a group named 'oidc:team, system:masters' is that one group, and reviewed" \
    "$(ctl reviews '{}'; code --http2 "$HPA" $(cert good) -H 'X-Remote-User: mallory' -H 'X-Remote-Group: oidc:team, system:masters')/$(last_sar | "$JQ" -c .groups)" \
    '403/["oidc:team, system:masters","system:authenticated"]'

# ---- 5. a denial with the review's reason
out=$(g "$CM/namespaces/default/deployments.apps/web/load" --http2 $(cert good) -H "X-Remote-User: eve")
echo "$out" | grep -qF '"message":"deployments.apps.custom.metrics.k8s.io \"web\" is forbidden: User \"eve\" cannot get resource \"deployments.apps/load\" in API group \"custom.metrics.k8s.io\" in the namespace \"default\": eve is banned"' &&
    pass "403 with the review's reason" || fail "eve's 403: $out"

# ---- 6. one review per question across the workers; a slow review blocks no cached answer
ctl reviews '{}'
check "a question answered now" "$(code --http2 "$HPA" $(cert good) -H 'X-Remote-User: alice')" 200
ctl auth '{"review_delay_ms": 2500}'
slow=()
for i in 1 2 3; do
    status_of --http2 -A cm-test $(cert good) -H "X-Remote-User: carol" "$url$HPA" > "$tmp/slow.$i" &
    slow+=($!)
done
sars_from() { [ "$(reviews | "$JQ" "[.sars[] | select(.user == \"$1\")] | length")" -ge 1 ]; }
eventually 60 sars_from carol || fail "the slow review never arrived"
check "while it is under way, the cached answer" "$(code --http2 "$HPA" $(cert good) -H 'X-Remote-User: alice')" 200
check "and health" "$(code --http2 /readyz)" 200
running=0; for p in "${slow[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
check "the slow requests were still waiting then" "$running" 3
for p in "${slow[@]}"; do wait "$p"; done
check "carol is denied, three times" "$(cat "$tmp/slow.1" "$tmp/slow.2" "$tmp/slow.3")" 403403403
check "by one review among three workers" "$(reviews | "$JQ" '[.sars[] | select(.user == "carol")] | length')" 1

# ---- 7. a review that fails or times out is never an allow; health still answers
ctl auth '{"review_delay_ms": 0, "review_fail": true}'
out=$(g "$CM/namespaces/other/metrics/load" --http2 $(cert good) -H "X-Remote-User: alice")
check "the cluster failing (a question not cached): 500" "${out%% *}" 500
echo "$out" | grep -q 'SubjectAccessReview failed: SubjectAccessReview: HTTP 500: the review failed' &&
    pass "says why" || fail "failure body: $out"
ctl auth '{"review_fail": false, "review_delay_ms": 6000}'
out=$(g "$CM/namespaces/default/deployments.apps/api/load" --http2 $(cert good) -H "X-Remote-User: alice")
check "a review slower than --authorization-review-timeout: 500" "${out%% *}" 500
echo "$out" | grep -q 'timed out' && pass "timed out" || fail "timeout body: $out"
check "health meanwhile" "$(code --http1.1 /healthz)" 200
check "and a cached answer" "$(code --http1.1 "$CM/namespaces/default/metrics/load" $(cert good) -H 'X-Remote-User: alice')" 200
ctl auth '{"review_delay_ms": 0}'

# ---- 8. bearer tokens: a TokenReview (cached), then a review of that user
ctl reviews '{}'
check "a token the cluster does not know: 401" "$(code --http2 "$HPA" -H 'Authorization: Bearer nope')" 401
check "a service account's token, reading: denied" "$(code --http2 "$HPA" -H 'Authorization: Bearer pod-token')" 403
check "again: no second TokenReview" "$(code --http2 "$HPA" -H 'Authorization: Bearer pod-token'; reviews | "$JQ" .tokenreviews)" 4032
check "writing with it: the write API asks for create on values" \
    "$(code --http2 /write-metrics/namespaces/default/pods/web-1/backlog -X POST -H 'Authorization: Bearer pod-token' -H 'Content-Type: application/json' -d '"5"')" 200
check "the write's review" "$(last_sar | "$JQ" -c '[.resourceAttributes, .user, .uid]')" \
    '[{"verb":"create","group":"custom.metrics.k8s.io","version":"v1beta2","resource":"values"},"system:serviceaccount:default:pusher","u-1"]'
check "no token: 401" "$(code --http2 /write-metrics/namespaces/default/pods/web-1/backlog -X POST -H 'Content-Type: application/json' -d '"5"')" 401
check "the token file's token still writes" \
    "$(code --http2 /write-metrics/namespaces/default/pods/web-1/backlog -X POST -H "Authorization: Bearer $(cat "$tmp/pair/write-token")" -H 'Content-Type: application/json' -d '"6"')" 200

# ---- 9. the CA file rotates without a restart: the first CA leaves the bundle
cp "$tmp/fp-ca2.crt" "$tmp/bundle.crt.new" && mv "$tmp/bundle.crt.new" "$tmp/bundle.crt"
refused_old() { [ "$(code --http2 "$HPA" $(cert good) "${hdr_hpa[@]}")" = 401 ]; }
eventually 60 refused_old && pass "a CA removed from the file is no longer trusted" ||
    fail "the old CA is still trusted"
check "the new one is" "$(code --http2 "$HPA" $(cert good2) "${hdr_hpa[@]}")" 200
kill -0 "$pair_pid" && pass "no restart" || fail "the pair died"
grep -q "AddressSanitizer\|runtime error" "$tmp/pair.log" && fail "sanitizer report: $(grep -m3 'AddressSanitizer\|runtime error' "$tmp/pair.log")"
kill -TERM "$pair_pid"; wait "$pair_pid" 2>/dev/null
cp "$tmp/pair.log" "$tmp/pair1.log"

# ---- 10. no CA flag: the extension-apiserver-authentication ConfigMap, followed
cm_data() {   # cm_data CA-FILE: the ConfigMap's data as kube-apiserver publishes it
    "$JQ" -n --rawfile ca "$1" '{"client-ca-file": "not this one",
        "requestheader-client-ca-file": $ca,
        "requestheader-allowed-names": "[\"front-proxy-client\"]",
        "requestheader-username-headers": "[\"X-Remote-User\"]",
        "requestheader-group-headers": "[\"X-Remote-Group\"]",
        "requestheader-extra-headers-prefix": "[\"X-Remote-Extra-\"]"}'
}
# the ConfigMap not readable yet (as without its RBAC): not ready, however
# ready the objects are, until it has been read
ctl auth "{\"configmap\": $(cm_data "$tmp/fp-ca.crt"), \"configmap_forbidden\": true}"
rm -f "$tmp/pair/url"
# (the review timeout outlasts any wait below: the killed review must still be under way)
start_pair --unready --workers 2 --config "$tmp/metrics.yaml" --kubeconfig "$tmp/kubeconfig" -- --watch-retry-max 1 \
    --authorization-review-timeout 120s
pair_pid=${pids[-1]}
# links planted at the follower's temporary names (the old fixed one, and one
# per process of the pair) must be replaced, never followed
cmfile=$tmp/pair/sock/extension-apiserver-authentication.json
echo untouched > "$tmp/victim"
ln -s "$tmp/victim" "$cmfile.new"
for p in $(pgrep -f "serve --config $tmp/metrics.yaml"); do
    ln -s "$tmp/victim" "$cmfile.new.$p"
    for c in $(pgrep -P "$p"); do ln -s "$tmp/victim" "$cmfile.new.$c"; done
done
eventually 60 prints 200 code --http1.1 /readyz/objects && pass "the objects are listed" || fail "no first LIST"
out=$(g /readyz --http1.1)
check "before the ConfigMap is read: not ready" "${out%% *}" 500
echo "$out" | grep -qF '[-]front-proxy failed: waiting for kube-system/extension-apiserver-authentication to be read' &&
    pass "readyz says what it waits for" || fail "readyz body: $out"
check "and the front proxy is refused meanwhile" "$(code --http2 "$HPA" $(cert good) "${hdr_hpa[@]}")" 401
check "alive all the same" "$(code --http1.1 /livez)" 200
grep -q 'reading kube-system/extension-apiserver-authentication.*403' "$tmp/pair.log" &&
    pass "the log says why (403)" || fail "no 403 in the log: $(grep -m2 extension-apiserver "$tmp/pair.log")"
ctl auth '{"configmap_forbidden": false}'
eventually 60 prints 200 code --http1.1 /readyz && pass "ready once the follower has read it" ||
    fail "never ready after the ConfigMap became readable"
check "a link at a temporary name is not followed" "$(cat "$tmp/victim")" untouched
[ -f "$cmfile" ] && [ ! -L "$cmfile" ] && pass "the follower's file is its own" ||
    fail "the follower's file: $(ls -l "$cmfile" 2>&1)"
check "no temporary file left" "$(find "$tmp/pair/sock" -name '*.new*' -type f | wc -l)" 0
check "the ConfigMap's CA: the front proxy gets in" "$(code --http2 "$HPA" $(cert good) "${hdr_hpa[@]}")" 200
check "the ConfigMap's allowed names: another CN does not" "$(code --http2 "$HPA" $(cert othercn) "${hdr_hpa[@]}")" 401
check "the second CA is not trusted yet" "$(code --http2 "$HPA" $(cert good2) "${hdr_hpa[@]}")" 401
ctl auth "{\"configmap\": $(cm_data "$tmp/fp-ca2.crt")}"
takes_new() { [ "$(code --http2 "$HPA" $(cert good2) "${hdr_hpa[@]}")" = 200 ]; }
eventually 60 takes_new && pass "a rotated CA in the ConfigMap is followed" || fail "the rotated CA is not taken"
# each worker re-reads the file within a second of its next request
drops_old() { [ "$(code --http2 "$HPA" $(cert good) "${hdr_hpa[@]}")" = 401 ]; }
eventually 60 drops_old && pass "and the old one dropped" || fail "the old CA is still trusted"
# the ConfigMap deleted: an answer too; ready, and certificates are refused
ctl auth '{"configmap": null}'
says_no_ca() { "$CURL" -ks -A cm-test "$url/readyz?verbose" | grep -qF '[+]front-proxy ok: kube-system/extension-apiserver-authentication names no requestheader CA'; }
eventually 60 says_no_ca && pass "without the ConfigMap, readyz says certificates are refused" ||
    fail "readyz without the ConfigMap: $(g '/readyz?verbose' --http1.1)"
check "and stays ready" "$(code --http1.1 /readyz)" 200
no_front_proxy() { [ "$(code --http2 "$HPA" $(cert good2) "${hdr_hpa[@]}")" = 401 ]; }
eventually 60 no_front_proxy && pass "the front proxy is refused without its CA" || fail "the front proxy still gets in"
ctl auth "{\"configmap\": $(cm_data "$tmp/fp-ca2.crt")}"
eventually 60 takes_new && pass "the ConfigMap back: the front proxy is trusted again" || fail "the CA is not taken back"
kill -0 "$pair_pid" && pass "without a restart" || fail "the pair died"

# ---- 10b. workers killed in the middle of a review give their admission back
# Two workers admit one review at a time.  A worker that dies (kill -9)
# while it waits for the cluster must not keep that admission: the next
# question that needs a review is reviewed, never a 429.
# fcgi_workers MASTER: the master's children that hold the FastCGI socket
fcgi_workers() {
    local ino p
    ino=$(awk -v s="$tmp/pair/sock/fcgi.sock" '$4 == "00010000" && $8 == s { print $7 }' /proc/net/unix)
    [ -n "$ino" ] || return 0
    for p in $(pgrep -P "$1"); do
        ls -l "/proc/$p/fd" 2>/dev/null | grep -qF "socket:[$ino]" && echo "$p"
    done
}
master=$(pgrep -o -f "serve --config $tmp/metrics.yaml")   # the oldest: the master
victims=$(fcgi_workers "$master")
check "two workers" "$(echo $victims | wc -w)" 2
ctl reviews '{}'
ctl auth '{"review_delay_ms": 600000}'
# carol_in_review: a request of carol's is waiting for its review (sent again
# while it is answered at once: a worker may not have re-read the CA yet)
killed_req=""
carol_in_review() {
    if [ -z "$killed_req" ] || ! kill -0 "$killed_req" 2>/dev/null; then
        [ -n "$killed_req" ] && wait "$killed_req"
        status_of --http2 -A cm-test $(cert good2) -H "X-Remote-User: carol" "$url$HPA" > "$tmp/killed" &
        killed_req=$!
    fi
    sars_from carol
}
eventually 60 carol_in_review || fail "the review to be cut short never arrived"
kill -9 $victims
respawned() { lacks $victims && [ "$(fcgi_workers "$master" | wc -l)" = 2 ]; }
eventually 60 respawned || fail "the killed workers were not replaced"
wait "$killed_req"
ctl auth '{"review_delay_ms": 0}'
check "after a worker died in a review, the next review is made (not 429)" \
    "$(code --http2 "$HPA" $(cert good2) -H 'X-Remote-User: alice')" 200
check "and the next one" "$(code --http2 "$CM/namespaces/default/metrics/load" $(cert good2) -H 'X-Remote-User: alice')" 200
grep -q "AddressSanitizer\|runtime error" "$tmp/pair.log" && fail "sanitizer report: $(grep -m3 'AddressSanitizer\|runtime error' "$tmp/pair.log")"
kill -TERM "$pair_pid"; wait "$pair_pid" 2>/dev/null

# ---- 11. no cluster (--objects): a static policy, nobody to ask
printf '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"default","labels":{"app":"web"}}}]}\n' > "$tmp/objects.json"
rm -f "$tmp/pair/url"
start_pair --workers 2 --config "$tmp/metrics.yaml" --objects "$tmp/objects.json" -- \
    --requestheader-client-ca-file "$tmp/fp-ca.crt" --requestheader-allowed-names front-proxy-client \
    --authorization-static-allow-groups system:serviceaccounts:kube-system
pair_pid=${pids[-1]}
check "static: the HPA's group reads" "$(code --http2 "$HPA" $(cert good) "${hdr_hpa[@]}")" 200
out=$(g "$HPA" --http2 $(cert good) -H "X-Remote-User: eve")
check "static: another user is refused" "${out%% *}" 403
echo "$out" | grep -qF 'User \"eve\" cannot get resource \"pods/load\"' && pass "with Go's message" || fail "static 403: $out"
check "static: discovery for any front-proxy user (the aggregator's fetch carries no group)" \
    "$(code --http2 $CM $(cert good) -H 'X-Remote-User: system:kube-aggregator')" 200
check "static: spoofed headers without a certificate" "$(code --http1.1 "$HPA" "${spoof[@]}")" 403
check "static: a token, and nobody to review it" "$(code --http2 "$HPA" -H 'Authorization: Bearer pod-token')" 401

# ---- 12. TLS as Kubernetes components set it up (the same nginx block)
host=127.0.0.1:${url##*:}
tls() { openssl s_client -connect "$host" -servername localhost "$@" < /dev/null > "$tmp/tls.out" 2>&1; }
tls -tls1_1 && fail "TLS 1.1 is accepted" || pass "TLS 1.1 is refused"
tls -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-GCM-SHA256 &&
    fail "a CBC or non-forward-secret suite is accepted" || pass "only forward-secret AEAD suites"
tls -tls1_2 && pass "TLS 1.2 with an AEAD suite" || fail "TLS 1.2: $(tail -3 "$tmp/tls.out")"
grep -q "TLS session ticket:" "$tmp/tls.out" && fail "a session ticket was issued" || pass "no session tickets"
grep -q "^Compression: NONE" "$tmp/tls.out" && pass "no TLS compression" || fail "compression: $(grep Compression "$tmp/tls.out")"
grep -q "^Client Certificate Types" "$tmp/tls.out" &&
    pass "a client certificate is asked for" || fail "no client certificate request"
tls -tls1_3 && pass "TLS 1.3" || fail "TLS 1.3: $(tail -3 "$tmp/tls.out")"
check "a probe without a certificate still gets health" "$(code --http1.1 /livez)" 200
finish
