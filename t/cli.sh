#!/usr/bin/env bash
# The command line: --help, --version, check on good and bad files, serve refusing bad input.
. "$top_srcdir/t/lib.sh"

"$CM_BIN" --help | grep -q '^usage: custom-metrics-fcgi serve' && pass "--help" || fail "--help"
"$CM_BIN" --version | grep -Eq '^custom-metrics-fcgi [0-9]+\.[0-9]+' && pass "--version" || fail "--version"

out=$("$CM_BIN" check --config "$top_srcdir/examples/metrics.yaml" --objects "$top_srcdir/examples/objects.yaml"); rc=$?
check "check on the examples exits 0" "$rc" 0
check "check prints one summary line" "$(echo "$out" | wc -l)" 1
echo "$out" | grep -q ': ok: 4 metrics on 7 resources, 2 external series; .*14 objects' && pass "summary counts" || fail "summary: $out"

cat > "$tmp/bad.yaml" <<'YAML'
metrics:
  - name: a
    resources: [pods, gizmos]
    window: 10x
    source: {static: "ten"}
  - name: a
    resources: [pods]
    colour: blue
YAML
out=$("$CM_BIN" check --config "$tmp/bad.yaml" 2>&1); rc=$?
check "check on a bad file exits 1" "$rc" 1
for want in "3:23: unknown resource 'gizmos'" "4:13: bad duration '10x'" "5:22: bad quantity 'ten'" \
            "8:5: unknown key 'colour'" "6:11: duplicate metric name 'a'" "6:5: metric 'a' has no 'source'"; do
    echo "$out" | grep -qF "$tmp/bad.yaml:$want" && pass "reports $want" || fail "missing '$want' in: $out"
done
check "every line is FILE:LINE:COLUMN: message" \
    "$(echo "$out" | grep -cvE "^$tmp/bad.yaml:[0-9]+:[0-9]+: ")" 0

out=$("$CM_BIN" serve --config "$tmp/bad.yaml" --socket "$tmp/s/fcgi.sock" 2>&1); rc=$?
check "serve refuses an invalid config" "$rc" 1
echo "$out" | grep -qF "$tmp/bad.yaml:4:13: bad duration" && pass "serve prints the same messages" || fail "serve: $out"
[ ! -e "$tmp/s/fcgi.sock" ] && pass "no socket left behind" || fail "socket created"

out=$("$CM_BIN" serve --config "$tmp/missing.yaml" --socket "$tmp/s/fcgi.sock" 2>&1); rc=$?
check "serve refuses a missing config" "$rc" 1
echo "$out" | grep -qF "$tmp/missing.yaml: cannot open" && pass "names the missing file" || fail "$out"
printf 'items: [\n' > "$tmp/objs.yaml"
out=$("$CM_BIN" serve --config "$top_srcdir/examples/metrics.yaml" --objects "$tmp/objs.yaml" --socket "$tmp/s/fcgi.sock" 2>&1); rc=$?
check "serve refuses a broken objects file" "$rc" 1
echo "$out" | grep -qE "^$tmp/objs.yaml:[0-9]+:[0-9]+: " && pass "objects error has a position" || fail "$out"
"$CM_BIN" serve --config x 2>/dev/null; check "serve without --socket is a usage error" "$?" 2
"$CM_BIN" frobnicate --config x 2>/dev/null; check "unknown command is a usage error" "$?" 2

# Where objects come from: one source, and a kubeconfig's mistakes with positions.
ex="$top_srcdir/examples/metrics.yaml"
"$CM_BIN" check --config "$ex" --objects "$top_srcdir/examples/objects.yaml" --kubeconfig x 2>/dev/null
check "--objects and --kubeconfig together is a usage error" "$?" 2
"$CM_BIN" check --config "$ex" --kube-context c 2>/dev/null
check "--kube-context without --kubeconfig is a usage error" "$?" 2
"$CM_BIN" serve --config "$ex" --socket "$tmp/s/fcgi.sock" --watch-retry-max 0 2>/dev/null
check "--watch-retry-max 0 is a usage error" "$?" 2
printf 'current-context: a\ncontexts:\n- name: a\n  context: {cluster: nope}\n' > "$tmp/kc"
out=$("$CM_BIN" check --config "$ex" --kubeconfig "$tmp/kc" 2>&1); rc=$?
check "check refuses a kubeconfig naming a missing cluster" "$rc" 1
echo "$out" | grep -qF "$tmp/kc:4:22: no entry named 'nope' in clusters" && pass "with its position" || fail "$out"
out=$(KUBERNETES_SERVICE_HOST=10.0.0.1 KUBERNETES_SERVICE_PORT=443 \
      "$CM_BIN" serve --config "$ex" --socket "$tmp/s/fcgi.sock" 2>&1); rc=$?
check "in a pod without a service-account token, serve refuses to start" "$rc" 1
echo "$out" | grep -q "cannot read the service-account token /var/run/secrets/kubernetes.io/serviceaccount/token" &&
    pass "and says which file" || fail "$out"
out=$("$CM_BIN" check --config "$ex" --master-url http://127.0.0.1:8001); rc=$?
check "check with --master-url" "$rc" 0
echo "$out" | grep -q 'cluster http://127.0.0.1:8001 (--master-url, no credentials)$' &&
    pass "says which cluster" || fail "$out"
finish
