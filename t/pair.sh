#!/usr/bin/env bash
# The real pair (nginx, TLS, HTTP/2, workers) answering every route to curl.
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL" "$JQ"
start_pair --workers 2
CM=/apis/custom.metrics.k8s.io
q() { "$JQ" -r "$1" "$tmp/body"; }

check "healthz" "$(get /healthz)" "200 ok"
check "livez" "$(get /livez)" "200 ok"
check "readyz over HTTP/2" "$(get /readyz --http2)" "200 ok"
"$CURL" -ksI --http2 "$url/readyz" | grep -qi '^content-type: text/plain' && pass "health is text/plain" || fail "health type"

get /apis > /dev/null
check "/apis lists the group" "$(q '.groups[0].name') $(q '.groups[0].preferredVersion.version')" "custom.metrics.k8s.io v1beta2"
get $CM > /dev/null; check "APIGroup" "$(q .kind) $(q '.versions|length')" "APIGroup 2"
for v in v1beta1 v1beta2; do
    get $CM/$v > /dev/null
    check "$v discovery" "$(q .groupVersion) $(q '.resources|length') $(q '.resources[0].name')" \
        "custom.metrics.k8s.io/$v 7 pods/http_requests_per_second"
done
"$CURL" -ksD "$tmp/h" -o /dev/null "$url$CM/v1beta1"
grep -qi '^content-type: application/json' "$tmp/h" && pass "JSON content type" || fail "content type"
grep -qi '^cache-control: no-cache, private' "$tmp/h" && pass "cache-control" || fail "cache-control"

# By selector, %2A and *, both versions.
get "$CM/v1beta2/namespaces/default/pods/%2A/http_requests_per_second?labelSelector=app%3Dweb" >/dev/null
check "by selector (v1beta2)" "$(q '.items|length') $(q '.items[0].metric.name') $(q '.items[0].windowSeconds') $(q '.items[0].value')" \
    "3 http_requests_per_second 60 250m"
check "v1beta2 kind" "$(q .kind) $(q .apiVersion)" "MetricValueList custom.metrics.k8s.io/v1beta2"
get "$CM/v1beta1/namespaces/default/pods/*/http_requests_per_second?labelSelector=app%21%3Dweb" >/dev/null
check "by selector, != (v1beta1)" "$(q '.items|length') $(q '.items[0].describedObject.name') $(q '.items[0].window') $(q '.items[0].selector')" \
    "1 worker-5f6d8-abcde 60 null"
get "$CM/v1beta1/namespaces/default/pods/%2A/http_requests_per_second?labelSelector=app%3Dweb,tier%3D%3Dfrontend" >/dev/null
check "by selector, two terms" "$(q '.items|length')" 3
ts=$(q '.items[0].timestamp')
[[ "$ts" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] && pass "RFC 3339 UTC timestamp" || fail "timestamp $ts"

# By name; group-qualified; root-scoped; namespace metrics.
get "$CM/v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second" >/dev/null
check "by name: one item" "$(q '.items|length') $(q '.items[0].describedObject.kind') $(q '.items[0].describedObject.apiVersion')" "1 Pod v1"
get "$CM/v1beta2/namespaces/default/deployments.apps/web/queue_depth" >/dev/null
check "deployments.apps" "$(q '.items[0].describedObject.kind') $(q '.items[0].describedObject.apiVersion')" "Deployment apps/v1"
get "$CM/v1beta1/nodes/node-1/node_load" >/dev/null
check "root-scoped by name" "$(q '.items[0].describedObject.name') $(q '.items[0].describedObject.namespace') $(q '.items[0].value')" "node-1 null 1500m"
get "$CM/v1beta1/nodes/%2A/node_load?labelSelector=topology.kubernetes.io%2Fzone%3Db" >/dev/null
check "root-scoped by selector" "$(q '.items|length') $(q '.items[0].describedObject.name')" "1 node-2"
get "$CM/v1beta2/namespaces/shop/metrics/queue_depth" >/dev/null
check "namespace metric" "$(q '.items[0].describedObject.kind') $(q '.items[0].describedObject.name')" "Namespace shop"

# NotFound with the reference's texts.
check "undeclared metric" "$(get "$CM/v1beta1/namespaces/default/pods/%2A/nope" >/dev/null; cat "$tmp/code") $(q .message)" \
    "404 the server could not find the metric nope for pods"
check "metric not declared for the resource" "$(get "$CM/v1beta1/namespaces/default/services/web/http_requests_per_second" >/dev/null; cat "$tmp/code") $(q .reason)" "404 NotFound"
check "object that does not exist" "$(get "$CM/v1beta1/namespaces/default/pods/ghost/http_requests_per_second" >/dev/null; cat "$tmp/code") $(q .message)" \
    "404 the server could not find the metric http_requests_per_second for pods ghost"
check "unknown route" "$(get "$CM/v1beta1/namespaces/default/pods/x" >/dev/null; cat "$tmp/code") $(q .message)" \
    "404 the server could not find the requested resource"

# HEAD: the GET headers, no body.
"$CURL" -ksI "$url$CM/v1beta1" -o "$tmp/head" -w '%{http_code} %{size_download}' > "$tmp/hs"
check "HEAD status and empty body" "$(cat "$tmp/hs")" "200 0"
getlen=$("$CURL" -ks "$url$CM/v1beta1" | wc -c)
grep -qi "^content-length: $getlen" "$tmp/head" && pass "HEAD has GET's Content-Length" || fail "HEAD length"

check "POST is 405" "$(status_of -X POST "$url$CM/v1beta1")" 405
check "405 is a Status" "$(q .reason)" MethodNotAllowed
check "PUT on a metric is 405" "$(status_of -X PUT "$url$CM/v1beta1/nodes/node-1/node_load")" 405
finish
