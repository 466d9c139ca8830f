#!/bin/sh
# t-eventlog-view: the database view `event_log` must reproduce, line for
# line, the event log file nm-capture writes (and `event_log_utc` the file
# written with --utc).  For every capture in sample-pcaps/ and, when
# present, ../shared/captures/corpus/: run nm-capture, dump the view with
# the sqlite3 CLI, diff.  Local time runs under a zone with a non-zero,
# non-whole-hour offset so a UTC/local mix-up cannot pass; the --utc runs
# (sample captures) under another zone.
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
capture="$top/$BUILD/nm-capture"

if [ ! -x "$capture" ]; then
    echo "skip: $BUILD/nm-capture is not built yet"
    exit 77
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "skip: the sqlite3 command-line tool is not installed"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nm-eventlog-view.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

files=""
for f in sample-pcaps/*.pcap sample-pcaps/*.pcapng; do
    [ -f "$f" ] && files="$files $f"
done
corpus=../shared/captures/corpus
if [ -d "$corpus" ]; then
    for f in "$corpus"/*; do
        case "$f" in
            *.pcap|*.pcapng|*.cap|*.trace|*.dmp) files="$files $f" ;;
        esac
    done
else
    echo "note: $corpus not present; checking sample-pcaps only"
fi
if [ -z "$files" ]; then
    echo "skip: no capture files found"
    exit 77
fi

fail=0; checked=0; lines_total=0
# check FILE TZ VIEW [nm-capture options...]
check() {
    file=$1; tz=$2; view=$3; shift 3
    rm -f "$tmp/db" "$tmp/db-wal" "$tmp/db-shm" "$tmp/log"
    TZ=$tz "$capture" -q -r "$file" -d "$tmp/db" -l "$tmp/log" "$@" \
        >"$tmp/out" 2>&1
    rc=$?
    if [ ! -f "$tmp/db" ]; then
        # a file nm-capture refuses outright (e.g. not a capture) has no
        # database and no event log: nothing to compare
        return 0
    fi
    [ -f "$tmp/log" ] || : >"$tmp/log"
    if ! TZ=$tz sqlite3 "$tmp/db" \
        "SELECT line FROM $view WHERE session_id = (SELECT max(id) FROM sessions)
         ORDER BY packet_id, line_no" >"$tmp/view" 2>"$tmp/sqlerr"; then
        echo "FAIL $file ($view): sqlite3: $(cat "$tmp/sqlerr")"
        fail=$((fail + 1))
        return 0
    fi
    checked=$((checked + 1))
    n=$(wc -l <"$tmp/log")
    lines_total=$((lines_total + n))
    if ! cmp -s "$tmp/log" "$tmp/view"; then
        echo "FAIL $file ($view, TZ=$tz, nm-capture exit $rc): log and view differ"
        diff "$tmp/log" "$tmp/view" | head -n 10 | sed 's/^/    /'
        fail=$((fail + 1))
    fi
}

for f in $files; do
    check "$f" America/St_Johns event_log
done
# --utc changes only the timestamps: the sample captures suffice
for f in sample-pcaps/*.pcap sample-pcaps/*.pcapng; do
    [ -f "$f" ] && check "$f" Asia/Kolkata event_log_utc --utc
done

echo "$checked runs compared, $lines_total event-log lines, $fail mismatches"
[ "$checked" -gt 0 ] || { echo "FAIL: nothing was compared"; exit 1; }
[ "$fail" -eq 0 ]
