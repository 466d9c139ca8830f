#!/usr/bin/env python3
"""compare_db.py - run nm-capture on every corpus capture and compare what its
database says with the tshark oracle (../shared/captures/oracle/<capture>.json).

    compare_db.py [-v] [-j JOBS] NM_CAPTURE CAPTURES_DIR WORKDIR EXCEPTIONS_TSV...

For each capture: `NM_CAPTURE -q -r CAPTURE -d WORKDIR/CAPTURE.db -l
WORKDIR/CAPTURE.log`, then the numbers are read from the database only:

  packets, bytes, captured_bytes   sessions
  layers.<L>.*                     packets.layers bits (table layer_bits), with
                                   packets.wire_len / cap_len
  distinct_ip_addresses            addresses rows of kind ipv4 and ipv6
  distinct_mac_addresses           addresses rows of kind mac
  tcp_resets, tcp_retransmissions  seconds, summed (README: Metrics)
  tcp_streams, udp_conversations   flows rows of proto TCP / UDP: netmon's flows
                                   against tshark's tcp.stream / udp.stream values

and compared with the oracle by compare_decode.check_capture, the one
comparison both oracle tests share (same field names, same exception files).

Checks of the database path itself, which no exception excuses:
  * exit status and sessions.end_reason against oracle/libpcap-read.tsv (see
    expected_end);
  * the packets table has sessions.packets rows;
  * proto_seconds summed per protocol equals the packets-table count and
    wire bytes of the frames in that protocol (analyze/proto.h: VLAN = either
    VLAN bit, Other = neither ARP, IPv4 nor IPv6);
  * the seconds table sums to sessions.packets and sessions.bytes.

A sanitizer report on nm-capture's stderr is a failure too.  JOBS captures
run at a time (default 2).  Exit status 0 if everything
agrees, 1 otherwise, 2 on bad usage.  Python 3 standard library only.
"""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_decode  # noqa: E402  (the shared comparison)

TIMEOUT_S = 300

# Oracle layer name -> packets.layers bit (capture/decode/decode.h, layer_bits).
LAYER_BITS = {'eth': 1, 'vlan': 2, 'ieee8021ad': 4, 'sll': 8, 'null': 16, 'raw': 32,
              'arp': 64, 'ip': 128, 'ipv6': 256, 'tcp': 512, 'udp': 1024, 'icmp': 2048,
              'icmpv6': 4096, 'dns': 8192}

# proto_seconds.proto -> SQL condition on packets.layers (analyze/proto.h).
PROTO_CONDITIONS = {
    'Ethernet': 'layers & 1', 'VLAN': 'layers & 6', 'ARP': 'layers & 64',
    'IPv4': 'layers & 128', 'IPv6': 'layers & 256', 'TCP': 'layers & 512',
    'UDP': 'layers & 1024', 'ICMP': 'layers & 2048', 'ICMPv6': 'layers & 4096',
    'DNS': 'layers & 8192', 'Other': '(layers & 448) = 0',
}


def expected_end(row):
    """(exit statuses, end_reason) nm-capture must give, from the capture's
    line of oracle/libpcap-read.tsv (tcpdump --count -r), or None if the line
    cannot be classified."""
    if row is None:
        return None
    if row.get('exit_status') == '0':
        return (0,), 'complete'
    err = row.get('error', '')
    if err.startswith('pcap_loop:'):
        # libpcap opened the file and stopped part-way.
        return (1,), ('truncated' if 'truncated' in err else 'read_error')
    if row.get('link_type') and err.startswith('unknown data link type'):
        # libpcap opened the file and read it to its end; the error is
        # tcpdump's own (it has no printer for that link type).
        return (0,), 'complete'
    if row.get('link_type'):
        return None
    if 'truncated' in err:
        # The global header is cut short: the input is cut short, not unusable.
        return (1,), 'truncated'
    return (2,), 'read_error'


def layer_sums_sql():
    cols = ['count(*)', 'coalesce(sum(wire_len), 0)', 'coalesce(sum(cap_len), 0)']
    for name in compare_decode.LAYERS:
        bit = LAYER_BITS[name]
        cols.append('coalesce(sum(layers & %d != 0), 0)' % bit)
        cols.append('coalesce(sum(CASE WHEN layers & %d THEN wire_len END), 0)' % bit)
        cols.append('coalesce(sum(CASE WHEN layers & %d THEN cap_len END), 0)' % bit)
    for proto in sorted(PROTO_CONDITIONS):
        cond = PROTO_CONDITIONS[proto]
        cols.append('coalesce(sum(CASE WHEN %s THEN 1 END), 0)' % cond)
        cols.append('coalesce(sum(CASE WHEN %s THEN wire_len END), 0)' % cond)
    return 'SELECT ' + ', '.join(cols) + ' FROM packets WHERE session_id = ?'


LAYER_SUMS_SQL = layer_sums_sql()


def read_db(path):
    """Numbers of the database's one session, in decode_stats' JSON layout,
    plus the problems found by the database's own consistency checks."""
    problems = []
    con = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    try:
        rows = con.execute('SELECT id, packets, bytes, captured_bytes, end_reason, end_message'
                           ' FROM sessions').fetchall()
        if len(rows) != 1:
            return None, ['%d sessions in the database, want 1' % len(rows)], None
        sid, packets, nbytes, captured, end_reason, end_message = rows[0]
        stats = {'packets': packets, 'bytes': nbytes, 'captured_bytes': captured,
                 'end_reason': end_reason, 'end_message': end_message, 'layers': {}}

        row = con.execute(LAYER_SUMS_SQL, (sid,)).fetchone()
        if row[0] != packets:
            problems.append('packets table has %d rows, sessions.packets %d' % (row[0], packets))
        i = 3
        for name in compare_decode.LAYERS:
            stats['layers'][name] = {'packets': row[i], 'bytes': row[i + 1],
                                     'captured_bytes': row[i + 2]}
            i += 3
        per_packet = {}
        for proto in sorted(PROTO_CONDITIONS):
            per_packet[proto] = (row[i], row[i + 1])
            i += 2

        agg = {p: (n, b) for p, n, b in con.execute(
            'SELECT proto, sum(packets), sum(bytes) FROM proto_seconds WHERE session_id = ?'
            ' GROUP BY proto', (sid,))}
        for proto in sorted(set(agg) | set(per_packet)):
            if proto not in per_packet:
                problems.append('proto_seconds has unknown protocol %r' % proto)
                continue
            if agg.get(proto, (0, 0)) != per_packet[proto]:
                problems.append('proto_seconds %s packets/bytes %d/%d, packets table %d/%d'
                                % ((proto,) + agg.get(proto, (0, 0)) + per_packet[proto]))

        sec = con.execute('SELECT coalesce(sum(packets), 0), coalesce(sum(bytes), 0)'
                          ' FROM seconds WHERE session_id = ?', (sid,)).fetchone()
        if sec != (packets, nbytes):
            problems.append('seconds table packets/bytes %d/%d, sessions %d/%d'
                            % (sec + (packets, nbytes)))

        kinds = dict(con.execute('SELECT kind, count(*) FROM addresses WHERE session_id = ?'
                                 ' GROUP BY kind', (sid,)).fetchall())
        stats['distinct_ip_addresses'] = kinds.get('ipv4', 0) + kinds.get('ipv6', 0)
        stats['distinct_mac_addresses'] = kinds.get('mac', 0)

        stats['tcp_resets'], stats['tcp_retransmissions'] = con.execute(
            'SELECT coalesce(sum(tcp_resets), 0), coalesce(sum(tcp_retransmissions), 0)'
            ' FROM seconds WHERE session_id = ?', (sid,)).fetchone()
        flows = dict(con.execute('SELECT proto, count(*) FROM flows WHERE session_id = ?'
                                 ' GROUP BY proto', (sid,)).fetchall())
        stats['tcp_streams'] = flows.get('TCP', 0)
        stats['udp_conversations'] = flows.get('UDP', 0)
    finally:
        con.close()
    return stats, problems, None


def run_nm_capture(tool, workdir, libpcap):
    """The MEASURE of compare_decode.compare_corpus for nm-capture."""
    def measure(name, path):
        db = os.path.join(workdir, name + '.db')
        log = os.path.join(workdir, name + '.log')
        for f in (db, db + '-wal', db + '-shm', log):
            if os.path.exists(f):
                os.remove(f)
        try:
            # --no-report: captures run in parallel in one folder, and the
            # graphs are tested by t-report.
            run = subprocess.run([tool, '-q', '--no-report', '-r', path, '-d', db, '-l', log],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return None, ['nm-capture timed out after %d s' % TIMEOUT_S], None
        stderr = run.stderr.decode(errors='replace').strip()
        problems = []
        if 'Sanitizer' in stderr or 'runtime error:' in stderr:
            problems.append('sanitizer report: %s' % stderr)
        want = expected_end(libpcap.get(name))
        if want is None:
            problems.append('no usable line in oracle/libpcap-read.tsv: cannot tell the '
                            'expected exit status')
        elif run.returncode not in want[0]:
            problems.append('nm-capture exit %d, want %s (libpcap: %s); stderr: %s' % (
                run.returncode, ' or '.join(str(s) for s in want[0]),
                libpcap[name].get('error') or 'read to the end', stderr))
        if not os.path.exists(db):
            return None, problems + ['no database written (exit %d): %s'
                                     % (run.returncode, stderr)], None
        try:
            stats, db_problems, _ = read_db(db)
        except sqlite3.Error as e:
            return None, problems + ['cannot read the database: %s' % e], None
        problems += db_problems
        if stats is not None and want is not None and stats['end_reason'] != want[1]:
            problems.append("sessions.end_reason '%s', want '%s' (end_message: %s)"
                            % (stats['end_reason'], want[1], stats['end_message']))
        return stats, problems, ('exit %d: %s' % (run.returncode, stderr)) if stderr else None
    return measure


def main(argv):
    verbose, jobs, _, argv = compare_decode.parse_flags(argv)
    if len(argv) < 4:
        sys.stderr.write(__doc__.split('\n\n')[1] + '\n')
        return 2
    tool, capdir, workdir = argv[:3]
    os.makedirs(workdir, exist_ok=True)
    libpcap = compare_decode.load_libpcap_table(os.path.join(capdir, 'oracle',
                                                             'libpcap-read.tsv'))
    return compare_decode.compare_corpus(capdir, argv[3:], run_nm_capture(tool, workdir, libpcap),
                                         'nm-capture', verbose, jobs)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
