#!/bin/sh
# tests/t-pcapfile.sh - capture/pcapfile.c (our classic-pcap reader) reads
# every file exactly as libpcap does.
#
# nm-capture reads a classic pcap named with -r through pcapfile.c, and
# standard input (-r -) always through libpcap; so each capture is read
# both ways and the two runs must agree on: the exit status, the error
# message (the file name aside), every line of the event log, and the
# packets' rows.  With and without a filter.  The captures: every classic
# pcap in sample-pcaps/ and ../shared/captures/corpus/ (when present), plus
# files made here: cut in a record header and in packet data, a record
# longer than the snapshot length, one longer than 262144 bytes, nanosecond
# timestamps, timestamps past 2038, a zero snapshot length.  That -r FILE
# really goes through pcapfile.c is checked by tests/unit/test_pcapfile.c.
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.  Env: BUILD,
# NM_CAPTURES (default ../shared/captures).
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
nc=$top/$BUILD/nm-capture
corpus=${NM_CAPTURES:-$top/../shared/captures}/corpus
py=python3
command -v $py >/dev/null 2>&1 || py=/usr/bin/python3

if [ ! -x "$nc" ]; then
    echo "skip: $nc is not built yet"
    exit 77
fi
for tool in sqlite3 $py; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "skip: needs $tool"
        exit 77
    fi
done
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0; n=0; fast=0

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# Odd files, from sample-pcaps/http.pcap (classic, microseconds).
$py - "$top/sample-pcaps/http.pcap" "$tmp" <<'EOF' || { echo "FAIL: cannot make test files"; exit 1; }
import struct, sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
gh, recs, off = data[:24], [], 24
while off + 16 <= len(data):
    sec, frac, cap, wire = struct.unpack('<IIII', data[off:off + 16])
    recs.append([sec, frac, cap, wire, data[off + 16:off + 16 + cap]])
    off += 16 + cap
def write(name, recs, magic=0xa1b2c3d4, snaplen=None, cut=None):
    g = bytearray(gh)
    struct.pack_into('<I', g, 0, magic)
    if snaplen is not None:
        struct.pack_into('<I', g, 16, snaplen)
    b = bytes(g) + b''.join(struct.pack('<IIII', s, f, c, w) + d for s, f, c, w, d in recs)
    open(out + '/' + name, 'wb').write(b if cut is None else b[:cut])
write('plain.pcap', recs)
total = 24 + sum(16 + r[2] for r in recs)
write('cut-record-header.pcap', recs, cut=total - recs[-1][2] - 16 + 7)
write('cut-packet-data.pcap', recs, cut=total - recs[-1][2] // 2)
write('snaplen-64.pcap', recs, snaplen=64)                   # records longer than it
write('snaplen-0.pcap', recs, snaplen=0)
write('snaplen-negative.pcap', recs, snaplen=0x80000000)
write('cut-after-snaplen.pcap', recs, snaplen=64, cut=total - recs[-1][2] + 80)
write('cut-before-snaplen.pcap', recs, snaplen=64, cut=total - recs[-1][2] + 20)
big = [list(r) for r in recs]
big[3][2] = 300000                                           # longer than 262144
write('huge-record.pcap', big[:4] + [[0, 0, 0, 0, b'']], snaplen=400000)
write('nsec.pcap', [[s, f * 1000 + 7, c, w, d] for s, f, c, w, d in recs], magic=0xa1b23c4d)
write('after-2038.pcap', [[s + 0x90000000, f, c, w, d] for s, f, c, w, d in recs])
EOF

# compare NAME FILE [FILTER]: nm-capture -r FILE vs -r - < FILE.
compare() {
    name=$1 f=$2; shift 2
    n=$((n + 1))
    for how in file stdin; do
        d=$tmp/$how
        rm -rf "$d"; mkdir "$d"
        if [ $how = file ]; then
            (cd "$d" && timeout 60 "$nc" -q --no-report -u -r "$f" "$@") >"$d/out" 2>"$d/err"
        else
            (cd "$d" && timeout 60 "$nc" -q --no-report -u -r - "$@" <"$f") >"$d/out" 2>"$d/err"
        fi
        echo $? >"$d/rc"
        sed -e "s|$f|FILE|g" -e 's|(stdin)|FILE|g' "$d/err" >"$d/err.n"
        if [ -f "$d/netmon.db" ]; then
            sqlite3 "$d/netmon.db" "SELECT ts_ns, wire_len, cap_len, layers, malformed
                                     FROM packets ORDER BY id" >"$d/rows" 2>&1
        else
            : >"$d/rows"
        fi
        [ -f "$d/network_events.log" ] || : >"$d/network_events.log"
    done
    if ! cmp -s "$tmp/file/rc" "$tmp/stdin/rc"; then
        bad "$name: exit status $(cat "$tmp/file/rc") (pcapfile) vs $(cat "$tmp/stdin/rc") (libpcap)"
        return
    fi
    cmp -s "$tmp/file/err.n" "$tmp/stdin/err.n" ||
        bad "$name: messages differ: '$(cat "$tmp/file/err.n")' vs '$(cat "$tmp/stdin/err.n")'"
    cmp -s "$tmp/file/network_events.log" "$tmp/stdin/network_events.log" ||
        bad "$name: event logs differ"
    cmp -s "$tmp/file/rows" "$tmp/stdin/rows" || bad "$name: packets rows differ"
    # The two readers give nothing to tell them apart; that -r FILE runs
    # pcapfile.c on these files is test_pcapfile's part.
    if [ -s "$tmp/file/rows" ] && cmp -s "$tmp/file/rows" "$tmp/stdin/rows"; then
        rows=$(wc -l <"$tmp/file/rows")
        [ "$rows" -gt 0 ] && echo "ok: $name ($rows packets, exit $(cat "$tmp/file/rc"))"
    fi
}

is_classic() {
    # Little-endian classic pcap, version 2.4: what pcapfile.c reads.
    m=$(od -An -tx1 -N8 "$1" 2>/dev/null | tr -d ' \n')
    case $m in
    d4c3b2a102000400 | 4d3cb2a102000400) return 0 ;;
    esac
    return 1
}

for f in "$tmp"/*.pcap; do
    compare "$(basename "$f")" "$f"
    is_classic "$f" && fast=$((fast + 1))
done
compare "plain.pcap with a filter" "$tmp/plain.pcap" 'tcp port 80'
for f in "$top"/sample-pcaps/*.pcap; do
    compare "sample-pcaps/$(basename "$f")" "$f"
    compare "sample-pcaps/$(basename "$f") with a filter" "$f" udp or icmp
done
if [ -d "$corpus" ]; then
    for f in "$corpus"/*.pcap "$corpus"/*.cap; do
        [ -f "$f" ] || continue
        is_classic "$f" || continue
        compare "corpus/$(basename "$f")" "$f"
    done
else
    echo "note: $corpus not found, its captures are not compared"
fi

# The file's own precision is kept: nanoseconds stay nanoseconds.
rm -f "$tmp/ns.db"
"$nc" -q --no-report --no-log -r "$tmp/nsec.pcap" -d "$tmp/ns.db" >/dev/null 2>&1
got=$(sqlite3 "$tmp/ns.db" "SELECT count(*) FROM packets WHERE ts_ns % 1000 = 7")
all=$(sqlite3 "$tmp/ns.db" "SELECT count(*) FROM packets")
[ "$got" -gt 0 ] && [ "$got" = "$all" ] || bad "nsec.pcap: $got of $all timestamps keep their nanoseconds"

# The made files must be ones pcapfile.c takes (by their header), or this
# test would compare libpcap with itself.
[ "$fast" -ge 10 ] || bad "only $fast of the made files are classic pcap (test broken)"
echo "$n comparisons, $fail failed"
[ "$fail" -eq 0 ]
