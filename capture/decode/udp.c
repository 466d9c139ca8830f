/*
 * udp.c - UDP header (RFC 768).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            Length             |           Checksum            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length covers header and data.  In the first fragment of a fragmented
 * datagram it rightly exceeds the IP payload, so that check is skipped
 * there and the payload window is what this fragment holds.  DNS is port
 * 53 on either side with at least one payload byte captured (tshark hands
 * an empty payload to no one); mDNS (5353) and LLMNR (5355) are other
 * protocols even though they share the message format.
 */
#include "decode_int.h"

#define UDP_HDR_LEN 8

enum nm_malformed nm_dec_udp(struct nm_packet *pkt, struct nm_cursor *c)
{
    struct nm_cursor data;
    uint32_t len;

    pkt->layers |= NM_L_UDP;
    pkt->src_port = nm_cur_be16(c);
    pkt->dst_port = nm_cur_be16(c);
    len = nm_cur_be16(c);
    nm_cur_skip(c, 2);                          /* checksum */
    if (c->short_read)
        return NM_MAL_UDP_TRUNCATED;
    if (len < UDP_HDR_LEN)
        return NM_MAL_UDP_LEN_TOO_SMALL;
    if (len > c->reported) {
        if (!pkt->more_frags)
            return NM_MAL_UDP_LEN_TOO_BIG;
        len = c->reported;                      /* first fragment: what it holds */
    }
    pkt->l4_payload_len = len - UDP_HDR_LEN;
    data = nm_cur_sub(c, len - UDP_HDR_LEN);
    if ((pkt->src_port == NM_PORT_DNS || pkt->dst_port == NM_PORT_DNS) && data.len > 0)
        return nm_dec_dns(pkt, &data);
    return NM_MAL_NONE;
}
