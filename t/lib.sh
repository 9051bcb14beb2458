# Shared helpers for the integration tests (sourced).  Each test gets its own
# temporary directory and stops what it started, whatever happens.
#
# Waiting: nothing here sleeps to let something happen.  A test waits for the
# event itself with "eventually SECONDS CMD...", whose deadline is generous
# (a loaded machine is slow, never wrong) and only guards against a hang; no
# test asserts how long anything took.  CM_TEST_PATIENCE scales every
# deadline (a percentage, default 100) for a very slow machine.
#
# t/bench.sh sources only the helpers (CM_LIB=helpers): no temporary
# directory, no trap.
set -u

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
finish() { [ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }; exit 0; }

# check NAME ACTUAL EXPECTED
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }

# eventually SECONDS CMD [ARGS...]: runs CMD until it succeeds, for at most
# SECONDS (times CM_TEST_PATIENCE/100), polling every 50 ms at first and
# every 500 ms at most.  Returns 0 as soon as CMD has succeeded; else reports
# a failure that says what never happened (and why, if CMD set
# eventually_why), and returns 1.  A deadline guards against a hang only:
# pick one that a machine under any load meets (30-120 s).
eventually_why=""
eventually() {
    local secs=$(($1 * ${CM_TEST_PATIENCE:-100} / 100)) nap=0.05 deadline
    shift
    deadline=$((SECONDS + secs))
    eventually_why=""
    while :; do
        "$@" && return 0
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep "$nap"
        case $nap in 0.05) nap=0.1 ;; 0.1) nap=0.2 ;; *) nap=0.5 ;; esac
    done
    fail "never happened within ${secs} s: $*${eventually_why:+ ($eventually_why)}"
    return 1
}

# Conditions for eventually.
# prints WANT CMD [ARGS...]: CMD's output is WANT
prints() {
    local want=$1 got
    shift
    got=$("$@")
    [ "$got" = "$want" ] && return 0
    eventually_why="last output '$got', want '$want'"
    return 1
}
# lacks PID...: none of the processes is alive
lacks() { local p; for p in "$@"; do ! kill -0 "$p" 2>/dev/null || return 1; done; }
# children_are PID N: PID has exactly N child processes
children_are() { prints "$2" pgrep -c -P "$1"; }

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

# write_kubeconfig FILE SERVER CA TOKENFILE: a kubeconfig for the kube-apiserver
# double at SERVER, with a bearer token read from TOKENFILE; CA is the file
# its certificate verifies against ("" for plain http).  Relative paths are
# read from FILE's directory, as kubectl reads them.
write_kubeconfig() {
    local ca=""
    [ -n "$3" ] && ca=", certificate-authority: $3"
    cat > "$1" <<YAML
apiVersion: v1
kind: Config
current-context: test
clusters: [{name: double, cluster: {server: '$2'$ca}}]
users: [{name: watcher, user: {tokenFile: $4}}]
contexts: [{name: test, context: {cluster: double, user: watcher}}]
YAML
}
[ "${CM_LIB:-}" = helpers ] && return 0

# ---- a test's own setup
: "${top_srcdir:?run the tests through make check}"
: "${CM_BIN:?}"
NGINX=${CM_NGINX:-$(command -v nginx || true)}
export -n NGINX     # nginx reads $NGINX as inherited sockets; keep it unexported
CURL=${CURL:-$(command -v curl || true)}
JQ=${JQ:-$(command -v jq || true)}
KUBECTL=${KUBECTL:-$(command -v kubectl || true)}
# --max-time for a request that should answer at once: long enough for any
# load, short enough that a hang fails the test instead of stalling it.
HANG=60

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cm-test.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    [ -n "${CM_KEEP_TMP:-}" ] && { echo "kept $tmp"; return; }
    rm -rf "$tmp"
}
trap cleanup EXIT

need() { local t; for t in "$@"; do [ -n "$t" ] && [ -x "$t" ] || { echo "SKIP: missing tool"; exit 77; }; done; }

# start_pair [--unready] [run-local args...]: starts nginx/run-local on a free
# port and sets $url once the pair answers and /readyz says ready (with
# --unready: once it answers at all).  Exits the test if it never does.
# The pair serves anyone (--insecure-serve-anyone), as the tests of what it
# serves need; t/auth.sh sets CM_PAIR_SECURE=1 to give its own auth flags.
start_pair() {
    local ready=1 a have_dashes=""
    [ "${1:-}" = --unready ] && { ready=""; shift; }
    local args=("$@")
    for a in "$@"; do [ "$a" = -- ] && have_dashes=1; done
    if [ -z "${CM_PAIR_SECURE:-}" ]; then
        [ -n "$have_dashes" ] || args+=(--)
        args+=(--insecure-serve-anyone)
    fi
    CM_BIN="$CM_BIN" CM_NGINX="$NGINX" bash "$top_srcdir/nginx/run-local" --port 0 \
        --dir "$tmp/pair" "${args[@]}" > "$tmp/pair.log" 2>&1 &
    pids+=($!)
    if ! eventually 120 pair_answers "${pids[-1]}" || [ ! -s "$tmp/pair/url" ]; then
        cat "$tmp/pair.log"; echo "run-local did not start"; exit 1
    fi
    url=$(cat "$tmp/pair/url")
    if [ -n "$ready" ] && ! eventually 120 prints 200 status_of "$url/readyz" --max-time "$HANG"; then
        cat "$tmp/pair.log"; echo "the pair never became ready"; exit 1
    fi
}
# pair_answers PID: run-local has written its URL, or has died (no use waiting)
pair_answers() { [ -s "$tmp/pair/url" ] || ! kill -0 "$1" 2>/dev/null; }

# get PATH [curl args...]: prints "STATUS BODY" on one line
get() {
    local path=$1; shift
    "$CURL" -ks --path-as-is --max-time "$HANG" -o "$tmp/body" -w '%{http_code}' "$@" "$url$path" > "$tmp/code"
    echo "$(cat "$tmp/code") $(cat "$tmp/body")"
}
status_of() { "$CURL" -ks --path-as-is --max-time "$HANG" -o "$tmp/body" -w '%{http_code}' "$@"; }
