# Shared helpers for the integration tests (sourced).  Each test gets its own
# temporary directory and stops what it started, whatever happens.
set -u
: "${top_srcdir:?run the tests through make check}"
: "${CM_BIN:?}"
NGINX=${CM_NGINX:-$(command -v nginx || true)}
export -n NGINX     # nginx reads $NGINX as inherited sockets; keep it unexported
CURL=${CURL:-$(command -v curl || true)}
JQ=${JQ:-$(command -v jq || true)}
KUBECTL=${KUBECTL:-$(command -v kubectl || true)}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cm-test.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
need() { local t; for t in "$@"; do [ -n "$t" ] && [ -x "$t" ] || { echo "SKIP: missing tool"; exit 77; }; done; }
finish() { [ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }; exit 0; }

# free_port: a port on 127.0.0.1 that nothing listens on, below the kernel's
# ephemeral range, so that no outgoing connection can be holding it either
# (tests that run in parallel make many).
free_port() {
    local low p
    low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "${low:-0}" -gt 11000 ] 2>/dev/null || low=32768
    while :; do
        p=$(( 10000 + RANDOM % (low - 10000) ))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

# check NAME ACTUAL EXPECTED
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }

# start_pair [run-local args...]: starts nginx/run-local on a free port; sets $url.
# The pair serves anyone (--insecure-serve-anyone), as the tests of what it
# serves need; t/auth.sh sets CM_PAIR_SECURE=1 to give its own auth flags.
start_pair() {
    local a have_dashes="" args=("$@")
    for a in "$@"; do [ "$a" = -- ] && have_dashes=1; done
    if [ -z "${CM_PAIR_SECURE:-}" ]; then
        [ -n "$have_dashes" ] || args+=(--)
        args+=(--insecure-serve-anyone)
    fi
    CM_BIN="$CM_BIN" CM_NGINX="$NGINX" bash "$top_srcdir/nginx/run-local" --port 0 \
        --dir "$tmp/pair" "${args[@]}" > "$tmp/pair.log" 2>&1 &
    pids+=($!)
    local i
    for i in $(seq 1 300); do
        [ -s "$tmp/pair/url" ] && break
        kill -0 "${pids[-1]}" 2>/dev/null || { cat "$tmp/pair.log"; echo "run-local died"; exit 1; }
        sleep 0.1
    done
    url=$(cat "$tmp/pair/url")
}

# get PATH [curl args...]: prints "STATUS BODY" on one line
get() {
    local path=$1; shift
    "$CURL" -ks --path-as-is -o "$tmp/body" -w '%{http_code}' "$@" "$url$path" > "$tmp/code"
    echo "$(cat "$tmp/code") $(cat "$tmp/body")"
}
status_of() { "$CURL" -ks --path-as-is -o "$tmp/body" -w '%{http_code}' "$@"; }
