#!/usr/bin/env bash
# The server's own files: links planted where it creates files (push.db,
# push.db.tmp, a watch-cache image, the socket) and directories or token files
# others could steer (a 0777 state or cache directory, 0666 and 0644 token
# files, a token file owned by another user) are each refused at start with a
# message naming the file and the fix, and nothing is followed.  Then the real
# pair on a state directory on a tiny full filesystem: writes answer 507,
# reads and updates are still served, no worker dies, and writes work again
# once space is freed.
. "$top_srcdir/t/lib.sh"
need "$CM_BIN"

cat > "$tmp/metrics.yaml" <<YAML
metrics:
  - name: backlog
    resources: [pods]
    source: {push: {max_age: 10m}}
YAML
(umask 077; echo "token-$RANDOM" > "$tmp/token")
mkdir -m 700 "$tmp/run"

# refused DESC WANT-IN-MESSAGE serve-args...: serve exits 1 at once, saying WANT
refused() {
    local desc=$1 want=$2 rc; shift 2
    timeout 30 "$CM_BIN" serve --config "$tmp/metrics.yaml" --socket "$tmp/run/fcgi.sock" \
        --workers 1 "$@" > "$tmp/refused.log" 2>&1
    rc=$?
    if [ "$rc" != 1 ]; then
        fail "$desc: serve exited $rc, want 1: $(head -c 600 "$tmp/refused.log")"
    elif ! grep -qF -- "$want" "$tmp/refused.log"; then
        fail "$desc: the message lacks '$want': $(head -c 600 "$tmp/refused.log")"
    else
        pass "$desc"
    fi
}
victim() { printf precious > "$tmp/victim"; chmod 600 "$tmp/victim"; }
untouched() { check "$1: the link's target is untouched" "$(cat "$tmp/victim")" precious; }

# ---- planted links
mkdir -m 700 "$tmp/state"
victim; ln -s "$tmp/victim" "$tmp/state/push.db"
refused "a push.db link is refused" "$tmp/state/push.db is a symbolic link" \
    --state-dir "$tmp/state" --write-token-file "$tmp/token"
untouched "push.db"
rm "$tmp/state/push.db"

victim; : > "$tmp/empty"; ln -s "$tmp/empty" "$tmp/state/push.db"
refused "a push.db link to an empty file is refused" "is a symbolic link" \
    --state-dir "$tmp/state" --write-token-file "$tmp/token"
check "the empty file the push.db link named was not grown" "$(stat -c %s "$tmp/empty")" 0
rm "$tmp/state/push.db"

victim; ln -s "$tmp/victim" "$tmp/state/push.db.tmp"
refused "a push.db.tmp link is refused" "$tmp/state/push.db.tmp is a symbolic link" \
    --state-dir "$tmp/state" --write-token-file "$tmp/token"
untouched "push.db.tmp"
rm "$tmp/state/push.db.tmp"

mkdir -m 700 "$tmp/cache"
victim; ln -s "$tmp/victim" "$tmp/cache/objects.pods.snap.new"
refused "a link where a watch-cache image goes is refused" \
    "$tmp/cache/objects.pods.snap.new is a symbolic link" \
    --master-url http://127.0.0.1:9 --cache-dir "$tmp/cache"
untouched "cache image"
rm "$tmp/cache/objects.pods.snap.new"
victim; ln -s "$tmp/victim" "$tmp/cache/objects.namespaces.snap"
refused "a link at a watch-cache image's own name is refused" \
    "objects.namespaces.snap is a symbolic link" --master-url http://127.0.0.1:9 --cache-dir "$tmp/cache"
untouched "cache image (old)"
rm "$tmp/cache/objects.namespaces.snap"

victim; ln -s "$tmp/victim" "$tmp/run/fcgi.sock"
refused "a link at the socket's path is refused" "fcgi.sock: exists and is not a socket (a symbolic link"
untouched "socket"
rm "$tmp/run/fcgi.sock"

# ---- directories and token files others could steer
mkdir -m 777 "$tmp/open-state"; chmod 777 "$tmp/open-state"
refused "a 0777 state directory is refused" \
    "$tmp/open-state: the state directory is writable by others (mode 0777): chmod 0700 $tmp/open-state" \
    --state-dir "$tmp/open-state" --write-token-file "$tmp/token"
check "nothing was created in it" "$(ls -A "$tmp/open-state")" ""
mkdir -m 777 "$tmp/open-cache"; chmod 777 "$tmp/open-cache"
refused "a 0777 cache directory is refused" "the cache directory is writable by others (mode 0777)" \
    --master-url http://127.0.0.1:9 --cache-dir "$tmp/open-cache"

cp "$tmp/token" "$tmp/token-666"; chmod 666 "$tmp/token-666"
refused "a 0666 write token file is refused" \
    "--write-token-file $tmp/token-666 is writable by others (mode 0666): chmod 0600 $tmp/token-666" \
    --state-dir "$tmp/state" --write-token-file "$tmp/token-666"
cp "$tmp/token" "$tmp/token-644"; chmod 644 "$tmp/token-644"
refused "a 0644 write token file is refused" "is readable by others (mode 0644): chmod 0600" \
    --state-dir "$tmp/state" --write-token-file "$tmp/token-644"
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null; then
    cp "$tmp/token" "$tmp/token-nobody"; chown nobody "$tmp/token-nobody"
    refused "a write token file owned by another user is refused" \
        "--write-token-file $tmp/token-nobody belongs to uid $(id -u nobody)" \
        --state-dir "$tmp/state" --write-token-file "$tmp/token-nobody"
else
    echo "skip: a token file owned by another user (needs root to chown)"
fi
{ cat "$tmp/metrics.yaml"; printf 'prometheus:\n  url: http://127.0.0.1:9\n  bearer_token_file: %s\n' "$tmp/token-644"; } \
    > "$tmp/prom.yaml"
timeout 30 "$CM_BIN" serve --config "$tmp/prom.yaml" --socket "$tmp/run/fcgi.sock" --workers 1 \
    > "$tmp/refused.log" 2>&1
check "a 0644 Prometheus bearer_token_file is refused" "$?:$(grep -c "bearer_token_file $tmp/token-644 is readable by others" "$tmp/refused.log")" "1:1"
write_kubeconfig "$tmp/kubeconfig" "http://127.0.0.1:9" "" token-644
refused "a 0644 kubeconfig tokenFile is refused" "the kube-apiserver token file $tmp/token-644 is readable by others" \
    --kubeconfig "$tmp/kubeconfig" --cache-dir "$tmp/cache"

# ---- a full filesystem under the state directory, through the real pair
need "$NGINX" "$CURL" "$JQ"
mnt="$tmp/pair/state"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=1m,mode=0700 tmpfs "$mnt" 2>"$tmp/mount.err"; then
    echo "skip: a full filesystem: cannot mount a tmpfs ($(cat "$tmp/mount.err"); needs root)"
    finish
fi
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait; umount -l "$mnt"; cleanup' EXIT
{
    echo '{"apiVersion":"v1","kind":"List","items":['
    for i in $(seq 0 299); do
        printf '%s{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p%d","namespace":"default"}}\n' \
            "$([ "$i" = 0 ] || echo ,)" "$i"
    done
    echo ']}'
} > "$tmp/objects.json"
start_pair --workers 2 --config "$tmp/metrics.yaml" --objects "$tmp/objects.json" -- --push-capacity 4096
wtoken=$(cat "$tmp/pair/write-token")
CM=/apis/custom.metrics.k8s.io/v1beta2/namespaces/default
# write FIRST LAST VALUE: writes pods pFIRST..pLAST over one connection; prints the status codes
write() {
    local i urls=()
    for i in $(seq "$1" "$2"); do urls+=(-o /dev/null "$url/write-metrics/namespaces/default/pods/p$i/backlog"); done
    timeout 120 "$CURL" -ks -m 20 -X POST -H "Authorization: Bearer $wtoken" \
        -H 'Content-Type: application/json' --data-raw "\"$3\"" -w '%{http_code}\n' "${urls[@]}"
}
check "the first write reserves its space" "$(write 0 0 1)" 200
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
check "the state directory's filesystem is full" "$(df --output=avail "$mnt" | tail -1 | tr -d ' ')" 0
write 1 299 1 > "$tmp/codes"
ok=$(grep -c '^200$' "$tmp/codes"); full=$(grep -c '^507$' "$tmp/codes")
check "writes into the reserved space are stored, then every new one answers 507" \
    "$ok $full $(sort -u "$tmp/codes" | tr '\n' ' ')" "255 44 200 507 "
out=$("$CURL" -ks -m 20 -X POST -H "Authorization: Bearer $wtoken" -H 'Content-Type: application/json' \
    --data-raw '"1"' "$url/write-metrics/namespaces/default/pods/p299/backlog")
check "the 507 is a Status saying why" "$(echo "$out" | "$JQ" -r '[.kind, .code, .reason] | join(" ")')" \
    "Status 507 InsufficientStorage"
echo "$out" | "$JQ" -r .message | grep -q "no space left" && pass "its message says no space is left" ||
    fail "507 message: $out"
echo "$out" | grep -qF "$tmp" && fail "the 507 names a path: $out" || pass "the 507 names no path"
check "reads are served on a full filesystem" \
    "$("$CURL" -ks -m 20 "$url$CM/pods/p7/backlog" | "$JQ" -r '.items[0].value')" 1
check "a stored value is rewritten on a full filesystem" "$(write 7 7 5)" 200
check "and read back" "$("$CURL" -ks -m 20 "$url$CM/pods/p7/backlog" | "$JQ" -r '.items[0].value')" 5
check "no worker died" "$(grep -cE 'respawning|signal|Bus error' "$tmp/pair.log")" 0
master=$(pgrep -f "serve --config $tmp/metrics.yaml" | head -1)
check "both workers and the health worker still run" "$(pgrep -c -P "$master")" 3
rm "$mnt/filler"
check "after space is freed, new values are stored again" "$(write 299 299 3)" 200
check "and read" "$("$CURL" -ks -m 20 "$url$CM/pods/p299/backlog" | "$JQ" -r '.items[0].value')" 3
finish
