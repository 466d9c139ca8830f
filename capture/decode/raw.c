/*
 * raw.c - LINKTYPE_RAW (101; DLT_RAW is 12 or 14 inside some libpcaps): a
 * bare IPv4 or IPv6 packet, told apart by the version nibble of its first
 * byte (https://www.tcpdump.org/linktypes/LINKTYPE_RAW.html).
 *
 *    0 1 2 3 4 5 6 7
 *   +-+-+-+-+-+-+-+-+
 *   |Version|  ...  |   4: IPv4 (RFC 791), 6: IPv6 (RFC 8200)
 *   +-+-+-+-+-+-+-+-+
 *
 * tshark shows a "raw" pseudo-layer above the frame (NM_L_RAW).  The
 * single-family link types 228 and 229 have no such layer and go straight to
 * nm_dec_ipv4/nm_dec_ipv6 (decode.c).
 */
#include "decode_int.h"

#define RAW_VERSION_SHIFT 4

enum nm_malformed nm_dec_raw(struct nm_packet *pkt, struct nm_cursor *c)
{
    struct nm_cursor next = nm_cur_rest(c);

    pkt->layers |= NM_L_RAW;
    if (!nm_cur_has(c, 1))
        return NM_MAL_RAW_BAD_VERSION;  /* no byte to take a version from */
    switch (nm_cur_u8_at(c, 0) >> RAW_VERSION_SHIFT) {
    case 4:
        return nm_dec_ipv4(pkt, &next);
    case 6:
        return nm_dec_ipv6(pkt, &next);
    default:
        return NM_MAL_RAW_BAD_VERSION;
    }
}
