#!/usr/bin/env python3
"""make-seeds.py - seed tests/fuzz/corpus/decode/ with frames from real captures.

    make-seeds.py DECODE_STATS CORPUS_DIR OUT_DIR [MAX_PER_CAPTURE]

For every capture libpcap can read, DECODE_STATS -v tells how nm_decode sees
each frame (layers + malformation); the first frame of each distinct view is
written to OUT_DIR as a fuzz input: one byte naming the link type (its index
in fuzz_decode.c's table; bit 7 set when the frame was cut by the snap
length, or when it is longer than MAX_FRAME and kept only in part), then the
frame, at most MAX_FRAME bytes of it.  At most
MAX_PER_CAPTURE (default 6) frames per capture, so the corpus stays a few
hundred small files.  File names are content hashes: reruns do not duplicate.
Hand-built frames come from the unit test (NM_DECODE_SEED_DIR, see
tests/unit/test_decode.c); inputs a fuzzing run found are added only when
they bring new coverage:
    build-fuzz/fuzz_decode -merge=1 tests/fuzz/corpus/decode FUZZ_WORK_DIR
Python 3 standard library only.
"""
import hashlib
import os
import struct
import subprocess
import sys

# Must match fuzz_linktypes[] in fuzz_common.h.
LINKTYPES = [1, 113, 276, 0, 108, 101, 12, 14, 228, 229]
SNAP_CUT_FLAG = 0x80
MAX_FRAME = 600


# The readers below give (link type, frame, original length, timestamp in
# microseconds) per frame; make-pipeline-seeds.py uses them too.
PCAP_MAGICS = {b'\xd4\xc3\xb2\xa1': ('<', False), b'\x4d\x3c\xb2\xa1': ('<', True),
               b'\xa1\xb2\xc3\xd4': ('>', False), b'\xa1\xb2\x3c\x4d': ('>', True)}


def read_pcap(data):
    """Frames of a classic pcap file, None if it is not one."""
    if data[:4] not in PCAP_MAGICS:
        return None
    e, nsec = PCAP_MAGICS[data[:4]]
    if len(data) < 24:
        return []
    linktype = struct.unpack(e + 'I', data[20:24])[0] & 0x0fffffff
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + 'IIII', data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        ts_us = sec * 1000000 + (frac // 1000 if nsec else frac)
        frames.append((linktype, data[off:off + incl], orig, ts_us))
        off += incl
    return frames


def if_tsresol(e, options):
    """Units per second of an interface's timestamps (option if_tsresol)."""
    off = 0
    while off + 4 <= len(options):
        code, length = struct.unpack(e + 'HH', options[off:off + 4])
        if code == 0:
            break
        if code == 9 and length >= 1:
            v = options[off + 4]
            return 2 ** (v & 0x7f) if v & 0x80 else 10 ** v
        off += 4 + (length + 3) // 4 * 4
    return 1000000


def read_pcapng(data):
    off, frames, ifaces, e = 0, [], [], '<'
    while off + 12 <= len(data):
        btype = struct.unpack(e + 'I', data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            e = '<' if bom == b'\x4d\x3c\x2b\x1a' else '>'
            ifaces = []
        blen = struct.unpack(e + 'I', data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:
            ifaces.append((struct.unpack(e + 'H', body[:2])[0], if_tsresol(e, body[8:])))
        elif btype == 6 and len(body) >= 20:
            ifid, hi, lo, cap, orig = struct.unpack(e + 'IIIII', body[:20])
            if ifid < len(ifaces):
                linktype, per_s = ifaces[ifid]
                ts_us = ((hi << 32) | lo) * 1000000 // per_s
                frames.append((linktype, body[20:20 + cap], orig, ts_us))
        elif btype == 3 and len(body) >= 4 and ifaces:
            # No timestamp in a simple packet block: the previous frame's.
            orig = struct.unpack(e + 'I', body[:4])[0]
            ts_us = frames[-1][3] if frames else 0
            frames.append((ifaces[0][0], body[4:4 + orig], orig, ts_us))
        off += blen
    return frames


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__.split('\n\n')[1] + '\n')
        return 2
    tool, corpus, out = argv[:3]
    per_capture = int(argv[3]) if len(argv) == 4 else 6
    os.makedirs(out, exist_ok=True)
    written = 0
    for name in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, name)
        if name in ('MANIFEST.tsv', 'SHA256SUMS') or name.startswith('.') or \
                name.endswith(('.md', '.txt', '.json')) or not os.path.isfile(path):
            continue
        with open(path, 'rb') as fh:
            data = fh.read()
        frames = read_pcap(data)
        if frames is None:
            frames = read_pcapng(data)
        run = subprocess.run([tool, '-v', path], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        views = [line.split('\t')[2:4] for line in
                 run.stdout.decode('utf-8', 'replace').splitlines()]
        seen, n = set(), 0
        for (linktype, frame, orig, _), view in zip(frames, views):
            if linktype not in LINKTYPES or n >= per_capture:
                continue
            key = tuple(view)
            if key in seen:
                continue
            seen.add(key)
            cut = orig > len(frame) or len(frame) > MAX_FRAME
            first = LINKTYPES.index(linktype) | (SNAP_CUT_FLAG if cut else 0)
            blob = bytes([first]) + frame[:MAX_FRAME]
            fname = os.path.join(out, 'seed-' + hashlib.sha1(blob).hexdigest()[:16])
            if not os.path.exists(fname):
                with open(fname, 'wb') as fh:
                    fh.write(blob)
                written += 1
            n += 1
    print('%d new seeds in %s' % (written, out))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
