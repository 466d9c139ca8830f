/*
 * sll.c - Linux "cooked" capture headers, LINKTYPE_LINUX_SLL (113) and
 * LINKTYPE_LINUX_SLL2 (276), from https://www.tcpdump.org/linktypes/.
 *
 * SLL (v1), 16 bytes:                   SLL2, 20 bytes:
 *   +---------------------------+         +---------------------------+
 *   |  Packet type        (2)   |         |  Protocol type      (2)   |
 *   |  ARPHRD_ type       (2)   |         |  Reserved (MBZ)     (2)   |
 *   |  Link-layer addr len (2)  |         |  Interface index    (4)   |
 *   |  Link-layer address (8)   |         |  ARPHRD_ type       (2)   |
 *   |  Protocol type      (2)   |         |  Packet type        (1)   |
 *   +---------------------------+         |  Link-layer addr len (1)  |
 *                                         |  Link-layer address (8)   |
 *                                         +---------------------------+
 *
 * The protocol type is an Ethertype when it is above 1536 (values below
 * name Linux pseudo-protocols such as 802.2 LLC or CAN); for the ARPHRD
 * types netlink and IP-over-GRE it means something else entirely, so those
 * frames are not decoded further (as tshark does).  The link-layer address
 * is not an Ethernet header: src_mac stays unset.
 */
#include "decode_int.h"

#define SLL_HDR_LEN        16
#define SLL2_HDR_LEN       20
#define SLL_MAX_PSEUDO     1536   /* protocol values up to this are not Ethertypes */
#define ARPHRD_IPGRE       778
#define ARPHRD_NETLINK     824

enum nm_malformed nm_dec_sll(struct nm_packet *pkt, struct nm_cursor *c, bool v2)
{
    uint16_t hatype, proto;

    pkt->layers |= NM_L_SLL;
    if (!nm_cur_has(c, v2 ? SLL2_HDR_LEN : SLL_HDR_LEN))
        return NM_MAL_SLL_TRUNCATED;
    if (v2) {
        proto = nm_cur_be16(c);
        nm_cur_skip(c, 2 + 4);          /* reserved, interface index */
        hatype = nm_cur_be16(c);
        nm_cur_skip(c, 1 + 1 + 8);      /* packet type, address length, address */
    } else {
        nm_cur_skip(c, 2);              /* packet type */
        hatype = nm_cur_be16(c);
        nm_cur_skip(c, 2 + 8);          /* address length, address */
        proto = nm_cur_be16(c);
    }
    pkt->ethertype = proto;
    if (hatype == ARPHRD_IPGRE || hatype == ARPHRD_NETLINK || proto <= SLL_MAX_PSEUDO)
        return NM_MAL_NONE;
    return nm_dec_ethertype(pkt, proto, c);
}
