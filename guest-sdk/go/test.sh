#!/usr/bin/env bash
# Runs the Go SDK's own tests natively (no wasm runtime needed): the event
# and store-answer decoders against the conformance vectors of
# guest-sdk/wire/testdata, malformed buffers, and the batch loop. Then compiles the package for
# wasip1, which is where the ABI glue (excluded from the native build)
# gets type-checked. Idempotent; installs Go through setup.sh first; works
# from any current directory. Extra arguments go to `go test` (-run, -v).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

"$root/guest-sdk/go/setup.sh"

tools="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}"
# The same confined toolchain as build.sh.
. "$root/guest-sdk/go/env.sh"

cd "$root/guest-sdk/go"
"$gobin" vet ./sandtrap
"$gobin" test -count=1 "$@" ./sandtrap
GOOS=wasip1 GOARCH=wasm "$gobin" build ./sandtrap
echo "guest-sdk/go: tests passed"
