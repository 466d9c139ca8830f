/*
 * tcp.h - per-flow TCP tracking: connection state and Wireshark-style
 * retransmission analysis.  Internal to analyze/ (the engine embeds one
 * struct nm_tcp_track in every flow entry; it is plain data so the flow
 * table can keep it inline without a pointer).
 *
 * The sequence analysis follows Wireshark 4.0's tcp_analyze_sequence_number()
 * (epan/dissectors/packet-tcp.c), the definition behind the oracle's
 * `tcp_retransmissions` (frames with tcp.analysis.retransmission, which
 * includes fast and spurious retransmissions).  Like Wireshark it works on
 * raw (absolute) sequence numbers and treats 0 in nextseq/lastack as
 * "not seen yet"; comparisons use serial-number arithmetic (RFC 1982), so
 * wraparound past 2^32 is handled.  Deliberately left out: Wireshark's
 * "ACKed lost segment" bookkeeping (it only nudges the duplicate-ACK count)
 * and its cap of 1000 unacknowledged segments.
 *
 * Times are kept on a wrapping 32-bit microsecond clock (nm_tcp_us()) so the
 * whole track fits in one cache line of the flow entry.  Differences are
 * taken modulo 2^32 us: exact for gaps below 71 minutes, and a timestamp
 * that goes backwards gives a huge difference, which is what Wireshark's
 * unsigned arithmetic gives too.  The only visible effect: thresholds are
 * compared at 1 us instead of 1 ns resolution, and a handshake RTT below
 * 1 us counts as unknown (3 ms threshold).
 */
#ifndef NM_TCP_H
#define NM_TCP_H

#include <stdbool.h>
#include <stdint.h>

/* Serial-number comparisons: a is before b if b - a is in (0, 2^31). */
#define NM_SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define NM_SEQ_LE(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define NM_SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)

/* Per-direction flags (struct nm_tcp_dir.flags). */
#define NM_TCPD_BASE      0x01u /* base_seq known */
#define NM_TCPD_FIN       0x02u /* this side sent a FIN */
#define NM_TCPD_WIN_SEEN  0x04u /* window holds a value from a packet */
#define NM_TCPD_LAST_KA   0x08u /* last segment from this side was a keep-alive */
#define NM_TCPD_LAST_ZWP  0x10u /* ... a zero-window probe */

/* The wrapping microsecond clock of the TCP track (see above). */
static inline uint32_t nm_tcp_us(int64_t ts_ns)
{
    return (uint32_t)(uint64_t)(ts_ns / 1000);
}

/* One direction of a connection (Wireshark's tcp_flow_t subset). */
struct nm_tcp_dir {
    uint32_t nextseq_us;    /* when nextseq last advanced */
    uint32_t lastack_us;    /* when this side last sent a packet (Wireshark's lastacktime) */
    uint32_t nextseq;       /* highest seq + len (+1 for SYN/FIN) sent; 0 = none yet */
    uint32_t lastack;       /* ack field of the last packet sent; 0 = none */
    uint32_t base_seq;      /* ISN: SYN's seq, else first seq - 1, else peer's ack - 1 */
    uint16_t window;        /* raw (unscaled) window of the last packet sent */
    uint8_t dupacks;        /* duplicate ACKs in a row (saturates at 255) */
    uint8_t flags;          /* NM_TCPD_* */
};

/* Track flags (struct nm_tcp_track.flags). */
#define NM_TCPT_RST      0x01u /* a RST was seen */
#define NM_TCPT_SYN_TS   0x02u /* syn_us holds the time of the latest pure SYN */
#define NM_TCPT_RTT      0x04u /* first_rtt_us is measured */

struct nm_tcp_track {
    struct nm_tcp_dir d[2]; /* [0] sent by the client, [1] sent by the server */
    uint32_t syn_us;        /* latest pure SYN (Wireshark's ts_mru_syn) */
    uint32_t first_rtt_us;  /* SYN -> first ACK without SYN; threshold for telling
                               out-of-order from retransmitted segments */
    uint8_t state;          /* enum nm_tcp_state */
    uint8_t flags;          /* NM_TCPT_* */
};

_Static_assert(sizeof(struct nm_tcp_track) <= 64, "the TCP track fits in one cache line");

/* Result bits of nm_tcp_segment(). */
#define NM_TCPR_RETRANS  0x01u /* tcp.analysis.retransmission (incl. fast, spurious) */
#define NM_TCPR_RST      0x02u /* RST flag set */
#define NM_TCPR_OOO      0x04u /* out-of-order: not advancing but not a retransmission */
#define NM_TCPR_KEEPALIVE 0x08u /* tcp.analysis.keep_alive */
#define NM_TCPR_ZWP      0x10u /* tcp.analysis.zero_window_probe */
#define NM_TCPR_DUPACK   0x20u /* tcp.analysis.duplicate_ack */

/* Start tracking (the flow entry's memory may hold an old flow). */
void nm_tcp_init(struct nm_tcp_track *t);

/*
 * Does a pure SYN (SYN without ACK) with sequence number `seq`, sent by side
 * `dir` (0 client, 1 server) of an existing flow, start a new connection on
 * the same addresses and ports?  Wireshark's rule: yes if that side's base
 * sequence number is known and differs from `seq` ("reused ports"); a SYN with
 * the same ISN is a retransmission of the SYN and stays in the flow.
 */
bool nm_tcp_syn_is_new(const struct nm_tcp_track *t, int dir, uint32_t seq);

/*
 * Account one TCP segment sent by side `dir` at time ts_ns: advances the
 * state machine and the sequence analysis.  `len` is the segment's payload
 * length per the IP and TCP headers (not the captured bytes).  Returns
 * NM_TCPR_* bits.
 */
unsigned nm_tcp_segment(struct nm_tcp_track *t, int dir, int64_t ts_ns, uint16_t flags,
                        uint32_t seq, uint32_t ack, uint32_t len, uint16_t window);

#endif /* NM_TCP_H */
