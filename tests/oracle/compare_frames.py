#!/usr/bin/env python3
"""compare_frames.py - every frame's decoded fields against tshark's.

    compare_frames.py [-v] [-j JOBS] NM_CAPTURE WORKDIR CAPTURE...

For each capture: nm-capture writes its packets table; tshark (-n, no IP
reassembly, first occurrence of each field: the outermost header) decodes the
same frames.  For every frame netmon found well formed, each field of a
layer netmon decoded must equal tshark's:

  MACs (eth.src/dst), outer VLAN id (ieee8021ad.id, else vlan.id), IPv4 and
  IPv6 addresses, IPv4 protocol, TCP and UDP ports, TCP flags (the nine
  flag bits), ICMP and ICMPv6 type and code, ARP operation and IPv4
  addresses (0.0.0.0 where tshark shows none: not IPv4, README), DNS id,
  flags and first question name (tshark's "<Root>" is "."; a name with a
  backslash or a byte outside printable ASCII is escaped differently by the
  two and not compared).  Frames either decoder marks malformed are skipped.

The capture is skipped when tshark and libpcap give a different number of
frames.  Prints each field's count of comparisons and the differences (at
most 5 examples each).  Exit status 0 if no field differs, 1 otherwise, 2 on
bad usage.  Python 3 standard library only.
"""
import collections
import concurrent.futures
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_db  # noqa: E402  (its layer bits)
import compare_decode  # noqa: E402  (its option parsing)

TIMEOUT_S = 300
FIELDS = ('frame.protocols', 'eth.src', 'eth.dst', 'ieee8021ad.id', 'vlan.id', 'ip.src',
          'ip.dst', 'ip.proto', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport',
          'udp.srcport', 'udp.dstport', 'tcp.flags', 'icmp.type', 'icmp.code', 'icmpv6.type',
          'icmpv6.code', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'dns.id',
          'dns.flags', 'dns.qry.name', '_ws.malformed')
OURS = ('layers, src_mac, dst_mac, vlan_outer, ip_version, src_ip, dst_ip, ip_proto, src_port,'
        ' dst_port, tcp_flags, icmp_type, icmp_code, arp_op, arp_spa, arp_tpa, dns_id,'
        ' dns_flags, dns_qname, malformed')
B = compare_db.LAYER_BITS   # packets.layers bits, by oracle layer name


def tshark_frames(path):
    args = ['tshark', '-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-r', path,
            '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=/t']
    for f in FIELDS:
        args += ['-e', f]
    run = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         timeout=TIMEOUT_S, check=False)
    return [dict(zip(FIELDS, line.split('\t')))
            for line in run.stdout.decode('utf-8', errors='replace').splitlines()]


def num(v):
    return None if v == '' else int(v, 16) if v.startswith('0x') else int(v)


def plain(name):
    """No byte the two escape differently (netmon: RFC 1035 \\DDD decimal; tshark:
    C escapes and octal) and nothing outside printable ASCII."""
    return all(' ' < ch < '\x7f' and ch != '\\' for ch in name)


def compare_frame(o, t, out):
    """Appends (field, ours, tshark's) for every comparison of one frame."""
    (layers, smac, dmac, vlan, ipv, sip, dip, ipp, sport, dport, tflags, itype, icode, aop,
     spa, tpa, did, dflags, qname, _) = o
    if layers & B['eth']:
        out.append(('mac', (smac, dmac), (t['eth.src'], t['eth.dst'])))
    if vlan is not None:
        out.append(('vlan', vlan, num(t['ieee8021ad.id'] or t['vlan.id'])))
    if ipv == 4 and layers & B['ip']:
        out.append(('ipv4 addresses', (sip, dip), (t['ip.src'], t['ip.dst'])))
        out.append(('ipv4 protocol', ipp, num(t['ip.proto'])))
    if ipv == 6 and layers & B['ipv6']:
        out.append(('ipv6 addresses', (sip, dip), (t['ipv6.src'], t['ipv6.dst'])))
    if layers & B['tcp']:
        out.append(('tcp ports', (sport, dport), (num(t['tcp.srcport']), num(t['tcp.dstport']))))
        if t['tcp.flags']:
            out.append(('tcp flags', tflags, num(t['tcp.flags']) & 0x1ff))
    if layers & B['udp']:
        out.append(('udp ports', (sport, dport), (num(t['udp.srcport']), num(t['udp.dstport']))))
    if layers & B['icmp']:
        out.append(('icmp type/code', (itype, icode), (num(t['icmp.type']), num(t['icmp.code']))))
    if layers & B['icmpv6']:
        out.append(('icmpv6 type/code', (itype, icode),
                    (num(t['icmpv6.type']), num(t['icmpv6.code']))))
    if layers & B['arp']:
        out.append(('arp', (aop, spa, tpa), (num(t['arp.opcode']),
                                            t['arp.src.proto_ipv4'] or '0.0.0.0',
                                            t['arp.dst.proto_ipv4'] or '0.0.0.0')))
    if layers & B['dns'] and t['dns.id']:
        out.append(('dns id/flags', (did, dflags), (num(t['dns.id']), num(t['dns.flags']))))
        name = '.' if t['dns.qry.name'] == '<Root>' else t['dns.qry.name']
        if plain(name) and plain(qname or ''):
            out.append(('dns question name', qname, name))


def check(tool, workdir, path):
    """(per-field comparison counts, difference examples, note or None)."""
    name = os.path.basename(path)
    db = os.path.join(workdir, name + '.db')
    for f in (db, db + '-wal', db + '-shm'):
        if os.path.exists(f):
            os.remove(f)
    run = subprocess.run([tool, '-q', '--no-report', '--no-latency', '--no-log', '-r', path,
                          '-d', db], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=TIMEOUT_S, check=False)
    if run.returncode not in (0, 1):
        return {}, [('run', name, 'nm-capture exit %d' % run.returncode)], None
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        ours = con.execute('SELECT %s FROM packets ORDER BY id' % OURS).fetchall()
    finally:
        con.close()
    theirs = tshark_frames(path)
    if len(theirs) != len(ours):
        return {}, [], '%s: tshark %d frames, libpcap %d: not compared' % (
            name, len(theirs), len(ours))
    counts, diffs = collections.Counter(), []
    for i, (o, t) in enumerate(zip(ours, theirs), 1):
        # Malformed for either: its fields stop where that decoder stopped.
        if o[-1] is not None or t.get('_ws.malformed'):
            continue
        cmp = []
        compare_frame(o, t, cmp)
        for field, mine, want in cmp:
            counts[field] += 1
            if mine != want:
                diffs.append((field, '%s frame %d' % (name, i), 'netmon %r, tshark %r'
                              % (mine, want)))
    return counts, diffs, None


def main(argv):
    verbose, jobs, _, argv = compare_decode.parse_flags(argv)
    if len(argv) < 3:
        sys.stderr.write(__doc__.split('\n\n')[1] + '\n')
        return 2
    tool, workdir, paths = argv[0], argv[1], argv[2:]
    os.makedirs(workdir, exist_ok=True)
    counts, diffs = collections.Counter(), collections.defaultdict(list)
    frames_captures = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for c, d, note in pool.map(lambda p: check(tool, workdir, p), paths):
            counts.update(c)
            frames_captures += bool(c)
            for field, where, what in d:
                diffs[field].append((where, what))
            if note and verbose:
                print('note ' + note)
    failures = 0
    for field in sorted(set(counts) | set(diffs)):
        print('%-18s %8d compared, %d differ' % (field, counts[field], len(diffs[field])))
        for where, what in diffs[field][:5]:
            print('FAIL %s: %s: %s' % (field, where, what))
        failures += len(diffs[field])
    print('%d captures compared frame by frame, %d differences' % (frames_captures, failures))
    return 1 if failures or not frames_captures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
