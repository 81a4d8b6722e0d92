#!/usr/bin/env bash
# Builds a C detector into a sandtrap component:
#
#   guest-sdk/c/build.sh OUT.wasm SOURCE.c [SOURCE.c ...]
#
# compiles the sources with the SDK (sandtrap.c and the committed bindings)
# for wasm32-wasi as a reactor, embeds the contract's component type from
# wit/, and wraps the module into a component with the WASI preview1
# reactor adapter. Extra flags come from $CFLAGS (compiling) and $LDFLAGS
# (linking, e.g. -lc-printscan-no-floating-point); scratch files go
# to $SANDTRAP_BUILD_DIR (default target/guest-build/<OUT name>/).
# Runs guest-sdk/c/setup.sh first, which does nothing once installed, so
# building needs no network after the first setup.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
sdk="$root/guest-sdk/c"
tools="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}"

die() { echo "guest-sdk/c/build.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: build.sh OUT.wasm SOURCE.c [SOURCE.c ...]"
out="$1"
shift
case "$out" in *.wasm) ;; *) die "the output must be a .wasm file, got '$out'" ;; esac
sources=()
for src in "$@"; do
    [ -f "$src" ] || die "no such source file: $src"
    sources+=("$(cd "$(dirname "$src")" && pwd)/$(basename "$src")")
done
out_dir="$(dirname "$out")"
mkdir -p "$out_dir" || die "cannot create $out_dir"
out="$(cd "$out_dir" && pwd)/$(basename "$out")"

"$sdk/setup.sh"

wasm_tools="$tools/venv/bin/wasm-tools"
adapter="$tools/adapter/wasi_snapshot_preview1.reactor.wasm"
cc=clang-19
command -v "$cc" >/dev/null 2>&1 || die "$cc not found; run guest-sdk/c/setup.sh"
[ -x "$wasm_tools" ] || die "wasm-tools not found at $wasm_tools; run guest-sdk/tools/setup.sh"
[ -s "$adapter" ] || die "WASI adapter not found at $adapter; run guest-sdk/tools/setup.sh"

name="$(basename "$out" .wasm)"
work="${SANDTRAP_BUILD_DIR:-$root/target/guest-build/$name}"
# Every file below is rewritten on each build, so nothing stale can leak
# in; the directory itself is never wiped (it may be one the caller chose).
mkdir -p "$work" || die "cannot create $work"

# --target=wasm32-wasi is wasip1 with Debian's wasi-libc; the reactor model
# exports _initialize instead of _start, so the module is a library the
# host calls into, and the adapter turns its WASI calls into preview2.
# (-mexec-model is a link option: clang refuses it when only compiling.)
common=(--target=wasm32-wasi -O2)
# shellcheck disable=SC2206 # CFLAGS/LDFLAGS are lists of words by convention
extra=(${CFLAGS:-})
# shellcheck disable=SC2206
link_extra=(${LDFLAGS:-})

objs=()
compile() { # SOURCE OBJECT FLAGS...
    local src="$1" obj="$2"
    shift 2
    "$cc" "${common[@]}" -I "$sdk" "$@" "${extra[@]}" -c "$src" -o "$obj" || die "compiling $src failed"
    objs+=("$obj")
}
i=0
for src in "${sources[@]}"; do
    compile "$src" "$work/$i-$(basename "$src" .c).o" -std=c11 -Wall -Wextra -Werror=implicit-function-declaration
    i=$((i + 1))
done
compile "$sdk/sandtrap.c" "$work/sandtrap.o" -std=c11 -Wall -Wextra
# Generated code: its warnings are not ours to fix.
compile "$sdk/bindings/detector.c" "$work/bindings.o" -w

# --strip-all drops the name section and debug info: the component is what
# the host compiles on every load, and smaller compiles faster.
"$cc" "${common[@]}" -mexec-model=reactor "${objs[@]}" "${link_extra[@]}" -Wl,--strip-all -o "$work/core.wasm" \
    || die "linking failed"
"$wasm_tools" component embed "$root/wit" --world detector "$work/core.wasm" -o "$work/embedded.wasm" \
    || die "embedding the WIT world failed"
"$wasm_tools" component new "$work/embedded.wasm" \
    --adapt "wasi_snapshot_preview1=$adapter" -o "$work/component.wasm" \
    || die "creating the component failed"
"$wasm_tools" validate --features all "$work/component.wasm" || die "the component does not validate"
cp "$work/component.wasm" "$out"
echo "built $out ($(wc -c <"$out") bytes)" >&2
