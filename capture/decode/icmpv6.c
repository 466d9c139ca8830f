/*
 * icmpv6.c - ICMPv6 (RFC 4443).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Echo (128, 129): Identifier  |        Sequence Number        |
 *   |  Errors (1-4): unused / MTU / pointer                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Errors: as much of the offending packet as fits              |
 *
 * As for ICMP, the packet quoted by an error (types 1 to 4) is not decoded
 * and NM_L_ICMP_QUOTE is set.  Neighbour discovery and the other
 * informational types keep type and code only.
 */
#include "decode_int.h"

#define ICMPV6_HDR_LEN      4
#define ICMPV6_ECHO_LEN     8
#define ICMPV6_DST_UNREACH  1
#define ICMPV6_PARAM_PROB   4
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY   129

enum nm_malformed nm_dec_icmpv6(struct nm_packet *pkt, struct nm_cursor *c)
{
    pkt->layers |= NM_L_ICMPV6;
    if (!nm_cur_has(c, ICMPV6_HDR_LEN))
        return NM_MAL_ICMPV6_TRUNCATED;
    pkt->icmp_type = nm_cur_u8(c);
    pkt->icmp_code = nm_cur_u8(c);
    nm_cur_skip(c, 2);                          /* checksum */
    if (pkt->icmp_type == ICMPV6_ECHO_REQUEST || pkt->icmp_type == ICMPV6_ECHO_REPLY) {
        if (!nm_cur_has(c, ICMPV6_ECHO_LEN - ICMPV6_HDR_LEN))
            return NM_MAL_ICMPV6_TRUNCATED;
        pkt->icmp_id = nm_cur_be16(c);
        pkt->icmp_seq = nm_cur_be16(c);
    } else if (pkt->icmp_type >= ICMPV6_DST_UNREACH && pkt->icmp_type <= ICMPV6_PARAM_PROB) {
        pkt->layers |= NM_L_ICMP_QUOTE;
    }
    return NM_MAL_NONE;
}
