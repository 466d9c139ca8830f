#!/bin/sh
# t-netns-drops.sh - live capture end to end in network namespaces:
# kernel drops (SIGSTOP under a flood) and queue drops (database locked under a flood) are counted per second and add up exactly.
# The work is in tests/lab/e2e.sh (drops), a bash script over tests/lab/netns.sh.
# Skips (77) when not root, without network namespaces or a needed tool.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
command -v bash >/dev/null 2>&1 || { echo "skip: needs bash"; exit 77; }
BUILD=$BUILD exec bash tests/lab/e2e.sh drops
