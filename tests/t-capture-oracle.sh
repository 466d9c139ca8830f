#!/bin/sh
# t-capture-oracle.sh - nm-capture and its database against the tshark oracle:
# runs $BUILD/nm-capture on every capture of ../shared/captures/corpus and
# compares the numbers read from each database (sessions, packets.layers,
# addresses; TCP resets and retransmissions, TCP and UDP flows) with
# ../shared/captures/oracle/*.json, by the comparison t-decode-oracle.sh uses
# (tests/oracle/compare_decode.py) and the same exception list,
# tests/oracle/exceptions.tsv, plus tests/oracle/flow-exceptions.tsv for the
# numbers only a database has.  Also checks the exit status
# and sessions.end_reason against oracle/libpcap-read.tsv, and that
# proto_seconds and seconds agree with the packets table and sessions.
# See tests/oracle/compare_db.py.  Skips (77) when the shared corpus,
# python3 or nm-capture is missing.  Databases stay in
# $BUILD/tests/capture-oracle for a look after a failure.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
captures=${NM_CAPTURES:-$top/../shared/captures}

if [ ! -d "$captures/corpus" ] || [ ! -d "$captures/oracle" ]; then
    echo "skip: no capture corpus at $captures (corpus/ and oracle/)"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "skip: python3 not found"
    exit 77
fi
if [ ! -x "$BUILD/nm-capture" ]; then
    echo "skip: $BUILD/nm-capture not built (run make first)"
    exit 77
fi

work=$BUILD/tests/capture-oracle
rm -rf "$work"
mkdir -p "$work" || exit 2
# Two captures at a time: the machine has two cores.
python3 tests/oracle/compare_db.py -j 2 "$BUILD/nm-capture" "$captures" "$work" \
    tests/oracle/exceptions.tsv tests/oracle/flow-exceptions.tsv
