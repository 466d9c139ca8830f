#!/usr/bin/env python3
"""check_report.py - the checks of tests/t-report.sh that need a parser.

  check_report.py numbers CAPTURE EXPECTED.TSV REPORT.JSON REPORT.CSV
      The JSON and CSV parse, carry the same numbers, and equal the
      capture's tshark numbers in sample-pcaps/expected.tsv.
  check_report.py png MIN_COLOURS FILE...
      Each FILE is a PNG (signature, IHDR, CRCs, zlib data of the right
      size); prints "FILE WIDTH HEIGHT COLOURS" and fails when a picture
      has fewer than MIN_COLOURS distinct colours (blank or nearly so).
Exit 0 when every check passes, 1 otherwise (one line per failure).
"""
import csv
import json
import struct
import sys
import zlib

failures = 0


def bad(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def expected_values(tsv, capture):
    out = {}
    with open(tsv) as f:
        for line in f:
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[0] == capture:
                out[parts[1]] = int(parts[2])
    return out


PROTOS = {"eth": "Ethernet", "vlan": "VLAN", "arp": "ARP", "ipv4": "IPv4", "ipv6": "IPv6",
          "tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6", "dns": "DNS",
          "other": "Other"}


def from_json(j):
    """The expected.tsv metrics as the JSON report states them."""
    v = {"packets": j["packets"], "bytes": j["bytes"], "captured_bytes": j["captured_bytes"],
         "first_ns": j["session"]["first_packet_ns"], "last_ns": j["session"]["last_packet_ns"],
         "distinct_ipv4": j["unique_addresses"]["ipv4"],
         "distinct_ipv6": j["unique_addresses"]["ipv6"],
         "distinct_ip": j["unique_addresses"]["ipv4"] + j["unique_addresses"]["ipv6"],
         "distinct_mac": j["unique_addresses"]["mac"],
         "tcp_resets": j["tcp_resets"], "tcp_retransmissions": j["tcp_retransmissions"],
         "malformed_frames": j["malformed"]["total"]}
    protos = {p["name"]: p for p in j["protocols"]}
    for short, name in PROTOS.items():
        v[short + "_packets"] = protos[name]["packets"]
        v[short + "_bytes"] = protos[name]["bytes"]
    v["tcp_syn_connections"] = protos["TCP"]["connections"]
    return v


def from_csv(rows):
    t = {(r["section"], r["name"], r["field"]): r["value"] for r in rows}
    i = lambda k: int(t[k])
    v = {"packets": i(("total", "", "packets")), "bytes": i(("total", "", "bytes")),
         "captured_bytes": i(("total", "", "captured_bytes")),
         "distinct_ipv4": i(("unique_addresses", "", "ipv4")),
         "distinct_ipv6": i(("unique_addresses", "", "ipv6")),
         "distinct_mac": i(("unique_addresses", "", "mac")),
         "tcp_resets": i(("tcp", "", "resets")),
         "tcp_retransmissions": i(("tcp", "", "retransmissions")),
         "malformed_frames": i(("malformed", "", "total"))}
    v["distinct_ip"] = v["distinct_ipv4"] + v["distinct_ipv6"]
    for short, name in PROTOS.items():
        v[short + "_packets"] = i(("protocol", name, "packets"))
        v[short + "_bytes"] = i(("protocol", name, "bytes"))
    v["tcp_syn_connections"] = i(("protocol", "TCP", "connections"))
    return v


def numbers(capture, tsv, jpath, cpath):
    exp = expected_values(tsv, capture)
    if not exp:
        bad(f"{capture}: no expected values in {tsv}")
        return
    with open(jpath) as f:
        j = json.load(f)
    with open(cpath, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or list(rows[0].keys()) != ["section", "name", "field", "value"]:
        bad(f"{capture}: CSV header is not section,name,field,value")
        return
    vj, vc = from_json(j), from_csv(rows)
    compared = 0
    for k, want in sorted(exp.items()):
        if k not in vj:
            continue
        compared += 1
        if vj[k] != want:
            bad(f"{capture}: JSON {k} = {vj[k]}, tshark says {want}")
        if k in vc and vc[k] != want:
            bad(f"{capture}: CSV {k} = {vc[k]}, tshark says {want}")
    # The window (the whole session here) adds up to the session totals.
    w = {p["name"]: p for p in j["window"]["protocols"]}
    for p in j["protocols"]:
        if w[p["name"]]["packets"] != p["packets"] or w[p["name"]]["bytes"] != p["bytes"]:
            bad(f"{capture}: window {p['name']} differs from the session totals")
        if p["connections"] is not None and w[p["name"]]["new_connections"] != p["connections"]:
            bad(f"{capture}: window new connections of {p['name']} differ")
    lat = sum(k["samples"] for k in j["latency"])
    if j["window"]["latency_samples"] != lat:
        bad(f"{capture}: window latency samples {j['window']['latency_samples']} != {lat}")
    print(f"ok: {capture}: {compared} numbers equal tshark's in JSON and CSV")


def png_pixels(path):
    """(width, height, set of colours) of an 8-bit non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    pos, idat, ihdr, plte = 8, b"", None, None
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError("chunk header cut short")
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise ValueError(f"chunk {ctype!r} cut short")
        if zlib.crc32(ctype + body) != struct.unpack(">I", crc)[0]:
            raise ValueError(f"bad CRC in chunk {ctype!r}")
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"PLTE":
            plte = body
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        raise ValueError("no IHDR")
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or interlace != 0:
        raise ValueError(f"unsupported depth {depth} / interlace {interlace}")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * channels
    if len(raw) != h * (stride + 1):
        raise ValueError("image data size does not match IHDR")
    colours, prev = set(), bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
            elif ft != 0:
                raise ValueError(f"bad filter type {ft}")
        for x in range(0, stride, channels):
            colours.add(bytes(line[x:x + channels]))
        prev = line
    return w, h, colours


def png(min_colours, files):
    for path in files:
        try:
            w, h, colours = png_pixels(path)
        except (OSError, ValueError, KeyError, zlib.error, struct.error) as e:
            bad(f"{path}: not a valid PNG: {e}")
            continue
        print(f"{path} {w} {h} {len(colours)}")
        if len(colours) < min_colours:
            bad(f"{path}: only {len(colours)} colours (blank?)")


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "numbers":
        numbers(*sys.argv[2:6])
    elif len(sys.argv) >= 4 and sys.argv[1] == "png":
        png(int(sys.argv[2]), sys.argv[3:])
    else:
        print(__doc__)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
