#!/usr/bin/env bash
# The image and the pod, for real, with podman: the Dockerfile built on a
# Debian base made here (debootstrap; no registry is reachable), then the
# Deployment that "kubectl kustomize k8s/" renders, run by "podman kube play"
# as a pod of two containers on a bridge network, with the kube-apiserver
# double as its cluster (objects, the front proxy's ConfigMap, the reviews).
# Then /readyz, discovery as the aggregator and reads as the HPA through the
# front proxy's certificate, pushed values read by the example HPA's
# selector, all through the pod's own nginx, the pod's memory against its
# requests, and the preStop hand-off.
#
# podman runs as root with its own storage under /var/cache/custom-metrics-fcgi
# (the base image is kept there between runs; each run's image is removed),
# vfs, runc and cgroupfs, and CONTAINERS_CONF without default ulimits: crun
# refuses RLIMIT_NPROC and the hybrid cgroups of these machines.
. "$top_srcdir/t/lib.sh"
OPENSSL=${OPENSSL:-$(command -v openssl || true)}
need "$KUBECTL" "$JQ" "$CURL" "$OPENSSL"
skip() { echo "SKIP: $*"; exit 77; }
PY=""
for p in python3 /usr/bin/python3; do
    "$p" -c 'import yaml' 2>/dev/null && { PY=$(command -v "$p"); break; }
done
[ -n "$PY" ] || skip "no python3 with PyYAML (Debian: python3-yaml)"
[ "$(id -u)" = 0 ] || skip "podman runs here as root only (this test does not set up rootless podman)"
for t in podman runc debootstrap catatonit; do
    command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || [ -x "/usr/libexec/podman/$t" ] ||
        skip "$t is not installed (./bootstrap check installs podman, runc, catatonit, debootstrap)"
done
kv=$("$KUBECTL" version --client -o json 2>/dev/null | "$JQ" -r '.kustomizeVersion // empty')
case "$kv" in v[4-9].*|v[1-9][0-9].*) ;; *) skip "kubectl's kustomize is '${kv:-none}'; k8s/ needs v4+" ;; esac
M() { "$PY" "$top_srcdir/t/tools/deploy-manifests.py" "$@"; }

cache=/var/cache/custom-metrics-fcgi
mkdir -p "$cache" /run/custom-metrics-fcgi
printf '[containers]\ndefault_ulimits = []\n' > "$tmp/containers.conf"
export CONTAINERS_CONF="$tmp/containers.conf"
PODMAN=(podman --root "$cache/containers" --runroot /run/custom-metrics-fcgi/containers
        --storage-driver vfs --runtime runc --cgroup-manager cgroupfs)
pm() { "${PODMAN[@]}" "$@"; }
pm info > "$tmp/info" 2>&1 || skip "podman does not run here: $(tail -3 "$tmp/info" | tr '\n' ' ')"
# one run at a time on a machine: they share the storage and the base
exec 9> "$cache/lock"
flock -w 900 9 || { fail "another run held $cache/lock for 15 minutes"; finish; }

run="cmt$$-"
image="localhost/custom-metrics-fcgi:t$$"
base=localhost/custom-metrics-fcgi-base:bookworm-1
double_pid=""
pod_cleanup() {
    [ -n "$double_pid" ] && { kill "$double_pid" 2>/dev/null; wait "$double_pid" 2>/dev/null; }
    pm pod rm -f "${run}custom-metrics-fcgi-pod-0" >/dev/null 2>&1
    pm volume ls -q 2>/dev/null | grep "^$run" | while read -r v; do pm volume rm -f "$v" >/dev/null 2>&1; done
    pm rmi -f "$image" >/dev/null 2>&1
    pm image prune -f >/dev/null 2>&1     # this build's stages; the base stays
    cleanup
}
trap pod_cleanup EXIT

# ---- the base: Debian 12 from the mirror apt uses, made once and kept
if pm image exists "$base"; then
    pass "base image $base kept from an earlier run"
else
    mirror=$(grep -rhoE '^(URIs:|deb) +(\[[^]]*\] +)?https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list \
        /etc/apt/sources.list.d/ 2>/dev/null | grep -oE 'https?://[^ ]+' | head -1)
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "# debootstrap --variant=minbase bookworm from $mirror"
    if ! debootstrap --variant=minbase bookworm "$tmp/rootfs" "$mirror" > "$tmp/debootstrap.log" 2>&1; then
        tail -20 "$tmp/debootstrap.log"; fail "debootstrap"; finish
    fi
    # the machine's apt sources (updates and security too), and no apt cache,
    # documentation or locales in the image, as Debian's slim images do
    rm -f "$tmp/rootfs/etc/apt/sources.list"
    cp -R /etc/apt/sources.list /etc/apt/sources.list.d "$tmp/rootfs/etc/apt/" 2>/dev/null || true
    printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\npath-include /usr/share/locale/locale.alias\n' \
        > "$tmp/rootfs/etc/dpkg/dpkg.cfg.d/docker-slim"
    rm -rf "$tmp/rootfs"/var/cache/apt/archives/*.deb "$tmp/rootfs"/var/lib/apt/lists/* \
        "$tmp/rootfs"/usr/share/doc/* "$tmp/rootfs"/usr/share/man/* "$tmp/rootfs"/usr/share/locale/*
    tar -C "$tmp/rootfs" -c . | pm import - "$base" > "$tmp/import.log" 2>&1 ||
        { cat "$tmp/import.log"; fail "podman import"; finish; }
    rm -rf "$tmp/rootfs"
    pass "base image $base from debootstrap"
fi

# ---- the image
if ! pm build --network host --pull=never --build-arg BASE="$base" -t "$image" \
        -f "$top_srcdir/Dockerfile" "$top_srcdir" > "$tmp/build.log" 2>&1; then
    tail -30 "$tmp/build.log"; fail "podman build"; finish
fi
size=$(pm image inspect "$image" --format '{{.Size}}')
bsize=$(pm image inspect "$base" --format '{{.Size}}')
pass "image built: $((size / 1000000)) MB, of which $(( (size - bsize) / 1000000 )) MB over the base"
check "the image runs as UID 10001" "$(pm image inspect "$image" --format '{{.Config.User}}')" "10001:10001"
out=$(pm run --rm --network none --read-only --cap-drop ALL "$image" sh -c \
    'custom-metrics-fcgi --version; nginx -v 2>&1; for t in gcc cc make autoreconf apt-get; do command -v $t || :; done' 2>&1)
echo "$out" | grep -q '^custom-metrics-fcgi ' && echo "$out" | grep -q '^nginx version' &&
    pass "the image has the server and nginx" || fail "the image: $out"
echo "$out" | grep -qE '/(gcc|cc|make|autoreconf)$' && fail "the runtime image has build tools: $out" ||
    pass "the runtime image has no compiler or autotools"

# ---- the manifests, rendered from a copy with fresh certificates
mkdir -p "$tmp/repo"
cp -R "$top_srcdir/k8s" "$top_srcdir/nginx" "$tmp/repo/"
chmod -R u+w "$tmp/repo"
rm -rf "$tmp/repo/k8s/secrets"
"$tmp/repo/k8s/gen-certs" > "$tmp/gen.log" 2>&1 || { cat "$tmp/gen.log"; fail "gen-certs"; finish; }
"$KUBECTL" kustomize "$tmp/repo/k8s" > "$tmp/rendered.yaml" || { fail "kubectl kustomize"; finish; }

# ---- the cluster: the double on the pod network's gateway, with the
# ServiceAccount files the kubelet would mount
net=podman-default-kube-network
pm network exists "$net" || pm network create "$net" > /dev/null
gw=$(pm network inspect "$net" --format '{{range .Subnets}}{{.Gateway}}{{end}}')
[ -n "$gw" ] || { fail "no gateway for $net"; finish; }
mkdir -p "$tmp/sa"
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
    -subj "/CN=test-ca" -keyout "$tmp/sa/ca.key" -out "$tmp/sa/ca.crt" >/dev/null 2>&1
"$OPENSSL" req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$tmp/api.key" -out "$tmp/api.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:%s\n' "$gw" > "$tmp/san"
"$OPENSSL" x509 -req -in "$tmp/api.csr" -CA "$tmp/sa/ca.crt" -CAkey "$tmp/sa/ca.key" -CAcreateserial \
    -days 2 -extfile "$tmp/san" -out "$tmp/api.crt" >/dev/null 2>&1
token=$("$OPENSSL" rand -hex 16)
printf '%s' "$token" > "$tmp/sa/token"
printf custom-metrics > "$tmp/sa/namespace"
M examples "$tmp/rendered.yaml" --dir "$tmp/repo/k8s/examples" > "$tmp/examples" || failures=$((failures + 1))
read -r _ ex_ns ex_sel < <(grep '^selector ' "$tmp/examples")
ex_key=${ex_sel%%=*} ex_val=${ex_sel#*=}
cat > "$tmp/fixture.json" <<JSON
{"namespaces": [{"name": "$ex_ns"}, {"name": "custom-metrics"}],
 "pods": [{"namespace": "$ex_ns", "name": "worker-a", "labels": {"$ex_key": "$ex_val"}},
          {"namespace": "$ex_ns", "name": "worker-b", "labels": {"$ex_key": "$ex_val"}},
          {"namespace": "$ex_ns", "name": "other", "labels": {"$ex_key": "other"}}],
 "deployments.apps": [{"namespace": "$ex_ns", "name": "worker", "labels": {"$ex_key": "$ex_val"}}]}
JSON
api_port=$(free_port)
# the ConfigMap and Secret volumes as the kubelet lays them out (symlinks,
# fsGroup, defaultMode), in directories of the test's own
mkdir -p "$tmp/volumes"
M podman "$tmp/rendered.yaml" "$tmp/play.yaml" --api "$gw:$api_port" --sa-dir "$tmp/sa" \
    --prefix "$run" --image "$image" --volumes "$tmp/volumes" || { fail "the podman variant of the manifests"; finish; }

# ---- the pod
# --build=false: podman would build an image from a directory named like it
if ! (cd "$tmp" && pm kube play --build=false --network "$net" "$tmp/play.yaml") > "$tmp/play.log" 2>&1; then
    cat "$tmp/play.log"; fail "podman kube play"; finish
fi
pod="${run}custom-metrics-fcgi-pod-0"
pass "podman kube play started pod $pod"
infra=$(pm pod inspect "$pod" --format '{{.InfraContainerID}}')
ip=$(pm inspect "$infra" --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')
url="https://$ip:10250"
# the bridge exists now: the double binds its gateway address
ctl_port=$(free_port)
"$PY" "$top_srcdir/t/tools/kube-double.py" --address "$gw" --port "$api_port" --control-port "$ctl_port" \
    --cert "$tmp/api.crt" --key "$tmp/api.key" --token "$token" --fixture "$tmp/fixture.json" \
    >> "$tmp/double.log" 2>&1 &
double_pid=$!
for _ in $(seq 1 100); do
    "$CURL" -sk -o /dev/null "https://$gw:$api_port/api" && break
    kill -0 "$double_pid" 2>/dev/null || { cat "$tmp/double.log"; fail "the double did not start"; finish; }
    sleep 0.1
done

# the cluster's front proxy: its CA in kube-system/extension-apiserver-
# authentication (which the server reads every 5 s until it has it), a client
# certificate as the aggregator's, and the HPA controller allowed to read
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
    -subj "/CN=front-proxy-ca" -keyout "$tmp/fp-ca.key" -out "$tmp/fp-ca.crt" >/dev/null 2>&1
"$OPENSSL" req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=front-proxy-client" \
    -keyout "$tmp/fp.key" -out "$tmp/fp.csr" >/dev/null 2>&1
printf 'extendedKeyUsage=clientAuth\n' > "$tmp/fp.ext"
"$OPENSSL" x509 -req -in "$tmp/fp.csr" -CA "$tmp/fp-ca.crt" -CAkey "$tmp/fp-ca.key" -CAcreateserial \
    -days 2 -extfile "$tmp/fp.ext" -out "$tmp/fp.crt" >/dev/null 2>&1
hpa=system:serviceaccount:kube-system:horizontal-pod-autoscaler
"$JQ" -n --rawfile ca "$tmp/fp-ca.crt" --arg hpa "$hpa" '{configmap: {
    "requestheader-client-ca-file": $ca, "requestheader-allowed-names": "[\"front-proxy-client\"]",
    "requestheader-username-headers": "[\"X-Remote-User\"]", "requestheader-group-headers": "[\"X-Remote-Group\"]",
    "requestheader-extra-headers-prefix": "[\"X-Remote-Extra-\"]"},
    allow: [{user: $hpa, verb: "get"}, {user: $hpa, verb: "list"}]}' > "$tmp/auth.json"
"$CURL" -s -o /dev/null -X POST --data-binary @"$tmp/auth.json" "http://127.0.0.1:$ctl_port/auth" ||
    fail "the double's /auth"
# as the aggregator sends it: the front proxy's certificate, and the identity
as_hpa=(--cert "$tmp/fp.crt" --key "$tmp/fp.key" -H "X-Remote-User: $hpa"
        -H "X-Remote-Group: system:serviceaccounts" -H "X-Remote-Group: system:authenticated")
as_aggregator=(--cert "$tmp/fp.crt" --key "$tmp/fp.key" -H "X-Remote-User: system:kube-aggregator"
               -H "X-Remote-Group: system:masters")

# the server retries its LISTs with backoff (up to 30 s apart) until the
# double answers; /readyz says when every resource is listed
ready=""
for _ in $(seq 1 900); do
    [ "$("$CURL" -sk -o /dev/null -w '%{http_code}' --max-time 5 "$url/readyz")" = 200 ] && { ready=1; break; }
    sleep 0.1
done
if [ -z "$ready" ]; then
    fail "/readyz through the pod's nginx never answered 200 within 90 s"
    "$CURL" -sk "$url/readyz?verbose"
    for c in server nginx; do echo "--- $c"; pm logs "$pod-$c" 2>&1 | tail -20; done
    finish
fi
pass "/readyz answers 200 through the pod's nginx (TLS on $url)"
"$CURL" -s --cacert "$tmp/repo/k8s/secrets/ca.crt" --resolve "custom-metrics-fcgi.custom-metrics.svc:10250:$ip" \
    -o /dev/null "https://custom-metrics-fcgi.custom-metrics.svc:10250/livez" &&
    pass "the served certificate verifies against the caBundle for custom-metrics-fcgi.custom-metrics.svc" ||
    fail "the served certificate does not verify as the aggregator verifies it"

# ---- the Secret renewed as the kubelet renews a mounted Secret (a new
# timestamped directory, then ..data swapped): gen-certs makes a new serving
# certificate from the kept CA, and the running pod serves it
served_fp() {
    "$OPENSSL" s_client -connect "$ip:10250" -servername custom-metrics-fcgi.custom-metrics.svc </dev/null 2>/dev/null |
        "$OPENSSL" x509 -noout -fingerprint -sha256 2>/dev/null
}
old_fp=$(served_fp)
started=$(pm inspect "$pod-nginx" --format '{{.State.StartedAt}}')
"$tmp/repo/k8s/gen-certs" > "$tmp/gen2.log" 2>&1 || { cat "$tmp/gen2.log"; fail "gen-certs, again"; }
new_fp=$("$OPENSSL" x509 -noout -fingerprint -sha256 -in "$tmp/repo/k8s/secrets/tls.crt")
[ -n "$old_fp" ] && [ "$new_fp" != "$old_fp" ] || fail "gen-certs made no new certificate ($old_fp)"
tlsvol="$tmp/volumes/tls" stamp="..2026_01_01_00_00_01.000000000"
mkdir "$tlsvol/$stamp"
for f in tls.crt tls.key; do
    cp "$tmp/repo/k8s/secrets/$f" "$tlsvol/$stamp/$f"
    chown "0:$(stat -c %g "$tlsvol/..data/$f")" "$tlsvol/$stamp/$f"
    chmod "$(stat -c %a "$tlsvol/..data/$f")" "$tlsvol/$stamp/$f"
done
chmod 0755 "$tlsvol/$stamp"
ln -s "$stamp" "$tlsvol/..data_tmp" && mv -T "$tlsvol/..data_tmp" "$tlsvol/..data"
eventually 60 prints "$new_fp" served_fp && pass "a renewed Secret is served by the running pod" ||
    fail "the pod still serves the old certificate"
check "by the same nginx container, not restarted" "$(pm inspect "$pod-nginx" --format '{{.State.StartedAt}}')" "$started"
"$CURL" -s --cacert "$tmp/repo/k8s/secrets/ca.crt" --resolve "custom-metrics-fcgi.custom-metrics.svc:10250:$ip" \
    -o /dev/null "https://custom-metrics-fcgi.custom-metrics.svc:10250/livez" &&
    pass "the renewed certificate verifies against the same caBundle" || fail "the renewed certificate does not verify"

for c in server nginx; do
    got=$(pm inspect "$pod-$c" --format '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{len .EffectiveCaps}}')
    check "container $c: read-only root, user, no capabilities" "$got" "true 10001:10001 0"
done

# the front proxy is trusted once the server has read the ConfigMap
code=""
for _ in $(seq 1 600); do
    code=$("$CURL" -sk -o /dev/null -w '%{http_code}' --max-time 5 "${as_aggregator[@]}" \
        "$url/apis/custom.metrics.k8s.io/v1beta2")
    [ "$code" = 200 ] && break
    sleep 0.1
done
check "discovery as the aggregator (front-proxy certificate, system:masters)" "$code" 200
check "without the front proxy's certificate, a read is refused" \
    "$("$CURL" -sk -o /dev/null -w '%{http_code}' -H "X-Remote-User: $hpa" -H 'X-Remote-Group: system:masters' \
       "$url/apis/custom.metrics.k8s.io/v1beta2/namespaces/$ex_ns/pods/worker-a/jobs_waiting")" 403

# no group/version is empty (clients that cache discovery fail on one)
for gv in custom.metrics.k8s.io/v1beta2 custom.metrics.k8s.io/v1beta1 external.metrics.k8s.io/v1beta1; do
    code=$("$CURL" -sk "${as_aggregator[@]}" -o "$tmp/discovery.json" -w '%{http_code}' "$url/apis/$gv")
    n=$("$JQ" '.resources | length' "$tmp/discovery.json" 2>/dev/null)
    if [ "${n:-0}" -gt 0 ]; then
        pass "discovery of $gv lists $n resources"
    else
        fail "discovery of $gv is empty: HTTP $code $(head -c 600 "$tmp/discovery.json")"
        pm logs "$pod-server" 2>&1 | tail -20
    fi
done

# the write API with the generated token, then a read as the example HPA reads
wt=$(M get "$tmp/rendered.yaml" Secret custom-metrics-fcgi-write-token token)
w() { "$CURL" -sk -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $wt" \
      -H 'Content-Type: application/json' --data-raw "$2" "$url/write-metrics/$1"; }
check "push jobs_waiting for worker-a" "$(w "namespaces/$ex_ns/pods/worker-a/jobs_waiting" '"12"')" 200
check "push jobs_waiting for worker-b" "$(w "namespaces/$ex_ns/pods/worker-b/jobs_waiting" '"30"')" 200
check "push an external queue depth" "$(w "external/namespaces/$ex_ns/queue_messages_ready?labels=queue=orders" 7)" 200
check "a write without the token" "$("$CURL" -sk -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-raw 1 "$url/write-metrics/namespaces/$ex_ns/pods/worker-a/jobs_waiting")" 401
out=$("$CURL" -sk "${as_hpa[@]}" "$url/apis/custom.metrics.k8s.io/v1beta2/namespaces/$ex_ns/pods/%2A/jobs_waiting?labelSelector=$ex_key%3D$ex_val")
check "the HPA's read of jobs_waiting (by selector, from the watched pods)" \
    "$(echo "$out" | "$JQ" -r '[.items[] | "\(.describedObject.name)=\(.value)"] | join(" ")')" "worker-a=12 worker-b=30"
out=$("$CURL" -sk "${as_hpa[@]}" "$url/apis/external.metrics.k8s.io/v1beta1/namespaces/$ex_ns/queue_messages_ready?labelSelector=queue%3Dorders")
check "the external value" "$(echo "$out" | "$JQ" -r '.items[0].value')" 7

# the pod's memory (PSS of every process of each container) against the
# requests the Deployment makes
while read -r c req_kib; do
    pss=0
    for p in $(pm top "$pod-$c" hpid 2>/dev/null | tail -n +2); do
        v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
        pss=$((pss + ${v:-0}))
    done
    [ "$pss" -gt 0 ] && [ "$pss" -lt "$req_kib" ] &&
        pass "container $c: PSS $((pss / 1024)) MiB is within its memory request ($((req_kib / 1024)) MiB)" ||
        fail "container $c: PSS ${pss} KiB against a request of ${req_kib} KiB"
done < <(M requests "$tmp/rendered.yaml")

# both containers still up, nothing alarming in their logs
for c in server nginx; do
    check "container $c is running" "$(pm inspect "$pod-$c" --format '{{.State.Status}}')" running
done
pm logs "$pod-nginx" 2>&1 | grep -E '\[(emerg|alert|crit)\]' && fail "nginx logged an emergency" ||
    pass "nginx logged no emerg/alert/crit"

# the preStop hand-off, run as the kubelet runs it (podman runs no hooks):
# the server's hook waits while nginx runs; nginx's hook quits nginx
# gracefully; then the server's returns at once and SIGTERM stops it cleanly
hook_server=$(M prestop "$tmp/rendered.yaml" server)
hook_nginx=$(M prestop "$tmp/rendered.yaml" nginx)
rc=0; timeout 3 "${PODMAN[@]}" exec "$pod-server" /bin/sh -c "$hook_server" || rc=$?
check "the server's preStop waits while nginx runs (cut off after 3 s)" "$rc" 124
pm exec "$pod-nginx" /bin/sh -c "$hook_nginx" > /dev/null 2>&1
for _ in $(seq 1 300); do
    [ "$(pm inspect "$pod-nginx" --format '{{.State.Status}}')" = exited ] && break
    sleep 0.1
done
check "nginx's preStop quits nginx gracefully (exit code)" \
    "$(pm inspect "$pod-nginx" --format '{{.State.Status}} {{.State.ExitCode}}')" "exited 0"
rc=0; pm exec "$pod-server" /bin/sh -c "$hook_server" || rc=$?
check "then the server's preStop returns at once" "$rc" 0
pm stop -t 40 "$pod-server" > /dev/null 2>&1
check "SIGTERM stops the server cleanly" \
    "$(pm inspect "$pod-server" --format '{{.State.Status}} {{.State.ExitCode}}')" "exited 0"
finish
