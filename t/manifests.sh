#!/usr/bin/env bash
# k8s/ without a cluster: k8s/gen-certs, then "kubectl kustomize" of the base
# and of every overlay, and the rendered objects checked against what the
# server and nginx need (t/tools/deploy-manifests.py: the server's args are
# flags the binary accepts, every mounted path is one a program reads, the
# socket agrees between the containers, ports and probes agree with
# nginx.conf, which is nginx/ verbatim, caBundle verifies the served
# certificate, and nothing forbidden is there).  t/deploy.sh runs the pod.
. "$top_srcdir/t/lib.sh"
OPENSSL=${OPENSSL:-$(command -v openssl || true)}
need "$KUBECTL" "$JQ" "$OPENSSL"
PY=""
for p in python3 /usr/bin/python3; do
    "$p" -c 'import yaml' 2>/dev/null && { PY=$(command -v "$p"); break; }
done
[ -n "$PY" ] || { echo "SKIP: no python3 with PyYAML (Debian: python3-yaml)"; exit 77; }
kv=$("$KUBECTL" version --client -o json 2>/dev/null | "$JQ" -r '.kustomizeVersion // empty')
case "$kv" in
    v[4-9].*|v[1-9][0-9].*) ;;
    *) echo "SKIP: kubectl's kustomize is '${kv:-none}'; k8s/ needs v4 or later (kubectl 1.21+)"; exit 77 ;;
esac
M() { "$PY" "$top_srcdir/t/tools/deploy-manifests.py" "$@"; }

# gen-certs writes into the tree it is in: a copy, as a clone would be
# (k8s/ and nginx/, whose files the base takes), without anyone's secrets
mkdir -p "$tmp/repo"
cp -R "$top_srcdir/k8s" "$top_srcdir/nginx" "$tmp/repo/"
chmod -R u+w "$tmp/repo"
rm -rf "$tmp/repo/k8s/secrets"
k8s="$tmp/repo/k8s"

if "$KUBECTL" kustomize "$k8s" > /dev/null 2> "$tmp/err"; then
    fail "k8s/ rendered before gen-certs made its inputs"
else
    grep -q 'secrets/tls.crt' "$tmp/err" && pass "without gen-certs, kustomize names the missing secrets/tls.crt" ||
        fail "kustomize without gen-certs: $(cat "$tmp/err")"
fi

"$k8s/gen-certs" > "$tmp/gen.log" 2>&1 || { cat "$tmp/gen.log"; fail "gen-certs"; finish; }
check "gen-certs keeps its output private" "$(stat -c '%a' "$k8s/secrets" "$k8s/secrets/ca.key" "$k8s/secrets/tls.key" "$k8s/secrets/write-token" | tr '\n' ' ')" "700 600 600 600 "
"$KUBECTL" kustomize "$k8s" > "$tmp/base.yaml" 2> "$tmp/err" || fail "kubectl kustomize k8s/: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] && pass "k8s/ renders without warnings" || fail "kustomize warns: $(cat "$tmp/err")"
mkdir -p "$tmp/ck"
M check "$tmp/base.yaml" --bin "$CM_BIN" --srcdir "$top_srcdir" --tmp "$tmp/ck" || failures=$((failures + 1))

# the default metrics.yaml is valid, and no group/version it serves is empty
M get "$tmp/base.yaml" ConfigMap custom-metrics-fcgi-config metrics.yaml > "$tmp/metrics.yaml"
out=$("$CM_BIN" check --config "$tmp/metrics.yaml" 2>&1) && pass "custom-metrics-fcgi check: $out" ||
    fail "the ConfigMap's metrics.yaml: $out"
M examples "$tmp/base.yaml" --dir "$k8s/examples" > "$tmp/examples" || failures=$((failures + 1))
cat "$tmp/examples"

# gen-certs again: a new serving certificate from the same CA; the Secret's
# name changes (the pods roll), caBundle does not
bundle() { M get "$1" Secret custom-metrics-fcgi-tls ca.crt; }     # = caBundle (checked above)
tls_name() { grep -o 'custom-metrics-fcgi-tls-[a-z0-9]*' "$1" | sort -u; }
cp "$k8s/secrets/tls.crt" "$tmp/tls-1.crt"
"$k8s/gen-certs" > "$tmp/gen.log" 2>&1 || { cat "$tmp/gen.log"; fail "gen-certs, second run"; }
"$KUBECTL" kustomize "$k8s" > "$tmp/base2.yaml" 2>/dev/null
cmp -s "$tmp/tls-1.crt" "$k8s/secrets/tls.crt" && fail "a second gen-certs kept the serving certificate" ||
    pass "a second gen-certs makes a new serving certificate"
[ "$(bundle "$tmp/base.yaml")" = "$(bundle "$tmp/base2.yaml")" ] && pass "...with the same CA, so caBundle stays" ||
    fail "a second gen-certs changed the CA"
[ "$(tls_name "$tmp/base.yaml")" != "$(tls_name "$tmp/base2.yaml")" ] &&
    [ "$(grep -c "$(tls_name "$tmp/base2.yaml")" "$tmp/base2.yaml")" -ge 2 ] &&
    pass "...in a Secret of another name, which the Deployment mounts (the pods roll)" ||
    fail "the Secret's name did not follow the certificate"
M check "$tmp/base2.yaml" --bin "$CM_BIN" --srcdir "$top_srcdir" --tmp "$tmp/ck" > "$tmp/check2" ||
    { cat "$tmp/check2"; fail "the second render"; }

# --new-ca: the bundle holds the new CA and the old one, so the pods still
# serving the old certificate stay trusted while the new ones roll out
"$k8s/gen-certs" --new-ca > "$tmp/gen.log" 2>&1 || { cat "$tmp/gen.log"; fail "gen-certs --new-ca"; }
check "after --new-ca, ca.crt holds two CAs" "$(grep -c 'BEGIN CERTIFICATE' "$k8s/secrets/ca.crt")" 2
for c in "$tmp/tls-1.crt" "$k8s/secrets/tls.crt"; do
    "$OPENSSL" verify -CAfile "$k8s/secrets/ca.crt" -purpose sslserver \
        -verify_hostname custom-metrics-fcgi.custom-metrics.svc "$c" > /dev/null 2>&1 &&
        pass "the rotated bundle verifies $(basename "$c")" || fail "the rotated bundle refuses $(basename "$c")"
done
"$k8s/gen-certs" > "$tmp/gen.log" 2>&1
check "the next run drops the old CA" "$(grep -c 'BEGIN CERTIFICATE' "$k8s/secrets/ca.crt")" 1
"$OPENSSL" verify -CAfile "$k8s/secrets/ca.crt" "$tmp/tls-1.crt" > /dev/null 2>&1 &&
    fail "the old CA's certificate still verifies" || pass "...after which the first certificate no longer verifies"
"$k8s/gen-certs" --service 'Bad_Name' > /dev/null 2>&1 && fail "gen-certs took a bad --service" ||
    pass "gen-certs refuses a --service that is not a DNS label"

# the cert-manager overlay: Issuers, a Certificate for the Service's names,
# the cainjector's annotation instead of a caBundle
for o in "$k8s"/overlays/*/; do
    n=$(basename "$o")
    if grep -q '^kind: Component' "$o/kustomization.yaml"; then
        # a Component goes on top of the base, as its comment tells users to add it
        cp -R "$tmp/repo" "$tmp/repo-$n"
        printf 'components:\n  - overlays/%s\n' "$n" >> "$tmp/repo-$n/k8s/kustomization.yaml"
        "$KUBECTL" kustomize "$tmp/repo-$n/k8s" > "$tmp/$n.yaml" 2> "$tmp/err" ||
            { fail "component $n: $(cat "$tmp/err")"; continue; }
        pass "component $n renders on the base"
        continue
    fi
    "$KUBECTL" kustomize "$o" > "$tmp/$n.yaml" 2> "$tmp/err" || { fail "overlay $n: $(cat "$tmp/err")"; continue; }
    pass "overlay $n renders"
done
# k8s/overlays/ha: 2 replicas, the Redis Secret mounted, its metrics.yaml a valid one with a push: block
if [ -s "$tmp/ha.yaml" ]; then
    check "ha: 2 replicas" "$(grep -c '^  replicas: 2$' "$tmp/ha.yaml")" 1
    grep -q 'secretName: custom-metrics-fcgi-redis' "$tmp/ha.yaml" && pass "ha: the Redis Secret is mounted" ||
        fail "ha: no Redis Secret"
    "$CM_BIN" check --config "$k8s/overlays/ha/metrics.yaml" > /dev/null && grep -q 'store: redis' "$k8s/overlays/ha/metrics.yaml" &&
        pass "ha: its metrics.yaml passes check and keeps pushed values in Redis" || fail "ha: its metrics.yaml"
fi
M check "$tmp/cert-manager.yaml" --bin "$CM_BIN" --srcdir "$top_srcdir" --tmp "$tmp/ck" --cert-manager \
    > "$tmp/check-cm" || { cat "$tmp/check-cm"; fail "the cert-manager overlay"; }
grep -q 'kind: Secret' "$tmp/cert-manager.yaml" && fail "the cert-manager overlay renders a Secret" ||
    pass "the cert-manager overlay renders no Secret (cert-manager makes the TLS one)"
finish
