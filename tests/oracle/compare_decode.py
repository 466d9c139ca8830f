#!/usr/bin/env python3
"""compare_decode.py - compare nm_decode's view of every corpus capture with
the tshark oracle (../shared/captures/oracle/<capture>.json).

    compare_decode.py [-v] DECODE_STATS CAPTURES_DIR EXCEPTIONS_TSV

CAPTURES_DIR holds corpus/ and oracle/ (see its README.md).  For each capture
the numbers printed by DECODE_STATS (tests/tools/decode_stats.c) are compared
with the oracle:

  packets, bytes, captured_bytes   packets, total_wire_bytes, total_captured_bytes
  layers.<L>.{packets,bytes,captured_bytes}
                                   layers_outer (netmon decodes only the outermost
                                   stack); layers_no_ip_reassembly when the
                                   capture has IP fragments (netmon does not
                                   reassemble) and no frame has two IP layers
                                   (that object is not restricted to the
                                   outermost stack)
  distinct_ip_addresses            distinct_ip_addresses_outer
  distinct_mac_addresses           distinct_mac_addresses_outer
  tcp_resets, tcp_retransmissions, tcp_streams, udp_conversations
                                   the same names, only for numbers that have them
                                   (compare_db.py: flows and counters of a database)

When libpcap cannot read a file that tshark reads (oracle/libpcap-read.tsv), the
packet count must equal what libpcap delivered there; the other numbers are
then expected to differ and need an exception line.

EXCEPTIONS_TSV lists the accepted differences, one per line:
    capture <TAB> field <TAB> reason
where field is a name above, a prefix ending in '.' (e.g. "layers.dns."), or
'*' for every field of that capture.  '#' starts a comment line.  A listed
exception that no longer matches any difference is reported as stale: the list
must stay exact.

check_capture() is THE comparison of one capture's numbers with its oracle;
tests/oracle/compare_db.py (t-capture-oracle.sh) uses it, and the same
exception file, for the numbers nm-capture stores in its database.

Exit status: 0 if every difference is listed and no exception is stale, 1
otherwise, 2 on bad usage.  Python 3 standard library only.
"""
import concurrent.futures
import json
import os
import subprocess
import sys

LAYERS = ('eth', 'vlan', 'ieee8021ad', 'sll', 'null', 'raw', 'arp', 'ip', 'ipv6',
          'tcp', 'udp', 'icmp', 'icmpv6', 'dns')
# Compared when the measured numbers have them (a database: compare_db.py):
#   tcp_resets, tcp_retransmissions   frames with RST set / tcp.analysis.retransmission
#   tcp_streams                       flows of protocol TCP (tshark: tcp.stream values)
#   udp_conversations                 flows of protocol UDP (tshark: udp.stream values)
FLOW_FIELDS = ('tcp_resets', 'tcp_retransmissions', 'tcp_streams', 'udp_conversations')
SKIP_NAMES = ('MANIFEST.tsv', 'SHA256SUMS')
SKIP_SUFFIXES = ('.md', '.txt', '.json')
TIMEOUT_S = 300


def captures(corpus):
    """Every capture in corpus/, by the rule make-oracle.sh uses."""
    out = []
    for name in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, name)
        if not os.path.isfile(path) or name.startswith('.') or name in SKIP_NAMES:
            continue
        if name.endswith(SKIP_SUFFIXES):
            continue
        out.append(name)
    return out


def load_exceptions(path):
    exc = []
    with open(path, encoding='utf-8') as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            parts = line.split('\t')
            if len(parts) < 3 or not parts[2].strip():
                sys.stderr.write('%s:%d: want capture<TAB>field<TAB>reason\n' % (path, n))
                sys.exit(2)
            exc.append({'capture': parts[0], 'field': parts[1], 'reason': parts[2], 'used': 0,
                        'line': n, 'path': os.path.basename(path)})
    return exc


def parse_flags(argv, with_value=()):
    """The leading options of the oracle scripts: -v, -j JOBS (default 2) and
    each option in WITH_VALUE followed by its value.  Returns (verbose, jobs,
    {option: value}, the arguments after them); stops at the first other
    argument, so a malformed option is left for the caller's usage check."""
    verbose, jobs, values = False, 2, {}
    while argv and argv[0].startswith('-'):
        if argv[0] == '-v':
            verbose, argv = True, argv[1:]
        elif argv[0] == '-j' and len(argv) > 1 and argv[1].isdigit() and int(argv[1]) > 0:
            jobs, argv = int(argv[1]), argv[2:]
        elif argv[0] in with_value and len(argv) > 1:
            values[argv[0]], argv = argv[1], argv[2:]
        else:
            break
    return verbose, jobs, values, argv


def load_libpcap_table(path):
    table = {}
    try:
        with open(path, encoding='utf-8') as fh:
            header = fh.readline().rstrip('\n').split('\t')
            for line in fh:
                row = dict(zip(header, line.rstrip('\n').split('\t')))
                if 'file' in row:
                    table[row['file']] = row
    except OSError:
        pass
    return table


def field_matches(pattern, field):
    if pattern == '*':
        return True
    if pattern.endswith('.'):
        return field.startswith(pattern)
    return pattern == field


def expected_numbers(oracle):
    exp = {'packets': oracle['packets'], 'bytes': oracle['total_wire_bytes'],
           'captured_bytes': oracle['total_captured_bytes'],
           'distinct_ip_addresses': oracle['distinct_ip_addresses_outer'],
           'distinct_mac_addresses': oracle['distinct_mac_addresses_outer']}
    # layers_no_ip_reassembly counts every IP layer of a frame, so it equals
    # the outer view only when no frame has two (tunnels, ICMP errors).
    if oracle.get('has_ip_fragments') and oracle.get('frames_with_multiple_ip_layers') == 0:
        src = oracle['layers_no_ip_reassembly']
    else:
        src = oracle['layers_outer']
    for name in LAYERS:
        for key in ('packets', 'bytes', 'captured_bytes'):
            exp['layers.%s.%s' % (name, key)] = src[name][key]
    for field in FLOW_FIELDS:
        exp[field] = oracle.get(field)
    return exp


def got_numbers(stats):
    """STATS's numbers by field name.  The flow fields (FLOW_FIELDS) only when
    STATS has them: decode_stats sees no flows, a database does."""
    got = {'packets': stats.get('packets', 0), 'bytes': stats.get('bytes', 0),
           'captured_bytes': stats.get('captured_bytes', 0),
           'distinct_ip_addresses': stats.get('distinct_ip_addresses', 0),
           'distinct_mac_addresses': stats.get('distinct_mac_addresses', 0)}
    layers = stats.get('layers', {})
    for name in LAYERS:
        for key in ('packets', 'bytes', 'captured_bytes'):
            got['layers.%s.%s' % (name, key)] = layers.get(name, {}).get(key, 0)
    for field in FLOW_FIELDS:
        if field in stats:
            got[field] = stats[field]
    return got


def grouped(diffs):
    """One line per field, or per layer for its packets/bytes/captured_bytes."""
    groups = {}
    order = []
    for field, g, e, reason in diffs:
        key = field.rsplit('.', 1)[0] if field.startswith('layers.') else field
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((field.rsplit('.', 1)[-1] if key != field else None, g, e, reason))
    lines = []
    for key in order:
        items = groups[key]
        if items[0][0] is None:
            text = '%s: got %s, oracle %s' % (key, items[0][1], items[0][2])
        else:
            text = '%s: got %s, oracle %s (%s)' % (
                key, '/'.join(str(i[1]) for i in items), '/'.join(str(i[2]) for i in items),
                '/'.join(i[0] for i in items))
        if items[0][3]:
            text += ' [exception: %s]' % items[0][3]
        lines.append(text)
    return lines


def check_capture(name, oracle, stats, exceptions, libpcap_row, tool):
    """THE comparison of one capture, shared by compare_decode.py and
    compare_db.py: STATS (decode_stats' JSON layout, see got_numbers) against
    the ORACLE.  Marks the exceptions it uses.  Returns (fail_lines,
    ok_lines, accepted): ok_lines are the differences excused by an
    exception, accepted their count."""
    fail_lines = []
    if libpcap_row is not None and libpcap_row.get('exit_status') not in (None, '0'):
        # libpcap itself stops on this file: it must stop at the same place.
        want = int(libpcap_row.get('packets') or 0)
        if stats.get('packets', 0) != want:
            fail_lines.append('libpcap delivered %d packets to %s, %d to tcpdump'
                              % (stats.get('packets', 0), tool, want))
    exp = expected_numbers(oracle)
    got = got_numbers(stats)
    failed, excused = [], []
    for field in exp:
        if field not in got or exp[field] == got[field]:
            continue
        hit = None
        for x in exceptions:
            if x['capture'] == name and field_matches(x['field'], field):
                hit = x
                break
        if hit is not None:
            hit['used'] += 1
            excused.append((field, got[field], exp[field], hit['reason']))
        else:
            failed.append((field, got[field], exp[field], None))
    fail_lines += grouped(failed)
    return fail_lines, grouped(excused), len(excused)


def compare_corpus(capdir, exc_paths, measure, tool, verbose=False, jobs=1):
    """Runs MEASURE(name, path) for every capture of CAPDIR/corpus (JOBS at a
    time) and compares each result with its oracle by check_capture.
    MEASURE returns (stats, problems, info): stats in decode_stats' JSON
    layout, or None when there is nothing to compare; problems, failure
    texts of the tool's own checks; info, text shown with -v.  EXC_PATHS:
    exception files, all read together.  Prints FAIL lines and a summary;
    returns the exit status."""
    corpus = os.path.join(capdir, 'corpus')
    oracle_dir = os.path.join(capdir, 'oracle')
    exceptions = []
    for path in exc_paths:
        exceptions += load_exceptions(path)
    libpcap = load_libpcap_table(os.path.join(oracle_dir, 'libpcap-read.tsv'))
    names = captures(corpus)

    def one(name):
        return measure(name, os.path.join(corpus, name))

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = pool.map(one, names)
        failures = accepted = compared = 0
        for name, (stats, problems, info) in zip(names, results):
            for text in problems:
                print('FAIL %s: %s' % (name, text))
                failures += 1
            if verbose and info:
                print('info %s: %s' % (name, info))
            if stats is None:
                continue
            opath = os.path.join(oracle_dir, name + '.json')
            try:
                with open(opath, encoding='utf-8') as fh:
                    oracle = json.load(fh)
            except (OSError, ValueError) as e:
                print('FAIL %s: no oracle (%s)' % (name, e))
                failures += 1
                continue
            compared += 1
            fail_lines, ok_lines, n_ok = check_capture(name, oracle, stats, exceptions,
                                                       libpcap.get(name), tool)
            accepted += n_ok
            for line in fail_lines:
                print('FAIL %s %s' % (name, line))
            failures += len(fail_lines)
            if verbose:
                for line in ok_lines:
                    print('ok   %s %s' % (name, line))

    for x in exceptions:
        if x['used'] == 0:
            failures += 1
            print('FAIL stale exception, %s line %d: %s %s (%s): no such difference any more'
                  % (x['path'], x['line'], x['capture'], x['field'], x['reason']))
    print('%d captures compared, %d differences accepted by exceptions, %d failures'
          % (compared, accepted, failures))
    return 1 if failures else 0


def run_decode_stats(tool):
    """The MEASURE of compare_corpus for decode_stats."""
    def measure(name, path):
        del name
        try:
            run = subprocess.run([tool, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return None, ['decode_stats timed out after %d s' % TIMEOUT_S], None
        if run.returncode != 0:
            return None, ['decode_stats exit %d: %s' % (
                run.returncode, run.stderr.decode(errors='replace'))], None
        stats = json.loads(run.stdout.decode('utf-8', errors='replace'))
        read_error = stats.get('open_error') or stats.get('pcap_error')
        return stats, [], ('libpcap: %s' % read_error) if read_error else None
    return measure


def main(argv):
    verbose = False
    if argv and argv[0] == '-v':
        verbose = True
        argv = argv[1:]
    if len(argv) != 3:
        sys.stderr.write(__doc__.split('\n\n')[1] + '\n')
        return 2
    tool, capdir, exc_path = argv
    return compare_corpus(capdir, [exc_path], run_decode_stats(tool), 'decode_stats', verbose)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
