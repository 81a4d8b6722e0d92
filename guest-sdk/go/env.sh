# Sourced by build.sh and test.sh: finds the Go toolchain that setup.sh
# installed and confines it. Everything Go writes stays under target/:
# caches, module cache, the telemetry counters (under the user config
# dir), and no toolchain switch or proxy lookup can reach the network.
# -mod=mod lets go.mod gain a missing require line for the replaced SDK
# without a fetch. Expects $root (the repository) and $tools (the guest
# tools folder); sets $gobin, or fails naming setup.sh.

goroot="$("$tools/go/venv/bin/python" -c 'import go, os; print(os.path.dirname(go.__file__))')"
gobin="$goroot/bin/go"
if [ ! -x "$gobin" ]; then
    echo "guest-sdk/go: go not found at $gobin; run guest-sdk/go/setup.sh" >&2
    exit 1
fi

export GOROOT="$goroot"
export GOCACHE="$tools/go/cache"
export GOPATH="$tools/go/gopath"
export GOMODCACHE="$tools/go/gopath/pkg/mod"
export XDG_CONFIG_HOME="$tools/go/config"
export GOENV=off
export GOTOOLCHAIN=local
export GOPROXY=off
export GOSUMDB=off
export GOFLAGS=-mod=mod
export GOWORK=off
export CGO_ENABLED=0

# Telemetry stays local by default; switch even that off (the setting is
# kept under XDG_CONFIG_HOME above).
[ -f "$XDG_CONFIG_HOME/go/telemetry/mode" ] || "$gobin" telemetry off >/dev/null 2>&1 || true
