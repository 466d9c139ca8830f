#!/bin/bash
# tests/lab/latency-lab.sh - physical ground truth for latency: a client and
# two servers behind known delays, made of network namespaces.
#
#   latency-lab.sh record OUT.pcap     build the lab, run the traffic, capture
#   latency-lab.sh check PCAP [TSV]    medians per server and kind vs the
#                                      configured round trips (exit 1 if off);
#                                      TSV: write the expected-numbers table
#
# Layout (the kernel has no netem: tests/lab/delayline.c holds every frame
# for a fixed one-way delay, in user space, between two veths):
#
#   nmlatc<ID>  lc0 02:98:00:00:00:01 10.98.0.1/24 fd98::1/64   <- tcpdump here
#      | veth
#   nmlatsw<ID> sw0 -- bridge br0 -- swa ~veth~ da =delayline 10 ms= xa ~veth~+
#                                 -- swb ~veth~ db =delayline 40 ms= xb ~veth~|-+
#   nmlata<ID>  s0 02:98:00:00:00:20 10.98.0.20 fd98::20  (20 ms round trip)<-+ |
#   nmlatb<ID>  s0 02:98:00:00:00:80 10.98.0.80 fd98::80  (80 ms round trip)<---+
#
# The last byte of a server's address is its round trip in ms.  Each server
# runs nginx (port 80), dnsmasq (lab.example, no forwarding) and a UDP echo
# (port 7, delayline -u: a Python echo takes 0.3-0.5 ms to answer); the client runs curl, dig, ping, ping -6
# and a UDP echo client, NM_LAT_N times each per server (default 10).
# Only 10.98.0.0/24, fd98::/64 and namespaces named nmlat* are used; no
# namespace has a route out.  Teardown (trapped, also on failure) ends every
# process by PID and deletes the namespaces.  Needs root, iproute2, ethtool,
# tcpdump, nginx, dnsmasq, curl, dig, ping, cc.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

DELAY_A_US=10000        # one way: 20 ms round trip
DELAY_B_US=40000        # one way: 80 ms round trip
SRV_A4=10.98.0.20 SRV_A6=fd98::20
SRV_B4=10.98.0.80 SRV_B6=fd98::80
CLI4=10.98.0.1 CLI6=fd98::1
# The servers answer at real-time priority (below the delay lines' 10): on a
# busy 2-core machine a normal process waits milliseconds to be scheduled,
# and the lab measures the network, not the neighbours' builds.
RT="chrt -f 5"

# ------------------------------------------------------------------ check --
check() {  # PCAP [TSV]
    local pcap=$1 tsv=${2:-} dump=$BUILD/tests/latency_dump
    [ -x "$dump" ] || { echo "latency-lab: $dump not built (tests/t-latency-oracle.sh)"; return 2; }
    "$dump" -v "$pcap" 2>"$BUILD/tests/latency-lab.samples" >/dev/null || return 1
    "$PY" - "$pcap" "$BUILD/tests/latency-lab.samples" "$tsv" <<'EOF'
import statistics, struct, sys

pcap, samples, tsv = sys.argv[1], sys.argv[2], sys.argv[3]
SERVERS = {"10.98.0.20": "A", "fd98:0:0:0:0:0:0:20": "A",
           "10.98.0.80": "B", "fd98:0:0:0:0:0:0:80": "B"}
RTT = {"A": 20.0, "B": 80.0}
NAME = {"A": "10.98.0.20", "B": "10.98.0.80"}
RTT_KINDS = ["tcp_syn_synack", "tcp_handshake", "tcp_data_ack", "dns", "icmp_echo",
             "icmpv6_echo", "udp_first_response"]
TOL = 0.5

# Source address of every frame by timestamp (ns): tcp_data_ack times both
# directions, and only data from the client is acknowledged by the server
# (the other direction is the client's own ACK delay, ~0 ms).
src_at = {}
with open(pcap, "rb") as f:
    hdr = f.read(24)
    magic = struct.unpack("<I", hdr[:4])[0]
    scale = 1 if magic == 0xa1b23c4d else 1000
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        sec, frac, incl, _ = struct.unpack("<IIII", h)
        d = f.read(incl)
        et = struct.unpack(">H", d[12:14])[0] if len(d) >= 14 else 0
        if et == 0x0800 and len(d) >= 34:
            src = ".".join(str(b) for b in d[26:30])
        elif et == 0x86dd and len(d) >= 54:
            src = ":".join("%x" % struct.unpack(">H", d[22 + 2 * i:24 + 2 * i])[0]
                           for i in range(8))
        else:
            continue
        src_at[sec * 1000000000 + frac * scale] = src

vals = {}
other = 0
for line in open(samples):
    kind, ts, cli, cport, srv, sport, proto, ns = line.rstrip("\n").split("\t")
    s = SERVERS.get(srv)
    if s is None:
        other += 1
        continue
    if kind == "tcp_data_ack" and src_at.get(int(ts)) != srv:
        kind = "tcp_data_ack_by_client"
    vals.setdefault((s, kind), []).append(int(ns) / 1e6)

bad = 0
rows = []
for kind in RTT_KINDS + ["tcp_synack_ack"]:
    for s in "AB":
        v = vals.get((s, kind), [])
        if not v:
            print("FAIL %s %s: no samples" % (NAME[s], kind)); bad += 1; continue
        med = statistics.median(v)
        exp = RTT[s] if kind != "tcp_synack_ack" else 0.0
        ok = abs(med - exp) <= TOL if kind != "tcp_synack_ack" else med < TOL
        print("%s %-10s %-20s n=%3d median=%9.3f min=%9.3f max=%9.3f expected=%5.1f" %
              ("ok  " if ok else "FAIL", NAME[s], kind, len(v), med, min(v), max(v), exp))
        bad += not ok
        rows.append((NAME[s], kind, exp, med, len(v)))
    if kind != "tcp_synack_ack" and vals.get(("A", kind)) and vals.get(("B", kind)):
        if max(vals[("A", kind)]) >= min(vals[("B", kind)]):
            print("FAIL %s: the servers' ranges overlap" % kind); bad += 1
for s in "AB":
    v = vals.get((s, "tcp_data_ack_by_client"), [])
    if v:
        print("info %-10s tcp_data_ack (server data, client ACK) n=%d median=%.3f ms" %
              (NAME[s], len(v), statistics.median(v)))
if other:
    print("FAIL %d samples for other servers" % other); bad += 1
if tsv:
    with open(tsv, "w") as t:
        t.write("server\tkind\texpected_rtt_ms\tmeasured_median_ms\tcount\n")
        for r in rows:
            t.write("%s\t%s\t%.1f\t%.3f\t%d\n" % r)
sys.exit(1 if bad else 0)
EOF
}

# ----------------------------------------------------------------- record --
LID=${NM_LAT_ID:-$$}
NS_C=nmlatc$LID NS_SW=nmlatsw$LID NS_A=nmlata$LID NS_B=nmlatb$LID
PIDS="" TMP="" UP=0

lat_down() {
    local rc=$? p ns
    set +e
    [ "$UP" = 1 ] || return $rc
    UP=0
    nm_lab_capture_stop 2>/dev/null
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    for ns in "$NS_C" "$NS_SW" "$NS_A" "$NS_B"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
    done
    sleep 0.2
    for ns in "$NS_C" "$NS_SW" "$NS_A" "$NS_B"; do ip netns del "$ns" 2>/dev/null; done
    [ -n "$TMP" ] && rm -rf "$TMP"
    echo "latency-lab: down" >&2
    return $rc
}

spawn() {  # NS command...
    local ns=$1; shift
    ip netns exec "$ns" "$@" &
    PIDS="$PIDS $!"
}

build_delayline() {
    mkdir -p "$BUILD/tests"
    ${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -Wall -Wextra -Wpedantic -Wconversion \
        -Wsign-conversion -Werror "$top/tests/lab/delayline.c" -o "$BUILD/tests/delayline"
}

server_up() {  # NS LETTER ADDR4 ADDR6 MAC DELAY_US
    local ns=$1 x=$2 a4=$3 a6=$4 mac=$5 delay=$6
    ip netns add "$ns" || return 1
    nm_lab_quiet_ns "$ns"
    ip link add "x$x" netns "$NS_SW" type veth peer name s0 netns "$ns" address "$mac" || return 1
    ip link add "sw$x" netns "$NS_SW" type veth peer name "d$x" netns "$NS_SW" || return 1
    ip -n "$NS_SW" link set "sw$x" master br0
    local i
    for i in "x$x" "sw$x" "d$x"; do
        nm_lab_no_offload "$NS_SW" "$i"
        ip -n "$NS_SW" link set "$i" up
    done
    nm_lab_no_offload "$ns" s0
    ip -n "$ns" addr add "$a4/24" dev s0
    ip -n "$ns" addr add "$a6/64" dev s0 nodad
    ip -n "$ns" link set lo up
    ip -n "$ns" link set s0 up
    spawn "$NS_SW" "$BUILD/tests/delayline" -a "d$x" -b "x$x" -d "$delay" -t 300 -s -r
    mkdir -p "$TMP/$x/www" "$TMP/$x/tmp"
    head -c 2000 /dev/zero | tr '\0' 'x' >"$TMP/$x/www/index.html"
    cat >"$TMP/$x/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1;
pid $TMP/$x/nginx.pid; error_log $TMP/$x/nginx.err;
events { worker_connections 64; }
http {
    access_log off; client_body_temp_path $TMP/$x/tmp; proxy_temp_path $TMP/$x/tmp;
    fastcgi_temp_path $TMP/$x/tmp; uwsgi_temp_path $TMP/$x/tmp; scgi_temp_path $TMP/$x/tmp;
    server { listen $a4:80; listen [$a6]:80; root $TMP/$x/www; }
}
EOF
    spawn "$ns" $RT nginx -c "$TMP/$x/nginx.conf" -e "$TMP/$x/nginx.err"
    spawn "$ns" $RT dnsmasq -k -C /dev/null -R -h --bind-interfaces --listen-address="$a4" \
        --listen-address="$a6" --except-interface=lo --user=root --pid-file= \
        --address="/www.lab.example/$a4" --address="/www.lab.example/$a6" --local=/lab.example/
    spawn "$ns" $RT "$BUILD/tests/delayline" -u 7 -t 300
}

record() {  # OUT.pcap
    local out=$1 i s4 s6 n=${NM_LAT_N:-10}
    case $out in /*) ;; *) out=$PWD/$out ;; esac
    # shellcheck source=tests/lab/netns.sh
    . "$top/tests/lab/netns.sh"
    nm_lab_need ip ethtool tcpdump nginx dnsmasq curl dig ping || return $?
    [ "$(id -u)" = 0 ] || { echo "latency-lab: needs root (network namespaces)"; return 77; }
    build_delayline || return 1
    [ -x "$BUILD/tests/delayline" ] || return 1
    if ip netns list | grep -q "^nmlat[a-z]*$LID\b"; then
        echo "latency-lab: namespaces for id $LID exist (set NM_LAT_ID)"; return 1
    fi
    trap lat_down EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    TMP=$(mktemp -d "/tmp/nmlat$LID.XXXXXX") || return 1
    UP=1
    ip netns add "$NS_C" && ip netns add "$NS_SW" || return 1
    nm_lab_quiet_ns "$NS_C"
    ip netns exec "$NS_SW" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 >/dev/null
    ip -n "$NS_SW" link add br0 type bridge forward_delay 0 stp_state 0 || return 1
    ip link add lc0 netns "$NS_C" address 02:98:00:00:00:01 type veth \
        peer name sw0 netns "$NS_SW" || return 1
    nm_lab_no_offload "$NS_C" lc0
    nm_lab_no_offload "$NS_SW" sw0
    ip -n "$NS_SW" link set sw0 master br0
    ip -n "$NS_SW" link set sw0 up
    ip -n "$NS_SW" link set br0 up
    ip -n "$NS_C" addr add "$CLI4/24" dev lc0
    ip -n "$NS_C" addr add "$CLI6/64" dev lc0 nodad
    ip -n "$NS_C" link set lo up
    ip -n "$NS_C" link set lc0 up
    server_up "$NS_A" a "$SRV_A4" "$SRV_A6" 02:98:00:00:00:20 "$DELAY_A_US" || return 1
    server_up "$NS_B" b "$SRV_B4" "$SRV_B6" 02:98:00:00:00:80 "$DELAY_B_US" || return 1
    sleep 2     # services listening, start-up multicast over
    # Warm-up outside the capture: neighbours resolved, every service answers.
    for s4 in "$SRV_A4" "$SRV_B4"; do
        ip netns exec "$NS_C" ping -c 1 -W 2 "$s4" >/dev/null || { echo "no ping $s4"; return 1; }
        ip netns exec "$NS_C" curl -s -o /dev/null --max-time 5 "http://$s4/" \
            || { echo "no http $s4"; cat "$TMP"/*/nginx.err; return 1; }
        ip netns exec "$NS_C" dig +short +tries=1 +time=2 "@$s4" www.lab.example >/dev/null \
            || { echo "no dns $s4"; return 1; }
    done
    for s6 in "$SRV_A6" "$SRV_B6"; do
        ip netns exec "$NS_C" ping -6 -c 1 -W 2 "$s6" >/dev/null || { echo "no ping6 $s6"; return 1; }
    done

    # shellcheck disable=SC2034  # read by nm_lab_capture_start/stop (netns.sh)
    NM_LAB_CLI=$NS_C NM_LAB_CLI_IF=lc0 NM_LAB_TMP=$TMP
    nm_lab_capture_start "$out" || return 1
    for i in $(seq 1 "$n"); do
        for s4 in "$SRV_A4" "$SRV_B4"; do
            ip netns exec "$NS_C" curl -s -o /dev/null --max-time 5 "http://$s4/"
            ip netns exec "$NS_C" dig +tries=1 +time=2 +nocookie "@$s4" www.lab.example >/dev/null
            ip netns exec "$NS_C" "$PY" "$top/tests/lab/labhost.py" udp-send "$s4" 7 \
                $((40000 + i)) 1 >/dev/null
        done
    done
    for s4 in "$SRV_A4" "$SRV_B4"; do
        ip netns exec "$NS_C" ping -c "$n" -i 0.2 -W 2 "$s4" >/dev/null
    done
    for s6 in "$SRV_A6" "$SRV_B6"; do
        ip netns exec "$NS_C" ping -6 -c "$n" -i 0.2 -W 2 "$s6" >/dev/null
    done
    nm_lab_capture_stop
    # The delay lines print how late their sends were (-s) when they end.
    for i in $PIDS; do kill "$i" 2>/dev/null; done
    for i in $PIDS; do wait "$i" 2>/dev/null; done
    PIDS=""
    echo "latency-lab: wrote $out" >&2
}

case ${1:-} in
    record) [ $# = 2 ] || { echo "usage: $0 record OUT.pcap"; exit 2; }; record "$2" ;;
    check) [ $# -ge 2 ] || { echo "usage: $0 check PCAP [TSV]"; exit 2; }; check "$2" "${3:-}" ;;
    *) echo "usage: $0 record OUT.pcap | check PCAP [TSV]"; exit 2 ;;
esac
