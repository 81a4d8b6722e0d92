#!/usr/bin/env bash
# The read micro-benchmark of the JavaScript SDK: builds bench/detector.js
# with this SDK, replays a generated trace through the real host, and
# prints what one read of each kind of event field costs inside the engine
# (ns, median over the runs, with the spread). Extra components given on
# the command line (bench/detector.js built with another version of the
# SDK) are run in turn with it, run after run, so that a before/after
# comparison sees the same machine load.
#
#   guest-sdk/js/bench/run.sh [--engine qjs|sm] [--events N] [--runs R] [OTHER.wasm ...]
#
# The host is $SANDTRAP, else target/{release,debug}/sandtrap, else
# `sandtrap` on PATH. Scratch files go to target/guest-build/js/bench/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
die() { printf 'guest-sdk/js/bench/run.sh: %s\n' "$*" >&2; exit 1; }

engine=qjs events=20000 runs=3
others=()
while [ $# -gt 0 ]; do
    case "$1" in
        --engine) [ $# -ge 2 ] || die "--engine needs a value"; engine="$2"; shift 2 ;;
        --events) [ $# -ge 2 ] || die "--events needs a value"; events="$2"; shift 2 ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs="$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) [ -f "$1" ] || die "no such file: $1"; others+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"); shift ;;
    esac
done
[[ "$events" =~ ^[1-9][0-9]*$ ]] || die "--events must be a positive integer"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"

host="${SANDTRAP:-}"
if [ -z "$host" ]; then
    for c in "$root/target/release/sandtrap" "$root/target/debug/sandtrap"; do
        [ -x "$c" ] && { host="$c"; break; }
    done
fi
[ -n "$host" ] || host="$(command -v sandtrap || true)"
[ -n "$host" ] && [ -x "$host" ] || die "no sandtrap host binary: build it (./dev build) or set SANDTRAP"

scratch="$root/target/guest-build/js/bench"
mkdir -p "$scratch/cache"
node "$here/gen-trace.mjs" "$events" > "$scratch/trace.jsonl"

# Each component alone in a directory: replay loads every *.wasm of one.
labels=()
add() {
    local dir="$scratch/c${#labels[@]}"
    rm -rf "$dir" && mkdir -p "$dir" && cp "$2" "$dir/bench.wasm"
    labels+=("$1")
}
SANDTRAP_JS_SCRATCH="$scratch/build-$engine" "$root/guest-sdk/js/build.sh" --engine "$engine" \
    "$here/detector.js" "$scratch/this-$engine.wasm"
add "this SDK ($engine)" "$scratch/this-$engine.wasm"
for o in "${others[@]}"; do add "$(basename "$o")" "$o"; done

# The report sorts every sample inside the engine, far beyond the default
# 200 ms budget of one call.
printf '[limits]\ncall_deadline = 20000\n' > "$scratch/host.toml"

results="$scratch/results.tsv"
: > "$results"
for ((r = 1; r <= runs; r++)); do
    for i in "${!labels[@]}"; do
        printf 'run %d/%d: %s\n' "$r" "$runs" "${labels[$i]}" >&2
        "$host" replay --config "$scratch/host.toml" --detectors "$scratch/c$i" --cache-dir "$scratch/cache" "$scratch/trace.jsonl" \
            | node -e '
                const lines = require("fs").readFileSync(0, "utf8").split("\n").filter((l) => l !== "");
                const f = lines.map((l) => JSON.parse(l)).find((x) => x.definition?.name === "bench");
                if (!f) { console.error("the bench reported nothing"); process.exit(1); }
                process.stdout.write(process.argv[1] + "\t" + f.fields.figures + "\n");
              ' "${labels[$i]}" >> "$results"
    done
done
node "$here/summary.mjs" "$results"
