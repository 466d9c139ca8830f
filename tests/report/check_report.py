#!/usr/bin/env python3
"""check_report.py - the checks of tests/t-report.sh that need a parser.

  check_report.py numbers CAPTURE EXPECTED.TSV REPORT.JSON REPORT.CSV
      The JSON and CSV parse, carry the same numbers, and equal the
      capture's tshark numbers in sample-pcaps/expected.tsv.
  check_report.py series REPORT.JSON
      The input of tests/tools/pngcheck.py checkall: each graph and the
      number of series it must show, from the JSON report.
Exit 0 when every check passes, 1 otherwise (one line per failure).
"""
import csv
import json
import sys

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


def series(jpath):
    """Lines "FILE SERIES" for tests/tools/pngcheck.py checkall: how many series
    each graph must show, from the JSON report of the same database.  Series
    that are zero everywhere are not drawn (report/plot.h, plot_common.c)."""
    j = json.load(open(jpath))
    w = j["window"]["protocols"]
    conn = ("TCP", "UDP", "ICMP", "ICMPv6", "Other")
    print("throughput_over_time.png", sum(1 for p in w if p["bytes"] > 0))
    print("new_connections.png", sum(1 for p in w if p["name"] in conn and p["new_connections"] > 0))
    conn_kinds = ("tcp_handshake", "dns", "icmp_echo", "icmpv6_echo", "udp_first_response")
    print("latency_distribution.png",
          sum(1 for k in j["latency"] if k["samples"] > 0 and k["kind"] in conn_kinds))
    print("protocol_usage.png -")
    print("top_talkers.png -")


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "numbers":
        numbers(*sys.argv[2:6])
    elif len(sys.argv) == 3 and sys.argv[1] == "series":
        series(sys.argv[2])
    else:
        print(__doc__)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
