/*
 * vlan.c - IEEE 802.1Q VLAN tags, 802.1ad S-tags and stacks of them (QinQ).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  TPID (0x8100, 0x88a8, 0x9100) | PCP |D|         VID          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Ethertype or next TPID      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The TPID was read by the layer below (it sits where an Ethertype would);
 * each tag here is the 2-byte TCI plus the next type.  0x88a8 is an 802.1ad
 * service tag (tshark layer "ieee8021ad"); 0x8100 and the pre-standard QinQ
 * value 0x9100 are 802.1Q tags (tshark layer "vlan").  Stacks deeper than
 * NM_MAX_VLAN_TAGS are reported, not walked (Suricata's VLAN_MAX_LAYERS).
 */
#include "decode_int.h"

#define VLAN_TAG_LEN  4     /* TCI + next type */
#define VLAN_VID_MASK 0x0fffu

static bool is_tpid(uint16_t type)
{
    return type == NM_ETHERTYPE_VLAN || type == NM_ETHERTYPE_QINQ ||
           type == NM_ETHERTYPE_8021AD;
}

enum nm_malformed nm_dec_vlan(struct nm_packet *pkt, uint16_t tpid, struct nm_cursor *c)
{
    uint16_t type = tpid;

    pkt->ethertype = 0;         /* set again once the tags end */
    /* Each turn consumes one 4-byte tag and the loop stops after
     * NM_MAX_VLAN_TAGS of them. */
    while (is_tpid(type)) {
        pkt->layers |= type == NM_ETHERTYPE_8021AD ? NM_L_8021AD : NM_L_VLAN;
        if (pkt->vlan_count >= NM_MAX_VLAN_TAGS)
            return NM_MAL_VLAN_TOO_MANY_TAGS;
        if (!nm_cur_has(c, VLAN_TAG_LEN))
            return NM_MAL_VLAN_TRUNCATED;
        pkt->vlan_ids[pkt->vlan_count++] = (uint16_t)(nm_cur_be16(c) & VLAN_VID_MASK);
        type = nm_cur_be16(c);
    }
    if (type <= NM_ETH_MAX_LEN) {
        pkt->ethertype = 0;     /* 802.3 length inside the tag: LLC follows */
        return NM_MAL_NONE;
    }
    return nm_dec_ethertype(pkt, type, c);
}
