/*
 * proto.h - the protocols netmon reports on, and which of them a frame counts in.
 *
 * A frame counts once in EVERY protocol it contains (as tshark's display
 * filters do): a DNS-over-UDP-over-IPv4-over-Ethernet frame counts in
 * Ethernet, IPv4, UDP and DNS.  "Other" holds frames with no network layer
 * we decode (neither ARP, IPv4 nor IPv6), so every frame counts somewhere.
 * VLAN counts frames with at least one 802.1Q or 802.1ad tag.
 */
#ifndef NM_PROTO_H
#define NM_PROTO_H

#include <stdint.h>

enum nm_proto {
    NM_P_ETHERNET = 0,
    NM_P_VLAN,
    NM_P_ARP,
    NM_P_IPV4,
    NM_P_IPV6,
    NM_P_TCP,
    NM_P_UDP,
    NM_P_ICMP,
    NM_P_ICMPV6,
    NM_P_DNS,
    NM_P_OTHER,
    NM_P_COUNT
};

/* Display name, e.g. "IPv4"; the same strings are stored in the database. */
const char *nm_proto_name(enum nm_proto p);

/* Bit (1u << nm_proto) set of the protocols a frame with these layer bits
 * (enum nm_layer_bit) counts in. */
uint32_t nm_proto_mask(uint32_t layers);

#endif /* NM_PROTO_H */
