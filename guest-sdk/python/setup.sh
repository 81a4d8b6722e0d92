#!/usr/bin/env bash
# Installs the Python guest toolchain (idempotent, quiet when nothing is
# missing): PyPI `componentize-py` at a pinned version, in its own venv at
# target/guest-tools/python/. componentize-py bundles CPython, wasi-libc and
# the WIT binding generator, so nothing else is needed to build a detector.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}/python"

COMPONENTIZE_PY_VERSION=0.25.1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    say "installing $* (apt)"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ! -x "$tools/bin/python" ]; then
    command -v python3 >/dev/null || apt_install python3 python3-venv
    say "creating $tools"
    mkdir -p "$(dirname "$tools")"
    # Debian's python3 has no ensurepip without python3-venv.
    if ! python3 -m venv "$tools" 2>/dev/null; then
        rm -rf "$tools"
        apt_install python3-venv
        python3 -m venv "$tools"
    fi
fi
if [ "$("$tools/bin/python" -m pip show componentize-py 2>/dev/null | sed -n 's/^Version: //p')" != "$COMPONENTIZE_PY_VERSION" ]; then
    say "installing componentize-py $COMPONENTIZE_PY_VERSION (PyPI)"
    "$tools/bin/python" -m pip install -q --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
fi
