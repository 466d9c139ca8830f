/*
 * eventline.h - the event log: one text line per decoded layer of a packet.
 *
 * The database view `event_log` (schema/schema.sql) rebuilds exactly these
 * lines from the `packets` table; tests/unit/test_eventline.c holds the two
 * to the same output.  Change both together.
 *
 * Lines of one packet, in this order, each only if its layer was decoded
 * (TS = "YYYY-MM-DD HH:MM:SS.uuuuuu", LEN = frame length on the wire):
 *
 *   1 link       TS Ethernet SRCMAC DSTMAC LEN bytes                 (layers & NM_L_ETH)
 *   2 network    TS ARP SENDER_IP TARGET_IP Op: request|reply|N LEN bytes   (NM_L_ARP)
 *             or TS IP SRC DST LEN bytes                              (NM_L_IPV4)
 *             or TS IPv6 SRC DST LEN bytes                            (NM_L_IPV6)
 *   3 transport  TS TCP SRC:SPORT DST:DPORT Flags: FLAGS LEN bytes     (NM_L_TCP)
 *             or TS UDP SRC:SPORT DST:DPORT LEN bytes                 (NM_L_UDP)
 *             or TS ICMP SRC DST Type: T Code: C LEN bytes            (NM_L_ICMP)
 *             or TS ICMPv6 SRC DST Type: T Code: C LEN bytes          (NM_L_ICMPV6)
 *   4 DNS        TS DNS SRC:SPORT DST:DPORT Query|Response Id: ID Name: NAME LEN bytes
 *
 * With IPv6, "SRC:SPORT" is written "[SRC]:SPORT".  FLAGS are scapy's
 * letters (nm_fmt_tcp_flags), "-" when no flag is set.  NAME is the first
 * question's name escaped by nm_fmt_dns_name, "-" when there is none.  So
 * every field is one whitespace-free word and lines of one kind always have
 * the same number of fields (awk-friendly).  Layers without a line of their
 * own (VLAN tags, Linux cooked, loopback) add none; a frame where nothing
 * above was decoded produces no line at all.
 */
#ifndef NM_EVENTLINE_H
#define NM_EVENTLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "../capture/decode/decode.h"

/* Enough for all lines of any packet: four lines, the DNS one with a fully
 * escaped 255-byte name (1020 bytes) is the longest at about 1.2 kB. */
#define NM_EVENTLINE_MAX 2048

/*
 * Writes every line of packet `p` ('\n' after each) into buf and a NUL
 * after them; returns the number of bytes written (NUL excluded), 0 if the
 * packet has no line.  Times in UTC if `utc`, else in local time (TZ).  A
 * line that does not fit in `len` is left out with all lines after it;
 * with len >= NM_EVENTLINE_MAX everything fits.
 */
size_t nm_eventline_format(const struct nm_packet *p, bool utc, char *buf, size_t len);

/*
 * Address family (4, 6 or 0) used for the IP addresses of p's lines: the
 * IPv4 or IPv6 layer bit if set, else p->ip_version.  schema/db.c stores
 * packets.src_ip/dst_ip with the same rule so the view agrees.
 */
int nm_eventline_ip_family(const struct nm_packet *p);

#endif /* NM_EVENTLINE_H */
