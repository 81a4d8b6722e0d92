#!/usr/bin/env bash
# Installs the JavaScript guest toolchain (idempotent, quiet when nothing is
# missing): jco and componentize-js exactly as pinned by package-lock.json,
# into target/guest-tools/js/ under the repository root, so the source tree
# never holds a node_modules. Only the npm registry is needed.
#
# Node itself is not installed here: Debian 12's nodejs (18) is too old for
# the bundler jco uses (rolldown needs ^20.19 or >=22.12), so a missing or old
# node is reported instead of silently replaced.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}/js"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'guest-sdk/js/setup.sh: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "node is not installed (need node ^20.19 or >=22.12, with npm)"
command -v npm >/dev/null || die "npm is not installed (it ships with node)"
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  process.exit((maj === 20 && min >= 19) || (maj === 22 && min >= 12) || maj > 22 ? 0 : 1);
' || die "node $(node --version) is too old (need ^20.19 or >=22.12)"

# The lock file's hash is the install's identity: unchanged lock, nothing to do.
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [ -x "$tools/node_modules/.bin/jco" ] && [ "$(cat "$tools/.lock-sha256" 2>/dev/null)" = "$want" ]; then
    exit 0
fi

say "installing jco and componentize-js into $tools (npm, from package-lock.json)"
mkdir -p "$tools"
cp "$here/package.json" "$here/package-lock.json" "$tools/"
rm -f "$tools/.lock-sha256"
# Not `npm ci`: it refuses this lock because some dependencies name
# platform packages that were never published (e.g. the darwin-x64 binding
# of rolldown 1.3.2), although nothing is missing for this platform.
# `npm install` with the lock present installs exactly the locked versions;
# the cmp below proves it by failing if npm had to resolve anything anew.
# No package in the lock has an install script, hence --ignore-scripts.
(cd "$tools" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    --omit-lockfile-registry-resolved=false) >&2
cmp -s "$here/package-lock.json" "$tools/package-lock.json" ||
    die "npm resolved versions other than package-lock.json's; see $tools/package-lock.json"
echo "$want" > "$tools/.lock-sha256"
