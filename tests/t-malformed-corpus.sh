#!/bin/sh
# t-malformed-corpus.sh - every capture of ../shared/captures/corpus (33 of
# them deliberately broken or fuzzed) through nm_decode, via
# tests/tools/decode_stats built like $BUILD (with ASan+UBSan when
# BUILD=build-asan, as under `make SANITIZE=1 test`): no crash, no sanitizer
# report, no hang.  Skips (77) when the corpus is missing.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
corpus=${NM_CAPTURES:-$top/../shared/captures}/corpus
limit=120       # seconds per capture; the largest takes well under 1 s

if [ ! -d "$corpus" ]; then
    echo "skip: no capture corpus at $corpus"
    exit 77
fi
if [ ! -f "$BUILD/libnetmon.a" ]; then
    echo "$BUILD/libnetmon.a not built (run make first)"
    exit 1
fi
# Built by the Makefile (make unit), with the same flags as the library.
[ -x "$BUILD/tests/decode_stats" ] || { echo "$BUILD/tests/decode_stats missing: run make unit"; exit 1; }

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
n=0; bad=0
for f in "$corpus"/*; do
    name=$(basename "$f")
    case $name in
        MANIFEST.tsv|SHA256SUMS|*.md|*.txt|*.json|.*) continue ;;
    esac
    [ -f "$f" ] || continue
    n=$((n + 1))
    # -a and -v exercise the address listing and per-frame printing as well.
    for mode in -a -v; do
        timeout "$limit" "$BUILD/tests/decode_stats" $mode "$f" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        if [ $rc -eq 124 ]; then
            echo "FAIL $name ($mode): no result after $limit s"
            bad=$((bad + 1))
        elif [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
            echo "FAIL $name ($mode): exit $rc"
            tail -n 5 "$tmp/err"
            bad=$((bad + 1))
        elif grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/err"; then
            echo "FAIL $name ($mode): sanitizer report"
            head -n 20 "$tmp/err"
            bad=$((bad + 1))
        fi
    done
done
echo "$n captures decoded${san:+ with sanitizers}, $bad failures"
[ $bad -eq 0 ]
