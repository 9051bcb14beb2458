#!/usr/bin/env bash
# The master: socket permissions, refusing a live socket, respawning workers, graceful stop.
. "$top_srcdir/t/lib.sh"
cfg="$top_srcdir/examples/metrics.yaml"
sock="$tmp/run/fcgi.sock"

"$CM_BIN" serve --config "$cfg" --socket "$sock" --workers 3 2> "$tmp/master.log" &
master=$!; pids+=($master)
for _ in $(seq 1 50); do [ -S "$sock" ] && [ "$(pgrep -c -P $master)" = 4 ] && break; sleep 0.1; done
check "socket mode" "$(stat -c %a "$sock")" 660
check "health socket beside it, same mode" "$(stat -c %a "$tmp/run/health.sock")" 660
check "socket directory mode" "$(stat -c %a "$tmp/run")" 750
check "workers and the health worker started" "$(pgrep -c -P $master)" 4

"$CM_BIN" serve --config "$cfg" --socket "$sock" 2> "$tmp/second.log"
check "a second server on a live socket exits 1" "$?" 1
grep -q "another server is already listening" "$tmp/second.log" && pass "says why" || fail "$(cat "$tmp/second.log")"
[ -S "$sock" ] && pass "the live socket is untouched" || fail "socket stolen"

victim=$(pgrep -P $master | head -1)
kill -9 "$victim"
for _ in $(seq 1 50); do [ "$(pgrep -c -P $master)" = 4 ] && ! pgrep -P $master | grep -qx "$victim" && break; sleep 0.1; done
check "a killed worker is respawned" "$(pgrep -c -P $master)" 4
grep -q "worker $victim was killed by signal 9" "$tmp/master.log" && pass "the death is logged" || fail "no log"

kill -TERM $master; wait $master; rc=$?
check "SIGTERM: master exits 0" "$rc" 0
[ ! -e "$sock" ] && pass "SIGTERM: socket removed" || fail "socket left"
[ ! -e "$tmp/run/health.sock" ] && pass "SIGTERM: health socket removed" || fail "health socket left"
check "SIGTERM: no worker left" "$(pgrep -c -f "socket $sock" || true)" 0

# Workers do not outlive a SIGKILLed master, and its stale socket is replaced.
"$CM_BIN" serve --config "$cfg" --socket "$sock" --workers 2 2>/dev/null & m1=$!; pids+=($m1)
for _ in $(seq 1 50); do [ -S "$sock" ] && [ "$(pgrep -c -P $m1)" = 3 ] && break; sleep 0.1; done
orphans=$(pgrep -P $m1 | tr '\n' ' ')
kill -9 $m1; wait $m1 2>/dev/null
for _ in $(seq 1 50); do left=0; for p in $orphans; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done; [ $left = 0 ] && break; sleep 0.1; done
check "workers exit when the master is killed" "$left" 0

# A stale socket from a crash is replaced; a directory others can write is refused.
"$CM_BIN" serve --config "$cfg" --socket "$sock" --workers 1 2>/dev/null & m2=$!; pids+=($m2)
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
pkill -9 -P $m2; kill -9 $m2; wait $m2 2>/dev/null; sleep 0.2
"$CM_BIN" serve --config "$cfg" --socket "$sock" --workers 1 2>/dev/null & m3=$!; pids+=($m3)
for _ in $(seq 1 50); do kill -0 $m3 2>/dev/null && [ "$(pgrep -c -P $m3)" = 2 ] && break; sleep 0.1; done
kill -0 $m3 2>/dev/null && pass "a stale socket is replaced" || fail "stale socket blocked the start"
kill -TERM $m3; wait $m3
"$CM_BIN" serve --config "$cfg" --socket "$sock" --health-socket "$sock" 2> "$tmp/same.log"
check "--health-socket equal to --socket is refused" "$?" 1
grep -q "must differ from --socket" "$tmp/same.log" && pass "says why" || fail "$(cat "$tmp/same.log")"
[ ! -e "$sock" ] && pass "and leaves no socket behind" || fail "socket left after the refusal"
"$CM_BIN" serve --config "$cfg" --socket "$sock" --health-socket "$tmp/hs/probe.sock" \
    --workers 1 2>/dev/null & m4=$!; pids+=($m4)
for _ in $(seq 1 150); do [ -S "$tmp/hs/probe.sock" ] && break; sleep 0.1; done
[ -S "$tmp/hs/probe.sock" ] && pass "--health-socket puts it elsewhere" ||
    fail "no health socket at --health-socket"
kill -TERM $m4; wait $m4
mkdir -m 777 "$tmp/open"
"$CM_BIN" serve --config "$cfg" --socket "$tmp/open/s.sock" 2> "$tmp/open.log"
check "a world-writable socket directory is refused" "$?" 1
grep -q "writable by others" "$tmp/open.log" && pass "says why" || fail "$(cat "$tmp/open.log")"
finish
