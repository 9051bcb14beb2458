#!/usr/bin/env bash
# kubectl as a real Kubernetes client: kubectl get --raw against the pair.
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL" "$JQ" "$KUBECTL"
start_pair --workers 2
cat > "$tmp/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$url", insecure-skip-tls-verify: true}}]
users: [{name: local, user: {token: local-test}}]
contexts: [{name: local, context: {cluster: local, user: local}}]
current-context: local
YAML
k() { "$KUBECTL" --kubeconfig "$tmp/kubeconfig" --request-timeout="${HANG}s" get --raw "$@" < /dev/null; }

out=$(k /apis/custom.metrics.k8s.io/v1beta2) || fail "kubectl get --raw discovery"
check "discovery via kubectl" "$(echo "$out" | "$JQ" -r '.resources[0].name')" "pods/http_requests_per_second"
out=$(k '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/http_requests_per_second?labelSelector=app=web')
check "by selector via kubectl" "$(echo "$out" | "$JQ" -r '.items|length') $(echo "$out" | "$JQ" -r '.items[0].metric.name')" "3 http_requests_per_second"
out=$(k /apis/custom.metrics.k8s.io/v1beta1/namespaces/default/deployments.apps/web/queue_depth)
check "by name via kubectl" "$(echo "$out" | "$JQ" -r '.items[0].value')" 42
out=$("$KUBECTL" --kubeconfig "$tmp/kubeconfig" --server "$url" --insecure-skip-tls-verify \
      get --raw /apis/custom.metrics.k8s.io/v1beta1/nodes/node-1/node_load < /dev/null)
check "kubectl --server" "$(echo "$out" | "$JQ" -r '.items[0].describedObject.name')" node-1
err=$(k /apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/ghost/http_requests_per_second 2>&1) && fail "404 should fail"
echo "$err" | grep -q "the server could not find the metric http_requests_per_second for pods ghost" \
    && pass "kubectl shows the Status message" || fail "kubectl error: $err"
out=$(k '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_messages_ready?labelSelector=queue=billing')
check "external metric via kubectl" "$(echo "$out" | "$JQ" -r '[.kind, (.items|length), .items[0].value, .items[0].metricLabels.queue] | join(" ")')" \
    "ExternalMetricValueList 1 7 billing"
out=$(k /openapi/v2)
check "OpenAPI v2 via kubectl" "$(echo "$out" | "$JQ" -r '.swagger')" "2.0"
finish
