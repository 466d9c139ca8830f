#!/bin/sh
# tests/t-sample-pcaps.sh - nm-capture against tshark's numbers for the lab captures.
#
# For each sample-pcaps/*.pcap: run `nm-capture -r FILE -d DB -l LOG` (and
# again with -A, aggregate mode), then compare what the database and the
# event log say with sample-pcaps/expected.tsv, which
# sample-pcaps/expected-from-tshark.sh computed with tshark (the definitions
# of every metric are at the top of that script).  Exit 0 pass, 77 skip
# (reason on the last line), 1 fail.  Env: BUILD (default build).
# Every TCP and UDP flow (addresses, ports, packets and bytes each way, first
# and last time) must equal a tcp.stream / udp.stream of
# sample-pcaps/flows-expected.tsv (expected-from-tshark.sh --flows).
# tshark's matched responses (dns.time, icmp[v6].resptime) are compared with
# the latency samples of the same kinds (latency_stats: in both modes).
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
cap=$BUILD/nm-capture
exp=sample-pcaps/expected.tsv
flows_exp=sample-pcaps/flows-expected.tsv

if [ ! -x "$cap" ]; then
    echo "skip: $cap is not built yet"
    exit 77
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "skip: needs the sqlite3 command-line shell (Debian package sqlite3)"
    exit 77
fi
[ -f "$exp" ] || { echo "missing $exp"; exit 1; }
[ -f "$flows_exp" ] || { echo "missing $flows_exp"; exit 1; }

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
fail=0; ok=0; notcmp=0

# The SQL giving `metric` for the only session of a fresh database, or
# nothing if the metric is not (yet) stored.  $1 metric, $2 mode (full|agg).
query() {
    S='(SELECT max(id) FROM sessions)'
    case $1 in
    packets)        echo "SELECT packets FROM sessions WHERE id = $S" ;;
    bytes)          echo "SELECT bytes FROM sessions WHERE id = $S" ;;
    captured_bytes) echo "SELECT captured_bytes FROM sessions WHERE id = $S" ;;
    first_ns)       echo "SELECT first_packet_ns FROM sessions WHERE id = $S" ;;
    last_ns)        echo "SELECT last_packet_ns FROM sessions WHERE id = $S" ;;
    malformed_frames) echo "SELECT malformed FROM sessions WHERE id = $S" ;;
    *_packets|*_bytes)
        col=${1##*_}; p=${1%_*}
        case $p in
        eth) n=Ethernet ;; vlan) n=VLAN ;; arp) n=ARP ;; ipv4) n=IPv4 ;; ipv6) n=IPv6 ;;
        tcp) n=TCP ;; udp) n=UDP ;; icmp) n=ICMP ;; icmpv6) n=ICMPv6 ;; dns) n=DNS ;;
        other) n=Other ;; *) return 0 ;;
        esac
        echo "SELECT $col FROM protocol_usage WHERE session_id = $S AND proto = '$n'" ;;
    distinct_ip)    echo "SELECT count(*) FROM addresses WHERE session_id = $S
                          AND kind IN ('ipv4', 'ipv6')" ;;
    distinct_ipv4)  echo "SELECT count(*) FROM addresses WHERE session_id = $S AND kind = 'ipv4'" ;;
    distinct_ipv6)  echo "SELECT count(*) FROM addresses WHERE session_id = $S AND kind = 'ipv6'" ;;
    distinct_mac)   echo "SELECT count(*) FROM addresses WHERE session_id = $S AND kind = 'mac'" ;;
    tcp_syn_connections)
        echo "SELECT connections FROM connections_per_protocol WHERE session_id = $S
              AND proto = 'TCP'" ;;
    tcp_streams)    echo "SELECT count(*) FROM flows WHERE session_id = $S AND proto = 'TCP'" ;;
    udp_conversations)
        echo "SELECT count(*) FROM flows WHERE session_id = $S AND proto = 'UDP'" ;;
    dns_responses_matched)       lat=dns ;;
    icmp_echo_replies_matched)   lat=icmp_echo ;;
    icmpv6_echo_replies_matched) lat=icmpv6_echo ;;
    tcp_resets)     echo "SELECT coalesce(sum(tcp_resets), 0) FROM seconds WHERE session_id = $S" ;;
    tcp_retransmissions)
        echo "SELECT coalesce(sum(tcp_retransmissions), 0) FROM seconds WHERE session_id = $S" ;;
    esac
    if [ -n "${lat:-}" ]; then
        echo "SELECT coalesce(sum(samples), 0) FROM latency_stats WHERE session_id = $S
              AND kind = '$lat'"
        lat=
        return 0
    fi
    [ "$2" = full ] || return 0
    # Per-packet facts: only in the packets table (not in aggregate mode).
    P="SELECT count(*) FROM packets WHERE session_id = $S AND"
    case $1 in
    dns_queries)    echo "$P layers & 8192 AND (dns_flags >> 15) & 1 = 0" ;;
    dns_responses)  echo "$P layers & 8192 AND (dns_flags >> 15) & 1 = 1" ;;
    dns_nxdomain)   echo "$P layers & 8192 AND (dns_flags >> 15) & 1 = 1 AND dns_flags & 15 = 3" ;;
    icmp_echo_requests)   echo "$P layers & 2048 AND icmp_type = 8" ;;
    icmp_echo_replies)    echo "$P layers & 2048 AND icmp_type = 0" ;;
    icmpv6_echo_requests) echo "$P layers & 4096 AND icmp_type = 128" ;;
    icmpv6_echo_replies)  echo "$P layers & 4096 AND icmp_type = 129" ;;
    arp_requests)   echo "$P layers & 64 AND arp_op = 1" ;;
    arp_replies)    echo "$P layers & 64 AND arp_op = 2" ;;
    esac
}

expect() {  # capture metric -> value from expected.tsv
    awk -F'\t' -v c="$1" -v m="$2" '$1 == c && $2 == m { print $3 }' "$exp"
}

check() {  # label expected got
    if [ "$2" = "$3" ]; then
        ok=$((ok + 1))
    else
        echo "FAIL $1: expected $2, got '$3'"
        fail=$((fail + 1))
    fi
}

for pcap in sample-pcaps/*.pcap; do
    name=$(basename "$pcap")
    grep -q "^$name	" "$exp" || { echo "FAIL $name: not in $exp"; fail=$((fail + 1)); continue; }
    for mode in full agg; do
        db=$tmp/$name.$mode.db; log=$tmp/$name.log
        if [ $mode = full ]; then
            set -- -r "$pcap" -d "$db" -l "$log"
        else
            set -- -A -r "$pcap" -d "$db"
        fi
        rc=0
        "$cap" "$@" >"$tmp/out" 2>&1 || rc=$?
        if [ $rc -ne 0 ]; then
            echo "FAIL $name: nm-capture $* exited with status $rc:"
            sed 's/^/    /' "$tmp/out"
            fail=$((fail + 1))
            continue
        fi
        metrics=$(awk -F'\t' -v c="$name" '$1 == c { print $2 }' "$exp")
        for m in $metrics; do
            sql=$(query "$m" $mode)
            if [ -z "$sql" ]; then
                [ $mode = full ] && notcmp=$((notcmp + 1))
                continue
            fi
            got=$(sqlite3 -batch "$db" "$sql" 2>&1)
            check "$name ($mode) $m" "$(expect "$name" "$m")" "$got"
        done
        # The flows, line for line.
        awk -F'\t' -v c="$name" '$1 == c' "$flows_exp" | LC_ALL=C sort >"$tmp/flows.want"
        sqlite3 -batch -separator "$(printf '\t')" "$db" "SELECT '$name', proto, client_ip,
            client_port, server_ip, server_port, pkts_c2s, bytes_c2s, pkts_s2c, bytes_s2c,
            first_ns, last_ns FROM flows WHERE proto IN ('TCP', 'UDP')" 2>&1 |
            LC_ALL=C sort >"$tmp/flows.got"
        if cmp -s "$tmp/flows.want" "$tmp/flows.got"; then
            ok=$((ok + 1))
        else
            echo "FAIL $name ($mode) flows differ from $flows_exp (< tshark, > netmon):"
            diff "$tmp/flows.want" "$tmp/flows.got" | sed 's/^/    /'
            fail=$((fail + 1))
        fi
        # The sum of seconds.packets must equal the session total.
        got=$(sqlite3 -batch "$db" "SELECT coalesce(sum(packets), 0) FROM seconds" 2>&1)
        check "$name ($mode) sum(seconds.packets)" "$(expect "$name" packets)" "$got"
        [ $mode = full ] || continue
        got=$(sqlite3 -batch "$db" "SELECT count(*) FROM packets" 2>&1)
        check "$name packets table rows" "$(expect "$name" packets)" "$got"

        # Event log: one line per decoded layer (analyze/eventline.h).  The
        # third word of a line names its kind; expected counts from tshark:
        # Ethernet = eth frames, ARP/IP/IPv6 = arp/ipv4/ipv6 frames, etc.
        for pair in Ethernet:eth ARP:arp IP:ipv4 IPv6:ipv6 TCP:tcp UDP:udp ICMP:icmp \
                    ICMPv6:icmpv6 DNS:dns; do
            kind=${pair%%:*}; m=${pair#*:}_packets
            got=$(awk -v k="$kind" '$3 == k { n++ } END { print n + 0 }' "$log")
            check "$name event log '$kind' lines" "$(expect "$name" "$m")" "$got"
        done
    done
done

echo "$ok values agree, $fail differ, $notcmp expected values not compared (not stored)"
[ $fail -eq 0 ] || exit 1
exit 0
