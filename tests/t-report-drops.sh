#!/bin/sh
# tests/t-report-drops.sh - periods with drops, end to end through the
# report: drops stored per second (seconds.drops_*) reach nm-report's JSON
# (session totals and the window's sum) and are marked on
# throughput_over_time.png as a pale red band (colour fad4d0 of
# report/plot_common.c), and a report without drops has no band at all.
# The drops are written into a database made from a sample capture: a live
# capture with drops cannot be replayed exactly (t-netns-drops covers how
# nm-capture measures them).  Exit 0 pass, 77 skip, 1 fail.  Env: BUILD.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
for p in nm-capture nm-report; do
    [ -x "$BUILD/$p" ] || { echo "skip: $BUILD/$p is not built"; exit 77; }
done
command -v sqlite3 >/dev/null 2>&1 || { echo "skip: needs sqlite3"; exit 77; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
png=tests/tools/pngcheck.py

db=$tmp/x.db
"$BUILD/nm-capture" -q --no-report -r sample-pcaps/latency-lab.pcap -d "$db" --no-log ||
    bad "nm-capture failed"
"$BUILD/nm-report" -d "$db" --bin 1 -o "$tmp/clean" --format json > "$tmp/clean.json" ||
    bad "nm-report (no drops) failed"
# Drops in the 5th and 6th second of the capture: 7 kernel, 2 interface, 4 queue.
first=$(sqlite3 "$db" "SELECT min(second) FROM seconds")
sqlite3 "$db" "UPDATE seconds SET drops_kernel = 3, drops_queue = 4 WHERE second = $first + 4;
               UPDATE seconds SET drops_kernel = 4, drops_ifdrop = 2 WHERE second = $first + 5;
               UPDATE sessions SET drops_kernel = 7, drops_ifdrop = 2, drops_queue = 4"
[ "$(sqlite3 "$db" "SELECT count(*) FROM seconds WHERE second IN ($first + 4, $first + 5)")" = 2 ] ||
    bad "latency-lab.pcap has no traffic in seconds 5 and 6: pick other seconds"
"$BUILD/nm-report" -d "$db" --bin 1 -o "$tmp/drops" --format json > "$tmp/drops.json" ||
    bad "nm-report (drops) failed"

python3 - "$tmp/clean.json" "$tmp/drops.json" <<'PY' || fail=$((fail + 1))
import json, sys
clean, drops = (json.load(open(p)) for p in sys.argv[1:])
bad = 0
def want(what, got, exp):
    global bad
    if got != exp:
        print(f"FAIL: {what}: {got}, expected {exp}")
        bad = 1
want("drops without drops", clean["drops"], {"kernel": 0, "interface": 0, "queue": 0})
want("session drops", drops["drops"], {"kernel": 7, "interface": 2, "queue": 4})
want("window drops", drops["window"]["drops"], 13)
want("window drops without drops", clean["window"]["drops"], 0)
sys.exit(bad)
PY

band() { python3 "$png" count "$1/throughput_over_time.png" fad4d0 | awk '{ print $NF }'; }
n_clean=$(band "$tmp/clean"); n_drops=$(band "$tmp/drops")
[ "$n_clean" = 0 ] || bad "a report without drops shows $n_clean drop-band pixels"
# Two 1 s bins of ~18 across a ~830 px wide plot, full height: thousands of pixels.
[ "${n_drops:-0}" -gt 5000 ] || bad "the drop band has only ${n_drops:-0} pixels"
[ $fail -eq 0 ] && echo "ok: drops in JSON (7/2/4, window 13) and a band of $n_drops px on the graph; none without drops"
exit $((fail > 0))
