#!/usr/bin/env bash
# store: redis through two real pairs (nginx, TLS, workers) sharing one real
# redis-server on loopback, persistence on, in the test's directory: a write
# through one pair is read through the other (the change channel: resync is
# 1 h here, so nothing else could carry it); a batch is all or nothing;
# values expire in Redis and in every replica; redis-server killed with
# SIGKILL and restarted loses no acknowledged write; Redis down gives 503 to
# writes and the last values to reads, and both pairs recover by themselves;
# the concurrent-writers and kill -9 tests of t/push.sh, across both pairs;
# hot reloads: a push metric added by a reload reaches the other replica,
# also through a replicator killed after the reload, a changed key prefix is
# followed, an unsafe password_file is refused at its FILE:LINE:COLUMN, and
# store: embedded and back stops and starts the replicator.
# Then a second redis-server with TLS and a password: the right CA and
# password work, a wrong CA and a wrong password are refused clearly, and a
# value set or deleted in Redis behind the channel's back reaches the
# replica by the periodic resync.
. "$top_srcdir/t/lib.sh"
need "$NGINX" "$CURL" "$JQ"
# the HA install's metrics.yaml (k8s/overlays/ha) is one the server loads
"$CM_BIN" check --config "$top_srcdir/k8s/overlays/ha/metrics.yaml" > "$tmp/check.out" 2>&1 &&
    pass "k8s/overlays/ha/metrics.yaml loads" || fail "k8s/overlays/ha/metrics.yaml: $(cat "$tmp/check.out")"
REDIS=$(command -v redis-server || true)
REDIS_CLI=$(command -v redis-cli || true)
[ -n "$REDIS" ] && [ -n "$REDIS_CLI" ] || { echo "SKIP: redis-server is not installed (./bootstrap check installs it)"; exit 77; }

# start_named NAME [run-local args...]: a pair in $tmp/NAME; its URL in url_NAME
start_named() {
    local name=$1; shift
    CM_BIN="$CM_BIN" CM_NGINX="$NGINX" bash "$top_srcdir/nginx/run-local" --port 0 \
        --dir "$tmp/$name" "$@" > "$tmp/$name.log" 2>&1 &
    pids+=($!)
    eval "runlocal_$name=$!"
    if ! eventually 120 named_answers "$name" "$!" || [ ! -s "$tmp/$name/url" ]; then
        cat "$tmp/$name.log"; echo "pair $name did not start"; exit 1
    fi
    eval "url_$name=\$(cat \"\$tmp/\$name/url\")"
    eval "token_$name=\$(cat \"\$tmp/\$name/write-token\")"
    if ! eventually 120 prints 200 status_of "$(cat "$tmp/$name/url")/readyz" --max-time "$HANG"; then
        cat "$tmp/$name.log"; echo "pair $name never became ready"; exit 1
    fi
}
named_answers() { [ -s "$tmp/$1/url" ] || ! kill -0 "$2" 2>/dev/null; }
stop_named() {
    local p; eval "p=\$runlocal_$1"
    kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null || true
    rm -f "$tmp/$1/url"
}

# start_redis PORT DIR [args...]: redis-server in the foreground of a background job
start_redis() {
    local port=$1 dir=$2; shift 2
    mkdir -p "$dir"
    "$REDIS" --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes --appendfsync always \
        --save "" --daemonize no --logfile "$dir/redis.log" "$@" &
    pids+=($!)
    redis_pid=$!
}
rcli() { "$REDIS_CLI" -p "$rport" "$@"; }
redis_up() { [ "$(rcli ping 2>/dev/null)" = PONG ]; }

# write PAIR PATH VALUE: POSTs VALUE (a JSON string) to the pair's write API; prints the code
write() {
    local u t; eval "u=\$url_$1 t=\$token_$1"
    "$CURL" -ks --max-time "$HANG" -X POST -H "Authorization: Bearer $t" \
        -H 'Content-Type: application/json' --data-raw "\"$3\"" -o "$tmp/wbody" \
        -w '%{http_code}' "$u/write-metrics$2"
}
batch() {
    local u t; eval "u=\$url_$1 t=\$token_$1"
    "$CURL" -ks --max-time "$HANG" -X POST -H "Authorization: Bearer $t" \
        -H 'Content-Type: application/json' --data-binary @"$2" -o "$tmp/wbody" \
        -w '%{http_code}' "$u/write-metrics"
}
# value PAIR POD [METRIC]: the pod's value through the pair, or its HTTP code
value() {
    local u code; eval "u=\$url_$1"
    code=$("$CURL" -ks --max-time "$HANG" -o "$tmp/rbody.$1" -w '%{http_code}' \
        "$u$CM/pods/$2/${3:-backlog}")
    if [ "$code" = 200 ]; then "$JQ" -r '.items[0].value' "$tmp/rbody.$1"; else echo "$code"; fi
}
# values PAIR W: the values of writer W's pods through the pair, as one line
values() {
    local u; eval "u=\$url_$1"
    "$CURL" -ks --max-time "$HANG" "$u$CM/pods/*/backlog?labelSelector=app%3Dload&metricLabelSelector=writer%3Dw$2" |
        "$JQ" -r '[.items[].value] | join(",")'
}
CM=/apis/custom.metrics.k8s.io/v1beta2/namespaces/default

writers=4 pods_per_writer=10 rounds=6
{
    echo '{"apiVersion":"v1","kind":"List","items":['
    sep=""
    for w in $(seq 0 $((writers - 1))); do
        for i in $(seq 0 $((pods_per_writer - 1))); do
            printf '%s{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-%d-%d","namespace":"default","labels":{"app":"load"}}}\n' "$sep" "$w" "$i"
            sep=,
        done
    done
    for i in $(seq 0 19); do printf ',{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b-%d","namespace":"default"}}\n' "$i"; done
    echo ',{"apiVersion":"v1","kind":"Pod","metadata":{"name":"marker","namespace":"default"}}'
    echo ',{"apiVersion":"v1","kind":"Pod","metadata":{"name":"brief","namespace":"default"}}'
    echo ']}'
} > "$tmp/objects.json"

rport=$(free_port)
start_redis "$rport" "$tmp/redis"
eventually 60 redis_up || { cat "$tmp/redis/redis.log"; exit 1; }
metrics() {   # metrics PREFIX RESYNC [extra push keys]
    cat <<YAML
push:
  store: redis
  url: redis://127.0.0.1:$rport
  key_prefix: "$1"
  resync: $2
${3:-}
metrics:
  - name: backlog
    resources: [pods]
    source: {push: {max_age: 10m}}
  - name: brief
    resources: [pods]
    source: {push: {max_age: 3s}}
YAML
}
metrics "cmt:" 1h > "$tmp/a.yaml"
cp "$tmp/a.yaml" "$tmp/b.yaml"
start_named a --workers 3 --config "$tmp/a.yaml" --objects "$tmp/objects.json"
start_named b --workers 3 --config "$tmp/b.yaml" --objects "$tmp/objects.json"

# 1. A write through one pair is read through the other.
check "a write through pair a" "$(write a /namespaces/default/pods/marker/backlog 1)" 200
eventually 60 prints 1 value b marker && pass "pair b serves it (by the change channel)"
check "a write through pair b" "$(write b /namespaces/default/pods/marker/backlog 2)" 200
eventually 60 prints 2 value a marker && pass "pair a serves b's write"
check "the key layout" "$(rcli get cmt:v/backlog/pods/default/marker | cut -d' ' -f2-)" "2 "
ttl=$(rcli ttl cmt:v/backlog/pods/default/marker)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 600 ] && pass "Redis expires it at max_age (ttl $ttl)" ||
    fail "ttl of the key: $ttl, want 1..600"

# 2. A batch is all or nothing, as the other pair sees it.
{
    echo '['
    for i in $(seq 0 19); do printf '{"metric":"backlog","resource":"pods","namespace":"default","name":"b-%d","value":"%d"},\n' "$i" "$i"; done
    echo '{"metric":"backlog","resource":"pods","namespace":"default","name":"b-0","value":"not a quantity"}]'
} > "$tmp/bad-batch.json"
check "a batch with one bad item" "$(batch a "$tmp/bad-batch.json")" 400
check "a later write" "$(write a /namespaces/default/pods/marker/backlog 3)" 200
eventually 60 prints 3 value b marker
check "pair b has none of the refused batch" "$(value b b-0) $(value b b-19)" "404 404"
check "Redis has none of it" "$(rcli exists cmt:v/backlog/pods/default/b-0 cmt:v/backlog/pods/default/b-19)" 0
sed '$d' "$tmp/bad-batch.json" > "$tmp/batch.json"
echo '{"metric":"backlog","resource":"pods","namespace":"default","name":"b-0","value":"0"}]' >> "$tmp/batch.json"
check "the batch without it" "$(batch a "$tmp/batch.json")" 200
all_b() { local i v=""; for i in $(seq 0 19); do v+="$(value b "b-$i") "; done; echo "$v"; }
eventually 60 prints "$(seq 0 19 | tr '\n' ' ')" all_b && pass "pair b has all 20 values of the batch"

# 3. Expiry: max_age 3s is Redis' expiry too, and every replica stops serving the value.
check "a brief value" "$(write a /namespaces/default/pods/brief/brief 5)" 200
ttl=$(rcli ttl cmt:v/brief/pods/default/brief)   # -2: gone already (a slow machine), -1: no expiry
[ "$ttl" -le 3 ] && [ "$ttl" != -1 ] && pass "its ttl in Redis is max_age 3s ($ttl)" ||
    fail "the brief value's ttl in Redis: $ttl"
gone_from_redis() { [ "$(rcli exists cmt:v/brief/pods/default/brief)" = 0 ]; }
eventually 60 gone_from_redis && pass "Redis expired it by itself"
# (each replica ages it by its whole-second timestamp: up to a second after Redis)
eventually 60 prints 404 value a brief brief && pass "pair a no longer serves it"
eventually 60 prints 404 value b brief brief && pass "nor pair b"

# 4. redis-server killed with SIGKILL and restarted: nothing acknowledged is lost.
acked=""
for i in $(seq 1 30); do
    [ "$(write $([ $((i % 2)) = 0 ] && echo a || echo b) /namespaces/default/pods/p-3-$((i % 10))/backlog "$i")" = 200 ] &&
        acked+="$i "
done
kill -9 "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
start_redis "$rport" "$tmp/redis"
eventually 60 redis_up
last_in_redis() { local i v=""; for i in $(seq 0 9); do v+="$(rcli get cmt:v/backlog/pods/default/p-3-$i | cut -d' ' -f2) "; done; echo "$v"; }
check "every acknowledged write is in Redis after the restart" "$(last_in_redis)" "30 21 22 23 24 25 26 27 28 29 "
check "30 writes acknowledged" "$(echo "$acked" | wc -w)" 30

# 5. Redis down: writes 503 saying why, reads serve the last values within their
# max_age, then 503; both pairs recover.
"$REDIS_CLI" -p "$rport" shutdown nosave > /dev/null 2>&1 || true
wait "$redis_pid" 2>/dev/null || true
check "a write with Redis down" "$(write a /namespaces/default/pods/marker/backlog 4)" 503
check "its Status" "$("$JQ" -r .reason "$tmp/wbody")" ServiceUnavailable
# the client is told what failed, the log (under the same request id) where and how
msg=$("$JQ" -r .message "$tmp/wbody")
check "the message says why, naming no host" "${msg% (request *}" "cannot keep pushed values: Redis is not reachable"
logged_for() {   # logged_for LOG MESSAGE: the log's lines for the request MESSAGE names
    local id=${2##*(request }; id=${id%)}
    [ -n "$id" ] && grep "request $id:" "$1"
}
logged_for "$tmp/a.log" "$msg" | grep -q "Redis 127.0.0.1:$rport" && pass "the log has the details" ||
    fail "pair a's log has no line for: $msg"
check "pair b reads its last value" "$(value b marker)" 3
check "pair a too" "$(value a marker)" 3
# cut off for longer than a metric's max_age (brief: 3s), a replica has no fresh value of it
eventually 60 prints 503 value b brief brief && pass "Redis down longer than max_age 3s: 503"
msg=$("$JQ" -r .message "$tmp/rbody.b")
echo "$msg" | grep -q "Redis has been unreachable for longer than the metric's max_age" &&
    pass "the Status says why" || fail "the 503 says: $msg"
logged_for "$tmp/b.log" "$msg" | grep -q "Redis 127.0.0.1:$rport has been unreachable" &&
    pass "the log names Redis" || fail "pair b's log has no line for: $msg"
check "a metric with a longer max_age is still served" "$(value b marker)" 3
start_redis "$rport" "$tmp/redis"
eventually 60 redis_up
eventually 60 prints 200 write a /namespaces/default/pods/marker/backlog 5 && pass "pair a writes again"
check "a brief value again" "$(write a /namespaces/default/pods/brief/brief 6)" 200
eventually 60 prints 6 value b brief brief && pass "pair b serves brief values again"
eventually 60 prints 5 value b marker && pass "pair b follows again"
check "a write through pair b" "$(write b /namespaces/default/pods/marker/backlog 6)" 200
eventually 60 prints 6 value a marker && pass "pair a follows b again"

# 6. Writers on both pairs at once (as t/push.sh on the embedded store): none loses a value.
write_round() {   # write_round W R: writer W, through pair a or b by parity, one connection
    local w=$1 r=$2 i urls=() code try p u t
    p=$([ $((w % 2)) = 0 ] && echo a || echo b)
    eval "u=\$url_$p t=\$token_$p"
    for i in $(seq 0 $((pods_per_writer - 1))); do
        urls+=("$u/write-metrics/namespaces/default/pods/p-$w-$i/backlog?labels=writer=w$w")
    done
    for try in 1 2 3 4 5; do
        code=$("$CURL" -ks -X POST -H "Authorization: Bearer $t" \
            -H 'Content-Type: application/json' --data-raw "\"$r\"" \
            -o /dev/null -w '%{http_code}\n' "${urls[@]}" | sort -u | tr '\n' ' ')
        [ "$code" = "200 " ] && return 0
    done
    echo "writer $w round $r: $code" >> "$tmp/write-errors"
}
writer() { local r; for r in $(seq 1 "$rounds"); do write_round "$1" "$r"; done; }
expect_all() { local i v=""; for i in $(seq 1 "$pods_per_writer"); do v+="${v:+,}$1"; done; echo "$v"; }
wpids=()
for w in $(seq 0 $((writers - 1))); do writer "$w" & wpids+=($!); done
wait "${wpids[@]}"
check "concurrent writers on two pairs: no failed write" "$(cat "$tmp/write-errors" 2>/dev/null)" ""
for w in $(seq 0 $((writers - 1))); do
    eventually 60 prints "$(expect_all "$rounds")" values a "$w" && pass "writer $w: pair a has its last values"
    eventually 60 prints "$(expect_all "$rounds")" values b "$w" && pass "writer $w: pair b has its last values"
done

# 7. kill -9 mid-load: a worker of pair a after each round, and pair b's replicator once.
master_a=$(pgrep -f "serve --config $tmp/a.yaml" | head -1)
master_b=$(pgrep -f "serve --config $tmp/b.yaml" | head -1)
rounds=12
( for r in $(seq 7 $rounds); do write_round 0 "$r"; touch "$tmp/round-$r"; done ) & loader=$!
for r in 7 8 9; do
    eventually 60 test -e "$tmp/round-$r" || break
    victim=$(pgrep -P "$master_a" | head -1)
    [ -n "$victim" ] && kill -9 "$victim"
    if [ "$r" = 8 ]; then
        repl=$(pgrep -P "$master_b" -x cm-replicator)
        [ -n "$repl" ] && kill -9 "$repl" && pass "killed pair b's replicator" || fail "pair b has no replicator"
    fi
done
wait "$loader"
check "under kills: every write landed" "$(cat "$tmp/write-errors" 2>/dev/null)" ""
eventually 60 children_are "$master_a" 5 && pass "pair a: 3 workers, health and replicator respawned"
eventually 60 children_are "$master_b" 5 && pass "pair b: its replicator respawned"
eventually 60 prints "$(expect_all 12)" values a 0 && pass "under kills: pair a has writer 0's last values"
eventually 60 prints "$(expect_all 12)" values b 0 && pass "under kills: pair b has them (resync at its reconnect)"
check "writer 1 untouched" "$(values b 1)" "$(expect_all 6)"
grep -q "replicator .* was killed by signal 9" "$tmp/b.log" && pass "the master saw its replicator die" ||
    fail "pair b's log does not show the replicator's death"

# 8. Hot reloads: each replica's replicator runs with the configuration just taken.
count_in() { grep -c -- "$2" "$tmp/$1.log" || true; }   # count_in PAIR TEXT: log lines with TEXT
# more_than PAIR TEXT N: more than N such lines (a reconnect may add one more)
more_than() { [ "$(count_in "$1" "$2")" -gt "$3" ]; }
replicator_of() { pgrep -P "$1" -x cm-replicator; }
# reload PAIR FILE: FILE renamed over PAIR's metrics.yaml; waits until the
# reload is taken and the replicator follows Redis again (or, with "none",
# until it is gone)
reload() {
    local taken follows
    taken=$(count_in "$1" "reloaded $tmp/$1.yaml (hash")
    follows=$(count_in "$1" "replicator: following Redis")
    mv -f "$2" "$tmp/$1.yaml"
    eventually 60 more_than "$1" "reloaded $tmp/$1.yaml (hash" "$taken" ||
        { fail "pair $1 did not take the reload"; return 1; }
    [ "${3:-}" = none ] && return 0
    eventually 60 more_than "$1" "replicator: following Redis" "$follows" ||
        fail "pair $1's replicator does not follow Redis after the reload"
}
with_added() {   # with_added PREFIX: metrics.yaml with push metric "added" too
    metrics "$1" 1h
    printf '  - name: added\n    resources: [pods]\n    source: {push: {max_age: 10m}}\n'
}
repl_before=$(replicator_of "$master_b")
with_added "cmt:" > "$tmp/.a.new"; reload a "$tmp/.a.new"
with_added "cmt:" > "$tmp/.b.new"; reload b "$tmp/.b.new"
check "a push metric added by a reload takes writes" "$(write a /namespaces/default/pods/marker/added 31)" 200
eventually 60 prints 31 value b marker added && pass "its value reaches the other replica"
repl_after=$(replicator_of "$master_b")
[ -n "$repl_after" ] && [ "$repl_after" != "$repl_before" ] &&
    pass "the reload restarted pair b's replicator" || fail "pair b's replicator: $repl_before, then $repl_after"
grep -q "replicator restarted for configuration generation" "$tmp/b.log" &&
    pass "the log says so" || fail "pair b's log does not show the replicator's restart"
# killed after the reload, the replicator is respawned with the configuration that serves
follows=$(count_in b "replicator: following Redis")
kill -9 "$repl_after"
eventually 60 more_than b "replicator: following Redis" "$follows" &&
    pass "the respawned replicator follows Redis"
check "another write of the added metric" "$(write a /namespaces/default/pods/marker/added 32)" 200
eventually 60 prints 32 value b marker added && pass "the respawned replicator applies it"
check "a write of the added metric through pair b" "$(write b /namespaces/default/pods/b-1/added 33)" 200
eventually 60 prints 33 value a b-1 added && pass "pair a applies it"
# a changed push: block (here the key prefix, so the channel too) is followed
with_added "cmu:" > "$tmp/.a.new"; reload a "$tmp/.a.new"
with_added "cmu:" > "$tmp/.b.new"; reload b "$tmp/.b.new"
check "a write after the prefix changed" "$(write a /namespaces/default/pods/marker/added 34)" 200
check "it is kept under the new prefix" "$(rcli get cmu:v/added/pods/default/marker | cut -d' ' -f2)" 34
eventually 60 prints 34 value b marker added && pass "pair b follows the new prefix's channel"
# a reload that would leave the replicator without its password is refused, at the block
(umask 022; echo pw > "$tmp/open-password")
with_added "cmu:" "" | sed "s|^  resync: 1h|  resync: 1h\n  password_file: $tmp/open-password|" > "$tmp/.b.new"
refused=$(count_in b "reload of $tmp/b.yaml refused")
mv -f "$tmp/.b.new" "$tmp/b.yaml"
eventually 60 more_than b "reload of $tmp/b.yaml refused" "$refused" &&
    pass "a password_file others may read is refused by the reload"
grep "reload of $tmp/b.yaml refused" "$tmp/b.log" | tail -1 |
    grep -q "$tmp/b.yaml:2:3: the push: password_file $tmp/open-password is readable by others" &&
    pass "saying where, as FILE:LINE:COLUMN" ||
    fail "the refusal: $(grep "reload of $tmp/b.yaml refused" "$tmp/b.log" | tail -1)"
check "pair b still writes" "$(write b /namespaces/default/pods/marker/added 35)" 200
eventually 60 prints 35 value a marker added && pass "through Redis, as before"
# a replicator that does not stop (here: stopped with SIGSTOP) is killed
# before its successor starts: never two side by side
stuck=$(replicator_of "$master_b")
kill -STOP "$stuck"
with_added "cmu:" > "$tmp/.b.new"; reload b "$tmp/.b.new"
kill -0 "$stuck" 2>/dev/null && fail "the stopped replicator $stuck still runs beside its successor" ||
    pass "a replicator that does not stop is killed before its successor starts"
grep -q "process $stuck did not stop within 2000 ms of SIGTERM: killing it" "$tmp/b.log" &&
    pass "the log says so" || fail "no kill of $stuck in pair b's log"
check "and pair b writes through its successor" "$(write b /namespaces/default/pods/marker/added 36)" 200
eventually 60 prints 36 value a marker added && pass "which replicates"
# store: embedded by a reload stops the replicator; store: redis again starts one
{ metrics "cmu:" 1h | sed '1,6d'
  printf '  - name: added\n    resources: [pods]\n    source: {push: {max_age: 10m}}\n'; } > "$tmp/.b.new"
reload b "$tmp/.b.new" none
eventually 60 children_are "$master_b" 4 && pass "embedded: pair b runs no replicator"
check "pair b writes its own store" "$(write b /namespaces/default/pods/b-2/added 36)" 200
check "and serves it" "$(value b b-2 added)" 36
check "Redis was not written" "$(rcli exists cmu:v/added/pods/default/b-2)" 0
with_added "cmu:" > "$tmp/.b.new"; reload b "$tmp/.b.new"
eventually 60 children_are "$master_b" 5 && pass "redis again: pair b runs a replicator"
check "a write through pair a" "$(write a /namespaces/default/pods/marker/added 37)" 200
eventually 60 prints 37 value b marker added && pass "reaches pair b again"
stop_named a
stop_named b

# 9. TLS and a password on a second redis-server: right, wrong CA, wrong password.
mkdir -p "$tmp/tls"
( cd "$tmp/tls"
  for ca in ca other; do
      openssl req -x509 -newkey rsa:2048 -nodes -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=test $ca" 2>/dev/null
  done
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' > ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext 2>/dev/null
) || { fail "openssl could not make the test certificates"; finish; }
tport=$(free_port)
(umask 077; echo "s3cret-$RANDOM" > "$tmp/password"; echo "not-the-password-$RANDOM" > "$tmp/wrong-password")
"$REDIS" --bind 127.0.0.1 --port 0 --tls-port "$tport" --tls-cert-file "$tmp/tls/server.pem" \
    --tls-key-file "$tmp/tls/server.key" --tls-ca-cert-file "$tmp/tls/ca.pem" --tls-auth-clients no \
    --requirepass "$(cat "$tmp/password")" --dir "$tmp/tls" --save "" --daemonize no \
    --logfile "$tmp/tls/redis.log" &
pids+=($!)
tcli() { "$REDIS_CLI" -p "$tport" --tls --cacert "$tmp/tls/ca.pem" --no-auth-warning -a "$(cat "$tmp/password")" "$@"; }
tls_up() { [ "$(tcli ping 2>/dev/null)" = PONG ]; }
eventually 60 tls_up || { cat "$tmp/tls/redis.log"; fail "redis-server with TLS did not start"; finish; }
# an ACL user with only what the README says the server needs
check "an ACL user" "$(tcli acl setuser cm on ">$(cat "$tmp/password")" '~cmt:*' '&cmt:changes' \
    +multi +exec +set +mget +scan +publish +subscribe +select)" OK
rport=$tport
tls_metrics() {   # tls_metrics CA PASSWORD_FILE
    metrics "cmt:" 1s "  ca_file: $1
  username: cm
  password_file: $2" | sed "s|url: redis://127.0.0.1:$tport|url: rediss://127.0.0.1:$tport|"
}
tls_metrics "$tmp/tls/ca.pem" "$tmp/password" > "$tmp/c.yaml"
start_named c --workers 1 --config "$tmp/c.yaml" --objects "$tmp/objects.json"
check "TLS with the right CA, as ACL user cm" "$(write c /namespaces/default/pods/marker/backlog 7)" 200
check "the value in Redis" "$(tcli get cmt:v/backlog/pods/default/marker | cut -d' ' -f2)" 7
# a value set behind the channel's back reaches the replica by the resync (1 s here)...
tcli set cmt:v/backlog/pods/default/b-5 "$(date +%s) 55 " ex 600 > /dev/null
eventually 60 prints 55 value c b-5 && pass "a value set in Redis directly arrives by the resync"
# ...and one deleted there stops being served
tcli del cmt:v/backlog/pods/default/b-5 > /dev/null
eventually 60 prints 404 value c b-5 && pass "a value deleted in Redis is no longer served"
stop_named c

tls_metrics "$tmp/tls/other.pem" "$tmp/password" > "$tmp/d.yaml"
start_named d --workers 1 --config "$tmp/d.yaml" --objects "$tmp/objects.json"
check "TLS with a wrong CA" "$(write d /namespaces/default/pods/marker/backlog 8)" 503
msg=$("$JQ" -r .message "$tmp/wbody")
check "refused, saying why" "${msg% (request *}" "cannot keep pushed values: the TLS connection to Redis failed"
logged_for "$tmp/d.log" "$msg" | grep -qi "certificate" && pass "the log says it is the certificate" ||
    fail "pair d's log has no certificate problem for: $msg"
stop_named d

tls_metrics "$tmp/tls/ca.pem" "$tmp/wrong-password" > "$tmp/e.yaml"
start_named e --workers 1 --config "$tmp/e.yaml" --objects "$tmp/objects.json"
check "a wrong password" "$(write e /namespaces/default/pods/marker/backlog 9)" 503
msg=$("$JQ" -r .message "$tmp/wbody")
check "refused, saying why" "${msg% (request *}" "cannot keep pushed values: Redis refused the server's credentials"
logged_for "$tmp/e.log" "$msg" | grep -q "refused the credentials (user cm and password_file): WRONGPASS" &&
    pass "the log has Redis' words" || fail "pair e's log has no refusal for: $msg"
echo "$msg" | grep -q -e "$(cat "$tmp/wrong-password")" -e "$(cat "$tmp/password")" &&
    fail "the message holds a password" || pass "the message holds no password"
grep -q "refused the credentials" "$tmp/e.log" && pass "the replicator logs the refusal" ||
    fail "pair e's log does not show the refusal"
grep -q -e "$(cat "$tmp/password")" -e "$(cat "$tmp/wrong-password")" "$tmp"/[a-e].log &&
    fail "a log holds a password" ||
    pass "no log holds a password"
check "Redis was not written" "$(tcli get cmt:v/backlog/pods/default/marker | cut -d' ' -f2)" 7
stop_named e
finish
