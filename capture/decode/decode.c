/*
 * decode.c - nm_decode(): link-type dispatch, the Ethertype and IP-protocol
 * switchboards, and the names of the malformation reasons.
 *
 * The per-protocol files never call each other directly except through the
 * two dispatchers here, so "which protocol follows which" lives in one place.
 * Which layers count follows tshark's frame.protocols for the outermost
 * stack (see decode.h and ../shared/captures/README.md "layers_outer").
 */
#include <stddef.h>
#include <string.h>

#include "decode_int.h"

/* IP protocols whose payload is another network-layer packet (or a frame
 * carrying one).  Their inner packet is not decoded: NM_L_TUNNEL. */
#define NM_IPPROTO_ETHERIP  97   /* RFC 3378 Ethernet-within-IP */
#define NM_IPPROTO_ENCAP    98   /* RFC 1241 encapsulation header */
#define NM_IPPROTO_L2TP     115  /* L2TPv3 over IP */
#define NM_IPPROTO_MPLS_IP  137  /* RFC 4023 MPLS-in-IP */

static const char *const malformed_names[NM_MAL_COUNT] = {
    [NM_MAL_NONE] = "",
    [NM_MAL_LINK_UNSUPPORTED] = "link.unsupported",
    [NM_MAL_ETH_TRUNCATED] = "eth.truncated",
    [NM_MAL_VLAN_TRUNCATED] = "vlan.truncated",
    [NM_MAL_VLAN_TOO_MANY_TAGS] = "vlan.too_many_tags",
    [NM_MAL_SLL_TRUNCATED] = "sll.truncated",
    [NM_MAL_NULL_TRUNCATED] = "null.truncated",
    [NM_MAL_RAW_BAD_VERSION] = "raw.bad_version",
    [NM_MAL_ARP_TRUNCATED] = "arp.truncated",
    [NM_MAL_IPV4_TRUNCATED] = "ipv4.truncated",
    [NM_MAL_IPV4_BAD_VERSION] = "ipv4.bad_version",
    [NM_MAL_IPV4_HLEN_TOO_SMALL] = "ipv4.hlen_too_small",
    [NM_MAL_IPV4_TOTLEN_TOO_SMALL] = "ipv4.total_len_too_small",
    [NM_MAL_IPV4_TOTLEN_TOO_BIG] = "ipv4.total_len_exceeds_frame",
    [NM_MAL_IPV6_TRUNCATED] = "ipv6.truncated",
    [NM_MAL_IPV6_BAD_VERSION] = "ipv6.bad_version",
    [NM_MAL_IPV6_PLEN_TOO_BIG] = "ipv6.payload_len_exceeds_frame",
    [NM_MAL_IPV6_EXT_TRUNCATED] = "ipv6.ext_truncated",
    [NM_MAL_IPV6_TOO_MANY_EXT] = "ipv6.too_many_ext",
    [NM_MAL_TCP_TRUNCATED] = "tcp.truncated",
    [NM_MAL_TCP_HLEN_TOO_SMALL] = "tcp.hlen_too_small",
    [NM_MAL_TCP_HLEN_TOO_BIG] = "tcp.hlen_exceeds_segment",
    [NM_MAL_UDP_TRUNCATED] = "udp.truncated",
    [NM_MAL_UDP_LEN_TOO_SMALL] = "udp.len_too_small",
    [NM_MAL_UDP_LEN_TOO_BIG] = "udp.len_exceeds_ip",
    [NM_MAL_ICMP_TRUNCATED] = "icmp.truncated",
    [NM_MAL_ICMPV6_TRUNCATED] = "icmpv6.truncated",
    [NM_MAL_DNS_TRUNCATED] = "dns.truncated",
    [NM_MAL_DNS_BAD_LABEL] = "dns.bad_label",
    [NM_MAL_DNS_NAME_TOO_LONG] = "dns.name_too_long",
    [NM_MAL_DNS_POINTER_LOOP] = "dns.pointer_loop",
};

const char *nm_malformed_name(enum nm_malformed reason)
{
    if ((unsigned)reason >= NM_MAL_COUNT || malformed_names[reason] == NULL)
        return "unknown";
    return malformed_names[reason];
}

bool nm_decode_linktype_supported(int linktype)
{
    switch (linktype) {
    case NM_LINKTYPE_NULL:
    case NM_LINKTYPE_ETHERNET:
    case NM_LINKTYPE_RAW:
    case NM_DLT_RAW_12:
    case NM_DLT_RAW_14:
    case NM_LINKTYPE_LOOP:
    case NM_LINKTYPE_LINUX_SLL:
    case NM_LINKTYPE_IPV4:
    case NM_LINKTYPE_IPV6:
    case NM_LINKTYPE_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

enum nm_malformed nm_dec_ethertype(struct nm_packet *pkt, uint16_t type, struct nm_cursor *c)
{
    struct nm_cursor next;

    pkt->ethertype = type;
    switch (type) {
    case NM_ETHERTYPE_IPV4:
        next = nm_cur_rest(c);
        return nm_dec_ipv4(pkt, &next);
    case NM_ETHERTYPE_IPV6:
        next = nm_cur_rest(c);
        return nm_dec_ipv6(pkt, &next);
    case NM_ETHERTYPE_ARP:
    case NM_ETHERTYPE_RARP:
        next = nm_cur_rest(c);
        return nm_dec_arp(pkt, &next);
    case NM_ETHERTYPE_VLAN:
    case NM_ETHERTYPE_QINQ:
    case NM_ETHERTYPE_8021AD:
        return nm_dec_vlan(pkt, type, c);
    default:
        return NM_MAL_NONE;     /* a protocol we do not decode: not an error */
    }
}

enum nm_malformed nm_dec_ipproto(struct nm_packet *pkt, uint8_t proto, struct nm_cursor *c,
                                 bool first_frag)
{
    pkt->ip_proto = proto;
    if (!first_frag)
        return NM_MAL_NONE;     /* the transport header is in the first fragment */
    switch (proto) {
    case NM_IPPROTO_TCP:
        return nm_dec_tcp(pkt, c);
    case NM_IPPROTO_UDP:
        return nm_dec_udp(pkt, c);
    case NM_IPPROTO_ICMP:
        return nm_dec_icmp(pkt, c);
    case NM_IPPROTO_ICMPV6:
        return nm_dec_icmpv6(pkt, c);
    case NM_IPPROTO_IPIP:
    case NM_IPPROTO_IPV6:
    case NM_IPPROTO_GRE:
    case NM_IPPROTO_ETHERIP:
    case NM_IPPROTO_ENCAP:
    case NM_IPPROTO_L2TP:
    case NM_IPPROTO_MPLS_IP:
        pkt->layers |= NM_L_TUNNEL;
        return NM_MAL_NONE;
    default:
        return NM_MAL_NONE;
    }
}

/* Bytes of struct nm_packet cleared per frame: everything before the DNS
 * name buffer, which is only cleared to the empty string (it is 256 of the
 * struct's ~420 bytes, and nothing reads past its NUL). */
#define RESET_LEN   offsetof(struct nm_packet, dns_qname)
#define RESET_CHUNK 64u

_Static_assert(offsetof(struct nm_packet, ts_ns) == 0, "reset_packet keeps ts_ns first");
_Static_assert(RESET_LEN <= 4 * RESET_CHUNK, "reset_packet clears at most 4 chunks");

static inline size_t chunk_len(size_t from)
{
    return RESET_LEN - from < RESET_CHUNK ? RESET_LEN - from : RESET_CHUNK;
}

/*
 * Resets every field but ts_ns.  The clearing is split into memsets of at
 * most 64 bytes: compilers turn those into a few vector stores, while one
 * 160-byte memset became `rep stosq`, whose start-up cost was a third of
 * the whole decode time of a TCP frame.  The sizes are constants, so the
 * conditions fold away.
 */
static void reset_packet(struct nm_packet *pkt, uint32_t cap_len, uint32_t wire_len)
{
    unsigned char *p = (unsigned char *)pkt;
    int64_t ts = pkt->ts_ns;

    memset(p, 0, chunk_len(0));
    if (RESET_LEN > RESET_CHUNK)
        memset(p + RESET_CHUNK, 0, chunk_len(RESET_CHUNK));
    if (RESET_LEN > 2 * RESET_CHUNK)
        memset(p + 2 * RESET_CHUNK, 0, chunk_len(2 * RESET_CHUNK));
    if (RESET_LEN > 3 * RESET_CHUNK)
        memset(p + 3 * RESET_CHUNK, 0, chunk_len(3 * RESET_CHUNK));
    pkt->dns_qname[0] = '\0';
    pkt->ts_ns = ts;
    pkt->cap_len = cap_len;
    pkt->wire_len = wire_len;
}

enum nm_malformed nm_decode(int linktype, const uint8_t *data, uint32_t cap_len,
                            uint32_t wire_len, struct nm_packet *out)
{
    static const uint8_t no_bytes[1];
    struct nm_cursor c;
    enum nm_malformed r;

    /* An empty frame may come as NULL: the cursor's pointer arithmetic,
     * even with offset 0, needs an object (UBSan, fuzz_pipeline). */
    if (data == NULL) {
        data = no_bytes;
        cap_len = 0;
    }
    reset_packet(out, cap_len, wire_len);
    nm_cur_init(&c, data, cap_len, wire_len);
    switch (linktype) {
    case NM_LINKTYPE_ETHERNET:
        r = nm_dec_ether(out, &c);
        break;
    case NM_LINKTYPE_LINUX_SLL:
        r = nm_dec_sll(out, &c, false);
        break;
    case NM_LINKTYPE_LINUX_SLL2:
        r = nm_dec_sll(out, &c, true);
        break;
    case NM_LINKTYPE_NULL:
        r = nm_dec_null(out, &c, false);
        break;
    case NM_LINKTYPE_LOOP:
        r = nm_dec_null(out, &c, true);
        break;
    case NM_LINKTYPE_RAW:
    case NM_DLT_RAW_12:
    case NM_DLT_RAW_14:
        r = nm_dec_raw(out, &c);
        break;
    case NM_LINKTYPE_IPV4:
        r = nm_dec_ipv4(out, &c);
        break;
    case NM_LINKTYPE_IPV6:
        r = nm_dec_ipv6(out, &c);
        break;
    default:
        r = NM_MAL_LINK_UNSUPPORTED;
        break;
    }
    out->malformed = r;
    return r;
}
