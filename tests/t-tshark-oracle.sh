#!/bin/sh
# t-tshark-oracle.sh - nm-capture against tshark run here, for the sample
# captures and every corpus capture libpcap reads to its end
# (../shared/captures, when present):
#   - every frame's decoded fields (MACs, VLAN, addresses, ports, TCP flags,
#     ICMP, ARP, DNS) equal tshark's (tests/oracle/compare_frames.py);
#   - nm-capture -A's proto_seconds equals tshark's packets and wire bytes per
#     protocol and second, and the throughput_10s view their 10-second sums
#     (tests/oracle/compare_seconds.py, through
#     sample-pcaps/expected-from-tshark.sh --seconds).
# Skips (77) without tshark, python3 or nm-capture.  Databases stay in
# $BUILD/tests/tshark-oracle for a look after a failure.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
captures=${NM_CAPTURES:-$top/../shared/captures}

if ! command -v tshark >/dev/null 2>&1; then
    echo "skip: needs tshark (Debian package tshark), the oracle"
    exit 77
fi
py=$(command -v python3 || command -v /usr/bin/python3)
if [ -z "$py" ]; then
    echo "skip: python3 not found"
    exit 77
fi
if [ ! -x "$BUILD/nm-capture" ]; then
    echo "skip: $BUILD/nm-capture not built (run make first)"
    exit 77
fi

set -- sample-pcaps/*.pcap
if [ -f "$captures/oracle/libpcap-read.tsv" ]; then
    # Files libpcap reads to their end (exit status 0): a file libpcap stops
    # in gives it fewer frames than tshark, by design (t-capture-oracle).
    for f in $(awk -F'\t' 'NR > 1 && $3 == "0" { print $1 }' \
               "$captures/oracle/libpcap-read.tsv"); do
        set -- "$@" "$captures/corpus/$f"
    done
else
    echo "note: no corpus at $captures: the sample captures only"
fi

work=$BUILD/tests/tshark-oracle
rm -rf "$work"
mkdir -p "$work/frames" "$work/seconds" || exit 2
rc=0
"$py" tests/oracle/compare_frames.py -j 2 "$BUILD/nm-capture" "$work/frames" "$@" || rc=1
"$py" tests/oracle/compare_seconds.py -j 2 -x tests/oracle/seconds-exceptions.tsv \
    "$BUILD/nm-capture" "$work/seconds" "$@" || rc=1
exit $rc
