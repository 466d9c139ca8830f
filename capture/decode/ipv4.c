/*
 * ipv4.c - IPv4 header (RFC 791 section 3.1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (IHL > 5)                          |
 *
 * The payload window is min(Total Length, bytes captured) minus the header:
 * Ethernet padding and trailers beyond Total Length are not payload.  A
 * Total Length of 0 is what TCP segmentation offload leaves in locally sent
 * packets; like tshark, we then take the frame's length instead.
 * The checks run in tshark's order (IHL, then Total Length), and the
 * addresses are filled only once the lengths are sane, as tshark shows them.
 * Fragments: only the one at offset 0 holds the transport header (also
 * when MF is set); later ones are counted as IP only.  An empty payload is
 * not handed to a transport decoder (tshark does not either).
 */
#include "decode_int.h"

#define IPV4_MIN_HLEN     20
#define IPV4_VERSION      4
#define IPV4_MF           0x2000u
#define IPV4_OFFSET_MASK  0x1fffu
#define IPV4_OFFSET_UNIT  8       /* fragment offset counts 8-byte blocks */

enum nm_malformed nm_dec_ipv4(struct nm_packet *pkt, struct nm_cursor *c)
{
    struct nm_cursor payload;
    uint32_t hlen, total;
    uint16_t frag, offset;
    uint8_t vhl, proto;
    bool mf;

    pkt->layers |= NM_L_IPV4;
    if (!nm_cur_has(c, 1))
        return NM_MAL_IPV4_TRUNCATED;
    vhl = nm_cur_u8(c);
    if (vhl >> 4 != IPV4_VERSION)
        return NM_MAL_IPV4_BAD_VERSION;
    hlen = (vhl & 0x0fu) * 4u;
    if (hlen < IPV4_MIN_HLEN)
        return NM_MAL_IPV4_HLEN_TOO_SMALL;
    if (!nm_cur_has(c, IPV4_MIN_HLEN - 1))
        return NM_MAL_IPV4_TRUNCATED;
    nm_cur_skip(c, 1);                          /* type of service */
    total = nm_cur_be16(c);
    nm_cur_skip(c, 2);                          /* identification */
    frag = nm_cur_be16(c);
    if (total == 0)
        total = c->reported;                    /* TSO: the frame tells the length */
    if (total < hlen)
        return NM_MAL_IPV4_TOTLEN_TOO_SMALL;

    pkt->ip_version = IPV4_VERSION;
    pkt->ttl = nm_cur_u8(c);
    proto = nm_cur_u8(c);
    pkt->ip_proto = proto;
    nm_cur_skip(c, 2);                          /* header checksum */
    nm_cur_copy(c, pkt->src_ip.b, 4);
    nm_cur_copy(c, pkt->dst_ip.b, 4);
    /* Tested from locals: reading the two fields back as one word right
     * after storing them stalls store forwarding. */
    offset = (uint16_t)((frag & IPV4_OFFSET_MASK) * IPV4_OFFSET_UNIT);
    mf = (frag & IPV4_MF) != 0;
    pkt->frag_offset = offset;
    pkt->more_frags = mf;
    if (mf || offset != 0)
        pkt->layers |= NM_L_FRAG;

    if (total > c->reported)
        return NM_MAL_IPV4_TOTLEN_TOO_BIG;
    if (!nm_cur_seek(c, hlen))
        return NM_MAL_IPV4_TRUNCATED;           /* options cut by the capture */
    if (total == hlen)
        return NM_MAL_NONE;
    payload = nm_cur_sub(c, total - hlen);
    return nm_dec_ipproto(pkt, proto, &payload, offset == 0);
}
