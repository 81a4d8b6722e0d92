#!/usr/bin/env bash
# Builds the container-host-mount detector: build.sh OUT.wasm
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUT.wasm" >&2; exit 2; }
exec "$here/../../guest-sdk/go/build.sh" "$here" "$1"
