#!/usr/bin/env bash
# The serving certificate rotates without a reload: nginx reads it at each TLS
# handshake, so a renewed Secret (the kubelet swaps its ..data symlink) is
# served from the next connection on.  The run directory's tls/ is laid out
# as the kubelet lays out a Secret volume, and swapped as the kubelet swaps it.
. "$top_srcdir/t/lib.sh"
OPENSSL=$(command -v openssl || true)
need "$NGINX" "$CURL" "$OPENSSL"

tls="$tmp/pair/tls"
# cert NAME CN: a self-signed certificate for 127.0.0.1 in $tmp/NAME.{crt,key}
cert() {
    "$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
        -subj "/CN=$2" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$tmp/$1.key" -out "$tmp/$1.crt" >/dev/null 2>&1 || { echo "openssl: cannot make $1"; exit 1; }
}
# secret DIR CRT KEY: the kubelet's way, a new timestamped directory, then ..data swapped to it
secret() {
    mkdir -m 0750 "$tls/$1"
    cp "$2" "$tls/$1/tls.crt"
    cp "$3" "$tls/$1/tls.key"
    chmod 0640 "$tls/$1/tls.crt" "$tls/$1/tls.key"
    ln -s "$1" "$tls/..data_tmp"
    mv -T "$tls/..data_tmp" "$tls/..data"
}
# served: the SHA-256 fingerprint of the certificate a new connection gets
served() {
    "$OPENSSL" s_client -connect "127.0.0.1:${url##*:}" -servername localhost </dev/null 2>/dev/null |
        "$OPENSSL" x509 -noout -fingerprint -sha256 2>/dev/null
}
fingerprint() { "$OPENSSL" x509 -noout -fingerprint -sha256 -in "$1"; }

cert one cm-one
cert two cm-two
mkdir -p -m 0700 "$tmp/pair"
mkdir -m 0700 "$tls"
secret ..2026_12_01_00_00_00.1 "$tmp/one.crt" "$tmp/one.key"
ln -s ..data/tls.crt "$tls/tls.crt"
ln -s ..data/tls.key "$tls/tls.key"

start_pair --workers 1
check "the first certificate is served" "$(served)" "$(fingerprint "$tmp/one.crt")"
nginx_pid=$(cat "$tmp/pair/nginx.pid")
workers_of() { pgrep -P "$nginx_pid" | sort | tr '\n' ' '; }   # a reload replaces them
nginx_workers=$(workers_of)
[ -n "$nginx_workers" ] || fail "no nginx worker under $nginx_pid"

secret ..2026_12_01_00_00_01.2 "$tmp/two.crt" "$tmp/two.key"
eventually 30 prints "$(fingerprint "$tmp/two.crt")" served && pass "the renewed one is served" ||
    fail "nginx still serves the first certificate"
check "to a new connection, which gets an answer" "$(status_of "$url/readyz" --http2)" 200
check "by the same nginx" "$(cat "$tmp/pair/nginx.pid")" "$nginx_pid"
check "and nobody reloaded it (the same nginx workers)" "$(workers_of)" "$nginx_workers"

# a half-made Secret (the key of another certificate): new handshakes fail
# and say why in nginx's log; the next good one is served again
secret ..2026_12_01_00_00_02.3 "$tmp/one.crt" "$tmp/two.key"
refused() { ! "$CURL" -ks -o /dev/null --max-time "$HANG" "$url/readyz"; }
eventually 30 refused && pass "a key that does not match: the handshake fails" ||
    fail "a mismatched key was served"
grep -q 'key values mismatch\|cannot load certificate key' "$tmp/pair/nginx-error.log" &&
    pass "nginx's log says why" || fail "nginx's log: $(tail -n 3 "$tmp/pair/nginx-error.log")"
secret ..2026_12_01_00_00_03.4 "$tmp/one.crt" "$tmp/one.key"
eventually 30 prints "$(fingerprint "$tmp/one.crt")" served && pass "a good one is served again" ||
    fail "no recovery after a good Secret"
check "still the same nginx" "$(cat "$tmp/pair/nginx.pid") $(workers_of)" "$nginx_pid $nginx_workers"
finish
