/*
 * decode_int.h - how the per-protocol decoders call each other.  Private to
 * capture/decode/; the rest of netmon sees only decode.h.
 *
 * Every decoder receives the packet being filled and a cursor whose window is
 * exactly its own layer (captured part readable, reported part = what the
 * enclosing header claims).  It sets its layer bit as soon as it is entered,
 * as tshark counts a layer whose dissector ran even when its header turns out
 * truncated, fills its fields, and returns the first malformation it finds
 * (NM_MAL_NONE otherwise).  It returns at once on a malformation: layers
 * above are then not decoded.
 */
#ifndef NM_DECODE_INT_H
#define NM_DECODE_INT_H

#include "cursor.h"
#include "decode.h"

/* link layers (ether.c, sll.c, null.c, raw.c) */
enum nm_malformed nm_dec_ether(struct nm_packet *pkt, struct nm_cursor *c);
enum nm_malformed nm_dec_sll(struct nm_packet *pkt, struct nm_cursor *c, bool v2);
enum nm_malformed nm_dec_null(struct nm_packet *pkt, struct nm_cursor *c, bool loop);
enum nm_malformed nm_dec_raw(struct nm_packet *pkt, struct nm_cursor *c);

/* VLAN tags (vlan.c): `tpid` was just read; the cursor is at the tag. */
enum nm_malformed nm_dec_vlan(struct nm_packet *pkt, uint16_t tpid, struct nm_cursor *c);

/* Dispatch on an Ethertype (decode.c): ARP, RARP, IPv4, IPv6 and the VLAN
 * TPIDs; anything else ends decoding without a malformation.  The cursor is
 * positioned just after the type field.  Callers handle 802.3 lengths
 * (type <= NM_ETH_MAX_LEN) themselves. */
enum nm_malformed nm_dec_ethertype(struct nm_packet *pkt, uint16_t type, struct nm_cursor *c);

/* network layers */
enum nm_malformed nm_dec_arp(struct nm_packet *pkt, struct nm_cursor *c);
enum nm_malformed nm_dec_ipv4(struct nm_packet *pkt, struct nm_cursor *c);
enum nm_malformed nm_dec_ipv6(struct nm_packet *pkt, struct nm_cursor *c);

/* Dispatch on an IP protocol number (decode.c); the cursor is the IP
 * payload.  `first_frag` is false for non-first fragments, which carry no
 * transport header. */
enum nm_malformed nm_dec_ipproto(struct nm_packet *pkt, uint8_t proto, struct nm_cursor *c,
                                 bool first_frag);

/* transport layers */
enum nm_malformed nm_dec_tcp(struct nm_packet *pkt, struct nm_cursor *c);
enum nm_malformed nm_dec_udp(struct nm_packet *pkt, struct nm_cursor *c);
enum nm_malformed nm_dec_icmp(struct nm_packet *pkt, struct nm_cursor *c);
enum nm_malformed nm_dec_icmpv6(struct nm_packet *pkt, struct nm_cursor *c);

/* DNS message (dns.c): the window is one DNS message (over TCP: after the
 * two-byte length prefix). */
enum nm_malformed nm_dec_dns(struct nm_packet *pkt, struct nm_cursor *c);

/* Well-known numbers shared by several files. */
#define NM_ETHERTYPE_IPV4   0x0800
#define NM_ETHERTYPE_ARP    0x0806
#define NM_ETHERTYPE_RARP   0x8035
#define NM_ETHERTYPE_VLAN   0x8100
#define NM_ETHERTYPE_QINQ   0x9100  /* pre-standard QinQ outer tag, counted as 802.1Q */
#define NM_ETHERTYPE_8021AD 0x88a8
#define NM_ETHERTYPE_IPV6   0x86dd

#define NM_IPPROTO_HOPOPTS  0
#define NM_IPPROTO_ICMP     1
#define NM_IPPROTO_IPIP     4
#define NM_IPPROTO_TCP      6
#define NM_IPPROTO_UDP      17
#define NM_IPPROTO_IPV6     41
#define NM_IPPROTO_ROUTING  43
#define NM_IPPROTO_FRAGMENT 44
#define NM_IPPROTO_GRE      47
#define NM_IPPROTO_ESP      50
#define NM_IPPROTO_AH       51
#define NM_IPPROTO_ICMPV6   58
#define NM_IPPROTO_NONE     59
#define NM_IPPROTO_DSTOPTS  60
#define NM_IPPROTO_MOBILITY 135

#define NM_PORT_DNS         53

/* Type/length fields up to this value are 802.3 lengths, not Ethertypes. */
#define NM_ETH_MAX_LEN      1500

#endif /* NM_DECODE_INT_H */
