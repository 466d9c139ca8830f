#!/bin/sh
# t-netns-traffic.sh - live capture end to end in network namespaces:
# ping, curl, dig and a UDP stream: nm-capture -i and tcpdump -w see the same packets; nm-live while capturing; SIGINT leaves a closed, consistent session.
# The work is in tests/lab/e2e.sh (traffic), a bash script over tests/lab/netns.sh.
# Skips (77) when not root, without network namespaces or a needed tool.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
command -v bash >/dev/null 2>&1 || { echo "skip: needs bash"; exit 77; }
BUILD=$BUILD exec bash tests/lab/e2e.sh traffic
