#!/usr/bin/env bash
# Faults and hostile clients against the real pair (nginx + TLS + workers),
# issue 15 items 3, 6 and 7: no secret or internal detail in a response (a
# Prometheus URL with credentials, an upstream whose error body holds
# secrets, token files), uniform limits (a 5000-byte token, out-of-range push
# values, writes for unknown objects, HTTP/3.0 and HTTP/0.9 request lines,
# 2500 concurrent connections), and nginx/run-local with a failing serve flag.
. "$top_srcdir/t/lib.sh"
PYTHON=${PYTHON:-$(command -v python3 || true)}
OPENSSL=${OPENSSL:-$(command -v openssl || true)}
need "$NGINX" "$CURL" "$JQ" "$PYTHON" "$OPENSSL"

CM=/apis/custom.metrics.k8s.io/v1beta2/namespaces/default
W=/write-metrics/namespaces/default/pods
leak_port=$(free_port) closed_port=$(free_port)

# ---- an upstream whose error answers hold secrets (every one contains LEAK)
"$PYTHON" "$top_srcdir/t/tools/leaky-upstream.py" --port "$leak_port" &
pids+=($!)
for _ in $(seq 1 100); do
    [ "$("$CURL" -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$leak_port/")" = 404 ] && break
    sleep 0.1
done

cat > "$tmp/metrics.yaml" <<YAML
prometheus:
  url: http://admin:S3cretPw@127.0.0.1:$leak_port/json
  timeout: 5s
metrics:
  - name: leaky
    resources: [pods]
    source:
      prometheus: {query: 'up{<<.LabelMatchers>>}'}
  - name: jobs_waiting
    resources: [pods, namespaces]
    source:
      push: {max_age: 10m}
  - name: from_file
    resources: [pods]
    source:
      file: {path: $tmp/secret-dir/values.prom}
external:
  - name: leaky_ext
    source:
      prometheus: {query: 'up{<<.LabelMatchers>>}'}
YAML
# A 5000-byte write token (cut at 4095 bytes before): run-local keeps a token
# it finds in its run directory.
mkdir -p "$tmp/pair"
token=$(head -c 2500 /dev/urandom | od -An -tx1 | tr -d ' \n')
check "the token is 5000 bytes" "${#token}" 5000
(umask 077; printf '%s\n' "$token" > "$tmp/pair/write-token")
start_pair --workers 2 --config "$tmp/metrics.yaml" --objects "$top_srcdir/examples/objects.yaml"
log="$tmp/pair.log"
auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
request_id() { "$JQ" -r .message "$tmp/body" | sed -n 's/.*(request \([0-9]*-[0-9]*\))$/\1/p'; }

# ---- item 3: no secret in a response
get "$CM/pods/web-7d4b9c-x2k4p/leaky" > /dev/null
check "prometheus error: 503" "$(cat "$tmp/code")" 503
check "prometheus error: status and errorType only" \
    "$("$JQ" -r .message "$tmp/body" | sed 's/(request [0-9]*-[0-9]*)$/(request ID)/')" \
    "unable to fetch metric leaky for pods: prometheus answered 422 (execution) (request ID)"
check "prometheus error: no secret, no password" "$(grep -c 'LEAK\|S3cretPw\|admin' "$tmp/body")" 0
rid=$(request_id)
check "prometheus error: the log has it under the request id, without the userinfo" \
    "$(grep -c "request $rid: prometheus http://127.0.0.1:$leak_port/json answered 422: execution: query failed on internal host prom-0.LEAK" "$log")" 1
line=$(grep "request $rid: prometheus " "$log")
check "prometheus error: the log's excerpt is bounded" "$([ "${#line}" -lt 600 ] && echo yes)" yes
get "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/leaky_ext" > /dev/null
check "external: the same summary" \
    "$(cat "$tmp/code") $("$JQ" -r .message "$tmp/body" | sed 's/(request [0-9]*-[0-9]*)$/(request ID)/')" \
    "503 unable to fetch external metric leaky_ext: prometheus answered 422 (execution) (request ID)"

# The same URL shapes through cm-handle (one request, real libcurl): a proxy's
# HTML page, and a Prometheus that is not there.
handle_case() {   # handle_case NAME URL EXPECTED-MESSAGE
    sed "s|^  url: .*|  url: $2|" "$tmp/metrics.yaml" > "$tmp/case.yaml"
    "$top_builddir/t/tools/cm-handle" --config "$tmp/case.yaml" \
        --objects "$top_srcdir/examples/objects.yaml" \
        "$CM/pods/web-7d4b9c-x2k4p/leaky" > "$tmp/case.out" 2> "$tmp/case.log"
    check "$1" "$("$JQ" -r .message "$tmp/case.out" | sed 's/(request [0-9]*-[0-9]*)$/(request ID)/')" "$3"
    check "$1: nothing secret in the answer" "$(grep -c 'LEAK\|S3cretPw\|admin' "$tmp/case.out")" 0
    check "$1: no password in the log" "$(grep -c 'S3cretPw\|admin' "$tmp/case.log")" 0
}
handle_case "an HTML error page" "http://admin:S3cretPw@127.0.0.1:$leak_port/html" \
    "unable to fetch metric leaky for pods: prometheus answered 502 (request ID)"
handle_case "prometheus refused" "http://admin:S3cretPw@127.0.0.1:$closed_port" \
    "unable to fetch metric leaky for pods: prometheus is not reachable (request ID)"
check "prometheus refused: the log says where" \
    "$(grep -c "prometheus http://127.0.0.1:$closed_port: .*" "$tmp/case.log")" 1

# Prometheus' bearer token file: 5000 bytes reach Prometheus whole; over 8192
# bytes it is refused, and neither the file nor the token is shown or logged.
prom_token() {   # prom_token BYTES: runs one request with a token of BYTES bytes
    head -c "$1" /dev/zero | tr '\0' t > "$tmp/prom-token"
    { sed "s|^  url: .*|  url: http://127.0.0.1:$leak_port/auth\n  bearer_token_file: $tmp/prom-token|" \
        "$tmp/metrics.yaml"; } > "$tmp/case.yaml"
    "$top_builddir/t/tools/cm-handle" --config "$tmp/case.yaml" \
        --objects "$top_srcdir/examples/objects.yaml" \
        "$CM/pods/web-7d4b9c-x2k4p/leaky" > "$tmp/case.out" 2> "$tmp/case.log"
}
prom_token 5000
check "a 5000-byte bearer token reaches Prometheus whole" "$("$JQ" -r '.items[0].value' "$tmp/case.out")" 5k
prom_token 9000
check "a 9000-byte bearer token file is refused" \
    "$("$JQ" -r .message "$tmp/case.out" | sed 's/(request [0-9]*-[0-9]*)$/(request ID)/')" \
    "unable to fetch metric leaky for pods: the bearer token for prometheus cannot be read (request ID)"
check "...the log says why" \
    "$(grep -c "cannot read the bearer token file $tmp/prom-token for prometheus: the file holds more than 8192 bytes" "$tmp/case.log")" 1
check "...and holds no token" "$(grep -c tttttttt "$tmp/case.log" "$tmp/case.out" | awk -F: '{ n += $2 } END { print n }')" 0

# A kube-apiserver URL with userinfo: its password is never logged.
mkdir -p "$tmp/mu"
"$CM_BIN" serve --config "$top_srcdir/examples/metrics.yaml" --socket "$tmp/mu/s.sock" \
    --master-url "http://admin:S3cretPw@127.0.0.1:$closed_port" > "$tmp/mu/log" 2>&1 &
mu_pid=$!; pids+=($mu_pid)
for _ in $(seq 1 200); do grep -q 'Failed to connect' "$tmp/mu/log" && break; sleep 0.1; done
check "--master-url with userinfo: the log names the server" \
    "$(grep -c "LIST failed: http://127.0.0.1:$closed_port/" "$tmp/mu/log" | sed 's/^[1-9][0-9]*$/some/')" some
check "--master-url with userinfo: no password in the log" "$(grep -c 'S3cretPw\|admin' "$tmp/mu/log")" 0
kill -TERM "$mu_pid" 2>/dev/null; wait "$mu_pid" 2>/dev/null

# A file source: its path goes to the log only.
get "$CM/pods/web-7d4b9c-x2k4p/from_file" > /dev/null
check "file source: no path in the answer" "$(cat "$tmp/code") $(grep -c 'secret-dir' "$tmp/body")" "503 0"
check "file source: the path is in the log" \
    "$(grep -c "request $(request_id): metric from_file: cannot read $tmp/secret-dir/values.prom" "$log")" 1

# ---- item 6: a 5000-byte token, and token files over the limit or missing
write() { status_of "$url$1" -X POST "${auth[@]}" --data-binary "$2"; }
check "a 5000-byte token is accepted whole" "$(write "$W/web-7d4b9c-x2k4p/jobs_waiting" '"7"')" 200
check "...and served" "$(get "$CM/pods/web-7d4b9c-x2k4p/jobs_waiting" >/dev/null; "$JQ" -r '.items[0].value' "$tmp/body")" 7
check "its first 4095 bytes are not a token" \
    "$(status_of "$url$W/web-7d4b9c-x2k4p/jobs_waiting" -X POST -H "Authorization: Bearer ${token:0:4095}" \
        -H "Content-Type: application/json" --data-binary '"8"')" 401
check "a header over nginx's 16 KiB line buffer (HTTP/1.1) is a Status, not HTML" \
    "$(status_of "$url$W/web-7d4b9c-x2k4p/jobs_waiting" --http1.1 -X POST \
        -H "Authorization: Bearer $token$token$token$token" --data-binary '"8"') $("$JQ" -r .kind "$tmp/body")" \
    "400 Status"
big=$(head -c 4600 /dev/urandom | od -An -tx1 | tr -d ' \n')          # 9200 bytes
printf '%s\n' "$big" > "$tmp/pair/write-token"
check "a token file over 8192 bytes is refused, not cut" \
    "$(status_of "$url$W/web-7d4b9c-x2k4p/jobs_waiting" -X POST -H "Authorization: Bearer ${big:0:8191}" \
        -H "Content-Type: application/json" --data-binary '"8"')" 500
check "...the client is not told the file" "$(grep -c 'write-token\|/pair' "$tmp/body")" 0
check "...the log says why, under the request id" \
    "$(grep -c "request $(request_id): cannot read the write token file $tmp/pair/write-token: the file holds more than 8192 bytes" "$log")" 1
rm "$tmp/pair/write-token"
check "a missing token file: 500 to a client with no token" \
    "$(status_of "$url$W/web-7d4b9c-x2k4p/jobs_waiting" -X POST --data-binary '"8"')" 500
check "...that does not name the file" "$(grep -c 'write-token\|/pair\|No such' "$tmp/body")" 0
check "...the log does" \
    "$(grep -c "request $(request_id): cannot read the write token file $tmp/pair/write-token: No such file" "$log")" 1
(umask 077; printf '%s\n' "$token" > "$tmp/pair/write-token")
check "the logs never print a token" "$(grep -c -e "${token:0:32}" -e "${big:0:32}" "$log")" 0

# ---- item 6: push values within every source's bounds, for known objects
for v in '"1e400"' '"9223372036854776"' '"-9223372036854776"' '"10Ei"' '1e20'; do
    check "value $v is out of range" "$(write "$W/web-7d4b9c-x2k4p/jobs_waiting" "$v")" 400
done
check "...and says so" "$("$JQ" -r .message "$tmp/body")" \
    "bad quantity '1e20': the value is too large for a quantity (every source's values are below 9223372036854775.808 in magnitude)"
check "the largest value in range is taken" "$(write "$W/web-7d4b9c-x2k4p/jobs_waiting" '"9223372036854775"')" 200
check "...and nothing out of range was stored" \
    "$(get "$CM/pods/web-7d4b9c-x2k4p/jobs_waiting" >/dev/null; "$JQ" -r '.items[0].value' "$tmp/body")" 9223372036854775
check "a write for an unknown pod is a 404" "$(write "$W/no-such-pod/jobs_waiting" '"1"')" 404
check "...that says why" "$("$JQ" -r .message "$tmp/body")" \
    "the server does not know pods default/no-such-pod: values are kept only for objects it serves"
check "a pod of another namespace is unknown here" \
    "$(write "/write-metrics/namespaces/shop/pods/web-7d4b9c-x2k4p/jobs_waiting" '"1"')" 404
check "an unknown namespace" "$(write "/write-metrics/namespaces/nope/metrics/jobs_waiting" '"1"')" 404
check "a known namespace" "$(write "/write-metrics/namespaces/shop/metrics/jobs_waiting" '"1"')" 200
check "a batch with one unknown object writes nothing" \
    "$(write /write-metrics '[{"metric":"jobs_waiting","resource":"pods","namespace":"default","name":"web-7d4b9c-q8z6m","value":"5"},{"metric":"jobs_waiting","resource":"pods","namespace":"default","name":"ghost","value":"5"}]') $(get "$CM/pods/web-7d4b9c-q8z6m/jobs_waiting" | head -c3)" "404 404"

# ---- item 6: request lines nginx refuses are Status documents (or closed)
raw() {   # raw REQUEST-BYTES: what the server sends back over TLS, raw
    printf '%b' "$1" | timeout 20 "$OPENSSL" s_client -quiet -connect "127.0.0.1:${url##*:}" \
        -servername localhost 2>/dev/null
}
raw 'GET /healthz HTTP/3.0\r\nHost: localhost\r\n\r\n' > "$tmp/raw"
check "HTTP/3.0: 505" "$(head -1 "$tmp/raw" | tr -d '\r')" "HTTP/1.1 505 HTTP Version Not Supported"
check "HTTP/3.0: a Status document" "$(sed '1,/^\r$/d' "$tmp/raw" | "$JQ" -r '"\(.kind) \(.code)"')" "Status 505"
raw 'GET /healthz\r\n' > "$tmp/raw"
check "HTTP/0.9: closed unanswered" "$(wc -c < "$tmp/raw")" 0
raw 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' > "$tmp/raw"
check "HTTP/1.1 on the same path answers" "$(head -1 "$tmp/raw" | tr -d '\r')" "HTTP/1.1 200 OK"
check "nginx's internal pages, asked for: a Status 404" \
    "$(status_of "$url/_cm_status/500") $("$JQ" -r .kind "$tmp/body")" "404 Status"

# ---- item 6: 2500 concurrent connections, every one answered
out=$("$PYTHON" "$top_srcdir/t/tools/many-conns.py" --port "${url##*:}" --count 2500 --deadline 240)
check "2500 concurrent connections, all answered 200" "$out" \
    "connected=2500 answered=2500 status=200:2500 unanswered=0"
check "nginx had connections to spare" "$(grep -c 'worker_connections are not enough' "$tmp/pair/nginx-error.log")" 0

# ---- item 7: run-local with a failing serve flag stops everything it started
rl="$tmp/rl"
timeout 60 env CM_BIN="$CM_BIN" CM_NGINX="$NGINX" bash "$top_srcdir/nginx/run-local" --port 0 \
    --dir "$rl" -- --no-such-flag > "$tmp/rl.log" 2>&1
rc=$?
check "run-local: a failing serve flag exits non-zero, on its own" \
    "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && echo yes)" yes
grep -q 'exited during start-up' "$tmp/rl.log" && pass "run-local: says serve failed" ||
    { fail "run-local: message"; cat "$tmp/rl.log"; }
left=""
for f in /proc/[0-9]*/cmdline; do
    c=$( (tr '\0' ' ' < "$f") 2>/dev/null) || continue
    case "$c" in *"$rl/"*) left+="${f%/cmdline}: $c; " ;; esac
done
check "run-local: nothing it started is left running" "$left" ""
finish
