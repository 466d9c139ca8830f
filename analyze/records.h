/*
 * records.h - what the analysis engine hands to the database writer.
 *
 * Plain data, no pointers: records are copied through the writer's queue.
 * Address and per-second records carry DELTAS since the previous flush, and
 * the database adds them up (an upsert), so evicting an entry from a bounded
 * in-memory table never loses a count.  Flow records carry the flow's
 * totals so far and replace the previous row of the same flow_id.
 */
#ifndef NM_RECORDS_H
#define NM_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "../capture/decode/decode.h"

enum nm_tcp_state {
    NM_TCPS_NONE = 0,       /* not TCP */
    NM_TCPS_SYN_SENT,       /* SYN seen */
    NM_TCPS_SYN_RECEIVED,   /* SYN/ACK seen */
    NM_TCPS_ESTABLISHED,    /* handshake completed, or mid-stream pickup */
    NM_TCPS_FIN_WAIT,       /* one side sent FIN */
    NM_TCPS_CLOSED,         /* both FINs, or RST */
};

/* How a flow ended (or that it has not yet). */
enum nm_flow_end {
    NM_FEND_ACTIVE = 0,     /* still open when this record was made */
    NM_FEND_FIN,            /* TCP: both sides sent FIN */
    NM_FEND_RST,            /* TCP: reset */
    NM_FEND_IDLE,           /* idle timeout */
    NM_FEND_EVICTED,        /* table full: oldest flow evicted */
    NM_FEND_CAPTURE_END,    /* still open when the capture ended */
};

struct nm_flow_rec {
    uint64_t flow_id;               /* unique within a session, from 1 */
    uint8_t ip_version;             /* 4 or 6; 0 for non-IP */
    uint8_t ip_proto;               /* 6, 17, 1, 58, ... */
    uint16_t vlan;                  /* outermost VLAN id, 0 if untagged */
    struct nm_ip client, server;    /* client = the side that sent the first packet
                                       (for TCP, the side that sent the SYN) */
    uint16_t client_port, server_port; /* ICMP echo: identifier in both */
    int64_t first_ns, last_ns;
    uint64_t pkts_c2s, bytes_c2s, pkts_s2c, bytes_s2c; /* wire bytes */
    uint32_t tcp_retransmissions, tcp_resets;
    uint8_t tcp_state;              /* enum nm_tcp_state */
    uint8_t end_reason;             /* enum nm_flow_end */
    bool is_connection;             /* counts as a connection (see stats.h) */
};

enum nm_addr_kind { NM_ADDR_IPV4 = 4, NM_ADDR_IPV6 = 6, NM_ADDR_MAC = 1 };

struct nm_addr_rec {
    uint8_t kind;                   /* enum nm_addr_kind */
    uint8_t addr[16];               /* MAC: first 6 bytes; IPv4: first 4 */
    int64_t first_ns, last_ns;      /* first/last seen in this delta */
    uint64_t pkts_sent, bytes_sent, pkts_recv, bytes_recv; /* deltas */
};

/* Per-second counters (delta).  second = floor(ts_ns / 1e9). */
struct nm_second_rec {
    int64_t second;
    uint64_t packets, bytes;        /* all frames, wire bytes */
    uint64_t malformed;
    uint64_t tcp_resets, tcp_retransmissions;
    uint64_t proto_packets[NM_P_COUNT], proto_bytes[NM_P_COUNT];
    uint64_t proto_new_connections[NM_P_COUNT]; /* TCP, UDP, ICMP, ICMPV6, OTHER used */
};

#endif /* NM_RECORDS_H */
