/*
 * tcp.c - TCP header (RFC 9293 section 3.1; NS bit from RFC 3540).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |     |N|C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrv|S|W|C|R|C|S|S|Y|I|            Window             |
 *   |       |     | |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (Data Offset > 5)                  |
 *
 * DNS over TCP (RFC 1035 section 4.2.2, RFC 7766) puts a two-byte length
 * before each message.  A message split over several segments cannot be
 * put back together by a stateless decoder, so DNS counts on a segment
 * that starts with a length prefix and holds the whole message it announces:
 * the segments tshark's reassembly also shows as DNS, except continuations.
 */
#include "decode_int.h"

#define TCP_MIN_HLEN   20
#define TCP_NS_BIT     0x01u   /* low bit of byte 12 */
#define DNS_TCP_PREFIX 2

static void decode_dns(struct nm_packet *pkt, struct nm_cursor *seg, enum nm_malformed *r)
{
    struct nm_cursor msg;
    uint32_t len;

    if (!nm_cur_has(seg, DNS_TCP_PREFIX))
        return;
    len = nm_cur_be16(seg);
    if (len > nm_cur_reported_left(seg))
        return;         /* rest of the message is in later segments */
    msg = nm_cur_sub(seg, len);
    *r = nm_dec_dns(pkt, &msg);
}

enum nm_malformed nm_dec_tcp(struct nm_packet *pkt, struct nm_cursor *c)
{
    enum nm_malformed r = NM_MAL_NONE;
    struct nm_cursor seg;
    uint32_t hlen;
    uint8_t off_ns;

    pkt->layers |= NM_L_TCP;
    pkt->src_port = nm_cur_be16(c);
    pkt->dst_port = nm_cur_be16(c);
    pkt->tcp_seq = nm_cur_be32(c);
    pkt->tcp_ack = nm_cur_be32(c);
    off_ns = nm_cur_u8(c);
    pkt->tcp_flags = (uint16_t)(nm_cur_u8(c) | (off_ns & TCP_NS_BIT ? NM_TCP_NS : 0));
    pkt->tcp_win = nm_cur_be16(c);
    nm_cur_skip(c, 4);                          /* checksum, urgent pointer */
    if (c->short_read)
        return NM_MAL_TCP_TRUNCATED;
    hlen = (uint32_t)(off_ns >> 4) * 4u;
    if (hlen < TCP_MIN_HLEN)
        return NM_MAL_TCP_HLEN_TOO_SMALL;
    if (hlen > c->reported)
        return NM_MAL_TCP_HLEN_TOO_BIG;
    if (!nm_cur_seek(c, hlen))
        return NM_MAL_TCP_TRUNCATED;            /* options cut by the capture */
    pkt->l4_payload_len = c->reported - hlen;
    if (pkt->src_port == NM_PORT_DNS || pkt->dst_port == NM_PORT_DNS) {
        seg = nm_cur_rest(c);
        decode_dns(pkt, &seg, &r);
    }
    return r;
}
