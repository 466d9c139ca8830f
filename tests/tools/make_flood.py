#!/usr/bin/env python3
"""make_flood.py - deterministic test captures for nm-capture's limits.

  make_flood.py syn N OUT [--seed S]
      N TCP SYN frames (Ethernet / IPv4 / TCP, classic pcap, microsecond
      timestamps 100 us apart) from N distinct pseudo-random spoofed IPv4
      sources to 10.0.0.1:80.  The sources never include 10.0.0.1.  Prints
      "frames N sources N destinations 1" on stdout, so a test can compare
      the database with what was really written.

  make_flood.py repeat IN N OUT
      The records of the classic pcap IN, N times over, each copy shifted by
      the capture's span plus one second (so every copy is new traffic).
      Prints "frames F".

Only the standard library; the same seed always gives the same bytes.
"""
import random
import struct
import sys

PCAP_MAGIC_US = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
DST_IP = 0x0A000001  # 10.0.0.1
DST_PORT = 80
T0 = 1700000000      # 2023-11-14 22:13:20 UTC


def csum(data):
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn_frame(src_ip, sport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, DST_PORT, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = struct.pack("!IIBBH", src_ip, DST_IP, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(tcp), seq & 0xFFFF, 0, 64, 6, 0,
                     src_ip, DST_IP)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000001") + bytes.fromhex("020000000002") + b"\x08\x00"
    return eth + ip + tcp


def write_header(f, snaplen=65535):
    f.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET))


def cmd_syn(n, out, seed):
    rng = random.Random(seed)
    seen = set()
    with open(out, "wb") as f:
        write_header(f)
        i = 0
        while i < n:
            src = rng.getrandbits(32)
            # Distinct, and never the destination or 0.0.0.0.
            if src in seen or src == DST_IP or src == 0:
                continue
            seen.add(src)
            frame = syn_frame(src, 1024 + rng.randrange(60000), rng.getrandbits(32))
            us = i * 100
            f.write(struct.pack("<IIII", T0 + us // 1000000, us % 1000000, len(frame),
                                len(frame)))
            f.write(frame)
            i += 1
    print("frames %d sources %d destinations 1" % (n, len(seen)))


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != PCAP_MAGIC_US:
        sys.exit("%s: not a little-endian microsecond pcap" % path)
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
        recs.append((sec, usec, wirelen, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], recs


def cmd_repeat(src, n, out):
    header, recs = read_pcap(src)
    if not recs:
        sys.exit("%s: no packets" % src)
    span = recs[-1][0] - recs[0][0] + 1
    with open(out, "wb") as f:
        f.write(header)
        for copy in range(n):
            for sec, usec, wirelen, frame in recs:
                f.write(struct.pack("<IIII", sec + copy * span, usec, len(frame), wirelen))
                f.write(frame)
    print("frames %d" % (n * len(recs)))


def main(argv):
    if len(argv) >= 4 and argv[1] == "syn":
        seed = 1
        if len(argv) == 6 and argv[4] == "--seed":
            seed = int(argv[5])
        cmd_syn(int(argv[2]), argv[3], seed)
    elif len(argv) == 5 and argv[1] == "repeat":
        cmd_repeat(argv[2], int(argv[3]), argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
