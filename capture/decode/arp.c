/*
 * arp.c - ARP (RFC 826) and RARP (RFC 903, same layout, Ethertype 0x8035).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Hardware type          |         Protocol type         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  HW addr len  | Proto addr len|           Operation           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | sender HW addr (hln) | sender proto addr (pln) |
 *   | target HW addr (hln) | target proto addr (pln) |
 *
 * The protocol addresses are filled when they are IPv4 (protocol 0x0800,
 * 4 bytes), whatever the hardware type and address length (tshark reads
 * them so too), except ATM's, whose ATMARP layout differs; the hardware
 * addresses when they are 6 bytes long.  Other forms keep the operation
 * only (addresses stay zero).  A frame whose lengths claim more address
 * bytes than were captured is arp.truncated.
 */
#include "decode_int.h"

#define ARP_FIXED_LEN  8
#define ARP_HRD_ATM    19   /* ATMARP (RFC 2225): another layout after the operation */
#define ARP_HLN_ETHER  6
#define ARP_PLN_IPV4   4

/* A hardware address of hln bytes: kept when it is a MAC, else stepped over. */
static void hw_addr(struct nm_cursor *c, uint8_t mac[ARP_HLN_ETHER], uint8_t hln)
{
    if (hln == ARP_HLN_ETHER)
        nm_cur_copy(c, mac, ARP_HLN_ETHER);
    else
        (void)nm_cur_skip(c, hln);
}

enum nm_malformed nm_dec_arp(struct nm_packet *pkt, struct nm_cursor *c)
{
    uint16_t hrd, pro;
    uint8_t hln, pln;

    pkt->layers |= NM_L_ARP;
    if (!nm_cur_has(c, ARP_FIXED_LEN))
        return NM_MAL_ARP_TRUNCATED;
    hrd = nm_cur_be16(c);
    pro = nm_cur_be16(c);
    hln = nm_cur_u8(c);
    pln = nm_cur_u8(c);
    pkt->arp_op = nm_cur_be16(c);
    if (!nm_cur_has(c, 2u * ((uint32_t)hln + pln)))
        return NM_MAL_ARP_TRUNCATED;
    /* Any other hardware type: the two lengths give the layout. */
    if (hrd == ARP_HRD_ATM || pro != NM_ETHERTYPE_IPV4 || pln != ARP_PLN_IPV4)
        return NM_MAL_NONE;
    /* Bounded: the four fields were checked against the captured bytes. */
    hw_addr(c, pkt->arp_sha, hln);
    nm_cur_copy(c, pkt->arp_spa, ARP_PLN_IPV4);
    hw_addr(c, pkt->arp_tha, hln);
    nm_cur_copy(c, pkt->arp_tpa, ARP_PLN_IPV4);
    return NM_MAL_NONE;
}
