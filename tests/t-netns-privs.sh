#!/bin/sh
# t-netns-privs.sh - live capture end to end in network namespaces:
# -Z nobody, a bad -Z user, and capturing without permission (the setcap line) or with setcap's capabilities.
# The work is in tests/lab/e2e.sh (privs), a bash script over tests/lab/netns.sh.
# Skips (77) when not root, without network namespaces or a needed tool.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
command -v bash >/dev/null 2>&1 || { echo "skip: needs bash"; exit 77; }
BUILD=$BUILD exec bash tests/lab/e2e.sh privs
