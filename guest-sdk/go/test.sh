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
goroot="$("$tools/go/venv/bin/python" -c 'import go, os; print(os.path.dirname(go.__file__))')"
gobin="$goroot/bin/go"
[ -x "$gobin" ] || { echo "guest-sdk/go/test.sh: go not found at $gobin; run guest-sdk/go/setup.sh" >&2; exit 1; }

# The same sandbox for Go as build.sh: caches under target/, no network,
# no toolchain switch, no telemetry upload.
export GOROOT="$goroot"
export GOCACHE="$tools/go/cache"
export GOPATH="$tools/go/gopath"
export GOMODCACHE="$tools/go/gopath/pkg/mod"
export XDG_CONFIG_HOME="$tools/go/config"
export GOENV=off
export GOTOOLCHAIN=local
export GOPROXY=off
export GOSUMDB=off
export GOWORK=off
export GOFLAGS=-mod=mod
export CGO_ENABLED=0
[ -f "$XDG_CONFIG_HOME/go/telemetry/mode" ] || "$gobin" telemetry off >/dev/null 2>&1 || true

cd "$root/guest-sdk/go"
"$gobin" vet ./sandtrap
"$gobin" test -count=1 "$@" ./sandtrap
GOOS=wasip1 GOARCH=wasm "$gobin" build ./sandtrap
echo "guest-sdk/go: tests passed"
