/*
 * proto.c - protocol names and the layer-bit -> protocol mapping (see proto.h).
 *
 * A frame counts once in every protocol it contains, exactly like tshark's
 * display filters over the OUTERMOST stack (the oracle's "layers_outer"):
 * decode.h already sets only outer-stack layer bits, so the mapping is a
 * plain table lookup per bit.
 */
#include "proto.h"

#include "../capture/decode/decode.h"

/* Indexed by enum nm_proto.  These strings are stored in the database:
 * never rename one. */
static const char *const proto_names[NM_P_COUNT] = {
    [NM_P_ETHERNET] = "Ethernet",
    [NM_P_VLAN] = "VLAN",
    [NM_P_ARP] = "ARP",
    [NM_P_IPV4] = "IPv4",
    [NM_P_IPV6] = "IPv6",
    [NM_P_TCP] = "TCP",
    [NM_P_UDP] = "UDP",
    [NM_P_ICMP] = "ICMP",
    [NM_P_ICMPV6] = "ICMPv6",
    [NM_P_DNS] = "DNS",
    [NM_P_OTHER] = "Other",
};

const char *nm_proto_name(enum nm_proto p)
{
    if ((unsigned)p >= NM_P_COUNT)
        return "unknown";
    return proto_names[p];
}

/* Which layer bits put a frame in which protocol.  VLAN covers both 802.1Q
 * and 802.1ad tags (tshark splits them into "vlan" and "ieee8021ad"; the
 * report adds the two). */
static const struct {
    uint32_t layers;
    enum nm_proto proto;
} layer_map[] = {
    { NM_L_ETH, NM_P_ETHERNET },
    { NM_L_VLAN | NM_L_8021AD, NM_P_VLAN },
    { NM_L_ARP, NM_P_ARP },
    { NM_L_IPV4, NM_P_IPV4 },
    { NM_L_IPV6, NM_P_IPV6 },
    { NM_L_TCP, NM_P_TCP },
    { NM_L_UDP, NM_P_UDP },
    { NM_L_ICMP, NM_P_ICMP },
    { NM_L_ICMPV6, NM_P_ICMPV6 },
    { NM_L_DNS, NM_P_DNS },
};

uint32_t nm_proto_mask(uint32_t layers)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < sizeof layer_map / sizeof layer_map[0]; i++)
        if (layers & layer_map[i].layers)
            mask |= 1u << layer_map[i].proto;
    /* "Other": no network layer we decode, so every frame counts somewhere
     * (SLL frames with an unknown protocol, LLC, LLDP, malformed links...). */
    if (!(layers & (NM_L_ARP | NM_L_IPV4 | NM_L_IPV6)))
        mask |= 1u << NM_P_OTHER;
    return mask;
}
