#!/usr/bin/env bash
# Builds a Go detector module (a `package main` using the sandtrap Go SDK)
# into a sandtrap component:
#   guest-sdk/go/build.sh DIR OUT.wasm
# 1. GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared (a reactor core
#    module whose `_initialize` starts the Go runtime and runs init funcs);
# 2. wasm-tools component embed wit/ --world detector (adds the contract);
# 3. wasm-tools component new --adapt wasi_snapshot_preview1=ADAPTER, with
#    the SDK's own stateless adapter (adapter/wasi_snapshot_preview1.wat;
#    the stock one re-enters Go during runtime start-up, see that file).
# Works offline once setup has run: GOPROXY=off, and the SDK is found
# through the `replace` directive of DIR/go.mod. Scratch files go to
# target/guest-build/NAME/ (NAME = $SANDTRAP_BUILD_NAME, else the basename
# of DIR); Go's caches to target/guest-tools/go/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

die() { printf 'guest-sdk/go/build.sh: %s\n' "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: build.sh DETECTOR_DIR OUT.wasm"
[ -d "$1" ] || die "$1: not a directory"
[ -f "$1/go.mod" ] || die "$1: no go.mod (see guest-sdk/go/README.md)"
src="$(cd "$1" && pwd)"
case "$2" in /*) out="$2" ;; *) out="$PWD/$2" ;; esac
name="${SANDTRAP_BUILD_NAME:-$(basename "$src")}"

"$root/guest-sdk/go/setup.sh"

tools="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}"
wasm_tools="$tools/venv/bin/wasm-tools"
. "$root/guest-sdk/go/env.sh"

scratch="$root/target/guest-build/$name"
mkdir -p "$scratch" "$(dirname "$out")"

# The adapter: assembled from its WAT, with its WIT world (the contract
# copied in as a dependency, so the adapter's `host` import is the same
# interface the detector imports).
sdk="$root/guest-sdk/go"
rm -rf "$scratch/adapter-wit"
mkdir -p "$scratch/adapter-wit/deps/detector"
cp "$sdk/adapter/wit/adapter.wit" "$scratch/adapter-wit/"
cp -r "$sdk/adapter/wit/deps/clocks" "$sdk/adapter/wit/deps/random" "$scratch/adapter-wit/deps/"
cp "$root/wit/"*.wit "$scratch/adapter-wit/deps/detector/"
"$wasm_tools" parse "$sdk/adapter/wasi_snapshot_preview1.wat" -o "$scratch/adapter-core.wasm" \
    || die "cannot assemble the WASI adapter"
"$wasm_tools" component embed "$scratch/adapter-wit" --world adapter \
    "$scratch/adapter-core.wasm" -o "$scratch/adapter.wasm" \
    || die "cannot embed the WASI adapter's world"

export GOOS=wasip1
export GOARCH=wasm

(
    cd "$src"
    # Function names are kept (no -ldflags=-s): they cost ~2 % of the size
    # and turn a trap's backtrace from numbers into Go function names.
    "$gobin" build -buildmode=c-shared -trimpath -o "$scratch/core.wasm" .
) || die "go build failed in $src (is the SDK replace in go.mod right? see guest-sdk/go/README.md)"

"$wasm_tools" component embed "$root/wit" --world detector \
    "$scratch/core.wasm" -o "$scratch/embedded.wasm" \
    || die "wasm-tools component embed failed: the module's imports or exports do not match wit/"
"$wasm_tools" component new "$scratch/embedded.wasm" \
    --adapt "wasi_snapshot_preview1=$scratch/adapter.wasm" -o "$out" \
    || die "wasm-tools component new failed"
"$wasm_tools" validate --features all "$out" || die "$out does not validate"
