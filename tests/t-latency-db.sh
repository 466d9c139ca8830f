#!/bin/sh
# nm-capture stores every latency sample and timeout the latency module
# produces: for each sample capture (and the corpus's latency-heavy
# captures when ../shared is present), the per-kind sorted sample values in
# latency_samples and the timeout counts in latency_timeouts must equal
# what tests/tools/latency_dump (the module alone) prints, to the
# microsecond.  The module itself is checked against tshark by
# t-latency-oracle.sh; this checks the wiring and the storage.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
if [ ! -x "$BUILD/nm-capture" ] || ! command -v sqlite3 >/dev/null; then
    echo "skip: $BUILD/nm-capture or sqlite3 missing"; exit 77
fi
# Built by the Makefile (make unit).
[ -x "$BUILD/tests/latency_dump" ] || { echo "$BUILD/tests/latency_dump missing: run make unit"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT INT TERM
captures="sample-pcaps/*.pcap"
corpus=../shared/captures/corpus
for c in zeek__wikipedia.pcap ndpi__dns-tunnel-iodine.pcap zeek__icmp_5-pings.pcap \
         zeek__communityid_icmp6.pcap ndpi__gnutella.pcap zeek__tcp_handshake-reorder.pcap; do
    [ -f "$corpus/$c" ] && captures="$captures $corpus/$c"
done
fail=0; n=0
for cap in $captures; do
    [ -f "$cap" ] || continue
    n=$((n + 1))
    db=$tmp/$n.db
    "$BUILD/nm-capture" -r "$cap" -d "$db" --no-log >"$tmp/summary.txt" 2>"$tmp/err"
    sqlite3 -separator ' ' "$db" "SELECT kind, samples, printf('%.3f %.3f %.3f %.3f %.3f',
        coalesce(mean_us,0)/1000.0, coalesce(p50_us,0)/1000.0, coalesce(p90_us,0)/1000.0,
        coalesce(p99_us,0)/1000.0, coalesce(max_us,0)/1000.0), timeouts FROM latency_stats" \
        > "$tmp/view.txt"
    "$BUILD/tests/latency_dump" "$cap" > "$tmp/dump.json" 2>/dev/null
    sqlite3 -separator ' ' "$db" "SELECT kind, printf('%.3f', value_us) FROM latency_samples" \
        > "$tmp/db.txt"
    sqlite3 -separator ' ' "$db" "SELECT kind, sum(count) FROM latency_timeouts GROUP BY kind" \
        > "$tmp/tmo.txt"
    python3 - "$cap" "$tmp/dump.json" "$tmp/db.txt" "$tmp/tmo.txt" "$tmp/view.txt" \
        "$tmp/summary.txt" <<'PY' || fail=$((fail + 1))
import json, sys
cap, dump, dbtxt, tmotxt, viewtxt, summtxt = sys.argv[1:]
d = json.load(open(dump))
db = {}
for line in open(dbtxt):
    k, v = line.split()
    db.setdefault(k, []).append(round(float(v) * 1000))      # ns, to the microsecond
tmo = {k: int(v) for k, v in (l.split() for l in open(tmotxt))}
bad = 0
for kind, vals in d["samples_ms"].items():
    want = sorted(round(v * 1e6 / 1000) * 1000 for v in vals)
    got = sorted(round(v / 1000) * 1000 for v in db.get(kind, []))
    if want != got:
        print(f"{cap}: {kind}: module gave {len(want)} samples, database holds {len(got)}"
              f" (first differences: {[x for x in want if x not in got][:3]} / "
              f"{[x for x in got if x not in want][:3]})")
        bad = 1
    if d["timeouts"].get(kind, 0) != tmo.get(kind, 0):
        print(f"{cap}: {kind}: {d['timeouts'][kind]} timeouts from the module, "
              f"{tmo.get(kind, 0)} in the database")
        bad = 1
# The final statistics (schema/summary.c) print the same numbers as the
# latency_stats view: one definition, two readers.
printed = {}
for line in open(summtxt):
    f = line.split()
    if len(f) == 8 and f[0] in d["samples_ms"]:
        printed[f[0]] = f[1:]
for line in open(viewtxt):
    f = line.split()
    kind, view = f[0], [f[1]] + f[2:7] + [f[7]]
    got = printed.get(kind)
    # counts exact; times to the printed 0.001 ms (both sides round a mean)
    same = got is not None and got[0] == view[0] and got[6] == view[6] and all(
        abs(float(a) - float(b)) <= 0.0011 for a, b in zip(got[1:6], view[1:6]))
    if not same:
        print(f"{cap}: {kind}: summary prints {printed.get(kind)}, latency_stats view says {view}")
        bad = 1
# The view's percentiles come from histograms (schema/v2.sql): each must be
# within one bucket (1/256 of the value, or 1 ns) of the exact nearest-rank
# percentile of the stored samples.
for line in open(viewtxt):
    f = line.split()
    kind = f[0]
    vals = sorted(db.get(kind, []))          # ns
    if not vals:
        continue
    n = len(vals)
    for pct, col in ((50, 3), (90, 4), (99, 5)):
        exact = vals[(pct * n + 99) // 100 - 1] / 1e6    # ms
        got = float(f[col])
        if abs(got - exact) > max(exact / 256, 1e-6) + 0.0006:   # + printed rounding
            print(f"{cap}: {kind}: p{pct} from the histogram {got} ms, exact {exact} ms")
            bad = 1
total = sum(len(v) for v in d["samples_ms"].values())
print(f"{cap}: {total} samples, {sum(tmo.values())} timeouts {'MISMATCH' if bad else 'ok'}")
sys.exit(bad)
PY
done
# Aggregate mode (-A) stores no sample rows but the same histograms: its
# latency_stats and latency_per_protocol rows equal the per-packet run's.
for cap in sample-pcaps/latency-lab.pcap sample-pcaps/mixed-lab.pcap; do
    rm -f "$tmp"/a.db* "$tmp"/p.db*
    "$BUILD/nm-capture" -q -r "$cap" -d "$tmp/p.db" --no-log || fail=$((fail + 1))
    "$BUILD/nm-capture" -q -A -r "$cap" -d "$tmp/a.db" || fail=$((fail + 1))
    q="SELECT * FROM latency_stats ORDER BY kind; SELECT * FROM latency_per_protocol ORDER BY proto"
    sqlite3 "$tmp/p.db" "$q" > "$tmp/p.txt"; sqlite3 "$tmp/a.db" "$q" > "$tmp/a.txt"
    rows=$(sqlite3 "$tmp/a.db" "SELECT count(*) FROM latency_samples")
    if [ ! -s "$tmp/p.txt" ] || ! cmp -s "$tmp/p.txt" "$tmp/a.txt" || [ "$rows" != 0 ]; then
        echo "$cap: -A latency statistics differ from per-packet mode, or -A stored $rows samples:"
        diff "$tmp/p.txt" "$tmp/a.txt" | head -5
        fail=$((fail + 1))
    else
        echo "$cap: -A: $(wc -l < "$tmp/a.txt") latency rows equal per-packet mode's, no samples stored"
    fi
done
echo "$n captures, $fail with differences"
[ "$fail" -eq 0 ]
