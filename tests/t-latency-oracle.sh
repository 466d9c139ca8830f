#!/bin/sh
# t-latency-oracle.sh - the latency matcher against tshark's oracle: builds
# tests/tools/latency_dump against $BUILD/libnetmon.a and runs
# tests/oracle/compare_latency.py over every capture of ../shared/captures
# (tcp_handshake vs tcp_initial_rtt_ms, dns vs dns_time_ms, icmp_echo and
# icmpv6_echo vs icmp(v6)_resptime_ms: same count, each value within 1 us).
# Known differences, with their reason: tests/oracle/latency-exceptions.tsv.
# Skips (77) when the corpus, the library or python3 is missing.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
captures=${NM_CAPTURES:-$top/../shared/captures}

if [ ! -d "$captures/corpus" ] || [ ! -d "$captures/oracle" ]; then
    echo "skip: no capture corpus at $captures (corpus/ and oracle/)"
    exit 77
fi
if [ ! -f "$BUILD/libnetmon.a" ]; then
    echo "skip: $BUILD/libnetmon.a not built (run make first)"
    exit 77
fi
py=$(command -v python3 || command -v /usr/bin/python3)
if [ -z "$py" ]; then
    echo "skip: python3 not found"
    exit 77
fi

# Built by the Makefile (make unit), with the same flags as the library.
[ -x "$BUILD/tests/latency_dump" ] || { echo "$BUILD/tests/latency_dump missing: run make unit"; exit 1; }

"$py" tests/oracle/compare_latency.py --tool "$BUILD/tests/latency_dump" \
    --corpus "$captures/corpus" --oracle "$captures/oracle" \
    --exceptions tests/oracle/latency-exceptions.tsv
