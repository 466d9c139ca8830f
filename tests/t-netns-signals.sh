#!/bin/sh
# t-netns-signals.sh - live capture end to end in network namespaces:
# SIGINT in the middle of a flood: exit 0, closed and consistent; SIGKILL: the database opens cleanly.
# The work is in tests/lab/e2e.sh (signals), a bash script over tests/lab/netns.sh.
# Skips (77) when not root, without network namespaces or a needed tool.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
command -v bash >/dev/null 2>&1 || { echo "skip: needs bash"; exit 77; }
BUILD=$BUILD exec bash tests/lab/e2e.sh signals
