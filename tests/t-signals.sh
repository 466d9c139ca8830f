#!/bin/sh
# tests/t-signals.sh - Ctrl+C and SIGTERM while nm-capture reads a slow pipe.
#
# A feeder writes the pcap header and the first K frames of
# sample-pcaps/http.pcap into a FIFO that nm-capture reads as standard input
# (-r -), then waits.  Once the database holds those K frames, the test
# sends SIGINT (then, in a second run, SIGTERM): nm-capture must exit 0 with
# the session row saying 'signal', K packets read and K rows, and an event
# log identical to that of `-c K` and as long as the event_log view.
# Each of these runs (and the -c K ones) leaves the graphs and report.html.
# Then: a second SIGINT while the drain is stuck (another process holds the
# database locked) exits 130 at once, and the database keeps whole
# transactions only (integrity_check ok, the rows committed before).  And
# a database locked in mid-run: exit 3, the session row says db_error.
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.  Env: BUILD.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
nc=$top/$BUILD/nm-capture
http=$top/sample-pcaps/http.pcap
py=python3
command -v $py >/dev/null 2>&1 || py=/usr/bin/python3

if [ ! -x "$nc" ]; then
    echo "skip: $nc is not built yet"
    exit 77
fi
for t in sqlite3 mkfifo $py; do
    if ! command -v "$t" >/dev/null 2>&1; then
        echo "skip: needs $t"
        exit 77
    fi
done
tmp=$(mktemp -d) || exit 2
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# feed.py PCAP K READY GO [LINGER]: header and records 0..K-1 to stdout,
# create READY, wait for GO to exist (at most 30 s), write the other
# records, keep the pipe open LINGER seconds (default 30).
cat >"$tmp/feed.py" <<'EOF'
import os, struct, sys, time
d = open(sys.argv[1], "rb").read()
off = 24
for _ in range(int(sys.argv[2])):
    off += 16 + struct.unpack("<I", d[off + 8:off + 12])[0]
out = sys.stdout.buffer
out.write(d[:off])
out.flush()
open(sys.argv[3], "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[4]):
        out.write(d[off:])
        out.flush()
        break
    time.sleep(0.05)
time.sleep(float(sys.argv[5]) if len(sys.argv) > 5 else 30)
EOF

# start K DB LOG [LINGER]: feeder and nm-capture; sets fpid, npid.
start() {
    rm -f "$tmp/fifo" "$tmp/ready" "$tmp/go" "$2"* "$3"
    mkfifo "$tmp/fifo"
    $py "$tmp/feed.py" "$http" "$1" "$tmp/ready" "$tmp/go" ${4:-30} >"$tmp/fifo" &
    fpid=$!
    "$nc" -q -r - -d "$2" -l "$3" <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
    npid=$!
    pids="$pids $fpid $npid"
}

# wait_rows DB N: until DB holds N packet rows (at most 20 s).
wait_rows() {
    i=0
    while [ $i -lt 200 ]; do
        if [ -f "$1" ]; then
            c=$(sqlite3 -readonly "$1" "SELECT count(*) FROM packets" 2>/dev/null)
            [ "$c" = "$2" ] && return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    bad "the database never held $2 packet rows (last: '$c')"
    return 1
}

# finish: waits for nm-capture (at most 30 s), sets rc; stops the feeder.
finish() {
    i=0
    while kill -0 "$npid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$npid" 2>/dev/null; then
        bad "nm-capture still running 30 s after the signal"
        kill -KILL "$npid"
    fi
    wait "$npid"
    rc=$?
    kill "$fpid" 2>/dev/null
    wait "$fpid" 2>/dev/null
    if grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/err"; then
        bad "sanitizer report"
        head -n 20 "$tmp/err"
    fi
}

# Reference event logs: the first K frames read whole with -c K.
# They also write the report at the end (-c), as every run below does on
# its signal: netmon-report/ beside the database.
rep=$tmp/netmon-report
report_written() {  # WHAT: the graphs and report.html of the run just ended
    for f in report.html throughput_over_time.png protocol_usage.png; do
        [ -s "$rep/$f" ] || bad "$1: no $rep/$f"
    done
    rm -rf "$rep"
}
for k in 20 30; do
    "$nc" -q -r "$http" -d "$tmp/ref$k.db" -l "$tmp/ref$k.log" -c $k ||
        bad "reference run -c $k failed"
    report_written "-c $k"
done

for case in INT:20 TERM:30; do
    sig=${case%:*}; k=${case#*:}
    db=$tmp/s$sig.db; log=$tmp/s$sig.log
    start $k "$db" "$log"
    wait_rows "$db" $k
    kill -$sig "$npid"
    finish
    [ $rc -eq 0 ] || bad "SIG$sig: exit $rc, want 0 ($(cat "$tmp/err"))"
    [ -s "$tmp/err" ] && bad "SIG$sig: stderr '$(cat "$tmp/err")'"
    got=$(sqlite3 "$db" "SELECT end_reason, packets, (SELECT count(*) FROM packets),
                                (SELECT count(*) FROM event_log) FROM sessions")
    lines=$(wc -l <"$log")
    [ "$got" = "signal|$k|$k|$lines" ] ||
        bad "SIG$sig: session|read|rows|view = '$got', want 'signal|$k|$k|$lines'"
    cmp -s "$log" "$tmp/ref$k.log" || bad "SIG$sig: event log differs from -c $k's"
    got=$(sqlite3 "$db" "SELECT count(*) FROM log WHERE message = 'capture ended: signal'")
    [ "$got" = 1 ] || bad "SIG$sig: no 'capture ended: signal' in the log table"
    report_written "SIG$sig"
done

# A second SIGINT while the drain waits for a locked database: exit 130 at
# once, whole transactions only.
db=$tmp/s2.db; log=$tmp/s2.log
start 10 "$db" "$log"
wait_rows "$db" 10
$py - "$db" "$tmp/locked" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(60)
EOF
lpid=$!
pids="$pids $lpid"
i=0
while [ ! -e "$tmp/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$tmp/locked" ] || bad "the locking process did not start"
: >"$tmp/go"            # the other 45 frames: the writer now waits for the lock
sleep 0.5
kill -INT "$npid"
sleep 0.3
kill -INT "$npid"
finish
kill "$lpid"; wait "$lpid" 2>/dev/null
[ $rc -eq 130 ] || bad "second SIGINT: exit $rc, want 130"
grep -q "^nm-capture: interrupted again" "$tmp/err" ||
    bad "second SIGINT: stderr '$(cat "$tmp/err")'"
got=$(sqlite3 "$db" "PRAGMA integrity_check; SELECT count(*) FROM packets")
[ "$got" = "ok
10" ] || bad "second SIGINT: database says '$got', want 'ok' and the 10 committed rows"

# The database locked by another process in mid-run, for 7 s: the writer
# gives up after its 5 s busy timeout, nm-capture stops with exit 3 and a
# line naming the database and the cause; once the lock is gone, the session
# row says db_error, and the rows committed before the lock are intact.
# The feeder closes the pipe after the last frame: nm-capture notices a
# failed writer only between packets, not while blocked on an idle pipe.
db=$tmp/s3.db; log=$tmp/s3.log
start 10 "$db" "$log" 0
wait_rows "$db" 10
rm -f "$tmp/locked"
$py - "$db" "$tmp/locked" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(7)
c.execute("ROLLBACK")
EOF
lpid=$!
pids="$pids $lpid"
i=0
while [ ! -e "$tmp/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
: >"$tmp/go"
finish
wait "$lpid" 2>/dev/null
[ $rc -eq 3 ] || bad "locked mid-run: exit $rc, want 3 ($(cat "$tmp/err"))"
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^nm-capture: $db: database is locked" "$tmp/err" ||
    bad "locked mid-run: stderr '$(cat "$tmp/err")'"
got=$(sqlite3 "$db" "PRAGMA integrity_check; SELECT end_reason, end_message LIKE '%locked%',
                     (SELECT count(*) FROM packets) >= 10 FROM sessions")
[ "$got" = "ok
db_error|1|1" ] || bad "locked mid-run: database says '$got'"

echo "$fail failures"
[ $fail -eq 0 ]
