#!/usr/bin/env bash
# Runs host-side unit tests of Python detectors (and of the SDK itself) in
# CPython, against the stub bindings of wit/ and sandtrap.testing.MockHost:
#   guest-sdk/python/unittest.sh [TESTS_DIR...]
# Each TESTS_DIR (default: the SDK's own tests/) is searched for test_*.py,
# with its parent folder (the app) on the path. Seconds instead of a component build; `sandtrap test`
# with YAML scenarios remains the acceptance test of the real component.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

"$here/setup.sh"
componentize="${SANDTRAP_GUEST_TOOLS:-$root/target/guest-tools}/python/bin/componentize-py"
stubs="$root/target/guest-build/python/stub-bindings"
rm -rf "$stubs"
"$componentize" -q -d "$root/wit" -w detector bindings "$stubs"

# The stubs use typing.Self: CPython 3.11 or newer.
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "guest-sdk/python/unittest.sh: needs python3 >= 3.11" >&2; exit 1; }

[ $# -gt 0 ] || set -- "$here/tests"
status=0
for dir in "$@"; do
    dir="$(cd "$dir" && pwd)"
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$stubs:$here:$(dirname "$dir"):$dir" \
        python3 -m unittest discover -s "$dir" -p 'test_*.py' -t "$dir" || status=1
done
exit $status
