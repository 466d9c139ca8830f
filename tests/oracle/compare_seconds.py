#!/usr/bin/env python3
"""compare_seconds.py - per-second and per-10-second traffic against tshark.

    compare_seconds.py [-v] [-j JOBS] [-x EXCEPTIONS_TSV] NM_CAPTURE WORKDIR CAPTURE...

For each capture: nm-capture -A writes its database; tshark, through
sample-pcaps/expected-from-tshark.sh --seconds (the outermost-stack
definitions of the oracle, no IP reassembly), gives the packets and wire
bytes of every protocol in every second.  Then:

  * proto_seconds must hold exactly those (second, protocol, packets,
    bytes), rows without packets aside;
  * throughput_10s must have a row for every protocol and every 10-second
    interval (aligned to multiples of 10 s) from the first packet's to the
    last's, with the sums of those seconds and bits_per_second =
    8 * bytes / 10.

A capture whose protocol totals differ from tshark's is not compared here
(the totals and their explained differences are t-capture-oracle's); nor is
the 10-second view of a capture spanning more than MAX_INTERVALS intervals
(a frame stamped 1970 in 2024 traffic makes it billions of rows, README).
EXCEPTIONS_TSV lists captures expected to differ, in the format of the other
oracle exception files ("capture<TAB>field<TAB>reason", field "seconds"; '#'
starts a comment): their differences are accepted, and an excepted capture
that agrees fails as a stale exception.
Exit status 0 if every compared capture agrees, 1 otherwise, 2 on bad usage.
Python 3 standard library only.
"""
import collections
import concurrent.futures
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_db  # noqa: E402  (proto_seconds' protocol names)
import compare_decode  # noqa: E402  (its exception-file reader and option parsing)

TIMEOUT_S = 300
MAX_INTERVALS = 100000
PROTOCOLS = tuple(compare_db.PROTO_CONDITIONS)   # every protocol of proto_seconds
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, '..', '..', 'sample-pcaps', 'expected-from-tshark.sh')


def tshark_seconds(path):
    run = subprocess.run(['bash', SCRIPT, '--seconds', path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=TIMEOUT_S, check=False)
    if run.returncode != 0:
        raise RuntimeError('expected-from-tshark.sh: %s' % run.stderr.decode(errors='replace'))
    cells = {}
    for line in run.stdout.decode().splitlines():
        if line.startswith('#') or not line:
            continue
        _, sec, proto, packets, nbytes = line.split('\t')
        cells[(int(sec), proto)] = (int(packets), int(nbytes))
    return cells


def netmon_seconds(tool, path, db):
    for f in (db, db + '-wal', db + '-shm'):
        if os.path.exists(f):
            os.remove(f)
    run = subprocess.run([tool, '-q', '-A', '--no-report', '--no-latency', '-r', path, '-d', db],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT_S,
                         check=False)
    if run.returncode not in (0, 1):
        raise RuntimeError('nm-capture exit %d: %s' % (run.returncode,
                                                        run.stderr.decode(errors='replace')))
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        cells = {(s, p): (n, b) for s, p, n, b in con.execute(
            'SELECT second, proto, packets, bytes FROM proto_seconds WHERE packets > 0')}
        span = con.execute('SELECT min(second), max(second) FROM seconds').fetchone()
        view = None
        if span[0] is not None and (span[1] - span[0]) // 10 < MAX_INTERVALS:
            view = {(i, p): (n, b, bps) for i, p, n, b, bps in con.execute(
                'SELECT interval_start, proto, packets, bytes, bits_per_second'
                ' FROM throughput_10s')}
    finally:
        con.close()
    return cells, view


def totals(cells):
    t = collections.defaultdict(lambda: [0, 0])
    for (_, proto), (n, b) in cells.items():
        t[proto][0] += n
        t[proto][1] += b
    return dict(t)


def check(tool, workdir, path):
    """(status, lines): status 'ok', 'skip' or 'fail'."""
    name = os.path.basename(path)
    try:
        want = tshark_seconds(path)
        got, view = netmon_seconds(tool, path, os.path.join(workdir, name + '.db'))
    except (RuntimeError, subprocess.TimeoutExpired, sqlite3.Error) as e:
        return 'fail', ['%s: %s' % (name, e)]
    if totals(want) != totals(got):
        return 'skip', ['%s: protocol totals differ from tshark (t-capture-oracle)' % name]
    lines = []
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            lines.append('%s: second %d %s: tshark %s, proto_seconds %s'
                         % (name, key[0], key[1], want.get(key), got.get(key)))
    # The 10-second view, once the seconds agree (so both spans are the same
    # and below MAX_INTERVALS when view is not None).
    if not lines and view is not None and want:
        sums = collections.defaultdict(lambda: [0, 0])
        for (sec, proto), (n, b) in want.items():
            sums[(sec - sec % 10, proto)][0] += n
            sums[(sec - sec % 10, proto)][1] += b
        first = min(s for s, _ in want) // 10 * 10
        last = max(s for s, _ in want) // 10 * 10
        expect = {}
        for i in range(first, last + 10, 10):
            for proto in PROTOCOLS:
                n, b = sums.get((i, proto), (0, 0))
                expect[(i, proto)] = (n, b, b * 8 / 10)
        for key in sorted(set(expect) | set(view)):
            e, g = expect.get(key), view.get(key)
            if e is None or g is None or e[:2] != tuple(g[:2]) or abs(e[2] - g[2]) > 1e-9:
                lines.append('%s: throughput_10s %d %s: expected %s, view %s'
                             % (name, key[0], key[1], e, g))
    return ('fail' if lines else 'ok'), lines[:10]


def main(argv):
    verbose, jobs, values, argv = compare_decode.parse_flags(argv, ('-x',))
    exceptions = {}
    if '-x' in values:
        exceptions = {x['capture']: x['reason']
                      for x in compare_decode.load_exceptions(values['-x'])}
    if len(argv) < 3:
        sys.stderr.write(__doc__.split('\n\n')[1] + '\n')
        return 2
    tool, workdir, paths = argv[0], argv[1], argv[2:]
    os.makedirs(workdir, exist_ok=True)
    count = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for path, (status, lines) in zip(paths, pool.map(lambda p: check(tool, workdir, p),
                                                         paths)):
            name = os.path.basename(path)
            if name in exceptions:
                if status == 'fail':
                    status, lines = 'excused', ['%s: differs as listed (%s)'
                                                % (name, exceptions[name])]
                else:
                    status, lines = 'fail', ['%s: stale exception, %s (%s)'
                                             % (name, 'it agrees' if status == 'ok' else
                                                'not compared', exceptions[name])]
            count[status] += 1
            for line in lines:
                if status == 'fail':
                    print('FAIL ' + line)
                elif verbose:
                    print('%-4s %s' % (status[:4], line))
    print('%d captures agree second by second and in throughput_10s, %d differ as listed, '
          '%d not compared (protocol totals differ), %d failed'
          % (count['ok'], count['excused'], count['skip'], count['fail']))
    return 1 if count['fail'] or not count['ok'] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
