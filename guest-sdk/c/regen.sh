#!/usr/bin/env bash
# Regenerates the committed C bindings (bindings/detector.{c,h}) from wit/,
# after installing the pinned generator into target/guest-tools/c/ if it is
# not there yet. Run it after any change to the WIT contract.
#
# The generator (crate wit-bindgen-cli, C backend only) takes about ten
# minutes to build on two cores, which is why the output is committed and
# building a detector does not need it. Its version follows the wit-bindgen
# of the Rust guest crates, so both SDKs read the contract the same way.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/guest-sdk/c"
tools="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}/c"

WIT_BINDGEN_VERSION=0.63.0

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

bin="$tools/bin/wit-bindgen"
if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "wit-bindgen-cli $WIT_BINDGEN_VERSION" ]; then
    command -v cargo >/dev/null 2>&1 || { echo "regen.sh: cargo is needed to install wit-bindgen-cli" >&2; exit 1; }
    say "installing wit-bindgen-cli $WIT_BINDGEN_VERSION into $tools (about 10 minutes, once)"
    # A private target dir keeps this build out of the workspace's target/,
    # so it neither waits for nor invalidates the main build.
    build_dir="${CARGO_TARGET_DIR:-$root/target/guest-tools/c-build}"
    CARGO_TARGET_DIR="$build_dir" \
        cargo install --quiet --locked "wit-bindgen-cli@$WIT_BINDGEN_VERSION" \
        --no-default-features --features c --root "$tools"
    # Only the binary is needed; the intermediate build is hundreds of MB.
    [ -n "${CARGO_TARGET_DIR:-}" ] || rm -rf "$build_dir"
fi

# No object file: build.sh embeds the component type with
# `wasm-tools component embed`, so no binary needs to be committed.
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
if ! "$bin" c --no-object-file --world detector --out-dir "$out" "$root/wit" >"$out/log" 2>&1; then
    cat "$out/log" >&2
    exit 1
fi
mkdir -p "$here/bindings"
for f in detector.c detector.h; do
    if ! cmp -s "$out/$f" "$here/bindings/$f"; then
        cp "$out/$f" "$here/bindings/$f"
        say "updated guest-sdk/c/bindings/$f"
    fi
done
