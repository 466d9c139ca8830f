#!/usr/bin/env python3
"""make-pcapfile-seeds.py - seed tests/fuzz/corpus/pcapfile/ with small capture files.

    make-pcapfile-seeds.py OUT_DIR CAPTURE...

fuzz_pcapfile.c reads a whole capture file with capture/pcapfile.c and with
libpcap and checks that both give the same records.  The seeds: the file
header and first MAX_RECORDS records of every capture named that
pcapfile.c reads (classic pcap, little-endian, version 2.4, link type 1,
113 or 276; others are skipped), then hand-made variants of the first of
them for each rule pcapfile.h copies from libpcap: nanosecond magic, a
snapshot length of 0, of more than 2^31, and shorter than the records;
records longer than 262144 bytes (with the snapshot length above and
below them), longer than the snapshot length, cut short in their header
or their bytes (also while longer than the snapshot length), negative
times; and files pcapfile.c leaves to libpcap (big-endian, version 2.3,
link type 101, a header cut short).  File names are content hashes:
reruns do not duplicate.  Inputs a fuzzing run found are added only when
they bring new coverage:
    build-fuzz/fuzz_pcapfile -merge=1 tests/fuzz/corpus/pcapfile FUZZ_WORK_DIR
Python 3 standard library only.
"""
import hashlib
import os
import struct
import sys

MAX_RECORDS = 4
MAGIC_USEC = 0xa1b2c3d4
MAGIC_NSEC = 0xa1b23c4d
LINKTYPES = (1, 113, 276)


def records(data):
    """(header fields, [(sec, frac, caplen, len, bytes)]) of a file pcapfile.c reads, else None."""
    if len(data) < 24:
        return None
    magic, major, minor, zone, sigfigs, snaplen, linktype = struct.unpack('<IHHiIII', data[:24])
    if magic not in (MAGIC_USEC, MAGIC_NSEC) or (major, minor) != (2, 4) \
            or linktype not in LINKTYPES:
        return None
    out, pos = [], 24
    while len(out) < MAX_RECORDS and pos + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack('<iiII', data[pos:pos + 16])
        if pos + 16 + caplen > len(data):
            break
        out.append((sec, frac, caplen, length, data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return (magic, snaplen, linktype), out


def build(magic, snaplen, linktype, recs, major=2, minor=4, endian='<'):
    b = struct.pack(endian + 'IHHiIII', magic, major, minor, 0, 0, snaplen, linktype)
    for sec, frac, caplen, length, payload in recs:
        b += struct.pack(endian + 'iiII', sec, frac, caplen, length) + payload
    return b


def variants(magic, snaplen, linktype, recs):
    """Files for each rule of pcapfile.h, from one capture's records."""
    first = recs[0]
    big = 300000
    long_rec = (first[0], first[1], 70000, 70000, bytes(70000))
    yield build(MAGIC_NSEC, snaplen, linktype, recs)
    yield build(magic, 0, linktype, recs)
    yield build(magic, 0x80000000, linktype, recs)
    yield build(magic, 40, linktype, recs)                      # records cut to 40 bytes
    yield build(magic, 262144, linktype, [(0, 0, big, big, b'')])
    yield build(magic, 65535, linktype, [(0, 0, big, big, b'')])
    yield build(magic, 65535, linktype, [long_rec])             # longer than snaplen, whole
    yield build(magic, 65535, linktype, [long_rec])[:24 + 16 + 1000]      # cut inside snaplen
    yield build(magic, 65535, linktype, [long_rec])[:24 + 16 + 66000]     # cut past snaplen
    yield build(magic, snaplen, linktype, recs)[:24 + 7]        # cut in a record header
    yield build(magic, snaplen, linktype, recs)[:24 + 16 + first[2] // 2]   # in its bytes
    yield build(magic, snaplen, linktype, [(-1, -5, first[2], first[3], first[4]),
                                           (-2147483648, 999999, first[2], first[3], first[4])])
    yield build(magic, snaplen, linktype, [])                   # no record
    yield build(magic, snaplen, linktype, recs, endian='>')      # left to libpcap
    yield build(magic, snaplen, linktype, recs, minor=3)
    yield build(magic, snaplen, 101, recs)
    yield build(magic, snaplen, linktype, recs)[:10]


def write(out_dir, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out_dir, name), 'wb') as f:
        f.write(data)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    made = None
    for path in sys.argv[2:]:
        with open(path, 'rb') as f:
            r = records(f.read())
        if r is None or not r[1]:
            continue
        (magic, snaplen, linktype), recs = r
        write(out_dir, build(magic, snaplen, linktype, recs))
        if made is None:
            made = (magic, snaplen, linktype, recs)
    if made is None:
        sys.exit('make-pcapfile-seeds.py: no capture that pcapfile.c reads')
    for v in variants(*made):
        write(out_dir, v)


if __name__ == '__main__':
    main()
