/*
 * decode.h - the contract between the packet decoders and the rest of netmon.
 *
 * nm_decode() turns one captured frame into a struct nm_packet.  It is pure:
 * no I/O, no malloc, no global state.  Packet bytes are hostile: every read
 * goes through the bounds-checked cursor in cursor.h, and each layer gets a
 * window of min(length its header claims, bytes captured).
 *
 * What is decoded: only the OUTERMOST protocol stack of a frame.
 *  - Tunnels (IP-in-IP, 6in4, GRE, ...): the outer IP header is decoded and
 *    counted; the inner packet is not (layer bit NM_L_TUNNEL is set).
 *  - ICMP/ICMPv6 errors: the ICMP header is decoded; the quoted IP/transport
 *    headers inside it are NOT counted as IP/TCP/UDP/DNS (NM_L_ICMP_QUOTE set).
 * This matches the oracle's "layers_outer" definition.
 */
#ifndef NM_DECODE_H
#define NM_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* Link types we decode (values are LINKTYPE_* / DLT_* numbers). */
#define NM_LINKTYPE_NULL       0    /* BSD loopback, host-order AF in 4 bytes */
#define NM_LINKTYPE_ETHERNET   1
#define NM_LINKTYPE_RAW        101  /* raw IPv4 or IPv6 */
#define NM_LINKTYPE_LOOP       108  /* OpenBSD loopback, network-order AF */
#define NM_LINKTYPE_LINUX_SLL  113
#define NM_LINKTYPE_IPV4       228
#define NM_LINKTYPE_IPV6       229
#define NM_LINKTYPE_LINUX_SLL2 276
/* DLT_RAW is 12 (or 14 on some BSDs) inside libpcap; pcap_datalink() may
 * report those for a LINKTYPE_RAW file, so the decoder accepts them too. */
#define NM_DLT_RAW_12          12
#define NM_DLT_RAW_14          14

/* true if nm_decode() knows this link type. */
bool nm_decode_linktype_supported(int linktype);

/* Ceilings on loops over packet data (STYLE.md habit 7). */
#define NM_MAX_VLAN_TAGS   8   /* deeper stacks: vlan.too_many_tags */
#define NM_MAX_IPV6_EXT    16  /* extension headers walked per packet */
#define NM_DNS_NAME_MAX    255 /* bytes of presentation text kept (NUL excluded) */
#define NM_DNS_MAX_JUMPS   16  /* compression pointers followed */

/* Layer bits: which layers a frame contains (a frame counts once per layer). */
enum nm_layer_bit {
    NM_L_ETH        = 1u << 0,  /* Ethernet II / 802.3 header */
    NM_L_VLAN       = 1u << 1,  /* at least one 802.1Q tag (TPID 0x8100 or 0x9100) */
    NM_L_8021AD     = 1u << 2,  /* at least one 802.1ad S-tag (TPID 0x88a8) */
    NM_L_SLL        = 1u << 3,  /* Linux cooked v1 or v2 */
    NM_L_NULL       = 1u << 4,  /* BSD NULL / LOOP */
    NM_L_RAW        = 1u << 5,  /* LINKTYPE_RAW pseudo layer (not 228/229) */
    NM_L_ARP        = 1u << 6,  /* ARP or RARP */
    NM_L_IPV4       = 1u << 7,
    NM_L_IPV6       = 1u << 8,
    NM_L_TCP        = 1u << 9,
    NM_L_UDP        = 1u << 10,
    NM_L_ICMP       = 1u << 11,
    NM_L_ICMPV6     = 1u << 12,
    NM_L_DNS        = 1u << 13, /* classic DNS on port 53 (not mDNS/LLMNR) */
    NM_L_FRAG       = 1u << 14, /* IPv4 or IPv6 fragment (incl. atomic fragments) */
    NM_L_TUNNEL     = 1u << 15, /* IP payload is another IP packet / GRE: not decoded */
    NM_L_ICMP_QUOTE = 1u << 16, /* ICMP error quoting a header: quote not decoded */
};

/* TCP flag bits as on the wire (byte 13), plus NS from byte 12. */
#define NM_TCP_FIN 0x01
#define NM_TCP_SYN 0x02
#define NM_TCP_RST 0x04
#define NM_TCP_PSH 0x08
#define NM_TCP_ACK 0x10
#define NM_TCP_URG 0x20
#define NM_TCP_ECE 0x40
#define NM_TCP_CWR 0x80
#define NM_TCP_NS  0x100

/*
 * Why a frame is malformed.  The first problem found wins; decoding stops at
 * the layer that has it, layers already decoded keep their values.  Names
 * (nm_malformed_name) are stable: they are stored in the database.
 * "*.truncated" means the header did not fit in the bytes captured; if the
 * frame was cut by the snap length (wire_len > cap_len) that is a short
 * capture rather than corruption, which a user can tell from the row.
 */
enum nm_malformed {
    NM_MAL_NONE = 0,
    NM_MAL_LINK_UNSUPPORTED,     /* "link.unsupported" */
    NM_MAL_ETH_TRUNCATED,        /* "eth.truncated" */
    NM_MAL_VLAN_TRUNCATED,       /* "vlan.truncated" */
    NM_MAL_VLAN_TOO_MANY_TAGS,   /* "vlan.too_many_tags" */
    NM_MAL_SLL_TRUNCATED,        /* "sll.truncated" */
    NM_MAL_NULL_TRUNCATED,       /* "null.truncated" */
    NM_MAL_RAW_BAD_VERSION,      /* "raw.bad_version" */
    NM_MAL_ARP_TRUNCATED,        /* "arp.truncated" */
    NM_MAL_IPV4_TRUNCATED,       /* "ipv4.truncated" */
    NM_MAL_IPV4_BAD_VERSION,     /* "ipv4.bad_version" */
    NM_MAL_IPV4_HLEN_TOO_SMALL,  /* "ipv4.hlen_too_small" */
    NM_MAL_IPV4_TOTLEN_TOO_SMALL,/* "ipv4.total_len_too_small": total < header */
    NM_MAL_IPV4_TOTLEN_TOO_BIG,  /* "ipv4.total_len_exceeds_frame": > wire bytes */
    NM_MAL_IPV6_TRUNCATED,       /* "ipv6.truncated" */
    NM_MAL_IPV6_BAD_VERSION,     /* "ipv6.bad_version" */
    NM_MAL_IPV6_PLEN_TOO_BIG,    /* "ipv6.payload_len_exceeds_frame" */
    NM_MAL_IPV6_EXT_TRUNCATED,   /* "ipv6.ext_truncated" */
    NM_MAL_IPV6_TOO_MANY_EXT,    /* "ipv6.too_many_ext" */
    NM_MAL_TCP_TRUNCATED,        /* "tcp.truncated" */
    NM_MAL_TCP_HLEN_TOO_SMALL,   /* "tcp.hlen_too_small" */
    NM_MAL_TCP_HLEN_TOO_BIG,     /* "tcp.hlen_exceeds_segment" */
    NM_MAL_UDP_TRUNCATED,        /* "udp.truncated" */
    NM_MAL_UDP_LEN_TOO_SMALL,    /* "udp.len_too_small" */
    NM_MAL_UDP_LEN_TOO_BIG,      /* "udp.len_exceeds_ip" */
    NM_MAL_ICMP_TRUNCATED,       /* "icmp.truncated" */
    NM_MAL_ICMPV6_TRUNCATED,     /* "icmpv6.truncated" */
    NM_MAL_DNS_TRUNCATED,        /* "dns.truncated" */
    NM_MAL_DNS_BAD_LABEL,        /* "dns.bad_label" */
    NM_MAL_DNS_NAME_TOO_LONG,    /* "dns.name_too_long" */
    NM_MAL_DNS_POINTER_LOOP,     /* "dns.pointer_loop" */
    NM_MAL_COUNT
};

/* Stable text name of a reason, e.g. "ipv4.hlen_too_small"; "" for NONE. */
const char *nm_malformed_name(enum nm_malformed reason);

/* Packet times are kept within +-(2^62 - 1) ns of the epoch (1823-11-12 to
 * 2116-02-20; capture/source.c pins a file's time beyond to the limit), so
 * that the difference of two times, and a time plus a timeout, never
 * overflow; the database's readers pin what they read to it too
 * (nm_db_col_time_ns(), nm_db_col_second()). */
#define NM_TS_LIMIT_NS ((INT64_C(1) << 62) - 1)

/* An IPv4 address uses the first 4 bytes; the rest are zero. */
struct nm_ip {
    uint8_t b[16];
};

struct nm_packet {
    /* frame */
    int64_t ts_ns;          /* capture timestamp, ns since the epoch (set by caller;
                               within +-NM_TS_LIMIT_NS) */
    uint32_t wire_len;      /* original length on the wire */
    uint32_t cap_len;       /* bytes captured */
    uint32_t layers;        /* enum nm_layer_bit set */
    enum nm_malformed malformed;

    /* link */
    uint8_t src_mac[6], dst_mac[6];   /* valid when layers & NM_L_ETH */
    uint16_t vlan_ids[NM_MAX_VLAN_TAGS];  /* outermost first, 12-bit VID */
    uint8_t vlan_count;
    uint16_t ethertype;     /* after all tags (or SLL protocol); 0 if none */

    /* network */
    uint8_t ip_version;     /* 0, 4 or 6 (outer header); set with src_ip/dst_ip, so 0
                               when the header broke before its addresses */
    uint8_t ip_proto;       /* transport protocol (after IPv6 ext headers) */
    uint8_t ttl;            /* TTL or hop limit */
    struct nm_ip src_ip, dst_ip;
    uint16_t frag_offset;   /* in bytes; IPv4 or IPv6 fragment header */
    bool more_frags;        /* MF flag / M bit */

    /* ARP (Ethernet/IPv4 form only; other hardware types keep op only) */
    uint16_t arp_op;
    uint8_t arp_sha[6], arp_tha[6];
    uint8_t arp_spa[4], arp_tpa[4];

    /* transport */
    uint16_t src_port, dst_port;      /* TCP/UDP; 0 otherwise */
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint16_t tcp_flags;               /* NM_TCP_* */
    uint32_t l4_payload_len;          /* TCP segment / UDP payload bytes per the headers */
    uint8_t icmp_type, icmp_code;     /* ICMP or ICMPv6 */
    uint16_t icmp_id, icmp_seq;       /* echo request/reply only */

    /* DNS header (layers & NM_L_DNS) */
    uint16_t dns_id;
    uint16_t dns_flags;               /* raw flags word: QR, opcode, AA, TC, RD, RA, rcode */
    uint16_t dns_qdcount, dns_ancount, dns_nscount, dns_arcount;
    uint16_t dns_qtype;               /* of the first question, 0 if none */
    char dns_qname[NM_DNS_NAME_MAX + 1]; /* first question, presentation form, NUL-terminated;
                                            bytes after the NUL are not reset */
};

#define NM_DNS_QR(flags)     (((flags) >> 15) & 1u)
#define NM_DNS_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define NM_DNS_RCODE(flags)  ((flags) & 0xfu)

/* Whether the frame's MAC addresses were read: an Ethernet header cut
 * short counts as Ethernet (tshark does) but has no addresses. */
static inline bool nm_packet_has_macs(const struct nm_packet *p)
{
    return (p->layers & NM_L_ETH) && p->malformed != NM_MAL_ETH_TRUNCATED;
}

/* Whether src_ip/dst_ip hold addresses: the decoder sets ip_version only
 * once it has read them, so an IP header broken before them has none. */
static inline bool nm_packet_has_ip_addrs(const struct nm_packet *p)
{
    return p->ip_version == 4 || p->ip_version == 6;
}

/*
 * Decode one frame of link type `linktype` from data[0..cap_len) (data
 * may be NULL, taken as no captured byte at all).  Fills *out entirely (all
 * fields reset first, dns_qname to ""); ts_ns must be set by the caller
 * afterwards (or before: it is preserved).  A DNS name is in dig's text
 * form without the final dot ("." for the root).  Never reads outside
 * data[0..cap_len).  Returns out->malformed (NM_MAL_NONE when the frame is
 * well formed).  An unsupported link type gives NM_MAL_LINK_UNSUPPORTED.
 */
enum nm_malformed nm_decode(int linktype, const uint8_t *data, uint32_t cap_len,
                            uint32_t wire_len, struct nm_packet *out);

#endif /* NM_DECODE_H */
