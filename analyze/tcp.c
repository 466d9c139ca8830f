/*
 * tcp.c - TCP connection state and retransmission analysis (see tcp.h).
 *
 * RFC 793 section 3.2 gives the states; we only observe packets, so the
 * machine is the observer's coarse view used by Zeek and Wireshark:
 *
 *   (new) --SYN--> SYN_SENT --SYN/ACK--> SYN_RECEIVED --ACK--> ESTABLISHED
 *   (new) --SYN/ACK--> SYN_RECEIVED          (the SYN was not captured)
 *   (new) --other--> ESTABLISHED              (mid-stream pickup)
 *   any   --FIN from one side--> FIN_WAIT --FIN from the other--> CLOSED
 *   any   --RST--> CLOSED
 *
 * CLOSED is final: later packets (the last ACK, retransmitted FINs) are still
 * counted in the flow but do not reopen it.  A new SYN with another ISN makes
 * a new flow (the flow table asks nm_tcp_syn_is_new()).
 */
#include "tcp.h"

#include <string.h>

#include "../capture/decode/decode.h"
#include "records.h"

/* Wireshark's out-of-order threshold when no handshake RTT is known: a
 * segment that fills a hole within 3 ms of the highest one is reordering,
 * not a retransmission. */
#define NM_TCP_OOO_DEFAULT_US 3000u
/* A fast retransmission must follow the duplicate ACKs within 20 ms. */
#define NM_TCP_FAST_RETRANS_US 20000u
/* Duplicate ACKs needed before a fast retransmission (Wireshark uses >= 2
 * because the third one may be missing from the capture). */
#define NM_TCP_FAST_RETRANS_DUPACKS 2

void nm_tcp_init(struct nm_tcp_track *t)
{
    memset(t, 0, sizeof *t);
    t->state = NM_TCPS_NONE;
}

bool nm_tcp_syn_is_new(const struct nm_tcp_track *t, int dir, uint32_t seq)
{
    const struct nm_tcp_dir *f = &t->d[dir & 1];
    return (f->flags & NM_TCPD_BASE) && f->base_seq != seq;
}

static void tcp_state(struct nm_tcp_track *t, int dir, uint16_t flags)
{
    if (flags & NM_TCP_RST) {
        t->flags |= NM_TCPT_RST;
        t->state = NM_TCPS_CLOSED;
        return;
    }
    if (t->state == NM_TCPS_CLOSED)
        return;
    if (flags & NM_TCP_SYN) {
        if (!(flags & NM_TCP_ACK)) {
            if (t->state == NM_TCPS_NONE)
                t->state = NM_TCPS_SYN_SENT;
        } else if (t->state == NM_TCPS_NONE || t->state == NM_TCPS_SYN_SENT) {
            t->state = NM_TCPS_SYN_RECEIVED;
        }
    } else if (t->state == NM_TCPS_NONE) {
        t->state = NM_TCPS_ESTABLISHED;
    } else if ((t->state == NM_TCPS_SYN_SENT || t->state == NM_TCPS_SYN_RECEIVED) &&
               (flags & NM_TCP_ACK)) {
        /* The ACK completing the handshake (or data, if it was not seen). */
        t->state = NM_TCPS_ESTABLISHED;
    }
    if (flags & NM_TCP_FIN) {
        t->d[dir].flags |= NM_TCPD_FIN;
        if ((t->d[0].flags & NM_TCPD_FIN) && (t->d[1].flags & NM_TCPD_FIN))
            t->state = NM_TCPS_CLOSED;
        else
            t->state = NM_TCPS_FIN_WAIT;
    }
}

/*
 * The sequence analysis, in Wireshark's order: zero-window probe, keep-alive,
 * duplicate ACK bookkeeping, then for segments that carry data or SYN/FIN:
 * spurious retransmission (already acknowledged by the peer), fast
 * retransmission, out-of-order, plain retransmission.  Returns NM_TCPR_* bits.
 */
static unsigned tcp_sequence(struct nm_tcp_track *t, int dir, uint32_t now, uint16_t flags,
                             uint32_t seq, uint32_t ack, uint32_t len, uint16_t window)
{
    struct nm_tcp_dir *f = &t->d[dir];
    struct nm_tcp_dir *r = &t->d[!dir];
    const bool synfin = (flags & (NM_TCP_SYN | NM_TCP_FIN)) != 0;
    const bool ctl = (flags & (NM_TCP_SYN | NM_TCP_FIN | NM_TCP_RST)) != 0;
    unsigned res = 0;
    bool zwp = false, keepalive = false;

    /* Base sequence numbers: where relative numbering starts; used to tell a
     * retransmitted SYN from a new connection on the same ports. */
    if (!(f->flags & NM_TCPD_BASE)) {
        f->base_seq = (flags & NM_TCP_SYN) ? seq : seq - 1;
        f->flags |= NM_TCPD_BASE;
    }
    if (!(r->flags & NM_TCPD_BASE) && (flags & NM_TCP_ACK)) {
        r->base_seq = ack - 1;
        r->flags |= NM_TCPD_BASE;
    }

    /* Zero-window probe: one byte at nextseq while the peer's window is 0.
     * It does not advance nextseq and skips the ACK checks (Wireshark jumps
     * to finished_fwd). */
    if (len == 1 && seq == f->nextseq && (r->flags & NM_TCPD_WIN_SEEN) && r->window == 0) {
        zwp = true;
    } else {
        /* Keep-alive: 0 or 1 byte starting one before nextseq. */
        if (len <= 1 && seq == f->nextseq - 1 && !ctl)
            keepalive = true;
        /* Duplicate ACK: nothing new from this side and the same ACK and
         * window as its previous packet.  An ACK answering a keep-alive or a
         * zero-window probe repeats the previous one but is not a dup ACK. */
        bool same = len == 0 && window != 0 && (f->flags & NM_TCPD_WIN_SEEN) &&
                    window == f->window && seq == f->nextseq && ack == f->lastack && !ctl;
        if (same && !(r->flags & NM_TCPD_LAST_KA)) {
            if (f->dupacks < UINT8_MAX)
                f->dupacks++;
            res |= NM_TCPR_DUPACK;
        }
    }
    if (ack != f->lastack)
        f->dupacks = 0;

    if ((len > 0 || synfin) && !keepalive) {
        bool not_advanced = f->nextseq != 0 && NM_SEQ_LT(seq, f->nextseq);
        /* More than one byte starting just before nextseq: new data after a
         * zero-window probe, not a retransmission. */
        if (len > 1 && f->nextseq - 1 == seq)
            not_advanced = false;

        if (len > 0 && r->lastack != 0 && NM_SEQ_LE(seq + len, r->lastack)) {
            res |= NM_TCPR_RETRANS; /* spurious: the peer already acknowledged it */
        } else if (not_advanced && r->dupacks >= NM_TCP_FAST_RETRANS_DUPACKS &&
                   r->lastack == seq && now - r->lastack_us < NM_TCP_FAST_RETRANS_US) {
            res |= NM_TCPR_RETRANS; /* fast retransmission */
        } else {
            uint32_t thres = (t->flags & NM_TCPT_RTT) ? t->first_rtt_us : NM_TCP_OOO_DEFAULT_US;
            uint32_t end = seq + len + (synfin ? 1u : 0u);
            /* Unsigned time difference, as in Wireshark: a segment stamped
             * before the highest one is never out-of-order. */
            if (not_advanced && now - f->nextseq_us < thres && f->nextseq != end)
                res |= NM_TCPR_OOO; /* fills a hole soon after: reordering */
            else if (not_advanced)
                res |= NM_TCPR_RETRANS;
        }
    }
    if (keepalive)
        res |= NM_TCPR_KEEPALIVE;
    if (zwp)
        res |= NM_TCPR_ZWP;

    /* Highest sequence number sent so far (zero-window probes excluded). */
    uint32_t nxt = seq + len + (synfin ? 1u : 0u);
    if (!zwp && (f->nextseq == 0 || NM_SEQ_GT(nxt, f->nextseq))) {
        f->nextseq = nxt;
        f->nextseq_us = now;
    }

    f->window = window;
    f->flags |= NM_TCPD_WIN_SEEN;
    f->lastack = ack;
    f->lastack_us = now;
    f->flags &= (uint8_t)~(NM_TCPD_LAST_KA | NM_TCPD_LAST_ZWP);
    if (keepalive)
        f->flags |= NM_TCPD_LAST_KA;
    if (zwp)
        f->flags |= NM_TCPD_LAST_ZWP;
    return res;
}

unsigned nm_tcp_segment(struct nm_tcp_track *t, int dir, int64_t ts_ns, uint16_t flags,
                        uint32_t seq, uint32_t ack, uint32_t len, uint16_t window)
{
    dir &= 1;
    const uint32_t now = nm_tcp_us(ts_ns);
    unsigned res = tcp_sequence(t, dir, now, flags, seq, ack, len, window);

    /* Initial RTT as Wireshark defines it: from the latest pure SYN to the
     * first ACK without SYN (the third packet of the handshake). */
    uint16_t sa = flags & (NM_TCP_SYN | NM_TCP_ACK);
    if (sa == NM_TCP_SYN) {
        t->syn_us = now;
        t->flags |= NM_TCPT_SYN_TS;
    } else if (sa == NM_TCP_ACK && (t->flags & NM_TCPT_SYN_TS) && !(t->flags & NM_TCPT_RTT)) {
        uint32_t rtt = now - t->syn_us;
        /* A zero delta stays "unknown", as in Wireshark (which tests for
         * zero time); a negative one (clock step) wraps huge and is kept
         * out too, where Wireshark would store it. */
        if (rtt != 0 && rtt < UINT32_MAX / 2) {
            t->first_rtt_us = rtt;
            t->flags |= NM_TCPT_RTT;
        }
    }

    tcp_state(t, dir, flags);
    if (flags & NM_TCP_RST)
        res |= NM_TCPR_RST;
    return res;
}
