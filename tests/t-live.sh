#!/bin/sh
# nm-live --once against a database nm-capture wrote: the numbers it prints
# must equal those computed here straight from the aggregate tables with
# sqlite3 (a different code path: SQL text in this file, not nm-live's C).
# Two sessions in one database: 1 = mixed-lab.pcap (4 s), 2 = latency-lab.pcap
# (19 s, so its 10 s window excludes the start).  Then the error cases:
# missing file, non-netmon files, newer schema, unknown session, locked file.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
if [ ! -x "$BUILD/nm-capture" ] || [ ! -x "$BUILD/nm-live" ] || ! command -v sqlite3 >/dev/null; then
    echo "skip: $BUILD/nm-capture, $BUILD/nm-live or sqlite3 missing"; exit 77
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT INT TERM
db=$tmp/live.db
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for cap in sample-pcaps/mixed-lab.pcap sample-pcaps/latency-lab.pcap; do
    "$BUILD/nm-capture" -r "$cap" -d "$db" --no-log >/dev/null 2>"$tmp/err" ||
        { cat "$tmp/err"; echo "nm-capture failed on $cap"; exit 1; }
done

# Expected lines for session $1, in nm-live's format, from SQL.
expect() {
    sid=$1
    sqlite3 -separator ' ' "$db" "
        WITH hi AS (SELECT max(second) AS h FROM seconds WHERE session_id = $sid)
        SELECT 'throughput', printf('%-8s', pr.name),
               printf('%.1f', coalesce(sum(ps.bytes), 0) * 8 / 10.0), 'bit/s'
        FROM protocols pr, hi
        LEFT JOIN proto_seconds ps ON ps.session_id = $sid AND ps.proto = pr.name
             AND ps.second BETWEEN hi.h - 9 AND hi.h
        GROUP BY pr.id ORDER BY pr.id;"
    sqlite3 -separator ' ' "$db" "
        WITH hi AS (SELECT max(second) AS h FROM seconds WHERE session_id = $sid)
        SELECT 'avg_packet_size All     ', printf('%.2f', 1.0 * sum(bytes) / sum(packets)),
               'bytes', printf('(%d packets, %d bytes)', sum(packets), sum(bytes))
        FROM seconds, hi WHERE session_id = $sid AND second BETWEEN hi.h - 29 AND hi.h;
        WITH hi AS (SELECT max(second) AS h FROM seconds WHERE session_id = $sid)
        SELECT 'new_connections_per_second',
               printf('%.3f (%d in 30 s)', coalesce(sum(new_connections), 0) / 30.0,
                      coalesce(sum(new_connections), 0))
        FROM proto_seconds, hi WHERE session_id = $sid AND second BETWEEN hi.h - 29 AND hi.h;
        SELECT 'connections', printf('%-8s', proto), connections
        FROM connections_per_protocol WHERE session_id = $sid ORDER BY proto_id;
        SELECT 'unique ipv4', (SELECT count(*) FROM addresses WHERE session_id = $sid
                                                                AND kind = 'ipv4'),
               'ipv6', (SELECT count(*) FROM addresses WHERE session_id = $sid AND kind = 'ipv6'),
               'mac', (SELECT count(*) FROM addresses WHERE session_id = $sid AND kind = 'mac');
        SELECT 'latency', printf('%-8s', proto), printf('%.3f', mean_us / 1000.0), 'ms',
               printf('(%d samples)', samples)
        FROM latency_per_protocol WHERE session_id = $sid AND proto != 'Other'
        ORDER BY CASE proto WHEN 'TCP' THEN 1 WHEN 'UDP' THEN 2 WHEN 'ICMP' THEN 3
                            WHEN 'ICMPv6' THEN 4 ELSE 5 END;
        SELECT 'drops kernel', drops_kernel, 'ifdrop', drops_ifdrop, 'queue', drops_queue
        FROM sessions WHERE id = $sid;"
}

# check SESSION OUTPUT: every expected line appears in the output.
check() {
    expect "$1" > "$tmp/expected"
    [ "$(wc -l < "$tmp/expected")" -ge 25 ] || bad "session $1: too few expected lines"
    while IFS= read -r line; do
        grep -qxF "$line" "$2" || bad "session $1: missing line: $line"
    done < "$tmp/expected"
    # Every protocol of the protocols table has its throughput line.
    n=$(grep -c '^throughput ' "$2")
    [ "$n" = "$(sqlite3 "$db" 'SELECT count(*) FROM protocols')" ] ||
        bad "session $1: $n throughput lines"
}

"$BUILD/nm-live" --once -d "$db" > "$tmp/out2" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/err"; bad "nm-live --once exit $rc"; }
grep -q '^== throughput over the last 10 s, session 2,' "$tmp/out2" ||
    bad "default is not the newest session"
check 2 "$tmp/out2"
# The 10 s window of latency-lab must really be a window: less than the
# whole session (a program printing session totals would fail here).
whole=$(sqlite3 "$db" "SELECT printf('%.1f', sum(bytes) * 8 / 10.0) FROM proto_seconds
                       WHERE session_id = 2 AND proto = 'Ethernet'")
grep -q "^throughput Ethernet $whole bit/s" "$tmp/out2" && bad "10 s window covers the session"
grep -q '^throughput Ethernet 0.0 bit/s' "$tmp/out2" && bad "Ethernet throughput zero"

"$BUILD/nm-live" --once --plain -s 1 -d "$db" > "$tmp/out1" 2>"$tmp/err" ||
    { cat "$tmp/err"; bad "nm-live -s 1 failed"; }
grep -q '^== throughput over the last 10 s, session 1,' "$tmp/out1" || bad "-s 1 ignored"
check 1 "$tmp/out1"
# Hand-checked against tshark for mixed-lab.pcap (sample-pcaps/README.md):
# 6424 wire bytes in 68 frames, all within 4 s.
grep -qx 'throughput Ethernet 5139.2 bit/s' "$tmp/out1" || bad "mixed-lab Ethernet bit/s"

# Error cases: exit 2 and a one-line message naming the file.
err_case() {
    what=$1 file=$2 pattern=$3; shift 3
    "$BUILD/nm-live" --once "$@" > "$tmp/o" 2> "$tmp/e"
    rc=$?
    [ $rc -eq 2 ] || bad "$what: exit $rc, want 2"
    [ "$(wc -l < "$tmp/e")" -eq 1 ] || bad "$what: message not one line: $(cat "$tmp/e")"
    grep -q "$file" "$tmp/e" || bad "$what: message does not name $file: $(cat "$tmp/e")"
    grep -qi "$pattern" "$tmp/e" || bad "$what: message lacks '$pattern': $(cat "$tmp/e")"
}
err_case "missing database" "$tmp/none.db" "no such file" -d "$tmp/none.db"
[ -e "$tmp/none.db" ] && bad "nm-live created the missing database"
echo "not a database at all, just text" > "$tmp/text.db"
err_case "text file" "$tmp/text.db" "not a database" -d "$tmp/text.db"
sqlite3 "$tmp/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
err_case "other SQLite database" "$tmp/other.db" "not a netmon database" -d "$tmp/other.db"
cp "$db" "$tmp/newer.db"
sqlite3 "$tmp/newer.db" "PRAGMA user_version = 99" >/dev/null
err_case "newer schema" "$tmp/newer.db" "schema version 99" -d "$tmp/newer.db"
err_case "unknown session" "$db" "no session 7" -d "$db" -s 7
"$BUILD/nm-live" -s abc > /dev/null 2>&1; [ $? -eq 2 ] || bad "-s abc: exit not 2"
"$BUILD/nm-live" --bogus > /dev/null 2>&1; [ $? -eq 2 ] || bad "--bogus: exit not 2"
"$BUILD/nm-live" -d '' --once > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && [ "$(head -n 1 "$tmp/err")" = "nm-live: -d: needs a file name" ] ||
    bad "-d '': exit $rc, '$(cat "$tmp/err")'"

# A database another process holds locked (rollback journal, so the lock
# also keeps readers out): a clear message, exit 2, no crash.  The lock is
# held until nm-live has finished: no timing involved.
cp "$db" "$tmp/locked.db"
sqlite3 "$tmp/locked.db" "PRAGMA journal_mode = DELETE" >/dev/null
mkfifo "$tmp/fifo"
sqlite3 "$tmp/locked.db" < "$tmp/fifo" > "$tmp/lockout" 2>&1 &
lockpid=$!
exec 3> "$tmp/fifo"
printf 'BEGIN EXCLUSIVE;\nSELECT count(*) FROM sessions;\n.print locked\n' >&3
i=0
while ! grep -q '^locked' "$tmp/lockout" 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.1; i=$((i + 1))
done
if grep -q '^locked' "$tmp/lockout"; then
    err_case "locked database" "$tmp/locked.db" "locked" -d "$tmp/locked.db"
else
    bad "could not lock the copy: $(cat "$tmp/lockout")"
fi
printf 'COMMIT;\n' >&3
exec 3>&-
wait $lockpid

if [ $fail -ne 0 ]; then
    echo "--- nm-live output, session 2:"; cat "$tmp/out2"
    exit 1
fi
echo "ok: nm-live values equal the tables' for 2 sessions; 7 error cases"
