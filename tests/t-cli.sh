#!/bin/sh
# tests/t-cli.sh - nm-capture's command line: every bad option gets exit 2,
# a one-line error naming the option and the cause, plus the usage hint,
# and no database is created; -h, -V and filters (words and -F) work.
# And for all three programs: -V, the one-line error and hint, and every
# option their -h lists documented in README.md.
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.  Env: BUILD.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
nc=$top/$BUILD/nm-capture
http=$top/sample-pcaps/http.pcap

if [ ! -x "$nc" ]; then
    echo "skip: $nc is not built yet"
    exit 77
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "skip: needs the sqlite3 command-line shell (Debian package sqlite3)"
    exit 77
fi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0; n=0

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# run ARGS...: runs nm-capture in $tmp; sets rc, out ($tmp/out), err ($tmp/err).
run() {
    (cd "$tmp" && "$nc" "$@") >"$tmp/out" 2>"$tmp/err"
    rc=$?
    n=$((n + 1))
    if grep -q -e 'runtime error' -e 'Sanitizer' "$tmp/err"; then
        bad "nm-capture $*: sanitizer report"
        head -n 20 "$tmp/err"
    fi
}

# usage_error WANT ARGS...: exit 2; stderr is exactly the line
# "nm-capture: <text containing WANT>" and the hint; nothing created.
usage_error() {
    want=$1; shift
    rm -f "$tmp/cli.db" "$tmp/netmon.db" "$tmp/network_events.log"
    run "$@"
    [ $rc -eq 2 ] || bad "nm-capture $*: exit $rc, want 2"
    line=$(sed -n 1p "$tmp/err")
    case $line in
        "nm-capture: "*"$want"*) ;;
        *) bad "nm-capture $*: first stderr line '$line' lacks '$want'" ;;
    esac
    [ "$(sed -n 2p "$tmp/err")" = "Try 'nm-capture -h' for help." ] ||
        bad "nm-capture $*: no usage hint on line 2 of stderr"
    [ "$(wc -l <"$tmp/err")" -eq 2 ] || bad "nm-capture $*: $(wc -l <"$tmp/err") stderr lines"
    [ -s "$tmp/out" ] && bad "nm-capture $*: wrote to stdout"
    for f in cli.db netmon.db network_events.log; do
        [ -e "$tmp/$f" ] && bad "nm-capture $*: created $f on a usage error"
    done
}

usage_error "unknown option --bogus" --bogus -r "$http" -d cli.db
usage_error "unknown option -x" -x -r "$http" -d cli.db
usage_error "option -d needs a value" -r "$http" -d
usage_error "option --max-flows needs a value" -r "$http" -d cli.db --max-flows
usage_error "option -c: 'abc' is not a number" -c abc -r "$http" -d cli.db
usage_error "option -c: 0 is out of range" -c 0 -r "$http" -d cli.db
usage_error "option -c: '-5' is not a number" -c -5 -r "$http" -d cli.db
usage_error "option -c: '12x' is not a number" -c 12x -r "$http" -d cli.db
usage_error "option -c: '' is not a number" -c '' -r "$http" -d cli.db
usage_error "option -c: 99999999999999999999 is out of range (1 to 18446744073709551615)" -c 99999999999999999999 \
    -r "$http" -d cli.db
usage_error "option -s: 99999999 is out of range (0 to 262144)" -s 99999999 -r "$http" -d cli.db
usage_error "option --max-flows: 3 is out of range (16 to" --max-flows 3 -r "$http" -d cli.db
usage_error "option --max-addresses: 'many' is not a number" --max-addresses many \
    -r "$http" -d cli.db
usage_error "-r and -i cannot be used together" -r "$http" -i lo -d cli.db
usage_error "-r needs a file name" -r '' -d cli.db
usage_error "-A writes no event log; -l cannot be used with it" -A -l x.log -r "$http" -d cli.db
usage_error "--no-log and -l cannot be used together" --no-log -l x.log -r "$http" -d cli.db
usage_error "/nonexistent/f: cannot read filter file: No such file or directory" \
    -F /nonexistent/f -r "$http" -d cli.db
printf 'tcp\n' >"$tmp/flt"
usage_error "give the filter either with -F or as words, not both" -F "$tmp/flt" \
    -r "$http" -d cli.db tcp

# -h and -V: exit 0, stdout only.
run -h
[ $rc -eq 0 ] || bad "-h: exit $rc"
grep -q '^Usage: nm-capture' "$tmp/out" || bad "-h: no Usage line"
for s in "0 done" "1 input cut short" "2 usage error" "3 database or event-log write failed" \
         "130"; do
    tr '\n' ' ' <"$tmp/out" | grep -q "$s" || bad "-h: exit status '$s' not documented"
done
[ -s "$tmp/err" ] && bad "-h wrote to stderr"
run --version
[ $rc -eq 0 ] || bad "--version: exit $rc"
grep -q '^nm-capture (netmon) [0-9][0-9.]*$' "$tmp/out" || bad "--version: '$(cat "$tmp/out")'"

# A filter syntax error: exit 2, one line that quotes the filter and the cause.
run -q -r "$http" -d cli.db tcp and and
[ $rc -eq 2 ] || bad "bad filter: exit $rc, want 2"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || bad "bad filter: $(wc -l <"$tmp/err") stderr lines"
grep -q "^nm-capture: bad filter expression 'tcp and and': .*syntax error" "$tmp/err" ||
    bad "bad filter: '$(cat "$tmp/err")'"
# ... and, being a usage error, it leaves no database behind.
[ ! -e "$tmp/cli.db" ] || bad "bad filter: created $tmp/cli.db"

# Trailing filter words: only TCP frames.  tshark -r http.pcap -Y tcp counts
# 53 of the 55 frames (the other two are the ARP request and reply).
want_tcp=53
if command -v tshark >/dev/null 2>&1; then
    t=$(tshark -r "$http" -Y tcp 2>/dev/null | wc -l)
    [ "$t" -eq $want_tcp ] || bad "tshark counts $t TCP frames in http.pcap, expected $want_tcp"
fi
check_tcp_only() {  # db label filter-text
    got=$(sqlite3 "$1" "SELECT packets, end_reason, filter FROM sessions;
                        SELECT count(*), sum(ip_proto = 6), sum(layers & 512 != 0) FROM packets")
    exp="$want_tcp|complete|$3
$want_tcp|$want_tcp|$want_tcp"
    [ "$got" = "$exp" ] || bad "$2: got '$got', want '$exp'"
}
rm -f "$tmp/f1.db"
run -q -r "$http" -d f1.db --no-log tcp
[ $rc -eq 0 ] || bad "filter tcp: exit $rc ($(cat "$tmp/err"))"
check_tcp_only "$tmp/f1.db" "filter words" "tcp"

rm -f "$tmp/f2.db"
run -q -r "$http" -d f2.db --no-log ip and not arp and tcp
[ $rc -eq 0 ] || bad "filter 'ip and not arp and tcp': exit $rc ($(cat "$tmp/err"))"
check_tcp_only "$tmp/f2.db" "filter of several words" "ip and not arp and tcp"

# -F FILE, with a '#' comment (tcpdump strips those).
printf 'tcp  # only TCP\n' >"$tmp/flt"
rm -f "$tmp/f3.db"
run -q -r "$http" -d f3.db --no-log -F "$tmp/flt"
[ $rc -eq 0 ] || bad "-F: exit $rc ($(cat "$tmp/err"))"
got=$(sqlite3 "$tmp/f3.db" "SELECT count(*), sum(ip_proto = 6) FROM packets")
[ "$got" = "$want_tcp|$want_tcp" ] || bad "-F: got '$got'"

# -c: stops after exactly that many frames; the session says why.
rm -f "$tmp/c.db" "$tmp/c.log"
run -q -r "$http" -d c.db -l c.log -c 7
[ $rc -eq 0 ] || bad "-c 7: exit $rc"
got=$(sqlite3 "$tmp/c.db" "SELECT end_reason, packets, (SELECT count(*) FROM packets)
                          FROM sessions")
[ "$got" = "count|7|7" ] || bad "-c 7: got '$got', want 'count|7|7'"

# -A: no packet rows, no event log (but the totals are there).
rm -f "$tmp/a.db" "$tmp/network_events.log"
run -q -A -r "$http" -d a.db
[ $rc -eq 0 ] || bad "-A: exit $rc"
got=$(sqlite3 "$tmp/a.db" "SELECT aggregate_only, packets, (SELECT count(*) FROM packets)
                          FROM sessions")
[ "$got" = "1|55|0" ] || bad "-A: got '$got', want '1|55|0'"
[ -e "$tmp/network_events.log" ] && bad "-A wrote an event log"

# All three programs: -V / --version, an unknown option (one line and the
# hint, exit 2), and every option their -h prints is in README.md.
for prog in nm-capture nm-live nm-report; do
    p=$top/$BUILD/$prog
    [ -x "$p" ] || { bad "$prog is not built"; continue; }
    for v in -V --version; do
        out=$("$p" $v 2>&1); rc=$?
        [ $rc -eq 0 ] || bad "$prog $v: exit $rc"
        echo "$out" | grep -qx "$prog (netmon) [0-9][0-9.]*" || bad "$prog $v: '$out'"
    done
    (cd "$tmp" && "$p" --bogus-option) >"$tmp/out" 2>"$tmp/err"; rc=$?
    n=$((n + 1))
    [ $rc -eq 2 ] || bad "$prog --bogus-option: exit $rc, want 2"
    [ "$(wc -l <"$tmp/err")" -eq 2 ] && grep -q "^$prog: .*--bogus-option" "$tmp/err" &&
        [ "$(sed -n 2p "$tmp/err")" = "Try '$prog -h' for help." ] ||
        bad "$prog --bogus-option: stderr '$(cat "$tmp/err")'"
    [ -s "$tmp/out" ] && bad "$prog --bogus-option wrote to stdout"
    "$p" -h >"$tmp/out" 2>&1 || bad "$prog -h: exit $?"
    opts=$(grep -oE '(^|[ ,[])--?[a-zA-Z][-a-zA-Z]*' "$tmp/out" | sed 's/^[ ,[]//' | sort -u)
    [ "$(echo "$opts" | wc -l)" -ge 5 ] || bad "$prog -h: options not found in '$(cat "$tmp/out")'"
    # the program's own section of the README: from "## PROG" to the next "## "
    awk -v h="## $prog" '$0 == h { on = 1; next } /^## / { on = 0 } on' "$top/README.md" \
        >"$tmp/section"
    [ -s "$tmp/section" ] || bad "README.md has no section '## $prog'"
    for o in $opts; do
        grep -qE -e "(^|[\`[ ,])$o([\` ,=]|]|\$)" "$tmp/section" ||
            bad "$prog: option $o (in -h) is not in README.md's section '## $prog'"
    done
done

echo "$n command lines checked, $fail failures"
[ $fail -eq 0 ]
