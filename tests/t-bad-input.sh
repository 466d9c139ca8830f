#!/bin/sh
# tests/t-bad-input.sh - nm-capture on bad input and failing output.
#
# Captures: not a capture, empty, cut short in the global header / a record
# header / packet data (cut copies of sample-pcaps/http.pcap made here, plus
# ../shared/captures/corpus/derived__* when present), zero packets, an
# unknown link type (147), a missing path, a directory.  Database: an
# unwritable directory, a path that is a directory, a database locked by
# another process, a newer schema, a file that is not SQLite, another
# program's SQLite file, a full disk (tmpfs; skipped without root), an event
# log that cannot be opened.  Then every malformed capture of the corpus (no crash, no
# sanitizer report, no hang, exit status and session row as documented).
#
# What is checked for each: the exit status (0 complete, 1 input cut short,
# 2 usage or cannot start, 3 write failed mid-run), stderr lines of the form
# "nm-capture: FILE: cause", the session row (end_reason, packets), rows in
# packets = packets read before the error, and the event log's line count =
# the event_log view's rows for the session.
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.  Env: BUILD,
# NM_CAPTURES (default ../shared/captures).
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
nc=$top/$BUILD/nm-capture
http=$top/sample-pcaps/http.pcap
corpus=${NM_CAPTURES:-$top/../shared/captures}/corpus
py=python3
command -v $py >/dev/null 2>&1 || py=/usr/bin/python3

if [ ! -x "$nc" ]; then
    echo "skip: $nc is not built yet"
    exit 77
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "skip: needs the sqlite3 command-line shell (Debian package sqlite3)"
    exit 77
fi
if ! command -v $py >/dev/null 2>&1; then
    echo "skip: needs python3"
    exit 77
fi
tmp=$(mktemp -d) || exit 2
mnt=""
lockpid=""
cleanup() {
    [ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null
    [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0; n=0

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# run ARGS...: nm-capture -q ARGS in $tmp with a 60 s limit; sets rc, $tmp/err.
run() {
    (cd "$tmp" && timeout 60 "$nc" -q "$@") >"$tmp/out" 2>"$tmp/err"
    rc=$?
    n=$((n + 1))
    [ $rc -eq 124 ] && bad "nm-capture $*: no result after 60 s"
    if grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/err"; then
        bad "nm-capture $*: sanitizer report"
        head -n 20 "$tmp/err"
    fi
}

# expect LABEL RC TEXT...: exit status RC and one stderr line
# "nm-capture: ..." containing every TEXT.
expect() {
    label=$1; want_rc=$2; shift 2
    [ "$rc" -eq "$want_rc" ] || bad "$label: exit $rc, want $want_rc ($(head -n 3 "$tmp/err"))"
    lines=$(wc -l <"$tmp/err")
    [ "$lines" -eq 1 ] || bad "$label: $lines stderr lines, want 1: $(head -n 3 "$tmp/err")"
    line=$(sed -n 1p "$tmp/err")
    case $line in "nm-capture: "*) ;; *) bad "$label: stderr '$line'" ;; esac
    for t in "$@"; do
        case $line in *"$t"*) ;; *) bad "$label: stderr '$line' lacks '$t'" ;; esac
    done
}

# session LABEL DB WANT: the last session's "end_reason|packets|rows in
# packets for it" is WANT, and the event log LOG (optional 4th argument)
# has as many lines as the event_log view has rows for it.
session() {
    got=$(sqlite3 "$2" "SELECT end_reason || '|' || packets || '|' ||
                        (SELECT count(*) FROM packets WHERE session_id = s.id)
                        FROM sessions s ORDER BY id DESC LIMIT 1" 2>&1)
    [ "$got" = "$3" ] || bad "$1: session '$got', want '$3'"
    if [ -n "$4" ]; then
        v=$(sqlite3 "$2" "SELECT count(*) FROM event_log
                          WHERE session_id = (SELECT max(id) FROM sessions)")
        l=0
        [ -f "$4" ] && l=$(wc -l <"$4")
        [ "$v" = "$l" ] || bad "$1: event log has $l lines, event_log view $v"
    fi
}

fresh() { rm -f "$tmp"/db.db* "$tmp/ev.log"; }

# Byte offset of record K (0-based) of a classic pcap.
record_offset() {
    $py - "$1" "$2" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
for _ in range(int(sys.argv[2])):
    off += 16 + struct.unpack("<I", d[off + 8:off + 12])[0]
print(off)
EOF
}

# ---- captures -------------------------------------------------------------

echo "GET / HTTP/1.0" >"$tmp/text.pcap"
fresh; run -r text.pcap -d db.db -l ev.log
expect "text file" 2 "text.pcap: not a pcap or pcapng capture file"
session "text file" "$tmp/db.db" "read_error|0|0"

: >"$tmp/empty.pcap"
fresh; run -r empty.pcap -d db.db -l ev.log
expect "empty file" 2 "empty.pcap: empty file"
session "empty file" "$tmp/db.db" "read_error|0|0"

# A pcapng file whose interface counts time in seconds (if_tsresol 0): one
# UDP packet at 2024-11-12T12:58:30Z, one at 2^56 - 1 s, far past what 64-bit
# nanoseconds hold.  The second is stored at the limit kept, 2^62 - 1 ns, with
# a warning; nothing overflows (the ASan+UBSan run checks).
$py - "$tmp/far-time.pcapng" <<'EOF'
import struct, sys
def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
frame = bytes.fromhex("ffffffffffff00112233445508004500001e000100004011"
                      "66cc0a0000010a000002d4310009000a00000102")
out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
out += block(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HHB3x", 9, 1, 0) + b"\0" * 4)
for t in (1731416310, (1 << 56) - 1):
    out += block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xffffffff, len(frame), len(frame))
                 + frame)
open(sys.argv[1], "wb").write(out)
EOF
fresh; run -r far-time.pcapng -d db.db -l ev.log
expect "time past 2262" 0 "far-time.pcapng: 1 packet stamped outside 1823-11-12 .. 2116-02-20"
session "time past 2262" "$tmp/db.db" "complete|2|2" "$tmp/ev.log"
got=$(sqlite3 "$tmp/db.db" "SELECT group_concat(ts_ns, ' ') FROM (SELECT ts_ns FROM packets ORDER BY id)")
[ "$got" = "1731416310000000000 4611686018427387903" ] || bad "time past 2262: times '$got'"
got=$(sqlite3 "$tmp/db.db" "SELECT count(*) FROM packets WHERE malformed IS NULL AND ip_proto = 17")
[ "$got" = 2 ] || bad "time past 2262: $got well-formed UDP packets, want 2"
got=$(sqlite3 "$tmp/db.db" "SELECT count(*) FROM log WHERE level = 'warning' AND message LIKE '%stamped outside%'")
[ "$got" = 1 ] || bad "time past 2262: $got warnings in the log table, want 1"

head -c 20 "$http" >"$tmp/cut-ghdr.pcap"
fresh; run -r cut-ghdr.pcap -d db.db -l ev.log
expect "cut in the global header" 1 "cut-ghdr.pcap: truncated dump file" "24 file header bytes"
session "cut in the global header" "$tmp/db.db" "truncated|0|0"

# http.pcap cut 7 bytes into the header of record 10: 10 whole frames.
off=$(record_offset "$http" 10)
head -c $((off + 7)) "$http" >"$tmp/cut-rhdr.pcap"
fresh; run -r cut-rhdr.pcap -d db.db -l ev.log
expect "cut in a record header" 1 "cut-rhdr.pcap: truncated dump file" "16 header bytes" \
    "after 10 packets"
session "cut in a record header" "$tmp/db.db" "truncated|10|10" "$tmp/ev.log"

# ... and 5 bytes into the data of record 10 (66 bytes captured).
head -c $((off + 16 + 5)) "$http" >"$tmp/cut-data.pcap"
fresh; run -r cut-data.pcap -d db.db -l ev.log
expect "cut in packet data" 1 "cut-data.pcap: truncated dump file" "66 captured bytes" \
    "after 10 packets"
session "cut in packet data" "$tmp/db.db" "truncated|10|10" "$tmp/ev.log"
# Aggregate mode too: the 10 whole frames count, in the session row and in
# the per-second and per-address tables, and no packet rows.
fresh; run -A -r cut-data.pcap -d db.db
expect "cut in packet data, -A" 1 "cut-data.pcap: truncated dump file" "after 10 packets"
session "cut in packet data, -A" "$tmp/db.db" "truncated|10|0"
got=$(sqlite3 "$tmp/db.db" "SELECT (SELECT sum(packets) FROM seconds) || '|' ||
                            (SELECT sum(pkts_sent) FROM addresses WHERE kind = 'mac')")
[ "$got" = "10|10" ] || bad "cut in packet data, -A: seconds|addresses packets '$got', want 10|10"
# The event log holds exactly the lines of the 10 frames: the uncut run's first lines.
fresh; run -r "$http" -d db.db -l ev.log -c 10
cp "$tmp/ev.log" "$tmp/ev10.log"
fresh; run -r cut-data.pcap -d db.db -l ev.log
cmp -s "$tmp/ev.log" "$tmp/ev10.log" || bad "cut in packet data: event log differs from -c 10's"

# The same from standard input.
fresh; (cd "$tmp" && timeout 60 "$nc" -q -r - -d db.db -l ev.log <cut-data.pcap) 2>"$tmp/err"
rc=$?
expect "cut, from stdin" 1 "(stdin): truncated dump file" "after 10 packets"
session "cut, from stdin" "$tmp/db.db" "truncated|10|10" "$tmp/ev.log"

if [ -d "$corpus" ]; then
    # name, exit status, session, stderr text (counts from MANIFEST.tsv)
    while read -r f want_rc want_sess text; do
        [ -f "$corpus/$f" ] || { echo "note: $f missing from the corpus"; continue; }
        text=$(echo "$text" | tr _ ' ')
        fresh; run -r "$corpus/$f" -d db.db -l ev.log </dev/null
        expect "$f" "$want_rc" "$f: " "$text"
        session "$f" "$tmp/db.db" "$want_sess" "$tmp/ev.log"
    done <<EOF
derived__dns_tcp_global-header-20-bytes.pcap 1 truncated|0|0 24_file_header_bytes
derived__wikipedia_cut-mid-record-header.pcap 1 truncated|100|100 after_100_packets
derived__dns-tunnel-iodine_cut-mid-packet.pcap 1 truncated|437|437 after_437_packets
derived__pcapng-multi-interface_cut-mid-block.pcapng 1 truncated|5|5 after_5_packets
EOF
else
    echo "note: no corpus at $corpus; derived__* and the corpus sweep are not run"
fi

# Zero packets: a valid header only.
head -c 24 "$http" >"$tmp/zero.pcap"
fresh; run -r zero.pcap -d db.db -l ev.log
[ $rc -eq 0 ] || bad "zero packets: exit $rc"
[ -s "$tmp/err" ] && bad "zero packets: stderr '$(cat "$tmp/err")'"
session "zero packets" "$tmp/db.db" "complete|0|0" "$tmp/ev.log"

# Link type 147 (USER0), which nm_decode does not know: 3 frames of 40
# bytes, counted as Other, a warning, exit 0.
$py - "$tmp/lt147.pcap" <<'EOF'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 147))
    for i in range(3):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, 40, 40) + bytes(range(40)))
EOF
fresh; run -r lt147.pcap -d db.db -l ev.log
expect "link type 147" 0 "lt147.pcap: link type" "(147) is not decoded" "counted as Other"
session "link type 147" "$tmp/db.db" "complete|3|3" "$tmp/ev.log"
got=$(sqlite3 "$tmp/db.db" "SELECT link_type FROM sessions;
    SELECT packets, bytes FROM protocol_usage WHERE proto = 'Other';
    SELECT count(*) FROM log WHERE level = 'warning' AND message LIKE '%(147) is not decoded%'")
[ "$got" = "147
3|120
1" ] || bad "link type 147: database says '$got'"

fresh; run -r no-such-file.pcap -d db.db -l ev.log
expect "missing path" 2 "no-such-file.pcap: No such file or directory"
[ -e "$tmp/ev.log" ] && bad "missing path: an event log was created"

mkdir "$tmp/adir"
fresh; run -r adir -d db.db -l ev.log
expect "directory as capture" 2 "adir: " "Is a directory"

# ---- database and event log -----------------------------------------------

# A directory nobody may write to.  root ignores permissions, so as root a
# read-only tmpfs stands in for it (or /proc, where nothing can be created).
rodir=$tmp/ro
mkdir "$rodir"
if [ "$(id -u)" -ne 0 ]; then
    chmod 555 "$rodir"
elif mount -t tmpfs -o ro,size=64k nm-test-ro "$rodir" 2>/dev/null; then
    mnt=$rodir
else
    rodir=/proc/nm-test-no-dir
fi
run -r "$http" -d "$rodir/x.db" -l ev.log
expect "unwritable database directory" 2 "$rodir/x.db: unable to open database file"
[ -e "$rodir/x.db" ] && bad "unwritable directory: $rodir/x.db exists"
if [ -n "$mnt" ]; then umount "$mnt"; mnt=""; fi
chmod 755 "$rodir" 2>/dev/null

run -r "$http" -d adir -l ev.log
expect "database path is a directory" 2 "adir: " "Is a directory"

# Event log that cannot be opened: exit 2, and no session left "running".
fresh; run -r "$http" -d db.db -l /proc/nm-test-no-dir/ev.log
expect "event log cannot be opened" 2 "/proc/nm-test-no-dir/ev.log: cannot open event log"
got=$(sqlite3 "$tmp/db.db" "SELECT count(*) FROM sessions WHERE end_reason = 'running'" 2>&1)
[ "$got" = 0 ] || bad "event log cannot be opened: $got session(s) left 'running'"

# A database another process holds locked (BEGIN EXCLUSIVE): nm-capture
# waits for the busy timeout (5 s), then says so; the database is unchanged.
fresh; run -r "$http" -d db.db -l ev.log
$py - "$tmp/db.db" "$tmp/locked" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("INSERT INTO log (session_id, wall_ns, level, message) VALUES (1, 1, 'info', 'x')")
open(sys.argv[2], "w").close()
time.sleep(60)
EOF
lockpid=$!
i=0
while [ ! -e "$tmp/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$tmp/locked" ] || bad "locked database: the locking process did not start"
run -r "$http" -d db.db -l ev2.log
expect "locked database" 2 "db.db: database is locked"
kill "$lockpid"; wait "$lockpid" 2>/dev/null; lockpid=""
got=$(sqlite3 "$tmp/db.db" "SELECT count(*), sum(packets) FROM sessions;
                           SELECT count(*) FROM log WHERE message = 'x'")
[ "$got" = "1|55
0" ] || bad "locked database: afterwards '$got'"

# A database of a newer schema, a file that is not SQLite, another
# program's SQLite database: refused, and left byte for byte as they were.
fresh; run -r "$http" -d db.db -l ev.log
sqlite3 "$tmp/db.db" "PRAGMA user_version = 99"
cp "$tmp/db.db" "$tmp/before"
run -r "$http" -d db.db -l ev.log
expect "newer schema" 2 "db.db: database schema version 99 is newer"
cmp -s "$tmp/db.db" "$tmp/before" || bad "newer schema: the database was changed"

head -c 8192 /dev/zero | tr '\0' 'x' >"$tmp/notdb.db"
cp "$tmp/notdb.db" "$tmp/before"
run -r "$http" -d notdb.db -l ev.log
expect "not a SQLite file" 2 "notdb.db: file is not a database"
cmp -s "$tmp/notdb.db" "$tmp/before" || bad "not a SQLite file: it was changed"

sqlite3 "$tmp/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
cp "$tmp/other.db" "$tmp/before"
run -r "$http" -d other.db -l ev.log
expect "another program's database" 2 "other.db: not a netmon database"
cmp -s "$tmp/other.db" "$tmp/before" || bad "another program's database: it was changed"

# A full disk: a 4 MiB tmpfs, and 88,000 frames (http.pcap 1600 times),
# whose packet rows alone need about 9 MB and event-log lines 6 MB.
#   db:   the database on the full disk (--no-log)
#   log:  the event log on the full disk, the database elsewhere
#   both: both on it, whichever fills it first
# Each: exit 3, one line naming the file and "disk full" / "No space left on
# device", a database that passes integrity_check, no more packet rows than
# packets read, and (db, log) a session row saying db_error with the cause.
# In "both" nothing at all can be written any more, not even the session
# row's last update, so it may still say 'running' (nm-report shows such a
# session as interrupted); what was committed before must be intact.
if [ "$(id -u)" -ne 0 ]; then
    echo "note: not root, the full-disk cases are skipped (they mount a tmpfs)"
elif ! mkdir "$tmp/full" || ! mount -t tmpfs -o size=4m nm-test-full "$tmp/full" 2>/dev/null
then
    echo "note: cannot mount a tmpfs, the full-disk cases are skipped"
else
    mnt=$tmp/full
    $py tests/tools/make_flood.py repeat "$http" 1600 "$tmp/big.pcap" >/dev/null
    for mode in db log both; do
        rm -f "$mnt"/* "$tmp"/f.db*
        case $mode in
        db)   db=$mnt/f.db; run -r big.pcap -d "$db" --no-log
              expect "full disk ($mode)" 3 "$db: disk full" ;;
        log)  db=$tmp/f.db; run -r big.pcap -d "$db" -l "$mnt/f.log"
              expect "full disk ($mode)" 3 \
                  "$mnt/f.log: cannot write event log: No space left on device" ;;
        both) db=$mnt/f.db; run -r big.pcap -d "$db" -l "$mnt/f.log"
              expect "full disk ($mode)" 3 "$mnt/f."
              grep -q -e "disk full" -e "No space left on device" "$tmp/err" ||
                  bad "full disk ($mode): no 'disk full' in '$(cat "$tmp/err")'" ;;
        esac
        # (packets is 0 in a session row still saying 'running')
        got=$(sqlite3 "$db" "PRAGMA integrity_check;
            SELECT (SELECT count(*) FROM packets) <= packets OR end_reason = 'running'
            FROM sessions" 2>&1)
        [ "$got" = "ok
1" ] || bad "full disk ($mode): database says '$got'"
        [ $mode = both ] && continue
        got=$(sqlite3 "$db" "SELECT end_reason, packets > 0,
            (SELECT count(*) FROM packets) > 0,
            end_message LIKE '%disk full%' OR end_message LIKE '%No space left%'
            FROM sessions" 2>&1)
        [ "$got" = "db_error|1|1|1" ] ||
            bad "full disk ($mode): session 'end_reason|read|rows|cause' = '$got'"
    done
    umount "$mnt"; mnt=""
fi

# ---- every malformed capture of the corpus --------------------------------
# No crash, no sanitizer report, no hang; exit 0, 1 or 2 with a session row
# that agrees: 0 complete, 1 truncated or read_error, 2 read_error (the file
# could not be opened).  After 0 or 1, packet rows = packets read and the
# event log = the event_log view.
nc_files=0
if [ -d "$corpus" ]; then
    # The captures MANIFEST.tsv marks [malformed] (all of them without it).
    if [ -f "$corpus/MANIFEST.tsv" ]; then
        list=$(awk -F '\t' -v d="$corpus" '$0 ~ /\[malformed/ { print d "/" $1 }' \
               "$corpus/MANIFEST.tsv")
    else
        list=$(ls "$corpus"/*)
    fi
    for f in $list; do
        name=$(basename "$f")
        case $name in MANIFEST.tsv|SHA256SUMS|*.md|*.txt|*.json|.*) continue ;; esac
        [ -f "$f" ] || continue
        nc_files=$((nc_files + 1))
        fresh; run -r "$f" -d db.db -l ev.log
        # One sqlite3 call per capture: the sweep must stay fast under ASan.
        row=$(sqlite3 "$tmp/db.db" "SELECT end_reason || ' ' || packets || ' ' ||
                (SELECT count(*) FROM packets) || ' ' || (SELECT count(*) FROM event_log)
                FROM sessions" 2>&1)
        reason=${row%% *}
        case $rc/$reason in
            0/complete|1/truncated|1/read_error|2/read_error) ;;
            *) bad "corpus $name: exit $rc with session '$row'"; continue ;;
        esac
        while read -r line; do
            case $line in
                "nm-capture: $f: "*) ;;
                *) bad "corpus $name: stderr line '$line' does not name the file" ;;
            esac
        done <"$tmp/err"
        if [ $rc -ne 2 ]; then
            set -- $row
            l=0
            [ -f "$tmp/ev.log" ] && l=$(wc -l <"$tmp/ev.log")
            [ "$2" = "$3" ] || bad "corpus $name: $2 packets read, $3 rows"
            [ "$4" = "$l" ] || bad "corpus $name: event log has $l lines, event_log view $4"
        fi
    done
fi

echo "$n runs ($nc_files malformed corpus captures), $fail failures"
[ $fail -eq 0 ]
