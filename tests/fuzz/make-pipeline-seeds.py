#!/usr/bin/env python3
"""make-pipeline-seeds.py - seed tests/fuzz/corpus/pipeline/ from real captures.

    make-pipeline-seeds.py OUT_DIR CAPTURE... [--max-packets N]

Each capture (pcap or pcapng, read by make-seeds.py's readers; others are
skipped) becomes one input of fuzz_pipeline.c: per packet a 5-byte record
header (link type index and snap-cut flag, the clock step from the previous
packet, the frame length) and the frame, at most MAX_FRAME bytes of it.  The
first N packets (default 300) of each capture, so the seeds stay small.
Frames of link types the harness does not pick are left out.  File names
are content hashes: reruns do not duplicate.  Inputs a fuzzing run found
are added only when they bring new coverage:
    build-fuzz/fuzz_pipeline -merge=1 tests/fuzz/corpus/pipeline FUZZ_WORK_DIR
Python 3 standard library only.
"""
import hashlib
import importlib.util
import os
import struct
import sys

# The pcap and pcapng readers, link types and frame limit of make-seeds.py.
_spec = importlib.util.spec_from_file_location(
    'make_seeds', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'make-seeds.py'))
seeds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seeds)

SNAP_CUT_FLAG = 0x10            # fuzz_pipeline.c's (fuzz_decode.c's is 0x80)
# Clock steps (fuzz_pipeline.c): how << 5 in the first byte.
STEP_US, STEP_MS, STEP_S, STEP_BACK_US = 0, 1, 2, 3


def clock_step(delta_us):
    """(how, step) for a delta in microseconds, rounded to what fits."""
    if delta_us < 0:
        return STEP_BACK_US, min(-delta_us, 0xffff)
    if delta_us <= 0xffff:
        return STEP_US, delta_us
    if delta_us // 1000 <= 0xffff:
        return STEP_MS, delta_us // 1000
    return STEP_S, min(delta_us // 1000000, 0xffff)


def seed(frames, max_packets):
    out = bytearray()
    prev = None
    for linktype, frame, orig, ts_us in frames[:max_packets]:
        if linktype not in seeds.LINKTYPES:
            continue
        how, step = clock_step(0 if prev is None else ts_us - prev)
        prev = ts_us
        cut = orig > len(frame) or len(frame) > seeds.MAX_FRAME
        frame = frame[:seeds.MAX_FRAME]
        first = seeds.LINKTYPES.index(linktype) | (SNAP_CUT_FLAG if cut else 0) | how << 5
        out += struct.pack('<BHH', first, step, len(frame)) + frame
    return bytes(out)


def main(argv):
    max_packets = 300
    if '--max-packets' in argv:
        i = argv.index('--max-packets')
        max_packets = int(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    written = 0
    for path in argv[2:]:
        with open(path, 'rb') as f:
            data = f.read()
        frames = seeds.read_pcap(data)
        if frames is None:
            frames = seeds.read_pcapng(data)
        data = seed(frames, max_packets)
        if not data:
            continue
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(out_dir, name), 'wb') as f:
            f.write(data)
        written += 1
    print(f'{written} seeds in {out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
