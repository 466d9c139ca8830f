/*
 * stats.h - what netmon's numbers mean.  The definitions below are the
 * contract for the README, the database and the reports; the code that
 * implements each one is named in brackets.
 *
 * PACKETS AND BYTES [engine.c]
 *   packets   every frame handed to the engine, malformed ones included.
 *   bytes     wire bytes (the frame's original length, pcap "len"), not the
 *             captured bytes; captured bytes are kept separately in totals.
 *   per protocol: a frame counts once in every protocol of its OUTERMOST
 *   stack (proto.c, tshark's "layers_outer"): Ethernet, VLAN (802.1Q or
 *   802.1ad tag), ARP (incl. RARP), IPv4, IPv6, TCP, UDP, ICMP, ICMPv6, DNS;
 *   "Other" = no ARP/IPv4/IPv6 layer.  Tunnelled and ICMP-quoted inner
 *   headers are not counted.
 *
 * FLOWS [flow.c]
 *   A flow is a bidirectional conversation keyed by
 *     (outermost VLAN id, IP version, IP protocol, the two endpoints in a
 *      canonical order), where an endpoint is
 *       TCP, UDP:          address and port;
 *       ICMP/ICMPv6 echo:  address, with the echo identifier as both "ports"
 *                          (request and reply share the flow);
 *       other ICMP/ICMPv6: address, with (type, code) as the key, so every
 *                          type/code between two hosts is one flow; its
 *                          record shows client_port = type, server_port = code;
 *       other IP protocols (GRE, ESP, IP-in-IP, ...): address only.
 *   Frames without IPv4/IPv6 (ARP, LLDP, ...) belong to no flow (flow_id 0).
 *   So do:
 *     - non-first IP fragments (fragment offset > 0): they carry no
 *       transport header, so their ports are unknown.  They are counted in
 *       packets, bytes, protocols and addresses, but not in any flow.  (The
 *       first fragment, offset 0, carries the ports and is in its flow.)
 *     - IP frames whose transport header (TCP, UDP, ICMP, ICMPv6) was not
 *       decoded (truncated or malformed), and frames with a malformed IP
 *       header: their key is not trustworthy.
 *   flow_id: 1, 2, 3, ... unique within one engine (one capture session).
 *   Client: the side that sent the first packet, except
 *     - TCP: the sender of the SYN; if the first packet is a SYN/ACK, its
 *       receiver; for a mid-stream pickup (first packet without SYN), the side
 *       whose port is >= 1024 when exactly one port is below 1024, otherwise
 *       the sender of the first packet;
 *     - ICMP echo: if the first packet is an echo reply, its receiver.
 *   A flow ends
 *     - IDLE: no packet for longer than its idle timeout, measured in PACKET
 *       time (so a file gives the same flows as a live capture): TCP 300 s
 *       (Zeek's tcp_inactivity_timeout), UDP, ICMP and other 60 s.  A packet
 *       arriving exactly at last + timeout still belongs to the flow.
 *     - FIN / RST: TCP, after both sides sent FIN, or after a RST, and then
 *       tcp_closed_ns (5 s) without packets: the lingering time absorbs the
 *       last ACK and retransmitted FINs.  A flow closed this way keeps
 *       FIN/RST as its end reason even if it is evicted or the capture ends.
 *     - a TCP SYN (without ACK) whose sequence number differs from the ISN
 *       already known for its sender starts a NEW flow on the same ports
 *       (Wireshark's "TCP port numbers reused", a new tcp.stream); the old
 *       flow's record ends with FIN/RST if it was closed, else IDLE (it was
 *       abandoned without a FIN or RST in the capture).  A SYN with the same
 *       ISN is a retransmission and stays in the flow.
 *     - EVICTED: the table was full (cfg.max_flows) and this was the least
 *       recently used flow (flows already idle are expired first).  "Least
 *       recently used" is exact to 1/256 of the table: the LRU order is kept
 *       per generation of max_flows/256 packets (flow.c), and depends on the
 *       packets only, not on flush timing.
 *     - CAPTURE_END: still open at the final flush.
 *
 * CONNECTIONS [flow.c]  (per protocol, struct nm_second_rec and totals)
 *   TCP:    flows in which a SYN without ACK was seen (a connection ATTEMPT:
 *           counted whether or not it was answered; SYN retransmissions with
 *           the same ISN count once).  Mid-stream flows (no SYN seen) are
 *           flows but not connections.
 *   UDP, ICMP, ICMPv6, and Other (= other IP protocols, e.g. GRE): every
 *           flow is a connection; a new flow after the idle timeout counts
 *           again.  Non-IP traffic has no connections.
 *   A connection is counted in the second of the packet that made it one.
 *
 * TCP RESETS [tcp.c]  frames with a TCP header whose RST flag is set (outer
 *   header only: a RST quoted inside an ICMP error is not counted).
 *
 * TCP RETRANSMISSIONS [tcp.c]  Wireshark's tcp.analysis.retransmission
 *   (including fast and spurious retransmissions), per direction of a flow:
 *   a segment with payload, or with SYN or FIN, that is
 *     - spurious: entirely acknowledged already by the peer's last ACK, or
 *     - does not advance the sequence number beyond the highest one seen in
 *       that direction (serial-number arithmetic, wraparound handled), and is
 *       not a keep-alive (0/1 byte at highest - 1), not a zero-window probe,
 *       and not out-of-order (a segment filling a hole within the first
 *       handshake RTT, default 3 ms, of the highest one).
 *
 * ADDRESSES [addr.c]  per IPv4, IPv6 and MAC address: packets and wire bytes
 *   sent (as source) and received (as destination), first and last seen.
 *   Only outermost headers.  Broadcast and multicast addresses count.  The
 *   engine keeps a bounded cache of deltas (cfg.max_addresses, LRU exact to
 *   1/256 of the cache); the database adds the deltas, so totals stay exact
 *   whatever the cache size.  A packet of a flow counts to its IP addresses
 *   through the flow (flow.c: at every flush and when the flow ends), so an
 *   address record's first/last times lie around those of its delta: within
 *   the first and last times of the flows and packets it counts, all of
 *   which counted to the address.  The database keeps the minimum and
 *   maximum, which are therefore exact.
 *
 * PER SECOND [counters.c]  second = floor(timestamp / 1 s).  Deltas: a late
 *   packet adds an extra record for its second.
 */
#ifndef NM_STATS_H
#define NM_STATS_H

#include <stdint.h>

/* a - b for timestamps, saturating instead of overflowing: hostile files can
 * hold any 64-bit time, and idle checks must not become undefined behaviour. */
static inline int64_t nm_ts_diff(int64_t a, int64_t b)
{
    int64_t d;
    if (__builtin_sub_overflow(a, b, &d))
        return a > b ? INT64_MAX : INT64_MIN;
    return d;
}

/* a + b, saturating. */
static inline int64_t nm_ts_add(int64_t a, int64_t b)
{
    int64_t s;
    if (__builtin_add_overflow(a, b, &s))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return s;
}

#endif /* NM_STATS_H */
