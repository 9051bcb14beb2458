#!/usr/bin/env bash
# An idle worker costs its steady size, however large the requests it once
# served: after a batch write (its body parsed by json-c) and a 2 MB list
# (a response buffer past 1 MiB), the workers' private heap and anonymous
# memory is back within 1 MiB of what it was before them.  (The push
# store's file is shared memory and not counted here.)
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL"
# AddressSanitizer's allocator keeps freed memory in quarantine on purpose.
if nm -D "$CM_BIN" 2>/dev/null | grep -q __asan_init || ldd "$CM_BIN" 2>/dev/null | grep -q libasan; then
    echo "SKIP: built with AddressSanitizer"; exit 77
fi
npods=12000
awk -v n=$npods 'BEGIN { print "apiVersion: v1\nkind: List\nitems:"
    for (i = 0; i < n; i++)
        printf "- {apiVersion: v1, kind: Pod, metadata: {namespace: big, name: pod-%05d, labels: {app: web}}}\n", i }' \
    > "$tmp/objects.yaml"
cat > "$tmp/metrics.yaml" <<YAML
metrics:
  - name: s
    resources: [pods]
    source: {static: "1"}
  - name: p
    resources: [pods]
    source: {push: {max_age: 1h}}
YAML
start_pair --workers 1 --config "$tmp/metrics.yaml" --objects "$tmp/objects.yaml"
token=$(cat "$tmp/pair/write-token")
master=$(pgrep -f "serve --config $tmp/metrics.yaml" | head -1)
[ -n "$master" ] || { fail "no master process"; finish; }
CM=/apis/custom.metrics.k8s.io/v1beta1/namespaces/big

# KiB of private dirty memory in the heap and anonymous mappings of the master's children.
private_kib() {
    local p total=0 v
    for p in $(pgrep -P "$master"); do
        v=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { anon = (NF < 6 || $6 == "[heap]") }
                 anon && /^Private_Dirty:/ { k += $2 } END { print k + 0 }' "/proc/$p/smaps")
        total=$((total + v))
    done
    echo "$total"
}
small() { "$CURL" -ks --max-time "$HANG" -A cm-test -o /dev/null -w '%{http_code}' "$url$CM/pods/pod-00001/s"; }
check "a small answer" "$(small)" 200
before=$(private_kib)

awk 'BEGIN { printf "["; for (i = 0; i < 4000; i++)
    printf "%s{\"metric\":\"p\",\"resource\":\"pods\",\"namespace\":\"big\",\"name\":\"pod-%05d\",\"value\":\"%d\"}",
        i ? "," : "", i, i
    print "]" }' > "$tmp/batch.json"
check "a batch write of 4000 values ($(stat -c %s "$tmp/batch.json") bytes)" \
    "$("$CURL" -ks --max-time "$HANG" -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' --data-binary @"$tmp/batch.json" "$url/write-metrics")" 200
size=$("$CURL" -ks --max-time "$HANG" -A cm-test -o "$tmp/list" -w '%{http_code} %{size_download}' \
    "$url$CM/pods/%2A/s?labelSelector=app%3Dweb")
check "a list of $npods pods" "${size% *}" 200
[ "${size#* }" -gt $((1 << 20)) ] && pass "the list is ${size#* } bytes, past 1 MiB" || fail "the list is only ${size#* } bytes"
check "a small answer after them" "$(small)" 200
after=$(private_kib)
[ $((after - before)) -lt 1024 ] && pass "workers' private memory: $before KiB before, $after KiB after" ||
    fail "workers' private memory grew from $before KiB to $after KiB"
finish
