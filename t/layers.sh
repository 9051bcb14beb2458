#!/usr/bin/env bash
# Pure and I/O apart: libcmcore.a (the pure logic) references no symbol of
# libcmio.a and none of threads, dlopen or libcurl; the I/O backends live in
# libcmio.a only.  The unit tests of pure modules link libcmcore.a alone,
# which catches a reference to libcmio.a at link time; this catches the
# libc-provided ones (pthread_*, dl*) a link would let through.
. "$top_srcdir/t/lib.sh"
NM=${NM:-$(command -v nm || true)}
need "$NM"
core="$top_builddir/libcmcore.a" io="$top_builddir/libcmio.a"
[ -f "$core" ] && [ -f "$io" ] || { fail "libcmcore.a and libcmio.a are not built"; finish; }

defined() { "$NM" --defined-only "$1" | awk 'NF == 3 && $2 ~ /[A-Z]/ { print $3 }' | sort -u; }
undefined() { "$NM" -u "$1" | awk 'NF == 2 && $1 == "U" { print $2 }' | sort -u; }
defined "$core" > "$tmp/core-def"
defined "$io" > "$tmp/io-def"
undefined "$core" | comm -23 - "$tmp/core-def" > "$tmp/core-needs"
[ -s "$tmp/core-needs" ] || fail "nm found no undefined symbol in libcmcore.a (is the check broken?)"
grep -qx malloc "$tmp/core-needs" || fail "nm did not report libcmcore.a's malloc (is the check broken?)"

from_io=$(comm -12 "$tmp/core-needs" "$tmp/io-def" | tr '\n' ' ')
check "libcmcore.a needs nothing libcmio.a defines" "$from_io" ""
io_kinds=$(grep -E '^(pthread_|dl(open|sym|error|close)$|curl_|flock$)' "$tmp/core-needs" | tr '\n' ' ')
check "libcmcore.a uses no threads, dlopen, libcurl or file locks" "$io_kinds" ""
for sym in cm_source_static cm_source_backends_core cm_sources_new cm_router_handle; do
    grep -qx "$sym" "$tmp/core-def" || fail "libcmcore.a does not define $sym"
done
for sym in cm_source_file cm_source_push cm_source_prometheus cm_source_backends_all \
           cm_pushstore_open cm_promclient_query cm_curlib cm_watcher_run; do
    grep -qx "$sym" "$tmp/io-def" || fail "libcmio.a does not define $sym"
    grep -qx "$sym" "$tmp/core-def" && fail "libcmcore.a defines $sym, an I/O symbol"
done
pass "the backends' symbols are where they belong"
finish
