#!/usr/bin/env bash
# Push sources through the real pair (nginx, HTTP/2, TLS, workers): several
# writer processes at once, a worker killed with SIGKILL while writes and
# reads go on, a restart of the whole pair, token rotation, and body limits.
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL" "$JQ"

writers=4 pods_per_writer=10 rounds=6
# 40 pods p-W-I in namespace default, labelled app=load, as a JSON List
{
    echo '{"apiVersion":"v1","kind":"List","items":['
    sep=""
    for w in $(seq 0 $((writers - 1))); do
        for i in $(seq 0 $((pods_per_writer - 1))); do
            printf '%s{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-%d-%d","namespace":"default","labels":{"app":"load"}}}\n' "$sep" "$w" "$i"
            sep=,
        done
    done
    echo ']}'
} > "$tmp/objects.json"
cat > "$tmp/metrics.yaml" <<YAML
metrics:
  - name: backlog
    resources: [pods]
    source: {push: {max_age: 10m}}
external:
  - name: queue_ready
    source: {push: {}}
YAML
pair_args=(--workers 3 --config "$tmp/metrics.yaml" --objects "$tmp/objects.json")
start_pair "${pair_args[@]}"
token=$(cat "$tmp/pair/write-token")
CM=/apis/custom.metrics.k8s.io/v1beta2/namespaces/default

# write_round W R: writer W sets each of its pods to R, one HTTP/2 connection,
# retrying any write that is not a 200 (as a client must when a worker dies).
write_round() {
    local w=$1 r=$2 i urls=() code try
    for i in $(seq 0 $((pods_per_writer - 1))); do
        urls+=("$url/write-metrics/namespaces/default/pods/p-$w-$i/backlog?labels=writer=w$w")
    done
    for try in 1 2 3 4 5; do
        code=$("$CURL" -ks -X POST -H "Authorization: Bearer $token" \
            -H 'Content-Type: application/json' --data-raw "\"$r\"" \
            -o /dev/null -w '%{http_code}\n' "${urls[@]}" | sort -u | tr '\n' ' ')
        [ "$code" = "200 " ] && return 0
    done
    echo "writer $w round $r: $code" >> "$tmp/write-errors"
}
writer() { local r; for r in $(seq 1 "$rounds"); do write_round "$1" "$r"; done; }
# values W: the values of writer W's pods, as one line
values() {
    "$CURL" -ks "$url$CM/pods/*/backlog?labelSelector=app%3Dload&metricLabelSelector=writer%3Dw$1" |
        "$JQ" -r '[.items[].value] | join(",")'
}
expect_all() { local i v=""; for i in $(seq 1 "$pods_per_writer"); do v+="${v:+,}$1"; done; echo "$v"; }

# 1. Writers in parallel processes: none loses a value.
for w in $(seq 0 $((writers - 1))); do writer "$w" & done
wait_writers() { local p; for p in $(jobs -p); do [ "$p" = "${pids[0]}" ] || wait "$p"; done; }
wait_writers
check "concurrent writers: no failed write" "$(cat "$tmp/write-errors" 2>/dev/null)" ""
for w in $(seq 0 $((writers - 1))); do
    check "writer $w: every value is its last" "$(values "$w")" "$(expect_all "$rounds")"
done

# 2. A worker killed with SIGKILL mid-load: writes and reads carry on, nothing is lost.
# The loader marks each round it finishes; a worker is killed after each of
# rounds 7, 8 and 9, while the rounds after it are being written.
master=$(pgrep -f "serve --config $tmp/metrics.yaml" | head -1)
rounds=12
( for r in $(seq 7 $rounds); do write_round 0 "$r"; touch "$tmp/round-$r"; done ) & loader=$!
for r in 7 8 9; do
    eventually 60 test -e "$tmp/round-$r" || break
    victim=$(pgrep -P "$master" | head -1)
    [ -n "$victim" ] && kill -9 "$victim"
    "$CURL" -ks --max-time "$HANG" -o /dev/null "$url$CM/pods/*/backlog?labelSelector=app%3Dload" || true
done
wait "$loader"
eventually 60 children_are "$master" 4 && pass "killed workers (3 and the health worker) were respawned"
check "under kills: every write landed" "$(cat "$tmp/write-errors" 2>/dev/null)" ""
check "under kills: writer 0's last values" "$(values 0)" "$(expect_all 12)"
check "under kills: writer 1 untouched" "$(values 1)" "$(expect_all 6)"

# A batch (larger than the metrics API's 16 KiB body limit) and an external series.
{
    echo '['
    for i in $(seq 0 $((pods_per_writer - 1))); do
        printf '{"metric":"backlog","resource":"pods","namespace":"default","name":"p-3-%d","value":"%dm","labels":{"writer":"w3","pad":"%s"}},\n' \
            "$i" "$i" "$(printf 'x%.0s' $(seq 1 60))"
    done
    for i in $(seq 1 200); do
        printf '{"metric":"queue_ready","external":true,"namespace":"default","value":%d,"labels":{"queue":"q%d"}},\n' "$i" "$i"
    done
    echo '{"metric":"queue_ready","external":true,"value":7,"labels":{"queue":"everywhere"}}]'
} > "$tmp/batch.json"
check "a $(wc -c < "$tmp/batch.json")-byte batch" \
    "$(status_of -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-binary @"$tmp/batch.json" "$url/write-metrics")" 200
check "the batch's values" "$(values 3)" "0,1m,2m,3m,4m,5m,6m,7m,8m,9m"
ext() { "$CURL" -ks "$url/apis/external.metrics.k8s.io/v1beta1/namespaces/$1/queue_ready" | "$JQ" -r '.items | length'; }
check "external series in their namespace, and everywhere" "$(ext default) $(ext shop)" "201 1"

# 3. The whole pair restarts: every value is still there.
kill -TERM "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
pids=()
rm -f "$tmp/pair/url"
start_pair "${pair_args[@]}"
check "after a restart: writer 0" "$(values 0)" "$(expect_all 12)"
check "after a restart: writer 2" "$(values 2)" "$(expect_all 6)"
check "after a restart: the batch" "$(values 3)" "0,1m,2m,3m,4m,5m,6m,7m,8m,9m"
check "after a restart: external" "$(ext default)" 201

# 4. Tokens: a wrong one is refused, and a rotated file takes effect at once.
write() { status_of -X POST -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    --data-raw '"1"' "$url/write-metrics/namespaces/default/pods/p-0-0/backlog"; }
check "a wrong token" "$(write nope)" 401
check "the Status says so" "$("$JQ" -r .reason "$tmp/body")" Unauthorized
echo "rotated-token-value" > "$tmp/pair/write-token.new" && mv "$tmp/pair/write-token.new" "$tmp/pair/write-token"
check "the old token after rotation" "$(write "$token")" 401
check "the new token" "$(write rotated-token-value)" 200

# 5. Limits and methods.
head -c 1100000 /dev/zero | tr '\0' ' ' > "$tmp/huge"
check "a body over 1 MiB" "$(status_of -X POST -H 'Authorization: Bearer rotated-token-value' \
    -H 'Content-Type: application/json' --data-binary @"$tmp/huge" "$url/write-metrics")" 413
check "its Status" "$("$JQ" -r .reason "$tmp/body")" RequestEntityTooLarge
check "a POST on the metrics API" "$(status_of -X POST -H 'Content-Type: application/json' \
    --data-raw 1 "$url$CM/pods/p-0-0/backlog")" 405
check "GET on the write API" "$(status_of "$url/write-metrics/namespaces/default/pods/p-0-0/backlog")" 405
finish
