#!/usr/bin/env bash
# Instructions per detector call, counted by cachegrind: unlike a clock on
# a shared host, the count is the same from run to run, so it shows what a
# change to the boundary or a guest is worth. Each kind runs twice, with
# 1,000 and 6,000 calls; the difference divided by 5,000 is the cost of one
# call, free of the setup (stores, compiling the component).
#
#   host/runtime/benches/icount.sh [KIND...]
#
# KIND: bare, fileless, denied, denied-miss (a connect the reputation store
# does not know), or native-fileless, native-denied, native-denied-miss (the
# same logic compiled into the host), or batch, batch-bare (the probe called
# with 256 typical or bare events: divide by 256 for the cost per batched
# event). Needs valgrind and `./dev guests`.
set -euo pipefail
cd "$(dirname "$0")/../../.."
command -v valgrind >/dev/null || { echo "icount.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
bench=$(cargo bench --locked -p sandtrap-runtime --bench sandbox --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1)
[ -x "$bench" ] || { echo "icount.sh: the sandbox benchmark did not build" >&2; exit 1; }
count() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$bench" profile "$1" "$2" --bench 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,
}
[ $# -gt 0 ] || set -- bare fileless native-fileless denied native-denied denied-miss native-denied-miss
for kind in "$@"; do
    a=$(count "$kind" 1000)
    b=$(count "$kind" 6000)
    echo "$kind: $(((b - a) / 5000)) instructions/call"
done
