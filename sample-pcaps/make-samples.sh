#!/usr/bin/env bash
# sample-pcaps/make-samples.sh [OUTDIR]
#
# Records the sample captures in a private test network (tests/lab/netns.sh:
# two network namespaces joined by a veth pair, 10.99.0.0/24 and fd99::/64,
# no route anywhere else) with tcpdump -s 0 on the client's interface:
#
#   http.pcap       4 HTTP GETs with curl to a python3 http.server (IPv4)
#   dns.pcap        dig to a local dnsmasq: A, AAAA, TXT, NXDOMAIN, A over TCP
#   ping.pcap       ping -c 5 (IPv4) and ping -6 -c 5 (IPv6), with ARP and NDP
#   mixed-lab.pcap  HTTP over IPv4 and IPv6, a refused TCP connection, DNS over
#                   IPv6, pings, UDP echo over IPv4 and IPv6, and VLAN 42 traffic
#
# OUTDIR defaults to this script's folder.  Needs root, iproute2, ethtool,
# tcpdump, curl, dig (dnsutils), dnsmasq, ping (iputils-ping), /usr/bin/python3.
# Content is fixed as far as the tools allow (addresses, MACs, names, files,
# client ports); timestamps, TCP sequence numbers, DNS IDs and ping
# identifiers change between runs.  The committed .pcap files are the
# reference: after re-recording, run expected-from-tshark.sh (and with --flows) and read the diff.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
OUT=${1:-$HERE}
PY=/usr/bin/python3
LABHOST=$TOP/tests/lab/labhost.py
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# shellcheck source=../tests/lab/netns.sh
. "$TOP/tests/lab/netns.sh"
for t in curl dig dnsmasq ping "$PY"; do
    nm_lab_need "$t" || exit 77
done
nm_lab_up
cli() { nm_lab_exec "$NM_LAB_CLI" "$@"; }

# --- servers (in the server namespace) ---------------------------------------
WWW=$NM_LAB_TMP/www
mkdir -p "$WWW"
printf '<!DOCTYPE html>\n<html><head><title>netmon lab</title></head>\n<body><p>It works.</p></body></html>\n' \
    >"$WWW/index.html"
printf 'hello from the netmon lab\n' >"$WWW/hello.txt"
# 4000 bytes: a response of several full-size segments
for i in $(seq 1 80); do printf 'line %02d of big.txt: the quick brown fox jumps over it.\n' "$i"; done \
    >"$WWW/big.txt"
truncate -s 4000 "$WWW/big.txt"
touch -d '2024-01-01 00:00:00 UTC' "$WWW"/*   # fixed Last-Modified headers
nm_lab_spawn "$NM_LAB_SRV" "$PY" -m http.server 80 --bind :: --directory "$WWW" \
    >/dev/null 2>&1

# Authoritative for lab.example only: names not listed get NXDOMAIN, and
# nothing is forwarded (--no-resolv, no servers).
nm_lab_spawn "$NM_LAB_SRV" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
    --no-hosts --no-poll --bind-interfaces --listen-address="$NM_LAB_SRV4" \
    --listen-address="$NM_LAB_SRV6" --except-interface=lo --pid-file= --user=root \
    --local=/lab.example/ \
    --host-record=www.lab.example,"$NM_LAB_SRV4","$NM_LAB_SRV6" \
    --host-record=ns.lab.example,"$NM_LAB_SRV4" \
    --txt-record=info.lab.example,"netmon test lab" \
    --log-facility=/dev/null

nm_lab_spawn "$NM_LAB_SRV" "$PY" "$LABHOST" udp-echo 7
nm_lab_spawn "$NM_LAB_SRV" "$PY" "$LABHOST" vlan-serve "$NM_LAB_SRV_IF" "$NM_LAB_VLAN" \
    "$NM_LAB_SRV_MAC" "$NM_LAB_SRV4_VLAN"
nm_lab_settle 3

# Servers up?  (Outside any capture.)
for i in $(seq 1 50); do
    cli curl -s -o /dev/null --max-time 1 "http://$NM_LAB_SRV4/" && break
    sleep 0.1
done
cli dig +short +tries=1 +time=1 @"$NM_LAB_SRV4" www.lab.example A | grep -q "$NM_LAB_SRV4" \
    || { echo "dnsmasq does not answer" >&2; exit 1; }
sleep 1

get() {  # URL LOCAL_PORT [expected curl exit status]
    local rc=0
    cli curl -s -o /dev/null --local-port "$2" --max-time 2 "$1" || rc=$?
    [ "$rc" = "${3:-0}" ] || { echo "curl $1: exit status $rc" >&2; exit 1; }
    sleep 0.2
}
q() {  # dig arguments...
    local log="$NM_LAB_TMP/dig.out"
    cli dig +tries=1 +time=2 +nocookie "$@" >"$log" 2>&1 \
        && grep -q '^;; ->>HEADER<<-' "$log" \
        || { cat "$log" >&2; echo "dig $*: no answer" >&2; exit 1; }
    sleep 0.2
}

record() {  # NAME FUNCTION
    local tmp="$NM_LAB_TMP/$1"
    nm_lab_flush_neigh
    sleep 0.5
    nm_lab_capture_start "$tmp"
    "$2"
    nm_lab_capture_stop
    cp "$tmp" "$OUT/$1"
    echo "wrote $OUT/$1 ($(stat -c %s "$OUT/$1") bytes)"
}

traffic_http() {
    get "http://$NM_LAB_SRV4/index.html" 41001
    get "http://$NM_LAB_SRV4/hello.txt" 41002
    get "http://$NM_LAB_SRV4/big.txt" 41003
    get "http://$NM_LAB_SRV4/missing.html" 41004     # 404
}

traffic_dns() {
    q @"$NM_LAB_SRV4" www.lab.example A
    q @"$NM_LAB_SRV4" www.lab.example AAAA
    q @"$NM_LAB_SRV4" info.lab.example TXT
    q @"$NM_LAB_SRV4" nothere.lab.example A           # NXDOMAIN
    q @"$NM_LAB_SRV4" +tcp www.lab.example A          # one query over TCP
}

traffic_ping() {
    cli ping -c 5 -i 0.2 "$NM_LAB_SRV4" >/dev/null
    cli ping -6 -c 5 -i 0.2 "$NM_LAB_SRV6" >/dev/null
}

traffic_mixed() {
    cli ping -c 3 -i 0.2 "$NM_LAB_SRV4" >/dev/null
    get "http://$NM_LAB_SRV4/hello.txt" 42001
    get "http://[$NM_LAB_SRV6]/index.html" 42002
    get "http://$NM_LAB_SRV4:8080/" 42003 7           # nothing listens: SYN, RST/ACK
    q @"$NM_LAB_SRV4" www.lab.example A
    q @"$NM_LAB_SRV6" www.lab.example AAAA
    q @"$NM_LAB_SRV6" nothere.lab.example AAAA        # NXDOMAIN over IPv6
    cli "$PY" "$LABHOST" udp-send "$NM_LAB_SRV4" 7 42007 3
    cli "$PY" "$LABHOST" udp-send "$NM_LAB_SRV6" 7 42008 2
    cli ping -6 -c 3 -i 0.2 "$NM_LAB_SRV6" >/dev/null
    cli "$PY" "$LABHOST" vlan-client "$NM_LAB_CLI_IF" "$NM_LAB_VLAN" "$NM_LAB_CLI_MAC" \
        "$NM_LAB_CLI4_VLAN" "$NM_LAB_SRV4_VLAN" 3
}

record http.pcap traffic_http
record dns.pcap traffic_dns
record ping.pcap traffic_ping
record mixed-lab.pcap traffic_mixed
