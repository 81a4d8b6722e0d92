#!/usr/bin/env bash
# Builds a JavaScript detector into a sandtrap component:
#
#   guest-sdk/js/build.sh [--engine qjs|sm] ENTRY.js OUT.wasm
#
# ENTRY.js (an ES module that imports "sandtrap" and exports `guest`) is
# bundled with the SDK by jco's bundler (rolldown, offline) and
# componentized against world `detector` of wit/. Engines (README.md):
#   qjs  QuickJS (default): ~2 MB, no imports beyond the contract;
#        64-bit integers are doubles (exact only up to 2^53).
#   sm   StarlingMonkey: ~13.6 MB, ~8x slower to compile in the host,
#        exact BigInt 64-bit integers (process-store lookups by entity id
#        need this).
# SANDTRAP_JS_ENGINE sets the default engine. Scratch files go to
# $SANDTRAP_JS_SCRATCH (default target/guest-build/js/<OUT name>).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

die() { printf 'guest-sdk/js/build.sh: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: build.sh [--engine qjs|sm] ENTRY.js OUT.wasm"; }

engine="${SANDTRAP_JS_ENGINE:-qjs}"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --engine) [ $# -ge 2 ] || usage; engine="$2"; shift 2 ;;
        --engine=*) engine="${1#--engine=}"; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) usage ;;
        *) args+=("$1"); shift ;;
    esac
done
[ ${#args[@]} -eq 2 ] || usage
entry="${args[0]}"
out="${args[1]}"
[ -f "$entry" ] || die "no such file: $entry"
entry="$(cd "$(dirname "$entry")" && pwd)/$(basename "$entry")"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

case "$engine" in
    qjs|quickjs)
        # Synchronous exports (the host runs without component-model
        # async), and WASI imports replaced by traps: QuickJS needs none
        # once the build has snapshotted the module.
        engine_args=(--backend qjs --backend-qjs-disable-async --backend-qjs-stub-wasi) ;;
    sm|starlingmonkey)
        # Without `--disable all` StarlingMonkey imports wasi:http for
        # fetch() and the fetch-event handler, which the host does not link.
        engine_args=(--backend starlingmonkey --disable all) ;;
    *) die "unknown engine '$engine' (qjs or sm)" ;;
esac

"$here/setup.sh"
jco="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}/js/node_modules/.bin/jco"

name="$(basename "$out" .wasm)"
scratch="${SANDTRAP_JS_SCRATCH:-$root/target/guest-build/js/$name}"
mkdir -p "$scratch/tmp" "$scratch/cwd"
# Not $name.wasm: OUT may itself lie in the scratch directory.
tmp_out="$scratch/$name.partial.wasm"
rm -f "$tmp_out"

# jco and the engines put their temporary files under TMPDIR. componentize-js
# (StarlingMonkey) cannot find its own sources when the directory it runs
# from contains TMPDIR, which jco's default (the entry's directory) does
# for an entry at the repository root: it runs from an empty sibling.
if ! TMPDIR="$scratch/tmp" "$jco" componentize "$entry" --cwd "$scratch/cwd" \
        --wit "$root/wit" --world-name detector \
        --bundle --bundle-config "$here/rolldown.config.mjs" \
        "${engine_args[@]}" -o "$tmp_out" >"$scratch/jco.log" 2>&1; then
    cat "$scratch/jco.log" >&2
    die "componentizing $entry failed (engine $engine)"
fi
[ -s "$tmp_out" ] || { cat "$scratch/jco.log" >&2; die "jco wrote no component"; }

# The host links WASI without authority, but only the interfaces it knows:
# an engine that starts importing something new should be noticed here,
# not when a host refuses the component.
world="$("$jco" wit "$tmp_out" 2>/dev/null)" || die "jco cannot read the component it built"
grep -q 'export sandtrap:detector/guest@' <<<"$world" || die "$out does not export sandtrap:detector/guest"
if extra="$(grep -E '^\s*import ' <<<"$world" | grep -v 'sandtrap:detector/')"; then
    printf 'guest-sdk/js/build.sh: note: the component imports beyond the contract:\n%s\n' "$extra" >&2
fi

mv -f "$tmp_out" "$out"
printf 'built %s (%s bytes, engine %s)\n' "$out" "$(stat -c %s "$out")" "$engine" >&2
