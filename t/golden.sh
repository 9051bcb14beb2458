#!/usr/bin/env bash
# Golden files: the exact bytes of every response shape (t/golden/cases).
# GOLDEN_UPDATE=1 rewrites the expected files instead of comparing.
. "$top_srcdir/t/lib.sh"
handle="$top_builddir/t/tools/cm-handle"
need "$handle"
dir="$top_srcdir/t/golden"
n=0
while read -r name rest; do
    case "$name" in ''|'#'*) continue;; esac
    read -r -a args <<< "$rest"
    n=$((n + 1))
    "$handle" --config "$top_srcdir/examples/metrics.yaml" \
        --objects "$top_srcdir/examples/objects.yaml" --now 1795640400 --headers \
        "${args[@]}" > "$tmp/out" 2> "$tmp/err" || { fail "$name: cm-handle: $(cat "$tmp/err")"; continue; }
    if [ -n "${GOLDEN_UPDATE:-}" ]; then
        cp "$tmp/out" "$dir/$name.out"
        pass "$name (updated)"
    elif cmp -s "$tmp/out" "$dir/$name.out"; then
        pass "$name"
    else
        fail "$name: differs from t/golden/$name.out:"
        diff "$dir/$name.out" "$tmp/out" | head -20
    fi
done < "$dir/cases"
# every expected file belongs to a case
for f in "$dir"/*.out; do
    grep -q "^$(basename "$f" .out) " "$dir/cases" || fail "stray golden file $f"
done
[ "$n" -gt 40 ] || fail "only $n cases ran"
finish
