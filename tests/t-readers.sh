#!/bin/sh
# tests/t-readers.sh - what the readers (nm-report, nm-live) leave behind
# and where they can read:
#   - after nm-capture has finished, a reader leaves no netmon.db-wal or
#     netmon.db-shm beside the database (it is the last connection and may
#     write, so SQLite folds the log back and removes them);
#   - a database in a folder the reader cannot write (read-only media,
#     another user's folder) is still readable, with the same numbers;
#   - readers never change the data: the file's checksum is the same.
# Exit 0 pass, 77 skip, 1 fail.  Env: BUILD.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
for p in nm-capture nm-report nm-live; do
    [ -x "$BUILD/$p" ] || { echo "skip: $BUILD/$p is not built"; exit 77; }
done
tmp=$(mktemp -d) || exit 2
chmod 755 "$tmp"
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

mkdir "$tmp/d"
db=$tmp/d/x.db
"$BUILD/nm-capture" -q --no-report -r sample-pcaps/http.pcap -d "$db" -l "$tmp/d/x.log" ||
    bad "nm-capture failed"
[ -e "$db-wal" ] || [ -e "$db-shm" ] && bad "nm-capture left $db-wal or -shm"
sum0=$(sqlite3 "$db" "SELECT packets, bytes FROM sessions")
[ "$sum0" = "55|9179" ] || bad "http.pcap: sessions says '$sum0', expected 55|9179"
cks=$(cksum < "$db")

"$BUILD/nm-report" -d "$db" --no-graphs > "$tmp/r1.txt" 2>&1 || bad "nm-report failed: $(cat "$tmp/r1.txt")"
grep -q "Packets: *55$" "$tmp/r1.txt" || bad "nm-report does not print 55 packets"
for f in "$db-wal" "$db-shm"; do [ -e "$f" ] && bad "nm-report left $f behind"; done
"$BUILD/nm-live" --once -d "$db" > "$tmp/l1.txt" 2>&1 || bad "nm-live --once failed"
grep -q "^avg_packet_size All *166.89 bytes (55 packets, 9179 bytes)$" "$tmp/l1.txt" ||
    bad "nm-live --once: not http.pcap's 55 packets, 9179 bytes"
for f in "$db-wal" "$db-shm"; do [ -e "$f" ] && bad "nm-live left $f behind"; done
[ "$(cksum < "$db")" = "$cks" ] || bad "a reader changed $db"

# A folder the reader may not write: as root, run the readers as nobody.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
    chmod 555 "$tmp/d"; chmod 444 "$db"
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$BUILD/nm-report" -d "$db" --no-graphs > "$tmp/r2.txt" 2>&1 ||
        bad "nm-report in a read-only folder: $(tail -n 1 "$tmp/r2.txt")"
    cmp -s "$tmp/r1.txt" "$tmp/r2.txt" || bad "read-only folder: other numbers ($(diff "$tmp/r1.txt" "$tmp/r2.txt" | head -3))"
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$BUILD/nm-live" --once -d "$db" > "$tmp/l2.txt" 2>&1 ||
        bad "nm-live in a read-only folder: $(tail -n 1 "$tmp/l2.txt")"
    cmp -s "$tmp/l1.txt" "$tmp/l2.txt" ||
        bad "nm-live in a read-only folder: other output ($(diff "$tmp/l1.txt" "$tmp/l2.txt" | head -3))"
    chmod 755 "$tmp/d"
else
    echo "note: not root (or no setpriv): the read-only folder case is not tested"
fi
[ "$(cksum < "$db")" = "$cks" ] || bad "a reader changed $db"
[ $fail -eq 0 ] && echo "ok: readers leave no files, read read-only folders, change nothing"
exit $((fail > 0))
