#!/usr/bin/env bash
# Structured logs through the real pair: with --log-format json every record
# the server writes is one JSON object on one line, with logfmt one logfmt
# line; the default stays the human text.  nginx's access log (run-local
# --access-log) names each request by nginx's $request_id, and the worker's
# records of that request carry the same id.  Bad flags are refused.
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL" "$JQ"

SEL='/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/http_requests_per_second?labelSelector=app%3Dweb'

# ---- flags
"$CM_BIN" serve --config "$top_srcdir/examples/metrics.yaml" --socket "$tmp/x.sock" \
    --log-format xml > "$tmp/out" 2>&1
check "--log-format xml: exit status 2" "$?" 2
check "--log-format xml: says what it takes" "$(cat "$tmp/out")" \
    "custom-metrics-fcgi: --log-format takes text, logfmt or json"
"$CM_BIN" serve --config "$top_srcdir/examples/metrics.yaml" --socket "$tmp/x.sock" \
    --log-level loud > "$tmp/out" 2>&1
check "--log-level loud: exit status 2" "$?" 2
check "--log-level loud: says what it takes" "$(cat "$tmp/out")" \
    "custom-metrics-fcgi: --log-level takes error, warn, info or debug"

# server_lines: what the server wrote (run-local's own lines left out)
server_lines() { grep -v -e '^custom-metrics-fcgi is ready' -e '^  ' "$tmp/pair.log"; }
# access_id URI-PREFIX: the request_id of the access log's line for a request
access_id() {
    grep -F "uri=\"$1" "$tmp/pair/access.log" | tail -1 | sed -n 's/.*request_id=\([0-9a-f]*\) .*/\1/p'
}
stop_pair() {
    kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
    rm -rf "$tmp/pair"
}

# ---- JSON
start_pair --access-log -- --log-format json --log-level debug
check "by selector" "$(status_of "$url$SEL")" 200
# a request target with bytes a log line must escape (a quote, a backslash)
status_of "$url/apis/x%22y/%5C\"q\\" > /dev/null
logged() { grep -q "$1" "$tmp/pair.log"; }
eventually 60 logged '"request_id"' || true
n=$(server_lines | wc -l)
[ "$n" -ge 3 ] && pass "the server logged $n records" || fail "only $n records: $(server_lines)"
bad=$(server_lines | while IFS= read -r line; do
          printf '%s' "$line" | "$JQ" -e 'type == "object" and (.ts | type) == "string" and
              (.level | test("^(error|warn|info|debug)$")) and (.pid | type) == "number" and
              (.msg | type) == "string"' > /dev/null 2>&1 || echo "$line"
      done)
check "every record is one JSON object with ts, level, pid and msg" "$bad" ""
eventually 60 test -s "$tmp/pair/access.log"
rid=$(access_id "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/")
[ "${#rid}" = 32 ] && pass "the access log names the request by nginx's request id" ||
    fail "no request id in the access log: $(cat "$tmp/pair/access.log")"
has_rid() { server_lines | "$JQ" -r --arg id "$1" 'select(.request_id? == $id) | .msg' 2>/dev/null | grep -q .; }
eventually 60 has_rid "$rid" && pass "the worker's record of the request carries the same id"
check "that record is the request's" \
    "$(server_lines | "$JQ" -r --arg id "$rid" 'select(.request_id? == $id) | .msg' | cut -d' ' -f1,3)" \
    "GET 200"
rid2=$(access_id "/apis/x%22y/")
check "the odd request's record keeps its target whole" \
    "$(server_lines | "$JQ" -r --arg id "$rid2" 'select(.request_id? == $id) | .msg')" \
    "GET /apis/x%22y/%5C\"q\\ 404"
start_rec=$(server_lines | "$JQ" -r 'select(.msg | startswith("serving on")) | has("request_id")')
check "a record that is not about a request has no request_id" "$start_rec" "false"
stop_pair

# ---- logfmt
start_pair --access-log -- --log-format logfmt --log-level debug
check "by selector" "$(status_of "$url$SEL")" 200
eventually 60 test -s "$tmp/pair/access.log"
rid=$(access_id "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/")
has_line() { server_lines | grep -q "request_id=$1 "; }
eventually 60 has_line "$rid" && pass "logfmt: the worker's record carries nginx's request id"
bad=$(server_lines | grep -Ev '^ts=[0-9T:-]+Z level=(error|warn|info|debug) pid=[0-9]+( request_id=[0-9a-zA-Z_-]+)? msg=([^ "]+|"([^"\\]|\\.)*")$' || true)
check "every record is one logfmt line" "$bad" ""
check "logfmt: the request's record" \
    "$(server_lines | grep "request_id=$rid " | sed 's/.* msg=//')" \
    "\"GET $SEL 200\""
stop_pair

# ---- the default: text, as before
start_pair
bad=$(server_lines | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z custom-metrics-fcgi\[[0-9]+\] (error|warn|info|debug): ' || true)
check "by default every record is the human text" "$bad" ""
server_lines | grep -q 'info: serving on ' && pass "the start record is there" ||
    fail "no start record: $(server_lines)"
finish
