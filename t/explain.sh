#!/bin/sh
# custom-metrics-fcgi explain against the real pair: golden HPAs (t/explain/*.yaml)
# whose expected output (t/explain/NAME.out) was worked out by hand from the
# controller's algorithm; JSON output; manifest errors; bad flags.
# EXPLAIN_UPDATE=1 rewrites the .out files (review the diff).
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL" "$JQ"
dir="$top_srcdir/t/explain"

sed "s#path: values.prom#path: $tmp/values.prom#" "$dir/metrics.yaml" > "$tmp/metrics.yaml"
cp "$dir/values.prom" "$tmp/values.prom"
start_pair --config "$tmp/metrics.yaml" --objects "$top_srcdir/examples/objects.yaml"

explain() { "$CM_BIN" explain --url "$url" --insecure-skip-tls-verify "$@"; }

for hpa in pods-up pods-within pods-tolerance object-external failing; do
    explain --hpa "$dir/$hpa.yaml" --replicas 3 --selector 'app=web' > "$tmp/$hpa.out" 2>&1
    echo "exit $?" >> "$tmp/$hpa.out"
    if [ "${EXPLAIN_UPDATE:-}" = 1 ]; then
        cp "$tmp/$hpa.out" "$dir/$hpa.out"
    fi
    if diff -u "$dir/$hpa.out" "$tmp/$hpa.out" > "$tmp/diff"; then
        pass "explain $hpa"
    else
        fail "explain $hpa: $(cat "$tmp/diff")"
    fi
done

# the HPA from standard input, as JSON
explain --hpa - --replicas 3 --selector 'app=web' -o json < "$dir/pods-up.yaml" > "$tmp/up.json"
check "json: desiredReplicas" "$("$JQ" -r .desiredReplicas "$tmp/up.json")" 6
check "json: metric" "$("$JQ" -c '.metrics[0] | [.name, .type, .value, .target, .ratio, .withinTolerance, .replicas, .error]' "$tmp/up.json")" \
    '["http_requests_per_second","Pods","1","500m",2,false,6,null]'
explain --hpa "$dir/failing.yaml" --replicas 3 --selector 'app=web' -o json > "$tmp/failing.json"
check "json: a failing metric has its error" \
    "$("$JQ" -r '.metrics[0].error' "$tmp/failing.json")" \
    "FailedGetPodsMetric: unable to get metric nope: unable to fetch metrics from custom metrics API: the server could not find the metric nope for pods"
check "json: no rescale" "$("$JQ" -r '[.desiredReplicas, .rescale] | @csv' "$tmp/failing.json")" '3,false'

# a selector over the scale target narrows the pods (web-7d4b9c-x2k4p only: tier=frontend?)
# -- instead: a selector matching no pod is the HPA's "no metrics returned"
explain --hpa "$dir/pods-up.yaml" --replicas 3 --selector 'app=nothing' > "$tmp/none.out" 2>&1
grep -q 'FailedGetPodsMetric: unable to get metric http_requests_per_second: no metrics returned from custom metrics API' "$tmp/none.out" &&
    pass "a selector matching no pod" || fail "a selector matching no pod: $(cat "$tmp/none.out")"

# manifest problems are FILE:LINE:COLUMN, and nothing is fetched
explain --hpa "$dir/bad.yaml" --replicas 3 --selector 'app=web' > "$tmp/bad.out" 2>&1
rc=$?
check "bad manifest exits 2" "$rc" 2
grep -q "^$dir/bad.yaml:7:5: a Pods metric's target.type must be AverageValue" "$tmp/bad.out" &&
    grep -q "^$dir/bad.yaml:11:11: type is Pods, Object, External, Resource or ContainerResource, not \"Bogus\"" "$tmp/bad.out" &&
    pass "bad manifest: every problem with its position" || fail "bad manifest: $(cat "$tmp/bad.out")"

# flags
explain --hpa "$dir/pods-up.yaml" --selector 'app=web' > "$tmp/flags.out" 2>&1
check "missing --replicas exits 2" "$?" 2
explain --hpa "$dir/pods-up.yaml" --replicas 3 --selector 'app in (' > "$tmp/flags.out" 2>&1
check "bad --selector exits 2" "$?" 2
grep -q '^explain: --selector: ' "$tmp/flags.out" && pass "bad --selector says why" ||
    fail "bad --selector: $(cat "$tmp/flags.out")"
# TLS is verified unless asked not to
"$CM_BIN" explain --url "$url" --hpa "$dir/pods-up.yaml" --replicas 3 --selector app=web > "$tmp/tls.out" 2>&1
check "an unverified certificate is refused" "$?" 1
grep -q 'certificate' "$tmp/tls.out" && pass "the TLS failure is shown" || fail "TLS failure: $(cat "$tmp/tls.out")"
finish
