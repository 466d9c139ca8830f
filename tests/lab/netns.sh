# tests/lab/netns.sh - a two-host test network made of network namespaces.
# Source it from bash (it is a library, not a program):
#
#     . tests/lab/netns.sh
#     nm_lab_up                      # creates the namespaces; teardown is trapped
#     nm_lab_exec "$NM_LAB_SRV" cmd  # run in the server namespace
#     nm_lab_spawn "$NM_LAB_SRV" cmd # start in the background; killed at teardown
#     nm_lab_capture_start FILE      # tcpdump -w FILE on the client's link
#     nm_lab_capture_stop
#
# Layout (one point-to-point veth link, no bridge, no route out of the lab):
#
#     nmcli<ID>  nmc0  02:99:00:00:00:01  10.99.0.1/25    fd99::1/64
#        |  veth
#     nmsrv<ID>  nms0  02:99:00:00:00:02  10.99.0.2/25    fd99::2/64
#
# VLAN 42 (10.99.0.129 client, 10.99.0.130 server) exists only in user
# space: the kernel may lack 802.1Q support (CONFIG_VLAN_8021Q, bridge VLAN
# filtering), so tests/lab/labhost.py sends and answers tagged frames itself
# over packet sockets on the same veth.
#
# Everything stays inside 10.99.0.0/24 and fd99::/64, and inside the two
# namespaces: neither has a default route, and the veth ends are created
# directly inside them, so nothing is attached to the host's own network.
# <ID> is NM_LAB_ID (default: this shell's PID) so parallel runs get
# different namespaces; interface names live inside the namespaces and can
# therefore be fixed (which keeps the captures' content the same per run).
#
# Needs root, iproute2, ethtool, tcpdump.

NM_LAB_ID=${NM_LAB_ID:-$$}
NM_LAB_CLI=nmcli$NM_LAB_ID
NM_LAB_SRV=nmsrv$NM_LAB_ID
NM_LAB_CLI_IF=nmc0
NM_LAB_SRV_IF=nms0
NM_LAB_CLI_MAC=02:99:00:00:00:01
NM_LAB_SRV_MAC=02:99:00:00:00:02
NM_LAB_CLI4=10.99.0.1
NM_LAB_SRV4=10.99.0.2
NM_LAB_CLI6=fd99::1
NM_LAB_SRV6=fd99::2
NM_LAB_VLAN=42
NM_LAB_CLI4_VLAN=10.99.0.129
NM_LAB_SRV4_VLAN=10.99.0.130
NM_LAB_PIDS=""
NM_LAB_CAP_PID=""
NM_LAB_TMP=""
NM_LAB_IS_UP=0

nm_lab_log() { printf 'lab: %s\n' "$*" >&2; }

nm_lab_need() {  # tool...: fail (exit 77: skip) with a clear message if one is missing
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || { echo "lab: needs $t (not installed)"; return 77; }
    done
}

nm_lab_exec() {  # NS command...
    local ns=$1; shift
    ip netns exec "$ns" "$@"
}

# Starts a command in the background inside NS; its PID is recorded so that
# teardown ends it (by PID) before deleting the namespace.
nm_lab_spawn() {  # NS command...
    local ns=$1; shift
    ip netns exec "$ns" "$@" &
    NM_LAB_PIDS="$NM_LAB_PIDS $!"
}

# Settings applied in a namespace before its interfaces exist, so new
# interfaces inherit them ("default"): no router solicitations and no
# duplicate address detection, which would otherwise add packets at
# random moments to the captures.
nm_lab_quiet_ns() {  # NS
    local ns=$1 c
    for c in all default; do
        ip netns exec "$ns" sysctl -q -w "net.ipv6.conf.$c.router_solicitations=0" \
            "net.ipv6.conf.$c.accept_dad=0" "net.ipv6.conf.$c.accept_ra=0" \
            "net.ipv6.conf.$c.dad_transmits=0" >/dev/null
    done
}

# Veths offload checksums and segmentation by default: the sending side would
# then capture frames with unfinished checksums or bigger than the MTU.  Real
# NICs on a wire do not show that, so turn it off.
nm_lab_no_offload() {  # NS IF
    ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off \
        >/dev/null 2>&1 || nm_lab_log "ethtool -K $2 failed (captures may show offload artefacts)"
}

nm_lab_up() {
    nm_lab_need ip ethtool tcpdump || return $?
    if [ "$(id -u)" != 0 ]; then echo "lab: needs root (network namespaces)"; return 77; fi
    if ip netns list | grep -q -w -e "$NM_LAB_CLI" -e "$NM_LAB_SRV"; then
        echo "lab: namespace $NM_LAB_CLI or $NM_LAB_SRV already exists (set NM_LAB_ID)"
        return 1
    fi
    trap nm_lab_down EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    NM_LAB_TMP=$(mktemp -d "/tmp/nmlab$NM_LAB_ID.XXXXXX") || return 1
    NM_LAB_IS_UP=1
    ip netns add "$NM_LAB_CLI" || return 1
    ip netns add "$NM_LAB_SRV" || return 1
    nm_lab_quiet_ns "$NM_LAB_CLI"
    nm_lab_quiet_ns "$NM_LAB_SRV"
    ip link add "$NM_LAB_CLI_IF" netns "$NM_LAB_CLI" address "$NM_LAB_CLI_MAC" type veth \
        peer name "$NM_LAB_SRV_IF" netns "$NM_LAB_SRV" address "$NM_LAB_SRV_MAC" || return 1
    nm_lab_no_offload "$NM_LAB_CLI" "$NM_LAB_CLI_IF"
    nm_lab_no_offload "$NM_LAB_SRV" "$NM_LAB_SRV_IF"
    ip -n "$NM_LAB_CLI" addr add "$NM_LAB_CLI4/25" dev "$NM_LAB_CLI_IF"
    ip -n "$NM_LAB_SRV" addr add "$NM_LAB_SRV4/25" dev "$NM_LAB_SRV_IF"
    ip -n "$NM_LAB_CLI" addr add "$NM_LAB_CLI6/64" dev "$NM_LAB_CLI_IF" nodad
    ip -n "$NM_LAB_SRV" addr add "$NM_LAB_SRV6/64" dev "$NM_LAB_SRV_IF" nodad
    local ns
    for ns in "$NM_LAB_CLI" "$NM_LAB_SRV"; do
        ip -n "$ns" link set lo up || return 1
    done
    ip -n "$NM_LAB_CLI" link set "$NM_LAB_CLI_IF" up || return 1
    ip -n "$NM_LAB_SRV" link set "$NM_LAB_SRV_IF" up || return 1
    nm_lab_log "up: $NM_LAB_CLI ($NM_LAB_CLI4, $NM_LAB_CLI6) <-> $NM_LAB_SRV ($NM_LAB_SRV4, $NM_LAB_SRV6)"
}

# Waits until the links have sent their start-up multicast (MLD reports for
# the new addresses repeat for about 2 s) so a capture started afterwards
# holds only the traffic we generate.
nm_lab_settle() {  # [seconds]
    sleep "${1:-3}"
}

# Empties both neighbour caches: the next packet to the peer then starts
# with ARP / NDP, so each capture shows address resolution.
nm_lab_flush_neigh() {
    ip -n "$NM_LAB_CLI" neigh flush all 2>/dev/null
    ip -n "$NM_LAB_SRV" neigh flush all 2>/dev/null
    ip -n "$NM_LAB_CLI" -6 neigh flush all 2>/dev/null
    ip -n "$NM_LAB_SRV" -6 neigh flush all 2>/dev/null
    return 0
}

# tcpdump on the client's veth: sees both directions of everything in the lab.
# -s 0: whole frames; -U: write each packet at once; --immediate-mode: without
# it, packets still in libpcap's TPACKET_V3 ring block when SIGINT arrives are
# lost (seen: the last second of traffic missing); -Z root: no privilege drop,
# so it may write where we ask.
nm_lab_capture_start() {  # FILE [tcpdump filter...]
    local out=$1; shift
    local err="$NM_LAB_TMP/tcpdump.err" i
    : >"$err"
    ip netns exec "$NM_LAB_CLI" tcpdump -i "$NM_LAB_CLI_IF" -n -s 0 -U --immediate-mode -Z root -w "$out" "$@" \
        2>"$err" &
    NM_LAB_CAP_PID=$!
    for i in $(seq 1 100); do   # up to 10 s for "listening on"
        grep -q 'listening on' "$err" && return 0
        kill -0 "$NM_LAB_CAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$err" >&2
    nm_lab_log "tcpdump did not start"
    return 1
}

nm_lab_capture_stop() {
    [ -n "$NM_LAB_CAP_PID" ] || return 0
    sleep 0.5                   # let the last replies reach the capture
    kill -INT "$NM_LAB_CAP_PID" 2>/dev/null
    wait "$NM_LAB_CAP_PID" 2>/dev/null
    NM_LAB_CAP_PID=""
    grep -h 'packets' "$NM_LAB_TMP/tcpdump.err" >&2 || true
}

nm_lab_down() {
    local rc=$? p ns
    set +e      # a caller's "set -e" must not cut the teardown short
    [ "$NM_LAB_IS_UP" = 1 ] || return $rc
    NM_LAB_IS_UP=0
    if [ -n "$NM_LAB_CAP_PID" ]; then
        kill -INT "$NM_LAB_CAP_PID" 2>/dev/null
        wait "$NM_LAB_CAP_PID" 2>/dev/null
    fi
    for p in $NM_LAB_PIDS; do
        kill "$p" 2>/dev/null
    done
    for p in $NM_LAB_PIDS; do
        wait "$p" 2>/dev/null
    done
    # Anything still running in our own namespaces (a child of a spawned
    # command) would keep them alive: end those too, by PID.
    for ns in "$NM_LAB_CLI" "$NM_LAB_SRV"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            kill "$p" 2>/dev/null
        done
    done
    ip netns del "$NM_LAB_CLI" 2>/dev/null
    ip netns del "$NM_LAB_SRV" 2>/dev/null
    [ -n "$NM_LAB_TMP" ] && rm -rf "$NM_LAB_TMP"
    nm_lab_log "down: $NM_LAB_CLI, $NM_LAB_SRV removed"
    return $rc
}
