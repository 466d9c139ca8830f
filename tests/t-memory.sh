#!/bin/sh
# tests/t-memory.sh - bounded memory under a flood of spoofed sources.
#
# tests/tools/make_flood.py writes 200,000 TCP SYN frames (54 bytes each)
# from 200,000 distinct random IPv4 sources (fixed seed) to 10.0.0.1:80.
# nm-capture reads it with --max-flows 1024 --max-addresses 1024, so both
# tables must evict all the time.  Checked:
#   - sessions: complete, 200000 packets, flows_evicted and addresses_evicted
#     > 0, and flows_evicted = the flows stored with end_reason 'evicted';
#   - addresses: exactly 200,001 IPv4 rows (the sources + 10.0.0.1), each
#     source with 1 packet / 54 bytes sent, 10.0.0.1 with 200,000 received,
#     SUM(pkts_sent) = SUM(pkts_recv) = 200,000 (evicted entries are written
#     out and added up, nothing is lost or counted twice), 2 MACs;
#   - flows: 200,000 rows, one SYN each;
#   - the warning that the latency TCP table (65,536) forgot 134,464
#     unanswered SYNs, in the log table and on stderr;
#   - peak RSS (/usr/bin/time -f %M) below NM_RSS_BOUND_KB = 128 MiB, and
#     below the peak of the same run with the default caps (262144).
# The bound: SQLite's page cache (64 MiB, schema/db.c) + the writer queue
# (16384 records) + the two tables at 1024 entries + libraries.  Measured
# (gcc -O2, Debian 12): 88 MiB with these caps, 138 MiB with the defaults.
# RSS is not checked in sanitizer builds (ASan's shadow memory and
# quarantine dwarf it), the database values are.
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.  Env: BUILD.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
nc=$top/$BUILD/nm-capture
py=python3
command -v $py >/dev/null 2>&1 || py=/usr/bin/python3
frames=200000
bound_kb=${NM_RSS_BOUND_KB:-131072}

if [ ! -x "$nc" ]; then
    echo "skip: $nc is not built yet"
    exit 77
fi
for t in sqlite3 $py; do
    if ! command -v "$t" >/dev/null 2>&1; then
        echo "skip: needs $t"
        exit 77
    fi
done
check_rss=1
case $BUILD in *asan*|*tsan*) check_rss=0 ;; esac
if [ $check_rss = 1 ] && [ ! -x /usr/bin/time ]; then
    echo "skip: needs /usr/bin/time (Debian package time) to measure peak RSS"
    exit 77
fi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

gen=$($py tests/tools/make_flood.py syn $frames "$tmp/flood.pcap" --seed 7) || exit 1
[ "$gen" = "frames $frames sources $frames destinations 1" ] || bad "make_flood.py: '$gen'"

# run DB RSSFILE ARGS...: nm-capture on the flood; sets rc.
run() {
    db=$1; rss=$2; shift 2
    if [ $check_rss = 1 ]; then
        /usr/bin/time -o "$rss" -f %M "$nc" -q -r "$tmp/flood.pcap" -d "$db" --no-log "$@" \
            2>"$tmp/err"
    else
        "$nc" -q -r "$tmp/flood.pcap" -d "$db" --no-log "$@" 2>"$tmp/err"
    fi
    rc=$?
    if grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/err"; then
        bad "sanitizer report"
        head -n 20 "$tmp/err"
    fi
    [ $rc -eq 0 ] || bad "nm-capture $*: exit $rc ($(head -n 3 "$tmp/err"))"
}

db=$tmp/capped.db
run "$db" "$tmp/rss-capped" --max-flows 1024 --max-addresses 1024

q() { sqlite3 "$db" "$1" 2>&1; }
got=$(q "SELECT end_reason, packets, flows_evicted > 0, addresses_evicted > 0 FROM sessions")
[ "$got" = "complete|$frames|1|1" ] ||
    bad "session end|packets|flows evicted|addresses evicted = '$got'"
got=$(q "SELECT flows_evicted || '|' || (SELECT count(*) FROM flows WHERE end_reason = 'evicted')
         FROM sessions")
[ "${got%|*}" = "${got#*|}" ] ||
    bad "flows_evicted|flows stored as evicted = '$got' (they should be equal)"
got=$(q "SELECT count(*), sum(pkts_sent), sum(pkts_recv), sum(bytes_sent), sum(bytes_recv)
         FROM addresses WHERE kind = 'ipv4'")
want="$((frames + 1))|$frames|$frames|$((frames * 54))|$((frames * 54))"
[ "$got" = "$want" ] || bad "ipv4 addresses count|sent|recv|bytes = '$got', want '$want'"
got=$(q "SELECT count(*) FROM addresses WHERE kind = 'ipv4' AND address != '10.0.0.1'
         AND pkts_sent = 1 AND bytes_sent = 54 AND pkts_recv = 0")
[ "$got" = $frames ] || bad "sources with exactly 1 packet / 54 bytes sent: $got, want $frames"
got=$(q "SELECT pkts_sent, pkts_recv, bytes_recv FROM addresses WHERE address = '10.0.0.1'")
[ "$got" = "0|$frames|$((frames * 54))" ] || bad "10.0.0.1: '$got'"
got=$(q "SELECT count(*), sum(pkts_sent), sum(pkts_recv) FROM addresses WHERE kind = 'mac'")
[ "$got" = "2|$frames|$frames" ] || bad "mac addresses: '$got'"
got=$(q "SELECT count(*), sum(pkts_c2s), sum(pkts_s2c), count(DISTINCT client_ip) FROM flows")
[ "$got" = "$frames|$frames|0|$frames" ] || bad "flows count|c2s|s2c|clients = '$got'"
got=$(q "SELECT count(*) FROM packets")
[ "$got" = $frames ] || bad "packet rows: $got"
# Every SYN opens a connection in the latency module's TCP table (65,536
# entries by default) and none is answered within the flood's 20 s: all
# but the last 65,536 are pushed out, and the log says so.
want="latency: full tables forgot $((frames - 65536)) TCP connections (table of 65536) before"
want="$want their idle timeout; any sample or timeout still due on them is lost"
got=$(q "SELECT message FROM log WHERE level = 'warning'")
[ "$got" = "$want" ] || bad "latency warning: '$got'"
grep -q "^nm-capture: $want\$" "$tmp/err" || bad "no latency warning on stderr"
got=$(q "SELECT latency_evictions FROM sessions")
[ "$got" = $((frames - 65536)) ] || bad "sessions.latency_evictions = '$got', want $((frames - 65536))"

if [ $check_rss = 1 ]; then
    capped=$(tail -n 1 "$tmp/rss-capped")
    run "$tmp/default.db" "$tmp/rss-default"
    dflt=$(tail -n 1 "$tmp/rss-default")
    echo "peak RSS: $capped KiB with 1024-entry tables, $dflt KiB with the defaults;" \
         "bound $bound_kb KiB"
    [ "$capped" -lt "$bound_kb" ] || bad "peak RSS $capped KiB, bound $bound_kb KiB"
    [ "$capped" -lt "$dflt" ] || bad "the caps save no memory: $capped KiB vs $dflt KiB"
else
    echo "note: peak RSS is not checked in $BUILD"
fi

echo "$fail failures"
[ $fail -eq 0 ]
