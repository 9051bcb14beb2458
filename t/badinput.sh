#!/usr/bin/env bash
# Malformed requests get a Kubernetes Status with the right code, from the
# workers or from nginx, and the server keeps serving.
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL" "$JQ"
start_pair --workers 2
head -c 20000 /dev/zero | tr '\0' a > "$tmp/big"
CM=/apis/custom.metrics.k8s.io

expect_status() {   # NAME CODE curl-args...
    local name=$1 code=$2; shift 2
    local got; got=$(status_of "$@")
    if [ "$got" = "$code" ] && "$JQ" -e --argjson c "$code" '.kind == "Status" and .code == $c' "$tmp/body" >/dev/null 2>&1; then
        pass "$name"
    else
        fail "$name: HTTP $got, body $(head -c 200 "$tmp/body")"
    fi
}

expect_status "bad percent-escape" 400 "$url/apis/%zz"
expect_status "%00 in the path" 400 "$url$CM/v1beta1/nodes/a%00b/node_load"
expect_status "dot-dot segment" 400 "$url$CM/v1beta1/nodes/../node_load"
expect_status "encoded dot segment" 400 "$url$CM/v1beta1/%2E%2E/x"
expect_status "empty segment" 400 "$url$CM//v1beta1"
expect_status "single dot segment" 400 "$url$CM/./v1beta1"
expect_status "unknown group" 404 "$url/apis/foo.example.com/v1"
expect_status "unknown version" 404 "$url$CM/v1/namespaces/default/pods/x/m"
expect_status "unknown top-level path" 404 "$url/index.html"
expect_status "namespaces/{ns}/{x}" 400 "$url$CM/v1beta1/namespaces/default/foo"
expect_status "over-long path" 414 "$url/apis/$(head -c 20000 /dev/zero | tr '\0' a)"
expect_status "over-long query" 414 "$url$CM/v1beta1?q=$(head -c 20000 /dev/zero | tr '\0' a)"
expect_status "over-long header (HTTP/1.1)" 400 --http1.1 -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$url/apis"
expect_status "over-large body (HTTP/2)" 413 --http2 -X POST --data-binary "@$tmp/big" "$url/apis"
expect_status "over-large body (HTTP/1.1)" 413 --http1.1 -X POST --data-binary "@$tmp/big" "$url/apis"
expect_status "over-large declared length" 413 -X POST -H 'Content-Length: 99999' --data-binary 'x' "$url/apis"
# HTTP/2 decodes headers with connection-wide HPACK state, so nginx answers an
# over-long header field with GOAWAY (ENHANCE_YOUR_CALM), not with a response.
code=$(status_of --http2 -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$url/apis")
check "over-long header (HTTP/2) closes the connection" "$code" "000"
expect_status "body on GET" 400 -X GET --data 'x=1' "$url$CM/v1beta1"
expect_status "DELETE" 405 -X DELETE "$url$CM/v1beta1"
expect_status "OPTIONS" 405 -X OPTIONS "$url/apis"
expect_status "bad labelSelector" 400 "$url$CM/v1beta1/namespaces/default/pods/%2A/http_requests_per_second?labelSelector=app%3Dweb+x"
expect_status "bad labelSelector key" 400 "$url$CM/v1beta1/namespaces/default/pods/%2A/http_requests_per_second?labelSelector=-bad%3Dx"
expect_status "aggregated discovery only" 406 -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' "$url/apis"

# Still serving after all that.
check "still healthy" "$(get /readyz)" "200 ok"
finish
