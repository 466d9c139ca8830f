/*
 * ipv6.c - IPv6 header (RFC 8200 section 3) and the extension headers that
 * stand between it and the transport header.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                   Source Address (128 bits)                   |
 *   |                Destination Address (128 bits)                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers (at most NM_MAX_IPV6_EXT are walked):
 *   Hop-by-Hop 0, Routing 43, Destination Options 60, Mobility 135:
 *     | Next Header | Hdr Ext Len |  ...  |   length (Hdr Ext Len + 1) * 8
 *   Fragment 44 (RFC 8200 section 4.5), 8 bytes:
 *     | Next Header |  Reserved   |  Fragment Offset  |Res|M|  Identification  |
 *   Authentication Header 51 (RFC 4302): length (Payload Len + 2) * 4
 *   No Next Header 59: nothing follows.
 *
 * A Payload Length of 0 is a jumbogram (RFC 2675) or, more often, a packet
 * sent with TCP segmentation offload; either way the frame tells the length,
 * as in tshark.  Only the fragment at offset 0 holds the transport header
 * (an atomic fragment, offset 0 and M clear, does too).
 */
#include "decode_int.h"

#define IPV6_HDR_LEN      40
#define IPV6_VERSION      6
#define IPV6_FRAG_LEN     8
#define IPV6_FRAG_M       0x0001u
#define IPV6_FRAG_OFFSET  0xfff8u     /* offset in 8-byte units, already * 8 */
#define IPV6_EXT_UNIT     8
#define IPV6_AH_UNIT      4

/* Walks one extension header of type `nh`; sets *next to the header after it.
 * Returns false if it does not fit in the payload. */
static bool skip_ext(struct nm_packet *pkt, struct nm_cursor *c, uint8_t nh, uint8_t *next)
{
    uint32_t len;
    uint16_t offlg;

    if (!nm_cur_has(c, 2))
        return false;
    *next = nm_cur_u8(c);
    len = nm_cur_u8(c);
    switch (nh) {
    case NM_IPPROTO_FRAGMENT:
        if (!nm_cur_has(c, IPV6_FRAG_LEN - 2))
            return false;
        offlg = nm_cur_be16(c);
        nm_cur_skip(c, 4);                      /* identification */
        pkt->layers |= NM_L_FRAG;
        pkt->frag_offset = (uint16_t)(offlg & IPV6_FRAG_OFFSET);
        pkt->more_frags = (offlg & IPV6_FRAG_M) != 0;
        return true;
    case NM_IPPROTO_AH:
        return nm_cur_skip(c, (len + 2) * IPV6_AH_UNIT - 2);
    default:
        return nm_cur_skip(c, (len + 1) * IPV6_EXT_UNIT - 2);
    }
}

static bool is_ext(uint8_t nh)
{
    switch (nh) {
    case NM_IPPROTO_HOPOPTS:
    case NM_IPPROTO_ROUTING:
    case NM_IPPROTO_FRAGMENT:
    case NM_IPPROTO_DSTOPTS:
    case NM_IPPROTO_AH:
    case NM_IPPROTO_MOBILITY:
        return true;
    default:
        return false;
    }
}

enum nm_malformed nm_dec_ipv6(struct nm_packet *pkt, struct nm_cursor *c)
{
    struct nm_cursor payload, transport;
    uint32_t plen;
    uint8_t nh;
    int n_ext;

    /* tshark's IPv6 dissector refuses a packet of another version, so
     * the layer does not count then (IPv4 does count a bad version). */
    if (!nm_cur_has(c, 1)) {
        pkt->layers |= NM_L_IPV6;
        return NM_MAL_IPV6_TRUNCATED;
    }
    if (nm_cur_u8_at(c, 0) >> 4 != IPV6_VERSION)
        return NM_MAL_IPV6_BAD_VERSION;
    pkt->layers |= NM_L_IPV6;
    if (!nm_cur_has(c, IPV6_HDR_LEN))
        return NM_MAL_IPV6_TRUNCATED;
    nm_cur_skip(c, 4);                          /* version, class, flow label */
    plen = nm_cur_be16(c);
    nh = nm_cur_u8(c);
    pkt->ttl = nm_cur_u8(c);
    nm_cur_copy(c, pkt->src_ip.b, 16);
    nm_cur_copy(c, pkt->dst_ip.b, 16);
    pkt->ip_version = IPV6_VERSION;
    pkt->ip_proto = nh;
    if (plen == 0)
        plen = nm_cur_reported_left(c);         /* jumbogram or TSO */
    if (plen > nm_cur_reported_left(c))
        return NM_MAL_IPV6_PLEN_TOO_BIG;
    payload = nm_cur_sub(c, plen);

    /* Each turn consumes at least 2 bytes of the payload window, and the
     * number of turns is capped. */
    for (n_ext = 0; is_ext(nh); n_ext++) {
        if (n_ext >= NM_MAX_IPV6_EXT)
            return NM_MAL_IPV6_TOO_MANY_EXT;
        if (!skip_ext(pkt, &payload, nh, &nh))
            return NM_MAL_IPV6_EXT_TRUNCATED;
        pkt->ip_proto = nh;
    }
    if (nh == NM_IPPROTO_NONE)
        return NM_MAL_NONE;
    transport = nm_cur_rest(&payload);
    return nm_dec_ipproto(pkt, nh, &transport, pkt->frag_offset == 0);
}
