/*
 * ether.c - Ethernet II / IEEE 802.3 MAC header (IEEE 802.3 clause 3.1.1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination MAC address                    |
 *   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   |                      Source MAC address                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Ethertype or length      |  payload ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A type/length value up to 1500 is an 802.3 length followed by an LLC
 * header: no network layer we decode (tshark shows "eth:llc").  The frame
 * check sequence, if captured, and the padding up to 60 bytes are trailing
 * bytes the IP layer ignores thanks to its own length field.
 */
#include "decode_int.h"

#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN  14

enum nm_malformed nm_dec_ether(struct nm_packet *pkt, struct nm_cursor *c)
{
    uint16_t type;

    pkt->layers |= NM_L_ETH;
    if (!nm_cur_has(c, ETH_HDR_LEN))
        return NM_MAL_ETH_TRUNCATED;
    nm_cur_copy(c, pkt->dst_mac, ETH_ADDR_LEN);
    nm_cur_copy(c, pkt->src_mac, ETH_ADDR_LEN);
    type = nm_cur_be16(c);
    if (type <= NM_ETH_MAX_LEN)
        return NM_MAL_NONE;
    return nm_dec_ethertype(pkt, type, c);
}
