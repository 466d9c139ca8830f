#!/bin/sh
# tests/bench/report-bench.sh - nm-report on a database of about 10 million
# packets (issue 5: at most 5 s, memory flat as the database grows).
# Run by run-bench.sh (make bench); alone: BUILD=build sh tests/bench/report-bench.sh
#
# The database: mixed.pcap played three times in a row (the 2nd and 3rd
# copies shifted by 700 s and 1400 s, so the session spans ~35 minutes of
# distinct seconds), read by nm-capture -A: 9.46 M packets.  Per-packet rows
# are irrelevant here, since nm-report never reads them.  It is built once
# and kept in NM_BENCH_DIR as report-10m.db (rebuilt when nm-report cannot
# read it, e.g. after a schema change); building takes a minute or two.
#
# Measured (best of NM_BENCH_RUNS, wall time and peak RSS):
#   nm-report --no-graphs --format json    the statistics only
#   nm-report -o DIR                       statistics, five PNGs, report.html
# and the same on sample-pcaps/mixed-lab.pcap's 68 packets, to show that
# memory does not grow with the database.  Output: $BUILD/bench/report.md.
BUILD=${BUILD:-build}
RUNS=${NM_BENCH_RUNS:-3}
CAPDIR=${NM_BENCH_DIR:-/tmp/bench-captures}
TARGET_S=5
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
die() { echo "report-bench: $*" >&2; exit 1; }
[ -x "$BUILD/nm-report" ] && [ -x "$BUILD/nm-capture" ] || die "$BUILD/nm-report not built"
[ -f "$CAPDIR/mixed.pcap" ] || die "$CAPDIR/mixed.pcap missing (run make bench once)"
[ -x /usr/bin/time ] || die "needs /usr/bin/time"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nm-rbench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
OUT=$BUILD/bench
mkdir -p "$OUT" || exit 1
DB=$CAPDIR/report-10m.db

if ! "$BUILD/nm-report" -d "$DB" --no-graphs --format csv >"$tmp/csv" 2>/dev/null; then
    echo "building $DB (mixed.pcap three times, nm-capture -A)..."
    rm -f "$DB" "$DB-wal" "$DB-shm"
    python3 - "$CAPDIR/mixed.pcap" <<'EOF' | "$BUILD/nm-capture" -q -A --no-report -r - -d "$DB" \
        || die "building $DB failed"
import struct, sys
src, out = sys.argv[1], sys.stdout.buffer
with open(src, "rb") as f:
    header = f.read(24)
    data = f.read()
if header[:4] != b"\xd4\xc3\xb2\xa1":
    sys.exit("report-bench: mixed.pcap is not a little-endian microsecond pcap")
out.write(header)
for copy in range(3):
    shift, pos, n = 700 * copy, 0, len(data)
    chunk = []
    while pos + 16 <= n:
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, pos)
        chunk.append(struct.pack("<IIII", sec + shift, usec, incl, orig))
        chunk.append(data[pos + 16:pos + 16 + incl])
        pos += 16 + incl
        if len(chunk) >= 20000:
            out.write(b"".join(chunk)); chunk = []
    out.write(b"".join(chunk))
EOF
    "$BUILD/nm-report" -d "$DB" --no-graphs --format csv >"$tmp/csv" || die "cannot read $DB"
fi
PACKETS=$(awk -F, '$1 == "total" && $3 == "packets" { print $4 }' "$tmp/csv")
SECONDS_ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM seconds" 2>/dev/null || echo "?")
PS_ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM proto_seconds" 2>/dev/null || echo "?")
ADDR_ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM addresses" 2>/dev/null || echo "?")
HIST_ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM latency_hist" 2>/dev/null || echo "?")

# A small database: one sample capture.
"$BUILD/nm-capture" -q --no-log --no-report -r sample-pcaps/mixed-lab.pcap -d "$tmp/small.db" ||
    die "nm-capture on mixed-lab.pcap failed"

# measure NAME COMMAND...: best wall of RUNS and the largest peak RSS.
: >"$tmp/rows"
measure() {
    name=$1; shift
    best=""; rss=0; st=ok; i=0
    while [ $i -lt "$RUNS" ]; do
        i=$((i + 1))
        t0=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err"
        rc=$?
        t1=$(date +%s%N)
        [ $rc -eq 0 ] || { st="exit $rc: $(head -n 1 "$tmp/err")"; break; }
        w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        best=$(awk -v a="$best" -v b="$w" 'BEGIN { print (a == "" || b < a) ? b : a }')
        r=$(tail -n 1 "$tmp/rss"); [ "$r" -gt "$rss" ] 2>/dev/null && rss=$r
    done
    printf '| %s | %s | %.0f | %s |\n' "$name" "${best:--}" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$st" >>"$tmp/rows"
    printf '  %-44s best %7s s   peak RSS %5.0f MB   %s\n' "$name" "${best:--}" \
        "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$st"
}
echo "nm-report on $DB ($PACKETS packets), best of $RUNS runs"
measure "10 M packets: --no-graphs --format json" "$BUILD/nm-report" -d "$DB" --no-graphs --format json
measure "10 M packets: graphs and report.html" "$BUILD/nm-report" -d "$DB" -o "$tmp/out"
measure "68 packets: --no-graphs --format json" "$BUILD/nm-report" -d "$tmp/small.db" --no-graphs --format json
measure "68 packets: graphs and report.html" "$BUILD/nm-report" -d "$tmp/small.db" -o "$tmp/out2"

{
    echo "## nm-report ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo
    echo "Database: \`$DB\`, one -A session of $PACKETS packets (mixed.pcap three times, shifted" \
         "in time): $SECONDS_ROWS rows in seconds, $PS_ROWS in proto_seconds, $ADDR_ROWS in" \
         "addresses, $HIST_ROWS in latency_hist. Target: at most $TARGET_S s."
    echo
    echo "| run | best wall (s) | peak RSS (MB) | status |"
    echo "|---|---:|---:|---|"
    cat "$tmp/rows"
} >"$OUT/report.md"
echo "written to $OUT/report.md"
