#!/bin/sh
# t-decode-oracle.sh - nm_decode against the tshark oracle: builds
# tests/tools/decode_stats against $BUILD/libnetmon.a and runs
# tests/oracle/compare_decode.py over every capture of ../shared/captures.
# Differences must be listed, with their reason, in tests/oracle/exceptions.tsv.
# Skips (77) when the shared corpus or python3 is missing.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
captures=${NM_CAPTURES:-$top/../shared/captures}

if [ ! -d "$captures/corpus" ] || [ ! -d "$captures/oracle" ]; then
    echo "skip: no capture corpus at $captures (corpus/ and oracle/)"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "skip: python3 not found"
    exit 77
fi
if [ ! -f "$BUILD/libnetmon.a" ]; then
    echo "$BUILD/libnetmon.a not built (run make first)"
    exit 1
fi

# The Makefile does not build tests/tools; the sanitizer flags must match
# the library's.
case $BUILD in
    *asan*) san="-fsanitize=address,undefined -fno-sanitize-recover=undefined" ;;
    *tsan*) san="-fsanitize=thread" ;;
    *) san="" ;;
esac
mkdir -p "$BUILD/tests"
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -O2 -g -D_DEFAULT_SOURCE -Wall -Wextra -Wpedantic -Wconversion \
    -Wsign-conversion -Werror $san tests/tools/decode_stats.c -L"$BUILD" -lnetmon -lpcap \
    -o "$BUILD/tests/decode_stats" || { echo "cannot build decode_stats"; exit 1; }

python3 tests/oracle/compare_decode.py "$BUILD/tests/decode_stats" "$captures" \
    tests/oracle/exceptions.tsv
