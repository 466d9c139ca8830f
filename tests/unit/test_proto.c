/*
 * test_proto.c - protocol names and which protocols a frame counts in.
 */
#include "check.h"

#include "../../analyze/proto.h"
#include "../../capture/decode/decode.h"

#define B(p) (1u << (p))

int main(int argc, char **argv)
{
    (void)argc;
    CHECK_EQ_S(nm_proto_name(NM_P_ETHERNET), "Ethernet");
    CHECK_EQ_S(nm_proto_name(NM_P_VLAN), "VLAN");
    CHECK_EQ_S(nm_proto_name(NM_P_ARP), "ARP");
    CHECK_EQ_S(nm_proto_name(NM_P_IPV4), "IPv4");
    CHECK_EQ_S(nm_proto_name(NM_P_IPV6), "IPv6");
    CHECK_EQ_S(nm_proto_name(NM_P_TCP), "TCP");
    CHECK_EQ_S(nm_proto_name(NM_P_UDP), "UDP");
    CHECK_EQ_S(nm_proto_name(NM_P_ICMP), "ICMP");
    CHECK_EQ_S(nm_proto_name(NM_P_ICMPV6), "ICMPv6");
    CHECK_EQ_S(nm_proto_name(NM_P_DNS), "DNS");
    CHECK_EQ_S(nm_proto_name(NM_P_OTHER), "Other");
    CHECK_EQ_S(nm_proto_name(NM_P_COUNT), "unknown");
    CHECK_EQ_S(nm_proto_name((enum nm_proto)-1), "unknown");

    /* DNS over UDP over IPv4 over Ethernet: four protocols. */
    CHECK_EQ_U(nm_proto_mask(NM_L_ETH | NM_L_IPV4 | NM_L_UDP | NM_L_DNS),
               B(NM_P_ETHERNET) | B(NM_P_IPV4) | B(NM_P_UDP) | B(NM_P_DNS));
    /* An 802.1ad S-tag counts as VLAN, as does 802.1Q; both once. */
    CHECK_EQ_U(nm_proto_mask(NM_L_ETH | NM_L_8021AD | NM_L_ARP),
               B(NM_P_ETHERNET) | B(NM_P_VLAN) | B(NM_P_ARP));
    CHECK_EQ_U(nm_proto_mask(NM_L_ETH | NM_L_VLAN | NM_L_8021AD | NM_L_IPV6 | NM_L_TCP),
               B(NM_P_ETHERNET) | B(NM_P_VLAN) | B(NM_P_IPV6) | B(NM_P_TCP));
    /* No ARP/IP layer: Other (plus the link layer if it is Ethernet). */
    CHECK_EQ_U(nm_proto_mask(NM_L_ETH), B(NM_P_ETHERNET) | B(NM_P_OTHER));
    CHECK_EQ_U(nm_proto_mask(NM_L_SLL), B(NM_P_OTHER));
    CHECK_EQ_U(nm_proto_mask(0), B(NM_P_OTHER));
    CHECK_EQ_U(nm_proto_mask(NM_L_ETH | NM_L_VLAN),
               B(NM_P_ETHERNET) | B(NM_P_VLAN) | B(NM_P_OTHER));
    /* Link pseudo-layers other than Ethernet are not protocols here. */
    CHECK_EQ_U(nm_proto_mask(NM_L_RAW | NM_L_IPV6 | NM_L_ICMPV6), B(NM_P_IPV6) | B(NM_P_ICMPV6));
    CHECK_EQ_U(nm_proto_mask(NM_L_NULL | NM_L_IPV4 | NM_L_ICMP), B(NM_P_IPV4) | B(NM_P_ICMP));
    /* Fragment, tunnel and ICMP-quote markers add nothing. */
    CHECK_EQ_U(nm_proto_mask(NM_L_ETH | NM_L_IPV4 | NM_L_FRAG | NM_L_TUNNEL | NM_L_ICMP_QUOTE),
               B(NM_P_ETHERNET) | B(NM_P_IPV4));
    /* Every frame counts somewhere: the mask is never empty. */
    for (uint32_t l = 0; l < (1u << 17); l += 7)
        CHECK(nm_proto_mask(l) != 0);
    return check_report(argv[0]);
}
