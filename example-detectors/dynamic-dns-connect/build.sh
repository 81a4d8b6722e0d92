#!/usr/bin/env bash
# Builds the dynamic-dns-connect detector (JavaScript) into OUT.wasm with the
# JavaScript guest SDK; scratch files go to target/guest-build/dynamic-dns-connect/.
#
#   example-detectors/dynamic-dns-connect/build.sh OUT.wasm
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUT.wasm" >&2; exit 2; }
SANDTRAP_JS_SCRATCH="$root/target/guest-build/dynamic-dns-connect" \
    exec "$root/guest-sdk/js/build.sh" --engine qjs "$here/detector.js" "$1"
