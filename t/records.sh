#!/usr/bin/env bash
# Responses of every size through the real pair are exactly the bytes
# cm-handle computes for the same request.  A worker writes an answer
# larger than libfcgi's 8 KiB buffer itself, as FastCGI records of up to
# 65528 bytes gathered by writev() (21 records a call): the sizes here cross
# the direct path's threshold, the first record's end, the second's, and a
# second writev() batch (1.4 MB), and come as GET, HEAD, pretty, and many at
# once.  A file source gives each pod its own value and timestamp, so that
# the bytes do not depend on the clock.
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL"
handle="$top_builddir/t/tools/cm-handle"
npods=8000
awk -v n=$npods 'BEGIN { print "apiVersion: v1\nkind: List\nitems:"
    for (i = 0; i < n; i++)
        printf "- {apiVersion: v1, kind: Pod, metadata: {namespace: big, name: pod-%05d, labels: {app: web, idx: \"%d\"}}}\n", i, i }' \
    > "$tmp/objects.yaml"
awk -v n=$npods 'BEGIN { for (i = 0; i < n; i++)
    printf "m{namespace=\"big\",pod=\"pod-%05d\"} %d.%d 1795640%03d000\n", i, i, i % 7, i % 1000 }' > "$tmp/m.prom"
printf 'metrics:\n  - name: m\n    resources: [pods]\n    source: {file: {path: %s/m.prom}}\n' "$tmp" > "$tmp/metrics.yaml"
start_pair --workers 2 --config "$tmp/metrics.yaml" --objects "$tmp/objects.yaml"
CM=/apis/custom.metrics.k8s.io/v1beta1/namespaces/big/pods/%2A/m

# sweep NAME WHERE K...: each "idx<K" list (K pods) through the pair is
# cm-handle's bytes, and the sweep's sizes (head included, about 100 bytes)
# are where WHERE says: "<N" all below N, ">N" all above, "~N" on both sides.
sweep() {
    local name=$1 where=$2 k lo="" hi="" size bad="" n; shift 2
    for k in "$@"; do
        "$handle" --config "$tmp/metrics.yaml" --objects "$tmp/objects.yaml" "$CM?labelSelector=idx%3C$k" \
            > "$tmp/want" 2> "$tmp/err" || { fail "cm-handle idx<$k: $(cat "$tmp/err")"; return; }
        "$CURL" -ks --max-time "$HANG" -A cm-test -o "$tmp/got" "$url$CM?labelSelector=idx%3C$k" ||
            { fail "GET idx<$k: curl failed"; return; }
        cmp -s "$tmp/got" "$tmp/want" || bad="$bad idx<$k($(stat -c %s "$tmp/got")/$(stat -c %s "$tmp/want"))"
        size=$(( $(stat -c %s "$tmp/want") + 100 ))
        [ -z "$lo" ] || [ "$size" -lt "$lo" ] && lo=$size
        [ -z "$hi" ] || [ "$size" -gt "$hi" ] && hi=$size
    done
    [ -z "$bad" ] && pass "$name: every list is cm-handle's bytes" || fail "$name: lists differ:$bad"
    n=${where#?}
    case "$where" in
        "<"*) [ "$hi" -lt "$n" ] ;;
        ">"*) [ "$lo" -gt "$n" ] ;;
        *) [ "$lo" -lt "$n" ] && [ "$hi" -gt "$n" ] ;;
    esac || fail "$name: sizes $lo..$hi are no longer $where"
}
sweep "one pod" "<8192" 1
sweep "around the direct path's threshold" "~8192" 42 43 44 45 46 47 48 49 50
sweep "around one record" "~65528" 368 369 370 371 372 373 374
sweep "around two records" "~131056" 743 744 745 746 747 748 749 750 751 752
sweep "past one writev() of 21 records" ">$((21 * 65528))" $npods

# The largest list as HEAD (headers only, its length), pretty, and eight at once.
"$handle" --config "$tmp/metrics.yaml" --objects "$tmp/objects.yaml" "$CM" > "$tmp/all"
size=$(stat -c %s "$tmp/all")
head=$("$CURL" -ks --max-time "$HANG" -I -A cm-test "$url$CM" | tr -d '\r')
check "HEAD: 200" "$(echo "$head" | head -1 | awk '{ print $1, $2 }')" "HTTP/2 200"
check "HEAD: the GET's length" "$(echo "$head" | awk -F': ' 'tolower($1) == "content-length" { print $2 }')" "$size"
"$handle" --config "$tmp/metrics.yaml" --objects "$tmp/objects.yaml" --user-agent curl/8 "$CM" > "$tmp/pretty"
"$CURL" -ks --max-time "$HANG" -o "$tmp/got" "$url$CM"
cmp -s "$tmp/got" "$tmp/pretty" && pass "pretty ($(stat -c %s "$tmp/pretty") bytes): cm-handle's bytes" ||
    fail "pretty: $(stat -c %s "$tmp/got") bytes differ from cm-handle's $(stat -c %s "$tmp/pretty")"
for i in 1 2 3 4 5 6 7 8; do
    "$CURL" -ks --max-time "$HANG" -A cm-test -o "$tmp/par.$i" "$url$CM" & pids+=($!)
done
same=0
for i in 1 2 3 4 5 6 7 8; do
    wait "${pids[-$i]}" || true
done
for i in 1 2 3 4 5 6 7 8; do cmp -s "$tmp/par.$i" "$tmp/all" && same=$((same + 1)); done
check "eight at once through two workers: all whole" "$same" 8
check "then a small answer" "$(get "/apis/custom.metrics.k8s.io/v1beta1/namespaces/big/pods/pod-00001/m" -A cm-test | cut -c1-3)" 200
finish
