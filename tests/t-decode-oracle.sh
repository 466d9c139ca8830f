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

# Built by the Makefile (make unit), with the same flags as the library.
[ -x "$BUILD/tests/decode_stats" ] || { echo "$BUILD/tests/decode_stats missing: run make unit"; exit 1; }

python3 tests/oracle/compare_decode.py "$BUILD/tests/decode_stats" "$captures" \
    tests/oracle/exceptions.tsv
