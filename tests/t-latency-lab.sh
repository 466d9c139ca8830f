#!/bin/sh
# t-latency-lab.sh - latency against physical ground truth: servers behind
# delay lines of 10 ms and 40 ms one way (tests/lab/latency-lab.sh).
#
# (a) always: sample-pcaps/latency-lab.pcap through latency_dump: for every
#     kind the median per server is within 0.5 ms of the configured round
#     trip (20 / 80 ms; tcp_synack_ack, the client's side, below 0.5 ms),
#     the two servers' ranges do not overlap, and the medians and counts are
#     those of sample-pcaps/latency-expected.tsv.
# (a2) when nm-capture is built: the same medians from its latency_samples
#     table (nm-capture -r ... -d DB, then sqlite3).
# (b) only with NM_LAB=1, as root with `ip netns`: records a fresh capture
#     through the delay lines (about 25 s) and checks it the same way.  Not
#     by default: DNS answers take dnsmasq 0.3-0.5 ms, so on a loaded machine
#     a fresh recording can miss the 0.5 ms bound by a little.
# Skips (77) when libnetmon.a is not built.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
pcap=sample-pcaps/latency-lab.pcap
tsv=sample-pcaps/latency-expected.tsv
dump=$BUILD/tests/latency_dump
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# Built by the Makefile (make unit), with the same flags as the library.
[ -x "$dump" ] || { echo "$dump missing: run make unit"; exit 1; }

fail=0
# (a) the committed capture
echo "== $pcap"
BUILD=$BUILD tests/lab/latency-lab.sh check "$pcap" "$tmp/got.tsv" || fail=1
if ! diff -u "$tsv" "$tmp/got.tsv"; then
    echo "FAIL: medians or counts differ from $tsv"
    fail=1
fi

# (a2) through nm-capture's database
if [ -x "$BUILD/nm-capture" ] && command -v sqlite3 >/dev/null 2>&1; then
    if ! "$BUILD/nm-capture" -q -r "$pcap" -d "$tmp/lab.db" --no-log >"$tmp/cap.out" 2>&1; then
        cat "$tmp/cap.out"
        echo "FAIL: nm-capture -r $pcap"
        fail=1
    elif ! sqlite3 "$tmp/lab.db" "SELECT 1 FROM latency_samples LIMIT 1" >/dev/null 2>&1; then
        echo "note: no latency_samples table in nm-capture's database: (a2) not checked"
    else
        # Lower-middle and upper-middle values; the median is their mean.
        # tcp_data_ack: the server-side samples (answered_by = 'server'), the
        # ones the TSV holds (the check above separates them the same way).
        sqlite3 -separator "$(printf '\t')" "$tmp/lab.db" "
            WITH r AS (SELECT CASE WHEN server IN ('10.98.0.20','fd98::20') THEN '10.98.0.20'
                                   ELSE '10.98.0.80' END AS srv, kind, value_us,
                         row_number() OVER (PARTITION BY server, kind ORDER BY value_us) AS rn,
                         count(*) OVER (PARTITION BY server, kind) AS n
                       FROM latency_samples
                       WHERE kind <> 'tcp_data_ack' OR answered_by = 'server')
            SELECT srv, kind, printf('%.3f', avg(value_us) / 1000.0), max(n) FROM r
            WHERE rn IN ((n + 1) / 2, n / 2 + 1) GROUP BY srv, kind ORDER BY srv, kind;" \
            >"$tmp/db.tsv"
        awk -F '\t' 'NR > 1 { print $1 "\t" $2 "\t" $4 "\t" $5 }' "$tsv" |
            sort >"$tmp/want.tsv"
        sort "$tmp/db.tsv" >"$tmp/db.sorted"
        # Same rows and counts; medians equal to rounding (the TSV has 3 decimals).
        if awk -F '\t' 'NR == FNR { m[$1 FS $2] = $3; c[$1 FS $2] = $4; next }
                { k = $1 FS $2; d = $3 - m[k]; if (d < 0) d = -d
                  if (!(k in m) || d > 0.0015 || $4 != c[k]) { print "differs: " $0; bad = 1 }
                  n++ }
                END { exit bad || n != 16 }' "$tmp/want.tsv" "$tmp/db.sorted"; then
            echo "ok: nm-capture's latency_samples give the same medians ($(wc -l <"$tmp/db.sorted") rows)"
        else
            cat "$tmp/db.sorted"
            echo "FAIL: medians from nm-capture's database differ from $tsv"
            fail=1
        fi
    fi
else
    echo "note: nm-capture or sqlite3 missing: (a2) not checked"
fi

# (b) a fresh recording through the delay lines
if [ "${NM_LAB:-0}" = 1 ]; then
    if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
        echo "note: NM_LAB=1 needs root and ip netns: (b) not run"
    else
        echo "== fresh recording"
        BUILD=$BUILD tests/lab/latency-lab.sh record "$tmp/fresh.pcap" || fail=1
        [ -f "$tmp/fresh.pcap" ] && { BUILD=$BUILD tests/lab/latency-lab.sh check "$tmp/fresh.pcap" || fail=1; }
    fi
else
    echo "note: set NM_LAB=1 (root) to record and check a fresh capture too"
fi
exit $fail
