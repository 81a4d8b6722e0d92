#!/usr/bin/env bash
# Installs the C guest toolchain (idempotent, quiet when nothing is missing):
#   - Debian's clang-19 and lld-19 with the wasm32 sysroot (wasi-libc) and
#     compiler runtime (libclang-rt-19-dev-wasm32), via apt;
#   - the shared guest tools (wasm-tools, the WASI reactor adapter) through
#     guest-sdk/tools/setup.sh.
# The bindings generator (wit-bindgen-cli) is NOT installed here: the
# generated bindings are committed, and only regen.sh needs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

# The LLVM major version is the pin: Debian replaces point releases in
# place, so an exact `=1:19.1.7-…` pin would stop installing after the
# next stable update, while the wasm32 code generation we rely on is fixed
# per major version. wasi-libc has a single version in bookworm.
PACKAGES=(clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    say "installing ${missing[*]} (apt)"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$root/guest-sdk/tools/setup.sh"
