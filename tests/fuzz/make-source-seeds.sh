#!/bin/sh
# make-source-seeds.sh OUT_DIR CAPTURE...: seeds for fuzz_source.c.
#
# Each capture named, cut to its first 16 KiB (a pcapng file's first blocks;
# a cut inside a block is one more case for the reader), in a file named by
# its content hash, so reruns do not duplicate.  The corpus was made from
# ../shared/captures/corpus/*.pcapng and sample-pcaps/*.pcap (the classic
# files' odd cases are fuzz_pcapfile's seeds).  Inputs a fuzzing run found
# are added only when they bring new coverage:
#     build-fuzz/fuzz_source -merge=1 tests/fuzz/corpus/source FUZZ_WORK_DIR
set -e
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR CAPTURE..." >&2; exit 2; }
out=$1; shift
mkdir -p "$out"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for f in "$@"; do
    head -c 16384 "$f" >"$tmp"
    cp "$tmp" "$out/$(sha1sum "$tmp" | cut -c1-40)"
done
