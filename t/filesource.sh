#!/usr/bin/env bash
# File sources through the real pair: a file replaced (write, then rename)
# over and over while requests read it.  Every answer must be whole: 200,
# every selected pod, one version of the file, never older than the last.
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL" "$JQ"
mkdir -p "$tmp/data"
cat > "$tmp/metrics.yaml" <<YAML
metrics:
  - name: q
    resources: [pods]
    source: {file: {path: $tmp/data/q.prom}}
  - name: one
    resources: [pods]
    source: {file: {path: $tmp/data/one}}
external:
  - name: backlog
    source: {file: {path: $tmp/data/q.prom, series: backlog}}
YAML
write_version() {   # write_version N: every web pod gets N, the backlog N too
    local f="$tmp/data/.q.$1"
    {
        echo "# TYPE q gauge"
        for p in web-7d4b9c-x2k4p web-7d4b9c-h3j9s web-7d4b9c-q8z6m; do
            echo "q{namespace=\"default\",pod=\"$p\"} $1"
        done
        echo "backlog{queue=\"orders\"} $1"
    } > "$f"
    mv "$f" "$tmp/data/q.prom"
}
write_version 0
echo 5 > "$tmp/data/one"
start_pair --workers 2 --config "$tmp/metrics.yaml" --objects "$top_srcdir/examples/objects.yaml"
CM=/apis/custom.metrics.k8s.io/v1beta2/namespaces/default

check "a single-quantity file" "$(get "$CM/pods/web-7d4b9c-x2k4p/one" >/dev/null; "$JQ" -r '.items[0].value' "$tmp/body")" 5
check "samples name their pods" \
    "$(get "$CM/pods/*/q?labelSelector=app%3Dweb" >/dev/null; "$JQ" -c '[.items[].value]' "$tmp/body")" '["0","0","0"]'

# The writer replaces the file as fast as it can while readers poll, in
# rounds of 150 requests: at least 3, and more (up to 40) until the readers
# have seen more than 2 versions and the writer has made more than 10, so
# that the overlap does not depend on how the machine's load shares it out.
( i=1; while [ ! -e "$tmp/stop" ]; do write_version $i; i=$((i + 1)); done; echo $((i - 1)) > "$tmp/last" ) &
pids+=($!)
urls=()
for i in $(seq 1 150); do urls+=("$url$CM/pods/*/q?labelSelector=app%3Dweb"); done
versions_seen() { grep '^{' "$tmp/answers" | "$JQ" -r '.items[0].value' | sort -u | wc -l; }
written() { tail -1 "$tmp/data/q.prom" | awk '{ print $2 }'; }
rounds=0
while [ "$rounds" -lt 40 ]; do
    "$CURL" -ks --http2 -A cm-test -w '\n%{http_code}\n' "${urls[@]}" >> "$tmp/answers" || fail "curl round $rounds"
    rounds=$((rounds + 1))
    [ "$rounds" -ge 3 ] && [ "$(versions_seen)" -gt 2 ] && [ "$(written)" -gt 10 ] && break
done
touch "$tmp/stop"; wait "${pids[-1]}"
last=$(cat "$tmp/last")
[ "$last" -gt 10 ] && pass "the writer replaced the file $last times" || fail "writer only wrote $last"
check "every answer is 200" "$(grep -c '^[0-9][0-9][0-9]$' "$tmp/answers") $(grep -c '^200$' "$tmp/answers")" \
    "$((rounds * 150)) $((rounds * 150))"
grep '^{' "$tmp/answers" | "$JQ" -r '[(.items|length), ([.items[].value]|unique|length), .items[0].value] | @tsv' > "$tmp/seen"
check "every answer has the three pods" "$(cut -f1 "$tmp/seen" | sort -u)" 3
check "every answer is one version of the file" "$(cut -f2 "$tmp/seen" | sort -u)" 1
sort -n -c <(cut -f3 "$tmp/seen") 2>/dev/null && pass "versions never go backwards" || fail "a reader went back in time"
check "readers saw the file change" "$([ "$(cut -f3 "$tmp/seen" | sort -u | wc -l)" -gt 2 ] && echo yes)" yes
get "$CM/pods/web-7d4b9c-h3j9s/q" > /dev/null
check "the last version is served" "$("$JQ" -r '.items[0].value' "$tmp/body")" "$last"
get "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/backlog" > /dev/null
check "an external series from the file" "$("$JQ" -r '.items[0].metricLabels.queue + " " + .items[0].value' "$tmp/body")" "orders $last"

# A broken file: 503 with a request id; the log names the file and line under
# that id; a good file heals it.
printf 'q{namespace="default",pod="web-7d4b9c-x2k4p"} twelve\n' > "$tmp/data/.bad" && mv "$tmp/data/.bad" "$tmp/data/q.prom"
check "a broken file is a 503" "$(get "$CM/pods/web-7d4b9c-x2k4p/q" >/dev/null; cat "$tmp/code") $("$JQ" -r .message "$tmp/body" | sed 's/(request [0-9]*-[0-9]*)$/(request ID)/')" \
    "503 unable to fetch metric q for pods: its file cannot be read (request ID)"
rid=$("$JQ" -r .message "$tmp/body" | sed -n 's/.*(request \([0-9]*-[0-9]*\))$/\1/p')
check "the log has where, under the request id" \
    "$(grep -c "request $rid: metric q: $tmp/data/q.prom:1:47: bad value 'twelve'" "$tmp/pair.log")" 1
write_version 77
check "a good file heals it" "$(get "$CM/pods/web-7d4b9c-x2k4p/q" >/dev/null; "$JQ" -r '.items[0].value' "$tmp/body")" 77
rm "$tmp/data/q.prom"
check "a removed file is a 503" "$(get "$CM/pods/web-7d4b9c-x2k4p/q" >/dev/null; cat "$tmp/code")" 503
finish
