#!/bin/sh
# tests/bench/run-bench.sh - netmon's throughput beside its peers, on the same run.
#
#   make bench                          (sets BUILD)
#   NM_BENCH_QUICK=1 make bench         mixed-200k.pcap instead of mixed.pcap
#
# Environment:
#   BUILD          build folder holding nm-capture (default build); results go
#                  to $BUILD/bench/results.md, helpers are compiled into $BUILD/bench/
#   NM_BENCH_DIR   benchmark captures (default /tmp/bench-captures); made with
#                  ../shared/bench/make-bench-captures.sh when missing (~1 min, 3.2 GB)
#   NM_BENCH_RUNS  runs per command, the best counts (default 3)
#   NM_BENCH_QUICK 1: measure on mixed-200k.pcap (200,000 packets) and skip
#                  the small-flows.pcap memory runs
#   NM_BENCH_LIVE  0: skip the live-capture steps (tests/bench/live-bench.sh:
#                  tcpreplay into a veth at rising rates, about 4 minutes, root
#                  only); their table is appended to results.md
#   NM_BENCH_TIMEOUT  seconds allowed per run (default 600); a run over it is
#                  reported as "timeout" and the next command is measured
#   CC             compiler for the helpers (default cc)
#
# Measured, each the best wall time of NM_BENCH_RUNS runs, from the page
# cache (the file is read once before); the ceiling and nm-capture's four
# runs take turns, the others run in a row:
#   pcapcount        bare libpcap pcap_next_ex loop (tests/bench/pcapcount.c): the floor
#   sqlite ceiling   one `packets` row per frame, best SQLite settings
#                    (tests/bench/sqlite_ceiling.c): the ceiling for per-packet mode
#   tshark -n -q -z io,stat,10 -r FILE
#   argus -X -r FILE -w /dev/null     (-X: ignore /etc/argus.conf)
#   tcpdump -n -r FILE -w /dev/null
#   nm-capture -r FILE -d DB -l LOG   (per-packet mode)   } when $BUILD/nm-capture
#   nm-capture -A -r FILE -d DB       (aggregate mode)    } exists
# (nm-capture runs with --no-report: the peers draw no graphs either; the
# report's own cost is measured on its own).  Besides the ratios of the best
# times, per-packet / ceiling and latency's cost are given round by round
# (runs seconds apart) with their median: the best of each command may come
# from rounds minutes apart, and this VM's speed drifts by 10-30 % in minutes.
# and peak RSS (/usr/bin/time) of nm-capture on small-flows.pcap (2 M spoofed
# sources), one run per mode; then nm-report on a 10 M-packet database
# (tests/bench/report-bench.sh).  nm-capture runs with --no-report here: the
# report's drawing is measured on its own.  Keep a full run under ~15 minutes.
BUILD=${BUILD:-build}
RUNS=${NM_BENCH_RUNS:-3}
QUICK=${NM_BENCH_QUICK:-0}
CAPDIR=${NM_BENCH_DIR:-/tmp/bench-captures}
CC=${CC:-cc}
TMO=${NM_BENCH_TIMEOUT:-600}
TARGET_PPS=2000000          # aggregate-mode goal: 2 M packets/s
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

die() { echo "run-bench: $*" >&2; exit 1; }
case $RUNS in ''|*[!0-9]*|0) die "NM_BENCH_RUNS must be a positive integer" ;; esac
[ -x /usr/bin/time ] || die "needs /usr/bin/time (Debian package time)"

if [ "$QUICK" = 1 ]; then MAIN=mixed-200k.pcap; else MAIN=mixed.pcap; fi
SMALL=small-flows.pcap
if [ ! -f "$CAPDIR/$MAIN" ] || { [ "$QUICK" != 1 ] && [ ! -f "$CAPDIR/$SMALL" ]; }; then
    gen=$top/../shared/bench/make-bench-captures.sh
    [ -f "$gen" ] || die "$CAPDIR/$MAIN missing and no generator at $gen"
    echo "generating the benchmark captures in $CAPDIR (about a minute, 3.2 GB)..."
    bash "$gen" "$CAPDIR" >/dev/null || die "make-bench-captures.sh failed"
fi

OUT=$BUILD/bench
mkdir -p "$OUT" || exit 1
WARN="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror"
for prog in pcapcount sqlite_ceiling; do
    # shellcheck disable=SC2086
    $CC -std=c11 -D_DEFAULT_SOURCE -O2 $WARN "tests/bench/$prog.c" -o "$OUT/$prog" \
        -lpcap -lsqlite3 -pthread || die "cannot compile tests/bench/$prog.c"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nm-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A private copy: a rebuild during the run must not change what is measured.
have_nm=0
NMCAP=$BUILD/nm-capture
if [ -x "$NMCAP" ]; then
    cp "$NMCAP" "$tmp/nm-capture" || exit 1
    NMCAP=$tmp/nm-capture
    have_nm=1
fi

# Runs "$@" once; sets WALL (seconds, 3 decimals), RSS_KB and RC.  Output
# goes to $tmp/out.  Wall time from date +%s%N; /usr/bin/time gives max RSS.
run_once() {
    t0=$(date +%s%N)
    timeout "$TMO" /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >"$tmp/out" 2>&1
    RC=$?
    [ "$RC" -eq 124 ] && echo "timeout after $TMO s" >>"$tmp/out"
    t1=$(date +%s%N)
    WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    RSS_KB=$(tail -n 1 "$tmp/rss" 2>/dev/null)
    case $RSS_KB in ''|*[!0-9]*) RSS_KB=0 ;; esac
}

clean_db() { rm -f "$tmp/db" "$tmp/db-wal" "$tmp/db-shm" "$tmp/db-journal" "$tmp/log"; }

# measure SLOT NAME COMMAND...: one more run of a command.  Its wall times
# go to $tmp/walls.SLOT, one line per run in order (the best is their
# minimum); its name, largest RSS and first failure so far to
# $tmp/slot.SLOT as "name<TAB>rss_kb<TAB>status".  After a failure it is
# not run again.
measure() {
    slot=$1; name=$2; shift 2
    rss=0; status=ok
    if [ -f "$tmp/slot.$slot" ]; then
        IFS="$(printf '\t')" read -r name rss status <"$tmp/slot.$slot"
    fi
    if [ "$status" = ok ]; then
        clean_db
        run_once "$@"
        if [ "$RC" -ne 0 ]; then
            status="exit $RC: $(tail -n 1 "$tmp/out")"
        else
            echo "$WALL" >>"$tmp/walls.$slot"
            [ "$RSS_KB" -gt "$rss" ] 2>/dev/null && rss=$RSS_KB
        fi
    fi
    printf '%s\t%s\t%s\n' "$name" "$rss" "$status" >"$tmp/slot.$slot"
}

# report SLOT: appends the slot's row ("name<TAB>best<TAB>rss_kb<TAB>status")
# to $tmp/rows and prints it.
report() {
    IFS="$(printf '\t')" read -r name rss status <"$tmp/slot.$1"
    best=""
    [ -f "$tmp/walls.$1" ] && best=$(sort -g "$tmp/walls.$1" | head -n 1)
    printf '%s\t%s\t%s\t%s\n' "$name" "${best:-0}" "$rss" "$status" >>"$tmp/rows"
    printf '  %-28s best %8s s   peak RSS %7s MB   %s\n' "$name" "${best:--}" \
        "$(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }')" "$status"
}

# bench NAME COMMAND...: best of RUNS runs in a row; appends its row to $tmp/rows.
nslot=0
bench() {
    nslot=$((nslot + 1))
    i=0
    while [ $i -lt "$RUNS" ]; do
        i=$((i + 1))
        measure b$nslot "$@"
    done
    report b$nslot
}

# nm-capture's own count (sessions.packets), when the sqlite3 shell is there.
nm_packets() {
    command -v sqlite3 >/dev/null 2>&1 || { echo "?"; return; }
    sqlite3 -batch "$tmp/db" "SELECT packets FROM sessions ORDER BY id DESC LIMIT 1" 2>/dev/null \
        || echo "?"
}

FILE=$CAPDIR/$MAIN
echo "warming the page cache with $FILE..."
cat "$FILE" >/dev/null
"$OUT/pcapcount" "$FILE" >"$tmp/count" || die "pcapcount failed on $FILE"
PACKETS=$(awk '{ print $2 }' "$tmp/count")
BYTES=$(awk '{ print $4 }' "$tmp/count")
echo "$MAIN: $PACKETS packets, $BYTES bytes; best of $RUNS runs each"
: >"$tmp/rows"

bench "pcapcount (libpcap loop)" "$OUT/pcapcount" "$FILE"
# The SQLite ceiling and nm-capture's four runs take turns (ceiling,
# per-packet, -A, per-packet --no-latency, -A --no-latency, then again), so
# the ratios compare runs minutes apart at most: this shared VM drifts by
# 10-30 % within minutes, and with each command's runs in a row the
# latency cost of two bench runs 40 minutes apart came out 24 % and 5 %.
i=0
while [ $i -lt "$RUNS" ]; do
    i=$((i + 1))
    measure ceiling "sqlite ceiling" "$OUT/sqlite_ceiling" schema/schema.sql "$FILE" "$tmp/db"
    [ $have_nm = 1 ] || continue
    measure packets "nm-capture per-packet" "$NMCAP" -q --no-report -r "$FILE" -d "$tmp/db" \
        -l "$tmp/log"
    [ $i -eq "$RUNS" ] && nm_full_packets=$(nm_packets)
    measure aggregate "nm-capture -A aggregate" "$NMCAP" -q --no-report -A -r "$FILE" -d "$tmp/db"
    if [ $i -eq "$RUNS" ]; then
        nm_agg_packets=$(nm_packets)
        # The latency distribution of that run, per kind (milliseconds).
        lat_table=$(sqlite3 -batch -separator ' | ' "$tmp/db" "SELECT '| ' || kind, samples,
            printf('%.3f', p50_us / 1000), printf('%.3f', p90_us / 1000),
            printf('%.3f', p99_us / 1000), printf('%.3f', max_us / 1000) || ' |'
            FROM latency_stats ORDER BY kind" 2>/dev/null)
    fi
    # The cost of latency tracking (issue 3's budget: 15 %).
    measure packets-nolat "nm-capture per-packet --no-latency" "$NMCAP" -q --no-report --no-latency \
        -r "$FILE" -d "$tmp/db" -l "$tmp/log"
    measure aggregate-nolat "nm-capture -A --no-latency" "$NMCAP" -q --no-report -A --no-latency \
        -r "$FILE" -d "$tmp/db"
done
report ceiling
if [ $have_nm = 1 ]; then
    for slot in packets aggregate packets-nolat aggregate-nolat; do report $slot; done
fi
if command -v tshark >/dev/null 2>&1; then
    bench "tshark io,stat,10" tshark -n -q -z io,stat,10 -r "$FILE"
else
    echo "  tshark: not installed, skipped"
fi
if command -v argus >/dev/null 2>&1; then
    bench "argus" argus -X -r "$FILE" -w /dev/null
else
    echo "  argus: not installed (argus-server), skipped"
fi
if command -v tcpdump >/dev/null 2>&1; then
    bench "tcpdump -w /dev/null" tcpdump -n -r "$FILE" -w /dev/null
else
    echo "  tcpdump: not installed, skipped"
fi

# Memory on 2 M distinct spoofed sources: one run per mode.
MEM=0
[ $have_nm = 1 ] && [ "$QUICK" != 1 ] && MEM=1
if [ $MEM = 1 ]; then
    SFILE=$CAPDIR/$SMALL
    cat "$SFILE" >/dev/null
    SPACKETS=$("$OUT/pcapcount" "$SFILE" | awk '{ print $2 }')
    echo "$SMALL: $SPACKETS packets, one run per mode"
    : >"$tmp/mem"
    for mode in per-packet aggregate; do
        clean_db
        if [ $mode = per-packet ]; then
            run_once "$NMCAP" -q --no-report -r "$SFILE" -d "$tmp/db" -l "$tmp/log"
        else
            run_once "$NMCAP" -q --no-report -A -r "$SFILE" -d "$tmp/db"
        fi
        st=ok; [ "$RC" -eq 0 ] || st="exit $RC: $(tail -n 1 "$tmp/out")"
        printf '%s\t%s\t%s\t%s\n' "$mode" "$WALL" "$RSS_KB" "$st" >>"$tmp/mem"
        printf '  nm-capture %-12s %8s s   peak RSS %7s MB   %s\n' "$mode" "$WALL" \
            "$(awk -v k="$RSS_KB" 'BEGIN { printf "%.0f", k / 1024 }')" "$st"
    done
fi

# ---- the table ----------------------------------------------------------
# awk function: 1234567.8 -> "1,234,568" (printf's ' flag is not in mawk).
GROUP='function group(x,   s, o) { s = sprintf("%.0f", x); o = "";
    while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
    return s o }
'
res=$OUT/results.md
{
    echo "# netmon benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo
    echo "Machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
         "$(awk '/MemTotal/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo)."
    echo "Capture: \`$FILE\`, $PACKETS packets, $BYTES bytes, read from the page cache."
    echo "Each figure is the best wall time of $RUNS runs (tests/bench/run-bench.sh;" \
         "the ceiling and nm-capture's runs take turns)," \
         "netmon commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
    echo "Versions: $(tshark --version 2>/dev/null | head -n 1 | sed 's/ (Git.*//');" \
         "$(tcpdump --version 2>/dev/null | head -n 2 | tr '\n' ' ')"
    echo
    echo "| program | best wall (s) | packets/s | peak RSS (MB) | status |"
    echo "|---|---:|---:|---:|---|"
    awk -F'\t' -v n="$PACKETS" "$GROUP"'{
        pps = ($2 > 0 && $4 == "ok") ? group(n / $2) : "-"
        printf "| %s | %s | %s | %.0f | %s |\n", $1, ($4 == "ok" ? $2 : "-"), pps, $3 / 1024, $4
    }' "$tmp/rows"
    echo
    echo "Ratios (packets/s over packets/s):"
    echo
    awk -F'\t' -v target="$TARGET_PPS" -v n="$PACKETS" '
        $4 == "ok" && $2 > 0 { pps[$1] = n / $2 }
        function r(a, b, label) {
            if ((a in pps) && (b == "target" || (b in pps)))
                printf "- %s: %.2f\n", label, pps[a] / (b == "target" ? target : pps[b])
            else
                printf "- %s: not measured\n", label
        }
        END {
            r("nm-capture per-packet", "sqlite ceiling", "nm-capture per-packet / sqlite ceiling")
            r("nm-capture per-packet", "tshark io,stat,10", "nm-capture per-packet / tshark")
            r("nm-capture -A aggregate", "tshark io,stat,10", "nm-capture aggregate / tshark")
            r("nm-capture -A aggregate", "target", "nm-capture aggregate / 2 M packets/s target")
            r("nm-capture per-packet", "pcapcount (libpcap loop)", "nm-capture per-packet / bare libpcap loop")
            r("sqlite ceiling", "pcapcount (libpcap loop)", "sqlite ceiling / bare libpcap loop")
            # latency cost: 1 - with / without (packets/s)
            if (("nm-capture per-packet" in pps) && ("nm-capture per-packet --no-latency" in pps))
                printf "- latency tracking costs %.0f %% of per-packet packets/s\n",
                    100 * (1 - pps["nm-capture per-packet"] / pps["nm-capture per-packet --no-latency"])
            if (("nm-capture -A aggregate" in pps) && ("nm-capture -A --no-latency" in pps))
                printf "- latency tracking costs %.0f %% of aggregate packets/s\n",
                    100 * (1 - pps["nm-capture -A aggregate"] / pps["nm-capture -A --no-latency"])
        }' "$tmp/rows"
    # The same ratios per round: runs seconds apart, where the best of each
    # command may come from rounds minutes apart (a shared VM's speed drifts).
    paired() {  # paired LABEL SLOT_A SLOT_B KIND: KIND "ratio" = b/a walls, "cost" = 1 - b/a
        [ -f "$tmp/walls.$2" ] && [ -f "$tmp/walls.$3" ] || return 0
        paste "$tmp/walls.$2" "$tmp/walls.$3" | awk -v label="$1" -v kind="$4" '
            NF == 2 && $1 > 0 && $2 > 0 {
                v[++n] = kind == "cost" ? 100 * (1 - $2 / $1) : $2 / $1
            }
            END {
                if (n == 0) exit
                for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
                    if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
                med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
                fmt = kind == "cost" ? "%.0f %%" : "%.2f"
                line = ""
                for (i = 1; i <= n; i++) line = line (i > 1 ? ", " : "") sprintf(fmt, v[i])
                printf "- %s, round by round (sorted): %s; median " fmt "\n", label, line, med
            }'
    }
    paired "nm-capture per-packet / sqlite ceiling" packets ceiling ratio
    paired "latency tracking's cost in per-packet mode" packets packets-nolat cost
    paired "latency tracking's cost in aggregate mode" aggregate aggregate-nolat cost
    if [ -n "$lat_table" ]; then
        echo
        echo "Latency measured by nm-capture -A on this capture (ms; from latency_stats):"
        echo
        echo "| kind | samples | p50 | p90 | p99 | max |"
        echo "|---|---:|---:|---:|---:|---:|"
        echo "$lat_table"
    fi
    if [ $have_nm = 1 ]; then
        echo
        echo "nm-capture's own packet count (sessions.packets): per-packet $nm_full_packets," \
             "aggregate $nm_agg_packets (expected $PACKETS)."
    fi
    if [ $MEM = 1 ]; then
        echo
        echo "Memory on \`$SFILE\` ($SPACKETS packets, ~1.78 M spoofed sources), one run:"
        echo
        echo "| nm-capture mode | wall (s) | packets/s | peak RSS (MB) | status |"
        echo "|---|---:|---:|---:|---|"
        awk -F'\t' -v n="$SPACKETS" "$GROUP"'{
            pps = ($2 > 0 && $4 == "ok") ? group(n / $2) : "-"
            printf "| %s | %s | %s | %.0f | %s |\n", $1, $2, pps, $3 / 1024, $4
        }' "$tmp/mem"
    fi
    if [ $have_nm = 0 ]; then
        echo
        echo "nm-capture: \`$BUILD/nm-capture\` not built; its rows and ratios are missing."
    elif [ $MEM = 0 ]; then
        echo
        echo "Quick mode: the small-flows.pcap memory runs were skipped."
    fi
} >"$res"
# nm-report on a 10 M-packet database (its own table: $OUT/report.md).
if [ $have_nm = 1 ] && [ -x "$BUILD/nm-report" ]; then
    BUILD=$BUILD NM_BENCH_RUNS=$RUNS NM_BENCH_DIR=$CAPDIR sh tests/bench/report-bench.sh &&
        { echo; cat "$OUT/report.md"; } >>"$res"
fi

# Live capture at rising rates, beside tcpdump (needs root and netns).
if [ "${NM_BENCH_LIVE:-1}" != 0 ]; then
    echo "live capture at rising rates (tests/bench/live-bench.sh)..."
    if BUILD=$BUILD NM_BENCH_DIR=$CAPDIR bash tests/bench/live-bench.sh "$tmp/live.md" \
        >"$tmp/live.out" 2>&1; then
        { echo; cat "$tmp/live.md"; } >>"$res"
    else
        { echo; echo "Live capture: not measured: $(tail -n 1 "$tmp/live.out")"; } >>"$res"
    fi
fi
echo
cat "$res"
echo
echo "written to $res"
