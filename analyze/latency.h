/*
 * latency.h - passive latency measurement from capture timestamps.
 *
 * Pure: no I/O, no SQLite, no pcap, no threads, no clock.  Every time is a
 * packet timestamp, so a capture file gives the same numbers as the live run
 * that wrote it, and results do not depend on how often nm_latency_flush() is
 * called (timeouts are decided by packet time, see "Timeouts" below).
 *
 * The caller feeds decoded packets in capture order with the flow id the
 * flow engine gave them; samples and timeouts come back through callbacks.
 * All memory is allocated by nm_latency_new() and bounded by the config.
 *
 * ---------------------------------------------------------------------------
 * What is measured (one "kind" per measurement; the name is stored as is)
 * ---------------------------------------------------------------------------
 * Every sample is "the packet that stops the clock" minus "the packet that
 * started it", both as seen at the capture point.  The sample's ts_ns is the
 * stopping packet's.  "Client" is the side that sent the SYN (TCP), the
 * query (DNS), the echo request (ICMP), or the first packet (other UDP, and
 * TCP connections picked up without a SYN).
 *
 * tcp_syn_synack   server side + network beyond the capture point.
 *     Start: the most recent SYN (SYN set, ACK clear) from the client.
 *     Stop:  the first SYN/ACK from the server acknowledging that SYN
 *            (ack = client ISN + 1).  At most one sample per connection.
 *     A retransmitted SYN (same ISN) restarts the clock, as for tshark's
 *     initial_rtt; a retransmitted SYN/ACK gives no second sample.
 *
 * tcp_synack_ack   client side + network on the client's side.
 *     Start: the most recent SYN/ACK from the server.
 *     Stop:  the first packet from the client with ACK set, SYN and RST clear
 *            and ack >= SYN/ACK seq + 1 (modulo 2^32).  At most one per
 *            connection.  No sample if a SYN arrives after the SYN/ACK
 *            (capture reordering: the order seen says nothing about time).
 *
 * A SYN with another ISN on the same addresses and ports starts a new
 * connection (tshark starts a new stream too); a SYN from the server side
 * (simultaneous open) is not timed.
 *
 * tcp_handshake    SYN -> ACK, the same quantity as tshark's
 *     tcp.analysis.initial_rtt.
 *     Start: the most recent SYN from the client.
 *     Stop:  the first packet in either direction with ACK set and SYN clear
 *            (normally the client's ACK completing the handshake; with only
 *            the client's direction captured it still is).  Resets: an
 *            RST+ACK from the server before any SYN/ACK (a refused
 *            connection) stops the clock, as it does for tshark; any other
 *            RST ends the handshake without a sample.  One per connection.
 *
 * tcp_data_ack     data -> ACK, like tshark's tcp.analysis.ack_rtt but a
 *     documented subset: one timed segment per direction at a time (the
 *     4.4BSD RTT timer rule), so about one sample per round trip.
 *     Start: a segment with payload whose seq is the highest sent so far
 *            in its direction (new data), when no segment of that direction
 *            is being timed.
 *     Stop:  the first packet from the other side with ACK set whose ack
 *            covers the end of the timed segment (seq + len, modulo 2^32:
 *            sequence wraparound is handled by serial-number comparison).
 *     Karn's rule: any retransmission in that direction (payload starting
 *     below the highest seq sent: retransmission, keep-alive, out-of-order
 *     copy) cancels the timing, so no sample comes from an ambiguous ACK.
 *     SYN and FIN alone are not timed.  No timeouts for this kind (an
 *     unacknowledged segment is usually an ACK outside the capture).
 *
 * dns              query -> response, tshark's dns.time.
 *     Matched by transport (UDP or TCP), client address and port, server
 *     address and port, and transaction id.
 *     Start: the first query with that key.  The same key again while that
 *            query is pending (neither answered nor timed out) is a
 *            retransmission and does not restart the clock, as tshark's
 *            dns.retransmission_timer (5 s) decides; after the answer or the
 *            timeout it is a new transaction (ids reused).
 *     Stop:  the first response with that key.  A repeated response finds
 *            no pending query: no second sample (counted unmatched).
 *     Over TCP the message is taken from the segment holding its DNS header.
 *
 * icmp_echo / icmpv6_echo   echo request -> echo reply, tshark's
 *     icmp.resptime / icmpv6.resptime.
 *     Matched by addresses (reply source = request destination), identifier
 *     and sequence number.  Start: the most recent request with that key.
 *     Stop: the first reply; duplicate replies give no second sample.
 *     (tshark also requires the reply to echo the request's data, through
 *     the checksum; the decoder does not keep it, so replies carrying other
 *     data, e.g. ICMP tunnels, are matched here and not by tshark.)
 *
 * udp_first_response   UDP services without a parser (NTP, echo, QUIC's
 *     first exchange...).  Flow = addresses and ports, either direction.
 *     Start: the flow's first packet (its sender is the client).
 *     Stop:  the first packet from the other side.  One sample per flow.
 *     Not measured: port 53 (DNS has its own kind), multicast and broadcast
 *     destinations (no unicast answer expected), non-first fragments, and
 *     flows whose first packet goes from a port below 1024 to one at or
 *     above 1024 (a server's packet: the flow was picked up mid-way).
 *     A flow is forgotten after udp_idle_ns without packets; its next packet
 *     starts a new measurement.  One-way flows (syslog, NetFlow export)
 *     count as timeouts here by construction.
 *
 * ---------------------------------------------------------------------------
 * Timeouts, evictions, odd input
 * ---------------------------------------------------------------------------
 * Packet time ("now") is the largest timestamp seen so far.  A request still
 * unanswered when now > start + timeout is a timeout: reported through the
 * timeout callback and counted; a response after that gives no sample.  An
 * answer at exactly start + timeout still counts.  Expiry runs before each
 * packet and in nm_latency_flush(), so when a timeout is reported may depend
 * on flush calls, but whether it happens never does (nor any sample or
 * eviction: the unit tests check it).
 *   tcp handshake  75 s after the most recent SYN or SYN/ACK: 4.4BSD's
 *                  connection-establishment timer, and longer than the
 *                  largest gap between Linux's SYN retransmissions (32 s
 *                  with tcp_syn_retries = 6), so a client still retrying is
 *                  not counted yet.  Timed out without SYN/ACK: one timeout
 *                  for tcp_syn_synack and one for tcp_handshake; with SYN/ACK
 *                  but without the ACK: tcp_synack_ack and tcp_handshake.
 *                  A retransmitted SYN is not another timeout.  A reset, or
 *                  any packet with ACK set and SYN clear (from the client
 *                  without SYN/ACK seen: the SYN/ACK went by outside the
 *                  capture; from the server: the ACK did) ends the wait
 *                  without a timeout.
 *   dns            5 s: the per-try timeout of glibc's stub resolver and of
 *                  dig; an answer later than that is no longer awaited.
 *   icmp echo      10 s: iputils ping's default wait for a reply (-W).
 *   other udp      10 s: a request/response service that has not answered
 *                  in 10 s has had its request retried or abandoned.
 * Connections and UDP flows are forgotten after tcp_idle_ns (300 s, as the
 * flow engine) / udp_idle_ns (60 s) without packets.  A TCP connection is
 * forgotten sooner, 10 s after it closed (a FIN seen from each side, or a
 * reset): long enough for its last retransmissions, after which a packet
 * of it starts a connection picked up without a SYN.  (Kept for the whole
 * idle time, closed connections filled the 65,536-entry table: mixed.pcap's
 * 218,000 connections in 626 s forced 152,464 evictions.)
 *
 * Every table has a fixed capacity.  Inserting into a full table evicts its
 * least recently active entry, to within 1 s of packet time (counted per
 * table in evictions[]); an evicted request gives neither a sample nor a
 * timeout.  So a flood of SYNs never answered, of queries or of echo
 * requests costs evictions, not memory.
 * A stopping packet whose timestamp is earlier than the starting one (time
 * going backwards in the capture) gives no sample (counted in
 * negative_dropped).  Tables are hashed with a seeded hash (hash_seed).
 * Only the outermost IP/transport header of a frame is used: tunnelled
 * packets and headers quoted in ICMP errors are never matched, nor are
 * later IP fragments (no ports), so a fragmented answer stops the clock at
 * its first fragment.  Frames the decoder marks malformed at or below the
 * transport header are ignored, tcp.truncated included (the decoder does not
 * say whether the fixed header or only options were cut); a DNS message
 * marked dns.truncated is ignored (its header may be incomplete), other DNS
 * damage (names) is after the header and harmless here.
 */
#ifndef NM_LATENCY_H
#define NM_LATENCY_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/decode/decode.h"

enum nm_latency_kind {
    NM_LAT_TCP_SYN_SYNACK = 0,  /* "tcp_syn_synack" */
    NM_LAT_TCP_SYNACK_ACK,      /* "tcp_synack_ack" */
    NM_LAT_TCP_HANDSHAKE,       /* "tcp_handshake" */
    NM_LAT_TCP_DATA_ACK,        /* "tcp_data_ack" */
    NM_LAT_DNS,                 /* "dns" */
    NM_LAT_ICMP_ECHO,           /* "icmp_echo" */
    NM_LAT_ICMPV6_ECHO,         /* "icmpv6_echo" */
    NM_LAT_UDP_FIRST_RESPONSE,  /* "udp_first_response" */
    NM_LAT_KIND_COUNT
};

/* Stable name of a kind, e.g. "tcp_handshake" (stored in the database);
 * "" for an out-of-range value. */
const char *nm_latency_kind_name(enum nm_latency_kind kind);

/* The bounded tables, for the eviction and occupancy counters. */
enum nm_latency_table {
    NM_LAT_TABLE_TCP = 0,       /* connections (handshake and data timing) */
    NM_LAT_TABLE_DNS,           /* queries awaiting a response */
    NM_LAT_TABLE_ICMP,          /* echo requests awaiting a reply (v4 and v6) */
    NM_LAT_TABLE_UDP,           /* other UDP flows */
    NM_LAT_TABLE_COUNT
};

/* One measurement.  Plain data: copied through the writer's queue. */
struct nm_latency_sample {
    int64_t ts_ns;                  /* timestamp of the packet that stopped the clock */
    uint64_t flow_id;               /* flow id passed with that packet (0: unknown) */
    int64_t value_ns;               /* stop - start, >= 0 */
    uint8_t kind;                   /* enum nm_latency_kind */
    bool by_server;                 /* the packet that stopped the clock came from the
                                       server: for tcp_data_ack, server-side (the client's
                                       data acknowledged by the server) vs client-side */
    bool client_is_flow_server;     /* the sample's client is the flow's server side (the
                                       side that did not send the flow's first packet) */
    bool joined;                    /* see below */
    uint8_t ip_version;             /* 4 or 6 */
    uint8_t ip_proto;               /* 6, 17, 1 or 58: DNS over TCP vs UDP */
    struct nm_ip client, server;    /* zero, with the ports, for a sink that asked for
                                       samples without their ends (nm_latency_sink) */
    uint16_t client_port, server_port; /* ICMP echo: the identifier in both */
};
/*
 * Joined samples.  When a handshake goes SYN -> SYN/ACK -> ACK with each
 * seen once, its three samples are reported together, at the ACK, in the
 * order tcp_syn_synack, tcp_synack_ack, tcp_handshake; the first two have
 * `joined` set, meaning "the next sample belongs with this one".  All three
 * then share flow_id, client, server and client_is_flow_server; the
 * tcp_synack_ack and the tcp_handshake share ts_ns; the tcp_syn_synack
 * stopped at the tcp_synack_ack's start (its ts_ns is the ACK's ts_ns minus
 * the tcp_synack_ack's value_ns), and its value plus the tcp_synack_ack's
 * is the tcp_handshake's.  So a store can keep one record for the three.
 * To make that possible the tcp_syn_synack sample waits from its SYN/ACK
 * until the handshake is over; it is reported on its own (not joined) when
 * the handshake ends another way, when anything it depends on changes (a
 * SYN or SYN/ACK sent again, another flow id), when its connection is
 * forgotten, and at every nm_latency_flush(): never later than the next
 * flush.  Which samples are joined may depend on flush calls; the samples
 * themselves never do.
 */

/* One request that was never answered in time (count it once). */
struct nm_latency_timeout {
    int64_t ts_ns;                  /* when the wait ended: latest restart + timeout
                                       (TCP: most recent SYN or SYN/ACK) */
    int64_t start_ns;               /* the request that was not answered */
    uint64_t flow_id;               /* flow id passed with the request */
    uint8_t kind;                   /* enum nm_latency_kind */
    uint8_t ip_version;
    uint8_t ip_proto;
    struct nm_ip client, server;
    uint16_t client_port, server_port;
};

struct nm_latency_config {
    /* Capacities (entries).  0 turns that family off.  At most 2^26 each. */
    uint32_t max_tcp;               /* default 65536 connections */
    uint32_t max_dns;               /* default 16384 pending queries */
    uint32_t max_icmp;              /* default 8192 pending echo requests */
    uint32_t max_udp;               /* default 32768 flows */
    /* Timeouts and idle times (ns of packet time), see the comment on top. */
    int64_t tcp_handshake_timeout_ns;   /* default 75 s */
    int64_t tcp_idle_ns;                /* default 300 s */
    int64_t dns_timeout_ns;             /* default 5 s */
    int64_t icmp_timeout_ns;            /* default 10 s */
    int64_t udp_timeout_ns;             /* default 10 s */
    int64_t udp_idle_ns;                /* default 60 s */
    uint64_t hash_seed;             /* seeds the table hashes (0: fixed default) */
};

/* Fill *cfg with the documented defaults. */
void nm_latency_config_default(struct nm_latency_config *cfg);

/* Where results go.  Callbacks run synchronously inside nm_latency_packet()
 * and nm_latency_flush(); the record is only valid during the call.  Either
 * may be NULL (the counters still count). */
struct nm_latency_sink {
    void *ctx;
    void (*sample)(void *ctx, const struct nm_latency_sample *s);
    void (*timeout)(void *ctx, const struct nm_latency_timeout *t);
    /* true: samples come without their endpoints (client, server and their
     * ports zero), for a consumer that takes them from the flow id.  Filling
     * them reads a second cache line of the connection for every sample. */
    bool sample_without_ends;
};

/* Totals since nm_latency_new(). */
struct nm_latency_counters {
    uint64_t samples[NM_LAT_KIND_COUNT];
    uint64_t timeouts[NM_LAT_KIND_COUNT];
    uint64_t evictions[NM_LAT_TABLE_COUNT];   /* entries pushed out of a full table */
    uint32_t in_use[NM_LAT_TABLE_COUNT];      /* entries held now */
    uint32_t peak[NM_LAT_TABLE_COUNT];        /* largest in_use seen */
    uint64_t dns_unmatched;         /* responses with no pending query (repeats too) */
    uint64_t icmp_unmatched;        /* echo replies with no pending request */
    uint64_t tcp_karn_skipped;      /* timed segments cancelled by a retransmission */
    uint64_t negative_dropped;      /* samples dropped: stop earlier than start */
};

struct nm_latency;

/* Allocates every table.  Returns NULL on allocation failure or when a
 * capacity exceeds 2^26 or a timeout is not positive.  `sink` is copied. */
struct nm_latency *nm_latency_new(const struct nm_latency_config *cfg,
                                  const struct nm_latency_sink *sink)
    __attribute__((warn_unused_result));
void nm_latency_free(struct nm_latency *l);

/*
 * Account one decoded packet (pkt->ts_ns must be set).  `flow_id` is the
 * flow engine's id for it (0 if unknown) and `from_flow_client` whether it
 * came from that flow's client (the side that sent its first packet); both
 * are copied into samples (flow_id, client_is_flow_server).  A flow id other
 * than 0 must name one pair of endpoints (addresses and ports) for the whole
 * run, as the engine's do: with a hint, it stands for the key.
 * `hint`, if not NULL, is a word the caller keeps per TCP flow, UINT32_MAX
 * at first: where this module last found the flow's connection, so that the
 * next packet finds it without hashing (the flow engine keeps it in the
 * flow's entry, already in cache).  It is checked before use: a stale or
 * wrong hint costs a hash lookup, never a wrong result.
 * Packets that are not IPv4/IPv6 TCP, UDP, ICMP echo or ICMPv6 echo, or are
 * malformed below the layer needed, are ignored.  May call the sink.
 */
void nm_latency_packet(struct nm_latency *l, const struct nm_packet *pkt, uint64_t flow_id,
                       bool from_flow_client, uint32_t *hint);

/* Report the timeouts due at packet time `now_ns` (call it about once a
 * second in a live capture, and at the end).  Pending requests younger than
 * their timeout stay pending: at the end of a capture pass the last packet's
 * time, not a far future.  Idle entries are forgotten as packets arrive.
 * Held tcp_syn_synack samples are reported (see "Joined samples"). */
void nm_latency_flush(struct nm_latency *l, int64_t now_ns);

const struct nm_latency_counters *nm_latency_counters(const struct nm_latency *l);

#endif /* NM_LATENCY_H */
