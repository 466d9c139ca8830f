/*
 * icmp.c - ICMP for IPv4 (RFC 792).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Echo (0, 8): Identifier      |        Sequence Number        |
 *   |  Errors (3, 4, 5, 11, 12): unused / pointer / gateway          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Errors: the offending IP header + first 8 bytes of its data  |
 *
 * The quoted header of an error is not decoded: it describes some other
 * packet, and counting it as this frame's IP/UDP would double-count (tshark's
 * "layers_outer" leaves it out too).  NM_L_ICMP_QUOTE marks such frames.
 */
#include "decode_int.h"

#define ICMP_HDR_LEN        4
#define ICMP_ECHO_LEN       8
#define ICMP_ECHO_REPLY     0
#define ICMP_UNREACH        3
#define ICMP_SOURCE_QUENCH  4
#define ICMP_REDIRECT       5
#define ICMP_ECHO           8
#define ICMP_TIME_EXCEEDED  11
#define ICMP_PARAM_PROBLEM  12

enum nm_malformed nm_dec_icmp(struct nm_packet *pkt, struct nm_cursor *c)
{
    pkt->layers |= NM_L_ICMP;
    if (!nm_cur_has(c, ICMP_HDR_LEN))
        return NM_MAL_ICMP_TRUNCATED;
    pkt->icmp_type = nm_cur_u8(c);
    pkt->icmp_code = nm_cur_u8(c);
    nm_cur_skip(c, 2);                          /* checksum */
    switch (pkt->icmp_type) {
    case ICMP_ECHO_REPLY:
    case ICMP_ECHO:
        if (!nm_cur_has(c, ICMP_ECHO_LEN - ICMP_HDR_LEN))
            return NM_MAL_ICMP_TRUNCATED;
        pkt->icmp_id = nm_cur_be16(c);
        pkt->icmp_seq = nm_cur_be16(c);
        return NM_MAL_NONE;
    case ICMP_UNREACH:
    case ICMP_SOURCE_QUENCH:
    case ICMP_REDIRECT:
    case ICMP_TIME_EXCEEDED:
    case ICMP_PARAM_PROBLEM:
        pkt->layers |= NM_L_ICMP_QUOTE;
        return NM_MAL_NONE;
    default:
        return NM_MAL_NONE;
    }
}
