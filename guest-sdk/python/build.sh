#!/usr/bin/env bash
# Builds a Python detector into a sandtrap component:
#   guest-sdk/python/build.sh APP_DIR MODULE OUT.wasm
# APP_DIR holds MODULE.py (or the package MODULE/), which must bind the
# export class:  Guest = sandtrap.export_detector(MyDetector)
# The `sandtrap` helper package is put on the Python path next to APP_DIR.
# componentize-py generates the real bindings for wit/ itself during the
# build. The output of `componentize-py bindings` is stubs (for editors,
# type checkers and unittest.sh) whose functions raise NotImplementedError:
# it must never be on a component's path, so this script does not make it.
# Scratch files go to $SANDTRAP_BUILD_DIR (default target/guest-build/python/MODULE).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

die() { echo "guest-sdk/python/build.sh: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: build.sh APP_DIR MODULE OUT.wasm"
app_dir="$1" module="$2" out="$3"
[ -d "$app_dir" ] || die "$app_dir is not a directory"
app_dir="$(cd "$app_dir" && pwd)"
[[ "$module" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "MODULE must be a Python module name, not '$module'"
[ -f "$app_dir/$module.py" ] || [ -f "$app_dir/$module/__init__.py" ] || die "no $module.py or $module/__init__.py in $app_dir"
# The world is named `detector` and the bindings package `wit_world`;
# an app module with either name would shadow the generated code.
case "$module" in detector|wit_world|sandtrap) die "MODULE may not be named '$module'";; esac
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

"$here/setup.sh"
componentize="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}/python/bin/componentize-py"
[ -x "$componentize" ] || die "componentize-py missing at $componentize (run guest-sdk/python/setup.sh)"

scratch="${SANDTRAP_BUILD_DIR:-$root/target/guest-build/python/$module}"
mkdir -p "$scratch"
scratch="$(cd "$scratch" && pwd)"

# Without a VIRTUAL_ENV, componentize-py appends the site-packages of
# whatever `python` is on PATH to the component's path, so a detector could
# silently depend on (and bundle) a developer's installed packages. An empty
# environment makes the build the same on every machine: the app folder and
# the SDK are all a detector gets.
empty_env="$scratch/empty-venv"
mkdir -p "$empty_env/lib/site-packages"

# componentize-py embeds every Python file of its path in the component.
# Stage what a detector runs, so its tests, caches and the SDK's mock host
# stay out: the app folder without tests/ and __pycache__/, and the
# sandtrap package without testing.py.
stage="$scratch/stage"
rm -rf "$stage"
mkdir -p "$stage/app" "$stage/sdk"
tar -C "$app_dir" --exclude=./tests --exclude=__pycache__ --exclude='*.pyc' --exclude='*.wasm' -cf - . | tar -C "$stage/app" -xf -
tar -C "$here" --exclude=__pycache__ --exclude='*.pyc' --exclude=sandtrap/testing.py -cf - sandtrap | tar -C "$stage/sdk" -xf -

tmp="$scratch/$module.wasm.tmp"
rm -f "$tmp"
echo "==> componentize-py: $module from $app_dir" >&2
if ! (cd "$scratch" && PYTHONDONTWRITEBYTECODE=1 VIRTUAL_ENV="$empty_env" \
        "$componentize" -q -d "$root/wit" -w detector componentize \
        -p "$stage/app" -p "$stage/sdk" "$module" -o "$tmp"); then
    rm -f "$tmp"
    die "componentize-py failed for $module (see the Python error above)"
fi
mv -f "$tmp" "$out"
echo "==> $out ($(stat -c %s "$out") bytes)" >&2
