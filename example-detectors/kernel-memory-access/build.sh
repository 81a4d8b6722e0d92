#!/usr/bin/env bash
# Builds the kernel-memory-access detector (C) into a component:
#   example-detectors/kernel-memory-access/build.sh OUT.wasm
# Delegates to the C SDK's build script; scratch files go to
# target/guest-build/kernel-memory-access/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ $# -ne 1 ]; then
    echo "usage: $0 OUT.wasm" >&2
    exit 2
fi
SANDTRAP_BUILD_DIR="$root/target/guest-build/kernel-memory-access" \
    exec "$root/guest-sdk/c/build.sh" "$1" "$here/detector.c"
