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

# NUL bytes (%00) and ';' in query values: each answered as the Go server
# answers it, never as if the value ended at the NUL.
P="$CM/v1beta1/namespaces/default/pods/%2A/http_requests_per_second"
E=/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_messages_ready
names() {   # QUERY-PATH: "STATUS name,name" of a metric list, or "STATUS message"
    local code; code=$(status_of "$url$1")
    echo "$code $("$JQ" -r 'if .kind == "Status" then .message else
        [.items[] | (.describedObject.name // .metricLabels.queue)] | sort | join(",") end' "$tmp/body")"
}
web3=web-7d4b9c-h3j9s,web-7d4b9c-q8z6m,web-7d4b9c-x2k4p
# after an identifier a NUL only ends it: app=web,nope (was cut to app=web)
check "labelSelector a=b%00,c keeps ,c" "$(names "$P?labelSelector=app%3Dweb%00%2Cnope")" "200 "
check "labelSelector a=b%00,c matches c" "$(names "$P?labelSelector=app%3Dweb%00%2Ctier%3Dfrontend")" "200 $web3"
check "labelSelector a=b%00c is refused" "$(names "$P?labelSelector=app%3Dwe%00b")" \
    "400 found 'b', expected: ',' or 'end of string'"
# where a token would start, a NUL ends the selector (Go's lexer), so ,nope is not read
check "labelSelector 'a=b %00,c' is a=b" "$(names "$P?labelSelector=app%3Dweb+%00%2Cnope")" "200 $web3"
check "metricLabelSelector a=b%00,c keeps ,c" "$(names "$P?metricLabelSelector=verb%3DGET%00%2Cnope")" "200 "
check "metricLabelSelector a=b%00c is refused" "$(names "$P?metricLabelSelector=verb%3DGE%00T")" \
    "500 found 'T', expected: ',' or 'end of string'"
check "external labelSelector a=b%00,c keeps ,c" "$(names "$E?labelSelector=queue%3Dorders%00%2Cnope")" "200 "
check "external labelSelector a=b%00,c matches c" "$(names "$E?labelSelector=queue%3Dorders%00%2Cqueue")" "200 orders"
check "fieldSelector name%00x is not name" \
    "$(names "$CM/v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/http_requests_per_second?fieldSelector=metadata.name%3Dweb-7d4b9c-x2k4p%00x")" \
    "400 fieldSelector metadata.name doesn't match requested name"
# Go's url.ParseQuery drops a pair holding a ';' and the apiserver uses the rest
check "a ';' drops its pair" "$(names "$P?labelSelector=app%3Dworker;x" | cut -c1-4)" "200 "
check "a ';' drops its pair only" "$(names "$P?labelSelector=app%3Dnope;&labelSelector=app%3Dworker")" \
    "200 worker-5f6d8-abcde"
# ParseBool("1\0") fails: not pretty, though curl's User-Agent alone would be
check "pretty=1%00 is not pretty" "$(status_of "$url/apis?pretty=1%00") $(wc -l < "$tmp/body")" "200 1"
check "pretty=1 is pretty" "$(status_of -A kubectl "$url/apis?pretty=1") $(head -n 1 "$tmp/body")" "200 {"
check "exclude=ping%00 excludes nothing" "$(get "/readyz?verbose&exclude=ping%00" | grep -c 'ping excluded')" "0"
check "exclude=ping excludes ping" "$(get "/readyz?verbose&exclude=ping" | grep -c 'ping excluded')" "1"
check "watch=0%00 is a watch" "$(status_of "$url$E?watch=0%00")" "405"
check "watch=0 is no watch" "$(status_of "$url$E?watch=0")" "200"
token=$(cat "$tmp/pair/write-token")
write() {   # QUERY BODY: the status of a write for web-7d4b9c-x2k4p's jobs_waiting
    status_of -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-raw "$2" "$url/write-metrics/namespaces/default/pods/web-7d4b9c-x2k4p/jobs_waiting?$1"
}
expect_nul_refused() {   # NAME: the last write was a 400 Status naming the NUL byte
    if "$JQ" -e '.kind == "Status" and .code == 400 and (.message | test("NUL byte"))' "$tmp/body" >/dev/null; then
        pass "$1"
    else
        fail "$1: body $(head -c 200 "$tmp/body")"
    fi
}
check "write labels=a=b%00c,zz=top: 400" "$(write 'labels=a=b%00c,zz=top' '"5"')" 400
expect_nul_refused "write labels=a=b%00c,zz=top: the NUL is named"
check "write labels=a%00x=b: 400" "$(write 'labels=a%00x=b' '"5"')" 400
check "write labels=a=%00: 400" "$(write 'labels=a=%00' '"5"')" 400
check "write labels with a NUL stored nothing" \
    "$(status_of "$url$CM/v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/jobs_waiting")" 404
check "batch label value with \\u0000: 400" "$(status_of -X POST -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-raw '[{"metric":"jobs_waiting","resource":"pods","namespace":"default","name":"web-7d4b9c-x2k4p","value":"5","labels":{"a":"b\u0000c"}}]' \
    "$url/write-metrics")" 400
expect_nul_refused "batch label value with \\u0000: the NUL is named"
check "write body \"7\\u0000x\": 400, not 7" "$(write 'labels=a=b' '"7\u0000x"')" 400
check "write labels=a=b: 200" "$(write 'labels=a=b,zz=top' '"5"')" 200
check "the write is read back with its full labels" \
    "$(status_of "$url$CM/v1beta1/namespaces/default/pods/web-7d4b9c-x2k4p/jobs_waiting?metricLabelSelector=a%3Db%2Czz%3Dtop")$("$JQ" -r '.items | length' "$tmp/body")" 2001
# A raw NUL byte in the request target never reaches the workers (whose
# REQUEST_URI is a C string): nginx answers 400 with a Status.
raw_get() {   # TARGET-as-python-bytes-literal: "STATUS-LINE|BODY" of a raw HTTP/1.1 GET
    local port=${url##*:}; port=${port%%/*}
    python3 - "$port" "$1" <<'PY'
import ast, socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30),
                    server_hostname="localhost")
s.sendall(b"GET " + ast.literal_eval(sys.argv[2]) + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode() + "|" + body.decode().strip())
PY
}
if command -v python3 >/dev/null; then
    for target in 'b"/apis?pretty=1\x00x"' 'b"/apis\x00/x"'; do
        got=$(raw_get "$target")
        case $got in
        "HTTP/1.1 400 Bad Request|"*'"kind":"Status"'*'"code":400'*) pass "raw NUL in $target: 400 Status" ;;
        *) fail "raw NUL in $target: $got" ;;
        esac
    done
else
    echo "SKIP: raw NUL in the request target (no python3)"
fi

# Still serving after all that.
check "still healthy" "$(get /readyz)" "200 ok"
finish
