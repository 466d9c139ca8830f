/*
 * null.c - BSD loopback encapsulation: LINKTYPE_NULL (0) and LINKTYPE_LOOP
 * (108), from https://www.tcpdump.org/linktypes/.
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          address family (4 bytes, see below)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  network-layer packet ...
 *
 * NULL stores the AF_ value in the byte order of the machine that captured,
 * which the file does not record.  AF_ values are small, so a value whose
 * upper 16 bits are set and lower 16 clear is byte-swapped (tshark's rule).
 * A value above 1500 is taken as an Ethertype, as some systems wrote one.
 * LOOP is always in network byte order (OpenBSD).  AF_INET is 2 everywhere;
 * AF_INET6 is 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly) or 30
 * (Darwin); other families (IPX, ISO, AppleTalk) are not decoded.
 */
#include "decode_int.h"

#define NULL_HDR_LEN     4
#define BSD_AF_INET      2
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN  30

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

enum nm_malformed nm_dec_null(struct nm_packet *pkt, struct nm_cursor *c, bool loop)
{
    struct nm_cursor next;
    uint32_t af;

    pkt->layers |= NM_L_NULL;
    if (!nm_cur_has(c, NULL_HDR_LEN))
        return NM_MAL_NULL_TRUNCATED;
    if (loop) {
        af = nm_cur_be32(c);
    } else {
        af = nm_cur_le32(c);
        if ((af & 0xffff0000u) != 0 && (af & 0x0000ffffu) == 0)
            af = swap32(af);
    }
    if (af > NM_ETH_MAX_LEN && af <= UINT16_MAX && !loop)
        return nm_dec_ethertype(pkt, (uint16_t)af, c);
    next = nm_cur_rest(c);
    switch (af) {
    case BSD_AF_INET:
        return nm_dec_ipv4(pkt, &next);
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        return nm_dec_ipv6(pkt, &next);
    default:
        return NM_MAL_NONE;
    }
}
