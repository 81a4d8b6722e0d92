#!/usr/bin/env bash
# Builds the cryptominer detector (Python, componentize-py) to OUT.wasm:
#   example-detectors/cryptominer/build.sh OUT.wasm
# Installs the Python guest toolchain on first use (guest-sdk/python/setup.sh);
# offline afterwards. Scratch files: target/guest-build/cryptominer/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUT.wasm" >&2; exit 2; }
SANDTRAP_BUILD_DIR="$root/target/guest-build/cryptominer" \
    exec "$root/guest-sdk/python/build.sh" "$here" app "$1"
