#!/usr/bin/env bash
# Builds the Go SDK's ABI test detector: build.sh OUT.wasm
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUT.wasm" >&2; exit 2; }
# A scratch name of its own: other SDKs have echo detectors too.
SANDTRAP_BUILD_NAME=go-sdk-echo exec "$here/../../build.sh" "$here" "$1"
