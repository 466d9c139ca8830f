#!/bin/sh
# tests/t-plot.sh - the PNG graphs' pixels (tests/unit/test_plot.c checks
# return values, sizes and reproducibility in C).
#
# tests/tools/plot_sample draws every graph of report/plot.h from fixed
# synthetic data, plus the degenerate inputs (no bins, one bin, all zeros,
# NaN/inf/huge values, a 600-character source name with '#', control bytes
# and invalid UTF-8, no latency groups, no bars), and names the number of
# series each image must show.  Checked with tests/tools/pngcheck.py:
#   - every file is a 1200x700 PNG on white, not blank;
#   - the number of series colours (exact palette colours covering >= 60
#     pixels) is the expected one: all-zero series are not drawn;
#   - plot_sample printed nothing on stderr (PLplot stays quiet);
#   - a second run writes byte-identical files (no clock in the PNGs).
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.  Env: BUILD.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
tool=$top/$BUILD/tests/plot_sample
py=python3
command -v $py >/dev/null 2>&1 || py=/usr/bin/python3
if [ ! -x "$tool" ]; then
    echo "skip: $tool is not built yet"
    exit 77
fi
if ! command -v $py >/dev/null 2>&1; then
    echo "skip: needs python3"
    exit 77
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nm-t-plot.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/a" "$tmp/b"
fail=0

if ! "$tool" "$tmp/a" > "$tmp/list" 2> "$tmp/err"; then
    echo "FAIL: plot_sample failed:"; cat "$tmp/err"; exit 1
fi
if [ -s "$tmp/err" ]; then
    echo "FAIL: plot_sample wrote to stderr:"; cat "$tmp/err"; fail=1
fi
n=$(wc -l < "$tmp/list")
if [ "$n" -lt 15 ]; then
    echo "FAIL: plot_sample listed $n files, expected 15"; fail=1
fi
if ! $py tests/tools/pngcheck.py checkall "$tmp/a" 1200 700 < "$tmp/list"; then
    fail=1
fi

"$tool" "$tmp/b" > /dev/null 2>&1 || { echo "FAIL: second plot_sample run failed"; fail=1; }
while read -r f _; do
    if ! cmp -s "$tmp/a/$f" "$tmp/b/$f"; then
        echo "FAIL: $f differs between two runs"; fail=1
    fi
done < "$tmp/list"

[ $fail -eq 0 ] && echo "t-plot: $n graphs checked"
exit $fail
