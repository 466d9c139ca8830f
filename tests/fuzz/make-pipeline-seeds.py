#!/usr/bin/env python3
"""make-pipeline-seeds.py - seed tests/fuzz/corpus/pipeline/ from real captures.

    make-pipeline-seeds.py OUT_DIR CAPTURE... [--max-packets N]

Each capture (pcap; others are skipped) becomes one input of
fuzz_pipeline.c: per packet a 5-byte record header (link type index and
snap-cut flag, the clock step from the previous packet, the frame length)
and the frame, at most MAX_FRAME bytes of it.  The first N packets
(default 300) of each capture, so the seeds stay small.  File names are
content hashes: reruns do not duplicate.  Inputs a fuzzing run found are
added only when they bring new coverage:
    build-fuzz/fuzz_pipeline -merge=1 tests/fuzz/corpus/pipeline FUZZ_WORK_DIR
Python 3 standard library only.
"""
import hashlib
import os
import struct
import sys

# Must match fuzz_linktypes[] in fuzz_common.h.
LINKTYPES = [1, 113, 276, 0, 108, 101, 12, 14, 228, 229]
SNAP_CUT_FLAG = 0x10
MAX_FRAME = 600
# Clock steps (fuzz_pipeline.c): how << 5 in the first byte.
STEP_US, STEP_MS, STEP_S, STEP_BACK_US = 0, 1, 2, 3


def read_pcap(data):
    magic = data[:4]
    if magic == b'\xd4\xc3\xb2\xa1':
        e, nsec = '<', False
    elif magic == b'\xa1\xb2\xc3\xd4':
        e, nsec = '>', False
    elif magic == b'\x4d\x3c\xb2\xa1':
        e, nsec = '<', True
    elif magic == b'\xa1\xb2\x3c\x4d':
        e, nsec = '>', True
    else:
        return None, []
    if len(data) < 24:
        return None, []
    linktype = struct.unpack(e + 'I', data[20:24])[0] & 0x0fffffff
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + 'IIII', data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        ts_us = sec * 1000000 + (frac // 1000 if nsec else frac)
        frames.append((ts_us, data[off:off + incl], orig))
        off += incl
    return linktype, frames


def clock_step(delta_us):
    """(how, step) for a delta in microseconds, rounded to what fits."""
    if delta_us < 0:
        return STEP_BACK_US, min(-delta_us, 0xffff)
    if delta_us <= 0xffff:
        return STEP_US, delta_us
    if delta_us // 1000 <= 0xffff:
        return STEP_MS, delta_us // 1000
    return STEP_S, min(delta_us // 1000000, 0xffff)


def seed(linktype, frames, max_packets):
    out = bytearray()
    prev = None
    for ts_us, frame, orig in frames[:max_packets]:
        how, step = clock_step(0 if prev is None else ts_us - prev)
        prev = ts_us
        cut = orig > len(frame) or len(frame) > MAX_FRAME
        frame = frame[:MAX_FRAME]
        first = LINKTYPES.index(linktype) | (SNAP_CUT_FLAG if cut else 0) | how << 5
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
            linktype, frames = read_pcap(f.read())
        if linktype not in LINKTYPES or not frames:
            continue
        data = seed(linktype, frames, max_packets)
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(out_dir, name), 'wb') as f:
            f.write(data)
        written += 1
    print(f'{written} seeds in {out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
