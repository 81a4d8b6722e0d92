#!/usr/bin/env bash
# Tests the C SDK natively under AddressSanitizer/UBSan: tests/native_test.c
# drives the export functions as the generated glue does and checks both
# results and memory ownership (leaks, double frees, use after free), decodes
# the wire-encoding conformance vectors of events and store answers
# (guest-sdk/wire/testdata/, found from the test source's absolute path),
# checks its stub host's answer encoder against them byte for byte, and
# reads malformed batches and answers.
# Needs a native C compiler with ASan (Debian: gcc); set CC to choose one.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
sdk="$root/guest-sdk/c"
work="$root/target/guest-build/c-sdk-test"
cc="${CC:-cc}"
command -v "$cc" >/dev/null 2>&1 || { echo "guest-sdk/c/test.sh: no native C compiler ($cc); install gcc" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"

# The raw wasm imports cannot be called natively. The test defines the few
# import wrappers the SDK calls with stubs of its own; everything else gets
# a definition that aborts, so a call the test did not expect is loud.
grep -o '__wasm_import_[A-Za-z0-9_]*' "$sdk/bindings/detector.c" | sort -u |
    sed 's/.*/void &(void) { __builtin_trap(); }/' >"$work/imports.c"

flags=(-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -I "$sdk")
"$cc" "${flags[@]}" -std=c11 -Wall -Wextra -c "$sdk/tests/native_test.c" -o "$work/test.o"
"$cc" "${flags[@]}" -std=c11 -Wall -Wextra -Wno-attributes -c "$sdk/sandtrap.c" -o "$work/sandtrap.o"
"$cc" "${flags[@]}" -w -c "$sdk/bindings/detector.c" -o "$work/bindings.o"
"$cc" "${flags[@]}" -w -c "$work/imports.c" -o "$work/imports.o"
# test.o first: its stubs take precedence over the generated wrappers.
"$cc" "${flags[@]}" "$work/test.o" "$work/sandtrap.o" "$work/bindings.o" "$work/imports.o" \
    -Wl,--allow-multiple-definition -o "$work/native_test"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$work/native_test"
