#!/bin/bash
# tests/lab/e2e.sh - nm-capture live, end to end, in the namespaces of
# tests/lab/netns.sh (a veth pair, real traffic).  The tests/t-netns-*.sh
# scripts call one case each:
#
#   e2e.sh traffic   ping, ping -6, curl against python3 -m http.server, dig
#                    (UDP and TCP) against dnsmasq and a UDP stream, with
#                    nm-capture -i and tcpdump -w on the same interface at the
#                    same time: the same packets (timestamp sets, counts per
#                    protocol through tshark); nm-live --once read while
#                    nm-capture writes shows values, and they grow; SIGINT:
#                    exit 0, session closed 'signal', integrity ok, every
#                    packet counted in sessions.packets has its row.
#   e2e.sh drops     kernel drops (nm-capture stopped with SIGSTOP under a
#                    flood) and queue drops (database locked by another
#                    process under a flood): sent = captured + kernel +
#                    interface drops; the seconds rows add up to the session
#                    row; rows + queue drops = packets; flows and addresses
#                    exact.
#   e2e.sh signals   SIGINT in the middle of a flood (consistent, closed) and
#                    SIGKILL in the middle of a flood (the database opens
#                    cleanly, integrity ok, and takes a new session).
#   e2e.sh privs     -Z nobody (files handed over, the process runs as
#                    nobody, rows written); -Z with a bad user; capturing as
#                    nobody without permission (one-line error with the
#                    setcap line), and with the capabilities setcap grants.
#
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.  Env: BUILD.
# Nothing here depends on timing: waits are bounded polls for a condition.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
case_name=${1:-}
NC=$top/$BUILD/nm-capture
NL=$top/$BUILD/nm-live
LABHOST="/usr/bin/python3 $top/tests/lab/labhost.py"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

skip() { echo "skip: $*"; exit 77; }
[ -x "$NC" ] || skip "$NC is not built"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, live capture)"
for t in ip sqlite3 ethtool tcpdump /usr/bin/python3; do
    command -v "$t" >/dev/null 2>&1 || skip "needs $t"
done
# Can this machine make namespaces at all (a container may forbid it)?
probe=nmprobe$$
if ! ip netns add "$probe" 2>/dev/null; then skip "no network namespace support (ip netns add failed)"; fi
ip netns del "$probe"

. "$top/tests/lab/netns.sh"
fail=0
bad() { echo "FAIL: $*"; fail=1; }
NM_PID=""
SQL_PID=""

# Ends what this file started (netns.sh's trap ends the rest), then the lab.
e2e_down() {
    local rc=$?
    [ -n "$NM_PID" ] && kill -KILL "$NM_PID" 2>/dev/null
    [ -n "$SQL_PID" ] && kill "$SQL_PID" 2>/dev/null
    exec 3>&-
    nm_lab_down
    return $rc
}

lab_up() {
    nm_lab_up || exit $?
    trap e2e_down EXIT
    W=$NM_LAB_TMP
    chmod 755 "$W"
}

# A busy timeout: opening a closed WAL database runs its recovery, which
# briefly locks out another process opening it at the same moment.
q() { sqlite3 -cmd ".timeout 5000" "$DB" "$@" 2>&1; }

# nm_start NS DB ARGS...: nm-capture in NS in the background; returns when
# its session row exists (the capture is open by then).
nm_start() {
    local ns=$1 i
    DB=$2; shift 2
    ip netns exec "$ns" "$NC" -q -d "$DB" "$@" >"$W/nm.out" 2>"$W/nm.err" &
    NM_PID=$!
    for i in $(seq 1 200); do
        # -s first: sqlite3 would create a missing file (as root, so that
        # a nm-capture running as another user could not write it).
        [ -s "$DB" ] && [ "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE end_reason = 'running'" 2>/dev/null)" = 1 ] && return 0
        kill -0 "$NM_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$W/nm.err"
    bad "nm-capture did not start: $*"
    return 1
}

# nm_stop SIG: signal nm-capture and wait for it (at most 60 s); sets NM_RC.
nm_stop() {
    local i
    kill -"$1" "$NM_PID" 2>/dev/null
    for i in $(seq 1 600); do
        kill -0 "$NM_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$NM_PID" 2>/dev/null && { bad "nm-capture still running 60 s after SIG$1"; kill -KILL "$NM_PID"; }
    wait "$NM_PID"
    NM_RC=$?
    NM_PID=""
    if grep -q -e 'runtime error' -e 'Sanitizer' "$W/nm.err"; then
        bad "sanitizer report"; head -n 30 "$W/nm.err"
    fi
}

# wait_sql SQL: until the query answers 1 (at most 60 s); 0 or 1 (gave up).
wait_sql() {
    local i
    for i in $(seq 1 600); do
        [ -s "$DB" ] && [ "$(sqlite3 "$DB" "$1" 2>/dev/null)" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# The database-wide invariants every finished session must keep.
#   rows + queue drops = packets; seconds add up to the session row
#   (packets, bytes, each kind of drop); flows and addresses count every
#   packet (the lab's traffic is all IPv4 or ARP between two hosts).
check_consistent() {  # what
    local what=$1 r
    r=$(q "PRAGMA integrity_check")
    [ "$r" = ok ] || bad "$what: integrity_check: $r"
    r=$(q "SELECT (SELECT count(*) FROM packets WHERE session_id = s.id) + s.drops_queue
                  = s.packets FROM sessions s WHERE id = 1")
    [ "$r" = 1 ] || bad "$what: packet rows + queue drops != sessions.packets: $(q 'SELECT packets, drops_queue, (SELECT count(*) FROM packets) FROM sessions')"
    r=$(q "SELECT sum(sec.packets) = s.packets AND sum(sec.bytes) = s.bytes
                  AND sum(sec.drops_kernel) = s.drops_kernel
                  AND sum(sec.drops_ifdrop) = s.drops_ifdrop
                  AND sum(sec.drops_queue) = s.drops_queue
           FROM sessions s JOIN seconds sec ON sec.session_id = s.id WHERE s.id = 1")
    [ "$r" = 1 ] || bad "$what: seconds do not add up to the session row"
    r=$(q "SELECT (SELECT coalesce(sum(pkts_c2s + pkts_s2c), 0) FROM flows WHERE session_id = 1)
                + (SELECT coalesce(sum(packets), 0) FROM proto_seconds
                   WHERE session_id = 1 AND proto = 'ARP')
                = (SELECT packets FROM sessions WHERE id = 1)")
    [ "$r" = 1 ] || bad "$what: flows (+ ARP) do not count every packet"
    r=$(q "SELECT (SELECT sum(pkts_sent) FROM addresses WHERE session_id = 1 AND kind = 'mac')
                = (SELECT packets FROM sessions WHERE id = 1)")
    [ "$r" = 1 ] || bad "$what: MAC addresses' packets sent != sessions.packets"
}

# ------------------------------------------------------------- traffic --
case_traffic() {
    for t in tshark dnsmasq curl dig; do
        command -v "$t" >/dev/null 2>&1 || skip "needs $t"
    done
    [ -x "$NL" ] || skip "$NL is not built"
    lab_up
    mkdir -p "$W/www" && echo "netmon lab page" >"$W/www/index.html"
    nm_lab_spawn "$NM_LAB_SRV" /usr/bin/python3 -m http.server 8080 --bind "$NM_LAB_SRV4" \
        --directory "$W/www" >/dev/null 2>&1
    nm_lab_spawn "$NM_LAB_SRV" dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$NM_LAB_SRV4" --except-interface=lo --address=/lab.test/10.99.0.2 \
        --pid-file= --user=root
    nm_lab_spawn "$NM_LAB_SRV" $LABHOST udp-echo 7
    # Servers ready (answering), then quiet: the captures start after this.
    local i ok=0
    for i in $(seq 1 100); do
        if nm_lab_exec "$NM_LAB_CLI" curl -s -m 2 "http://$NM_LAB_SRV4:8080/" >/dev/null 2>&1 &&
           [ -n "$(nm_lab_exec "$NM_LAB_CLI" dig +short +tries=1 +time=1 @"$NM_LAB_SRV4" lab.test A)" ]; then
            ok=1; break
        fi
        sleep 0.1
    done
    [ $ok = 1 ] || { bad "web or DNS server did not start"; return; }
    nm_lab_settle 3
    nm_lab_flush_neigh

    # The same filter for both: IPv6 multicast (MLD reports, solicitations)
    # and neighbour discovery (ICMPv6 types 133-137, among them the unicast
    # probes Linux sends a few seconds after the last ping -6) come at
    # moments of the kernel's choosing; the rest is ours.  One such probe
    # landing between the two captures' stops made this test flaky.
    local filter="not (ip6 and ip6 multicast) and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)"
    ip netns exec "$NM_LAB_CLI" tcpdump -i "$NM_LAB_CLI_IF" -n -s 0 -U --immediate-mode -Z root \
        --time-stamp-precision=nano -w "$W/td.pcap" "$filter" 2>"$W/td.err" &
    NM_LAB_CAP_PID=$!
    for i in $(seq 1 100); do
        grep -q 'listening on' "$W/td.err" && break
        sleep 0.1
    done
    grep -q 'listening on' "$W/td.err" || { cat "$W/td.err"; bad "tcpdump did not start"; return; }
    nm_start "$NM_LAB_CLI" "$W/t.db" -i "$NM_LAB_CLI_IF" --immediate-mode -l "$W/t.log" "$filter" || return

    # Batch 1, then nm-live while nm-capture runs.
    nm_lab_exec "$NM_LAB_CLI" ping -c 5 -i 0.2 "$NM_LAB_SRV4" >/dev/null || bad "ping failed"
    nm_lab_exec "$NM_LAB_CLI" ping -6 -c 3 -i 0.2 "$NM_LAB_SRV6" >/dev/null || bad "ping -6 failed"
    for i in 1 2 3; do
        nm_lab_exec "$NM_LAB_CLI" curl -s -m 5 "http://$NM_LAB_SRV4:8080/" | grep -q 'netmon lab page' ||
            bad "curl $i failed"
    done
    wait_sql "SELECT connections >= 3 FROM connections_per_protocol WHERE proto = 'TCP'" ||
        bad "the database shows no TCP connection while capturing"
    "$NL" --once -d "$DB" >"$W/live1" 2>&1 || bad "nm-live --once failed: $(cat "$W/live1")"
    local before; before=$(q "SELECT packets FROM sessions")
    for i in 1 2 3; do
        [ "$(nm_lab_exec "$NM_LAB_CLI" dig +short +tries=1 +time=2 @"$NM_LAB_SRV4" lab.test A)" = 10.99.0.2 ] ||
            bad "dig $i failed"
    done
    [ "$(nm_lab_exec "$NM_LAB_CLI" dig +tcp +short +tries=1 +time=2 @"$NM_LAB_SRV4" lab.test A)" = 10.99.0.2 ] ||
        bad "dig +tcp failed"
    nm_lab_exec "$NM_LAB_CLI" $LABHOST udp-send "$NM_LAB_SRV4" 7 40007 20 || bad "UDP stream failed"
    wait_sql "SELECT packets > $before + 40 FROM sessions" || bad "session row not updated"
    "$NL" --once -d "$DB" >"$W/live2" 2>&1 || bad "nm-live --once (2) failed: $(cat "$W/live2")"

    # nm-live: values present and growing between the two reads.
    local f v1 v2
    for f in 'connections TCP' 'connections UDP' 'connections ICMP '; do
        v1=$(grep "^$f" "$W/live1" | awk '{print $NF}')
        v2=$(grep "^$f" "$W/live2" | awk '{print $NF}')
        [ -n "$v2" ] || bad "nm-live shows no '$f' line"
        echo "nm-live: $f: $v1 -> $v2"
    done
    v1=$(grep '^connections TCP' "$W/live1" | awk '{print $NF}')
    v2=$(grep '^connections TCP' "$W/live2" | awk '{print $NF}')
    [ "${v1:-0}" -ge 3 ] || bad "nm-live, first read: TCP connections $v1, want >= 3 (curl)"
    [ "${v2:-0}" -gt "${v1:-0}" ] || bad "nm-live: TCP connections did not grow ($v1 -> $v2, dig +tcp)"
    v1=$(grep '^connections UDP' "$W/live1" | awk '{print $NF}')
    v2=$(grep '^connections UDP' "$W/live2" | awk '{print $NF}')
    [ "${v2:-0}" -gt "${v1:-0}" ] || bad "nm-live: UDP connections did not grow ($v1 -> $v2)"
    v1=$(sed -n 's/^avg_packet_size All .*(\([0-9]*\) packets.*/\1/p' "$W/live1")
    v2=$(sed -n 's/^avg_packet_size All .*(\([0-9]*\) packets.*/\1/p' "$W/live2")
    [ "${v1:-0}" -gt 0 ] && [ "${v2:-0}" -gt "${v1:-0}" ] ||
        bad "nm-live: packets in the 30 s window did not grow ($v1 -> $v2)"

    # The traffic is over: pin the IPv4 neighbours, so that no ARP probe
    # (Linux re-checks a neighbour about 5 s after its last use) falls
    # between the two captures' stops.
    ip -n "$NM_LAB_CLI" neigh replace "$NM_LAB_SRV4" lladdr "$NM_LAB_SRV_MAC" \
        dev "$NM_LAB_CLI_IF" nud permanent 2>/dev/null
    ip -n "$NM_LAB_SRV" neigh replace "$NM_LAB_CLI4" lladdr "$NM_LAB_CLI_MAC" \
        dev "$NM_LAB_SRV_IF" nud permanent 2>/dev/null
    # Stop: SIGINT while capturing (the traffic is over), then tcpdump.
    sleep 0.5
    nm_stop INT
    kill -INT "$NM_LAB_CAP_PID"; wait "$NM_LAB_CAP_PID"; NM_LAB_CAP_PID=""
    [ "$NM_RC" = 0 ] || bad "nm-capture exit $NM_RC after SIGINT, want 0: $(cat "$W/nm.err")"
    [ "$(q 'SELECT end_reason FROM sessions')" = signal ] || bad "end_reason $(q 'SELECT end_reason FROM sessions')"
    [ "$(q 'SELECT end_wall_ns IS NOT NULL FROM sessions')" = 1 ] || bad "session has no end time"
    [ "$(q 'SELECT drops_kernel + drops_ifdrop + drops_queue FROM sessions')" = 0 ] ||
        bad "drops at a few packets per second"
    check_consistent traffic

    # Same packets: as many, of the same sizes, and the same counts per
    # protocol.  (Not the same timestamps: each capture socket stamps the
    # frames the client sends itself, a microsecond or so apart.)
    tshark -r "$W/td.pcap" -T fields -e frame.len 2>/dev/null | sort -n >"$W/td.len"
    q "SELECT wire_len FROM packets" | sort -n >"$W/nm.len"
    local n; n=$(wc -l <"$W/td.len")
    [ "$n" -ge 60 ] || bad "tcpdump saw only $n packets"
    if ! diff "$W/td.len" "$W/nm.len" >"$W/len.diff"; then
        bad "tcpdump and nm-capture saw different packets (sizes):"; head -n 20 "$W/len.diff"
    fi
    # tshark's protocol list per frame; outermost stack only (stop at the
    # first ICMP, as nm-capture does for quoted headers).
    tshark -r "$W/td.pcap" -T fields -e frame.protocols 2>/dev/null | awk -F: '
        BEGIN { m["eth"] = "Ethernet"; m["arp"] = "ARP"; m["ip"] = "IPv4"; m["ipv6"] = "IPv6"
                m["tcp"] = "TCP"; m["udp"] = "UDP"; m["icmp"] = "ICMP"; m["icmpv6"] = "ICMPv6"
                m["dns"] = "DNS" }
        { split("", seen)
          for (i = 1; i <= NF; i++) {
              if (($i in m) && !(m[$i] in seen)) { seen[m[$i]] = 1; c[m[$i]]++ }
              if ($i == "icmp" || $i == "icmpv6") break
          } }
        END { for (k in c) print k, c[k] }' | sort >"$W/td.proto"
    q "SELECT proto || ' ' || packets FROM protocol_usage WHERE packets > 0
       AND proto IN ('Ethernet','ARP','IPv4','IPv6','TCP','UDP','ICMP','ICMPv6','DNS')" |
        sort >"$W/nm.proto"
    if ! diff "$W/td.proto" "$W/nm.proto"; then bad "packets per protocol differ (tshark <, nm >)"; fi
    for p in ARP IPv4 IPv6 TCP UDP ICMP ICMPv6 DNS; do
        grep -q "^$p [1-9]" "$W/nm.proto" || bad "no $p packets captured"
    done
    echo "traffic: $n packets, the same in both; per protocol: $(tr '\n' ' ' <"$W/nm.proto")"
}

# --------------------------------------------------------------- drops --
# flood N SIZE: N frames from the client to a MAC nobody owns (the server's
# promiscuous capture sees them, its stack discards them).
flood() {
    nm_lab_exec "$NM_LAB_CLI" $LABHOST flood "$NM_LAB_CLI_IF" "$NM_LAB_CLI_MAC" 02:99:00:00:00:99 "$1" "$2"
}

# wait_all N: until the session row accounts for all N frames (captured or
# dropped by the kernel or the interface).
wait_all() {
    wait_sql "SELECT packets + drops_kernel + drops_ifdrop >= $1 FROM sessions" ||
        bad "the session row never accounted for $1 frames: $(q 'SELECT packets, drops_kernel, drops_ifdrop FROM sessions')"
}

check_sent() {  # what N
    local r
    r=$(q "SELECT packets + drops_kernel + drops_ifdrop FROM sessions")
    [ "$r" = "$2" ] || bad "$1: captured + kernel + interface drops = $r, sent $2"
    echo "$1: $(q "SELECT 'packets ' || packets || ', rows ' || (SELECT count(*) FROM packets)
                    || ', drops kernel ' || drops_kernel || ' ifdrop ' || drops_ifdrop
                    || ' queue ' || drops_queue || ', seconds with drops '
                    || (SELECT count(*) FROM seconds WHERE drops_kernel + drops_ifdrop
                                                           + drops_queue > 0)
                    FROM sessions")"
}

case_drops() {
    lab_up
    nm_lab_settle 2
    local filter="udp port 9999" n sent

    # Kernel drops: nm-capture stopped while 20000 frames of 1000 bytes
    # arrive; its socket buffer (-B 1024: 1 MiB) holds about a thousand.
    n=20000
    nm_start "$NM_LAB_SRV" "$W/k.db" -i "$NM_LAB_SRV_IF" -B 1024 --immediate-mode --no-log "$filter" || return
    kill -STOP "$NM_PID"
    sent=$(flood $n 1000)
    [ "$sent" = $n ] || bad "flood sent $sent of $n"
    kill -CONT "$NM_PID"
    wait_all $n
    nm_stop INT
    [ "$NM_RC" = 0 ] || bad "kernel drops: exit $NM_RC: $(cat "$W/nm.err")"
    check_sent "kernel drops" $n
    [ "$(q 'SELECT drops_kernel > 0 FROM sessions')" = 1 ] || bad "no kernel drops recorded"
    check_consistent "kernel drops"
    # nm-live reads the drops back from the session row.  The expected
    # number is read first: run in the pipeline, that sqlite3 opened the
    # closed WAL database at the same moment as nm-live, and one of the two
    # could meet the other's WAL recovery lock (seen once as a failure).
    local kdrops live_out
    kdrops=$(q 'SELECT drops_kernel FROM sessions')
    live_out=$("$NL" --once -d "$DB" 2>&1)
    grep -q "^drops kernel $kdrops " <<<"$live_out" ||
        bad "nm-live does not show the session's kernel drops ($kdrops): $live_out"

    # Queue drops: another process holds the database's write lock, so the
    # writer waits (busy timeout 5 s) while the capture thread goes on and
    # its 64-slot queue overflows.  The lock is released right after the
    # flood is sent.
    n=5000
    nm_start "$NM_LAB_SRV" "$W/qd.db" -i "$NM_LAB_SRV_IF" --queue 64 --immediate-mode --no-log "$filter" || return
    mkfifo "$W/sqlfifo"
    sqlite3 "$DB" <"$W/sqlfifo" >"$W/sql.out" 2>&1 &
    SQL_PID=$!
    exec 3>"$W/sqlfifo"
    printf '.timeout 10000\nBEGIN IMMEDIATE;\n.print locked\n' >&3
    local i
    for i in $(seq 1 300); do grep -q '^locked' "$W/sql.out" && break; sleep 0.05; done
    grep -q '^locked' "$W/sql.out" || bad "could not lock the database: $(cat "$W/sql.out")"
    sent=$(flood $n 200)
    printf 'COMMIT;\n' >&3
    exec 3>&-
    wait "$SQL_PID"; SQL_PID=""
    [ "$sent" = $n ] || bad "flood sent $sent of $n"
    wait_all $n
    nm_stop INT
    [ "$NM_RC" = 0 ] || bad "queue drops: exit $NM_RC: $(cat "$W/nm.err")"
    check_sent "queue drops" $n
    [ "$(q 'SELECT drops_queue > 0 FROM sessions')" = 1 ] || bad "no queue drops recorded"
    check_consistent "queue drops"
}

# ------------------------------------------------------------- signals --
case_signals() {
    lab_up
    nm_lab_settle 2
    local filter="udp port 9999" fpid r

    # SIGINT mid-flood.
    nm_start "$NM_LAB_SRV" "$W/i.db" -i "$NM_LAB_SRV_IF" -l "$W/i.log" "$filter" || return
    flood 100000 200 >/dev/null &
    fpid=$!
    wait_sql "SELECT count(*) >= 1000 FROM packets" || bad "no rows while flooding"
    nm_stop INT
    kill -0 $fpid 2>/dev/null || echo "note: the flood was over before SIGINT"
    wait $fpid
    [ "$NM_RC" = 0 ] || bad "SIGINT: exit $NM_RC, want 0: $(cat "$W/nm.err")"
    [ "$(q 'SELECT end_reason FROM sessions')" = signal ] || bad "SIGINT: end_reason $(q 'SELECT end_reason FROM sessions')"
    check_consistent SIGINT
    r=$(q "SELECT count(*) FROM packets")
    [ "$(wc -l <"$W/i.log")" -eq $((r * 3)) ] ||
        bad "SIGINT: event log has $(wc -l <"$W/i.log") lines for $r rows (3 per UDP frame)"
    echo "SIGINT: $(q "SELECT packets || ' packets, ' || drops_queue || ' queue drops, ' || drops_kernel || ' kernel drops' FROM sessions")"

    # SIGKILL mid-flood: the database opens cleanly and takes a new session.
    nm_start "$NM_LAB_SRV" "$W/kill.db" -i "$NM_LAB_SRV_IF" --no-log "$filter" || return
    flood 100000 200 >/dev/null &
    fpid=$!
    wait_sql "SELECT count(*) >= 1000 FROM packets" || bad "no rows while flooding"
    nm_stop KILL
    wait $fpid
    [ "$NM_RC" = 137 ] || bad "SIGKILL: exit $NM_RC"
    r=$(q "PRAGMA integrity_check")
    [ "$r" = ok ] || bad "after SIGKILL: integrity_check: $r"
    [ "$(q 'SELECT end_reason FROM sessions')" = running ] || bad "after SIGKILL: end_reason $(q 'SELECT end_reason FROM sessions')"
    echo "SIGKILL: $(q 'SELECT count(*) FROM packets') rows kept, session row says $(q 'SELECT packets FROM sessions') packets"
    "$NC" -q -r sample-pcaps/ping.pcap -d "$DB" --no-log >"$W/after.out" 2>&1 ||
        bad "a new session after SIGKILL failed: $(cat "$W/after.out")"
    [ "$(q "SELECT group_concat(end_reason) FROM sessions")" = "running,complete" ] ||
        bad "after SIGKILL: sessions $(q 'SELECT group_concat(end_reason) FROM sessions')"
}

# --------------------------------------------------------------- privs --
case_privs() {
    getent passwd nobody >/dev/null || skip "no user nobody"
    command -v setpriv >/dev/null 2>&1 || skip "needs setpriv (util-linux)"
    lab_up
    nm_lab_settle 2
    local d=$W/root-only r uid
    mkdir "$d" && chmod 755 "$d"   # root's: nobody cannot create files here

    # -Z nobody: capture opened as root, then run as nobody.
    nm_start "$NM_LAB_SRV" "$d/z.db" -i "$NM_LAB_SRV_IF" -Z nobody "icmp" || return
    uid=$(awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' "/proc/$NM_PID/status")
    r=$(id -u nobody)
    [ "$uid" = "$r,$r,$r,$r" ] || bad "-Z nobody: process uids $uid, want $r"
    nm_lab_exec "$NM_LAB_CLI" ping -c 4 -i 0.2 "$NM_LAB_SRV4" >/dev/null || bad "ping failed"
    wait_sql "SELECT count(*) = 8 FROM packets" || bad "-Z nobody: rows not written ($(q 'SELECT count(*) FROM packets'))"
    nm_stop INT
    [ "$NM_RC" = 0 ] || bad "-Z nobody: exit $NM_RC: $(cat "$W/nm.err")"
    [ "$(q 'SELECT packets || end_reason FROM sessions')" = 8signal ] ||
        bad "-Z nobody: session $(q 'SELECT packets, end_reason FROM sessions')"
    [ "$(wc -l <"$d/network_events.log")" = 24 ] || bad "-Z nobody: event log lines $(wc -l <"$d/network_events.log")"
    [ -f "$d/netmon-report/report.html" ] || bad "-Z nobody: no report.html in $d/netmon-report"
    for f in z.db network_events.log netmon-report netmon-report/report.html; do
        [ "$(stat -c %U "$d/$f")" = nobody ] || bad "-Z nobody: $f belongs to $(stat -c %U "$d/$f")"
    done

    # A bad user: one line and the usage hint, exit 2, nothing created.
    "$NC" -Z no_such_user_nm -i "$NM_LAB_SRV_IF" -d "$W/bad.db" >"$W/o" 2>"$W/e"
    r=$?
    [ $r = 2 ] || bad "-Z bad user: exit $r"
    [ "$(head -n 1 "$W/e")" = "nm-capture: -Z no_such_user_nm: no such user" ] || bad "-Z bad user: $(cat "$W/e")"
    grep -q "Try 'nm-capture -h'" "$W/e" || bad "-Z bad user: no usage hint"
    [ "$(wc -l <"$W/e")" = 2 ] || bad "-Z bad user: $(wc -l <"$W/e") lines"
    [ -e "$W/bad.db" ] && bad "-Z bad user: database created"

    # As nobody without permission: what is missing and the setcap line.
    mkdir "$W/open" && chmod 777 "$W/open"
    ip netns exec "$NM_LAB_SRV" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$NC" -i "$NM_LAB_SRV_IF" -c 1 -d "$W/open/n.db" >"$W/o" 2>"$W/e"
    r=$?
    [ $r = 2 ] || bad "no permission: exit $r"
    [ "$(wc -l <"$W/e")" = 1 ] || bad "no permission: not one line: $(cat "$W/e")"
    grep -q "^nm-capture: $NM_LAB_SRV_IF: no permission to capture .*CAP_NET_RAW.*setcap cap_net_raw,cap_net_admin=eip $NC\$" "$W/e" ||
        bad "no permission: message: $(cat "$W/e")"
    grep -q 'setcap cap_net_raw,cap_net_admin=eip' README.md || bad "README lacks the setcap line"

    # -Z needs root: as nobody it is refused.
    ip netns exec "$NM_LAB_SRV" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$NC" -r sample-pcaps/ping.pcap -Z nobody -d "$W/open/z2.db" >"$W/o" 2>"$W/e"
    r=$?
    [ $r = 2 ] || bad "-Z as nobody: exit $r"
    grep -q "only root can switch" "$W/e" || bad "-Z as nobody: $(cat "$W/e")"

    # The capabilities setcap grants are enough (a copy: the build's file
    # keeps none).
    if command -v setcap >/dev/null 2>&1; then
        cp "$NC" "$W/open/nm-capture-cap" && chmod 755 "$W/open/nm-capture-cap"
        if setcap cap_net_raw,cap_net_admin=eip "$W/open/nm-capture-cap" 2>/dev/null; then
            ip netns exec "$NM_LAB_SRV" setpriv --reuid=nobody --regid=nogroup --clear-groups \
                "$W/open/nm-capture-cap" -q -i "$NM_LAB_SRV_IF" -c 4 --duration 30 \
                -d "$W/open/c.db" icmp \
                >"$W/o" 2>"$W/e" &
            local cpid=$!
            DB=$W/open/c.db
            wait_sql "SELECT count(*) = 1 FROM sessions" || bad "setcap copy did not start: $(cat "$W/e")"
            # --duration: if the ping's 4 packets never come, the run ends
            # (as time_limit, which fails below) instead of waiting forever.
            nm_lab_exec "$NM_LAB_CLI" ping -c 2 -i 0.2 "$NM_LAB_SRV4" >/dev/null ||
                bad "with setcap: ping failed"
            wait $cpid; r=$?
            [ $r = 0 ] || bad "with setcap, as nobody: exit $r: $(cat "$W/e")"
            [ "$(q 'SELECT packets || end_reason FROM sessions')" = 4count ] ||
                bad "with setcap: session $(q 'SELECT packets, end_reason FROM sessions')"
        else
            echo "note: setcap refused here (file system without capabilities?): not checked"
        fi
    fi
}

case "$case_name" in
traffic) case_traffic ;;
drops) case_drops ;;
signals) case_signals ;;
privs) case_privs ;;
*) echo "usage: e2e.sh traffic|drops|signals|privs"; exit 2 ;;
esac
[ $fail = 0 ] || exit 1
echo "ok: $case_name"
