#!/usr/bin/env python3
"""compare_latency.py - latency samples vs tshark's oracle, on every capture.

Runs tests/tools/latency_dump on each capture of the corpus and compares its
samples with the oracle JSON written by tshark 4.0.17:

    netmon kind     oracle list            tshark field
    tcp_handshake   tcp_initial_rtt_ms     tcp.analysis.initial_rtt
    dns             dns_time_ms            dns.time
    icmp_echo       icmp_resptime_ms       icmp.resptime
    icmpv6_echo     icmpv6_resptime_ms     icmpv6.resptime

A capture matches for a kind when both sides have the same number of values
and each value is within 1 us (tshark prints icmp.resptime in ms with three
decimals, so 0.001 ms plus half a unit of rounding is allowed).  dns and
ICMP lists are in frame order on both sides and are compared in order; the
oracle lists initial RTTs by stream index while netmon emits them when the
handshake completes, so those are compared sorted.

Known, explained differences are listed in latency-exceptions.tsv
(capture, kind, reason).  A listed difference is reported but not a failure;
a listed pair that matches is a failure too ("stale exception"), so the list
stays true.  Exit status: 0 all good, 1 unexpected differences, 2 usage.

Usage: compare_latency.py --tool BUILD/tests/latency_dump [--corpus DIR]
       [--oracle DIR] [--exceptions FILE] [--only SUBSTRING] [-v]
Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CAPTURES = os.path.join(os.path.dirname(TOP), 'shared', 'captures')

PAIRS = [  # (netmon kind, oracle field, compare in order?)
    ('tcp_handshake', 'tcp_initial_rtt_ms', False),
    ('dns', 'dns_time_ms', True),
    ('icmp_echo', 'icmp_resptime_ms', True),
    ('icmpv6_echo', 'icmpv6_resptime_ms', True),
]
TOLERANCE_MS = 0.001 + 0.0005 + 1e-9
NOT_CAPTURES = ('MANIFEST.tsv', 'SHA256SUMS')
NOT_CAPTURE_EXT = ('.md', '.txt', '.json', '.tsv')


def load_exceptions(path):
    exc = {}
    with open(path, encoding='utf-8') as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            parts = line.split('\t')
            if len(parts) != 3 or not all(p.strip() for p in parts):
                sys.exit('%s:%d: want "capture<TAB>kind<TAB>reason"' % (path, n))
            cap, kind, reason = parts
            if kind not in [p[0] for p in PAIRS]:
                sys.exit('%s:%d: unknown kind %r' % (path, n, kind))
            exc[(cap, kind)] = reason
    return exc


def run_tool(tool, cap):
    """netmon's samples per kind (ms), or None with the reason."""
    proc = subprocess.run([tool, cap], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    if proc.returncode == 1:        # libpcap cannot open the file
        return {}, proc.stderr.strip()
    if proc.returncode != 0:
        raise RuntimeError('%s %s: exit %d: %s' % (tool, cap, proc.returncode, proc.stderr))
    out = json.loads(proc.stdout)
    return out['samples_ms'], out['read_error']


def compare(ours, theirs, in_order):
    """(match?, netmon values without a partner, oracle values without one)."""
    if in_order and len(ours) == len(theirs):
        if all(abs(a - b) <= TOLERANCE_MS for a, b in zip(ours, theirs)):
            return True, [], []
    # Multiset difference with tolerance, to show what differs.
    rest = sorted(theirs)
    extra = []
    for v in sorted(ours):
        for i, w in enumerate(rest):
            if abs(v - w) <= TOLERANCE_MS:
                del rest[i]
                break
        else:
            extra.append(v)
    same = not extra and not rest and not in_order
    return same, extra, rest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tool', required=True)
    ap.add_argument('--corpus', default=os.path.join(DEFAULT_CAPTURES, 'corpus'))
    ap.add_argument('--oracle', default=os.path.join(DEFAULT_CAPTURES, 'oracle'))
    ap.add_argument('--exceptions', default=os.path.join(HERE, 'latency-exceptions.tsv'))
    ap.add_argument('--only', default='')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()

    exc = load_exceptions(args.exceptions)
    captures = sorted(f for f in os.listdir(args.corpus)
                      if f not in NOT_CAPTURES and not f.endswith(NOT_CAPTURE_EXT)
                      and args.only in f)
    if not captures:
        print('no captures in %s' % args.corpus)
        return 2
    used = set()
    failures = 0
    stats = {k: [0, 0, 0, 0] for k, _, _ in PAIRS}  # matched, oracle values, captures, excepted
    for cap in captures:
        oracle_path = os.path.join(args.oracle, cap + '.json')
        if not os.path.exists(oracle_path):
            print('NOTE %s: no oracle file, skipped' % cap)
            continue
        with open(oracle_path, encoding='utf-8') as fh:
            oracle = json.load(fh)
        ours, read_error = run_tool(args.tool, os.path.join(args.corpus, cap))
        for kind, field, in_order in PAIRS:
            theirs = oracle.get(field) or []
            mine = [float(v) for v in ours.get(kind, [])]
            if not theirs and not mine:
                continue
            same, extra, missing = compare(mine, theirs, in_order)
            st = stats[kind]
            st[1] += len(theirs)
            st[2] += 1
            st[0] += len(theirs) - len(missing) if not same else len(theirs)
            key = (cap, kind)
            if key in exc:
                used.add(key)
                st[3] += len(theirs)
            if same:
                if key in exc:
                    failures += 1
                    print('FAIL %s %s: stale exception, the values match now (%d values)'
                          % (cap, kind, len(theirs)))
                elif args.verbose:
                    print('ok   %s %s: %d values' % (cap, kind, len(theirs)))
                continue
            detail = ('netmon %d values, tshark %d; netmon only: %s; tshark only: %s'
                      % (len(mine), len(theirs), fmt(extra), fmt(missing)))
            if in_order and not extra and not missing:
                detail += '; same values in another order'
            if read_error:
                detail += '; libpcap: %s' % read_error
            if key in exc:
                print('XDIF %s %s: %s [%s]' % (cap, kind, exc[key], detail if args.verbose
                                                else '%d vs %d' % (len(mine), len(theirs))))
            else:
                failures += 1
                print('FAIL %s %s: %s' % (cap, kind, detail))
    for key in sorted(set(exc) - used):
        if args.only and args.only not in key[0]:
            continue
        failures += 1
        print('FAIL %s %s: stale exception, neither side has values' % key)
    for kind, field, _ in PAIRS:
        m, n, c, x = stats[kind]
        print('%-14s %5d of %5d tshark values matched within 1 us, over %d captures'
              ' (%d values in listed exceptions)' % (kind, m, n, c, x))
    print('%d unexpected difference(s)' % failures)
    return 1 if failures else 0


def fmt(values, limit=6):
    s = ', '.join('%.6f' % v for v in values[:limit])
    if len(values) > limit:
        s += ', ... (%d more)' % (len(values) - limit)
    return '[' + s + ']'


if __name__ == '__main__':
    sys.exit(main())
