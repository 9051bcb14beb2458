#!/bin/sh
# The shape of src/: the include graph has no cycle, each folder includes
# only from its own layer and those below (t/tools/include-graph.py names
# the layers), and the README's picture of a request names every folder.
. "$top_srcdir/t/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is missing"; exit 77; }

if python3 "$top_srcdir/t/tools/include-graph.py" "$top_srcdir/src" > "$tmp/graph" 2> "$tmp/problems"; then
    pass "include graph: no cycle, no include from a higher layer"
else
    fail "include graph: $(cat "$tmp/problems")"
fi

# a planted cycle and an upward include are caught (the checker itself works)
mkdir -p "$tmp/src/util" "$tmp/src/server"
printf '#include "b.h"\n' > "$tmp/src/util/a.h"
printf '#include "a.h"\n' > "$tmp/src/util/b.h"
printf '#include "a.h"\n' > "$tmp/src/util/a.c"
printf '#include "b.h"\n' > "$tmp/src/util/b.c"
printf '#include "main.h"\n' > "$tmp/src/util/c.c"
: > "$tmp/src/server/main.h"
python3 "$top_srcdir/t/tools/include-graph.py" "$tmp/src" > /dev/null 2> "$tmp/planted" || true
grep -q 'include cycle: a -> b -> a' "$tmp/planted" && pass "a planted cycle is reported" ||
    fail "a planted cycle is not reported: $(cat "$tmp/planted")"
grep -q 'src/util/c.c includes main.h from server, a higher layer' "$tmp/planted" &&
    pass "a planted upward include is reported" ||
    fail "a planted upward include is not reported: $(cat "$tmp/planted")"

for d in "$top_srcdir"/src/*/; do
    d=$(basename "$d")
    grep -q "src/$d/" "$top_srcdir/README" && pass "README names src/$d/" ||
        fail "README does not name src/$d/ in its architecture"
done
finish
