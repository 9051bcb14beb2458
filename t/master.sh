#!/usr/bin/env bash
# The master: socket permissions, refusing a live socket, respawning workers, graceful stop.
. "$top_srcdir/t/lib.sh"
cfg="$top_srcdir/examples/metrics.yaml"
sock="$tmp/run/fcgi.sock"

"$CM_BIN" serve --config "$cfg" --socket "$sock" --workers 3 2> "$tmp/master.log" &
master=$!; pids+=($master)
# serving: the socket is bound before the workers are forked
eventually 60 children_are $master 4 && pass "3 workers and the health worker started"
check "socket mode" "$(stat -c %a "$sock")" 660
check "health socket beside it, same mode" "$(stat -c %a "$tmp/run/health.sock")" 660
check "socket directory mode" "$(stat -c %a "$tmp/run")" 750

"$CM_BIN" serve --config "$cfg" --socket "$sock" 2> "$tmp/second.log"
check "a second server on a live socket exits 1" "$?" 1
grep -q "another server is already listening" "$tmp/second.log" && pass "says why" || fail "$(cat "$tmp/second.log")"
[ -S "$sock" ] && pass "the live socket is untouched" || fail "socket stolen"

victim=$(pgrep -P $master | head -1)
kill -9 "$victim"
respawned() { lacks "$victim" && children_are $master 4; }
eventually 60 respawned && pass "a killed worker is respawned"
eventually 60 grep -q "worker $victim was killed by signal 9" "$tmp/master.log" && pass "the death is logged"

kill -TERM $master; wait $master; rc=$?
check "SIGTERM: master exits 0" "$rc" 0
[ ! -e "$sock" ] && pass "SIGTERM: socket removed" || fail "socket left"
[ ! -e "$tmp/run/health.sock" ] && pass "SIGTERM: health socket removed" || fail "health socket left"
check "SIGTERM: no worker left" "$(pgrep -c -f "socket $sock" || true)" 0

# Workers do not outlive a SIGKILLed master, and its stale socket is replaced.
"$CM_BIN" serve --config "$cfg" --socket "$sock" --workers 2 2>/dev/null & m1=$!; pids+=($m1)
eventually 60 children_are $m1 3 || exit 1
orphans=$(pgrep -P $m1)
kill -9 $m1; wait $m1 2>/dev/null
eventually 60 lacks $orphans && pass "workers exit when the master is killed"

# A stale socket from a crash is replaced; a directory others can write is refused.
"$CM_BIN" serve --config "$cfg" --socket "$sock" --workers 1 2>/dev/null & m2=$!; pids+=($m2)
eventually 60 children_are $m2 2 || exit 1
crashed=$(pgrep -P $m2)
kill -9 $m2 $crashed; wait $m2 2>/dev/null     # the master first: it cannot respawn
eventually 60 lacks $crashed || exit 1         # nothing listens on the socket now
[ -S "$sock" ] && pass "a crash leaves its socket behind" || fail "no stale socket to replace"
"$CM_BIN" serve --config "$cfg" --socket "$sock" --workers 1 2> "$tmp/m3.log" & m3=$!; pids+=($m3)
started() { children_are $m3 2 || ! kill -0 $m3 2>/dev/null; }
eventually 60 started
kill -0 $m3 2>/dev/null && children_are $m3 2 && pass "a stale socket is replaced" ||
    fail "stale socket blocked the start: $(cat "$tmp/m3.log")"
kill -TERM $m3; wait $m3
"$CM_BIN" serve --config "$cfg" --socket "$sock" --health-socket "$sock" 2> "$tmp/same.log"
check "--health-socket equal to --socket is refused" "$?" 1
grep -q "must differ from --socket" "$tmp/same.log" && pass "says why" || fail "$(cat "$tmp/same.log")"
[ ! -e "$sock" ] && pass "and leaves no socket behind" || fail "socket left after the refusal"
"$CM_BIN" serve --config "$cfg" --socket "$sock" --health-socket "$tmp/hs/probe.sock" \
    --workers 1 2>/dev/null & m4=$!; pids+=($m4)
eventually 60 test -S "$tmp/hs/probe.sock"
[ -S "$tmp/hs/probe.sock" ] && pass "--health-socket puts it elsewhere" ||
    fail "no health socket at --health-socket"
kill -TERM $m4; wait $m4
mkdir -m 777 "$tmp/open"
"$CM_BIN" serve --config "$cfg" --socket "$tmp/open/s.sock" 2> "$tmp/open.log"
check "a world-writable socket directory is refused" "$?" 1
grep -q "writable by others" "$tmp/open.log" && pass "says why" || fail "$(cat "$tmp/open.log")"
finish
