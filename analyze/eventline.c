/*
 * eventline.c - see eventline.h for the line formats.
 *
 * Each line is built in a scratch buffer sized for the longest possible
 * line, then copied out whole, so a short caller buffer loses whole lines,
 * never half a line.  The appender is bounded anyway: a wrong size estimate
 * costs a cut line, not memory.
 */
#include "eventline.h"

#include <string.h>

#include "textfmt.h"

/* Longest line: DNS over IPv6 with a fully escaped name, about 1.2 kB. */
#define LINE_MAX_BYTES (NM_FMT_TS_LEN + 2 * (NM_FMT_IPV6_LEN + 8) + 64 + NM_FMT_DNS_NAME_LEN + 32)

struct line {
    char s[LINE_MAX_BYTES];
    size_t n;
};

static void put_str(struct line *l, const char *str)
{
    size_t k = strlen(str);
    if (k > sizeof l->s - l->n)
        k = sizeof l->s - l->n;
    memcpy(l->s + l->n, str, k);
    l->n += k;
}

static void put_uint(struct line *l, uint32_t v)
{
    char tmp[11];
    size_t k = 0;

    do {
        tmp[k++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && k < sizeof tmp - 1);
    while (k > 0 && l->n < sizeof l->s)
        l->s[l->n++] = tmp[--k];
}

/* Starts a line: "TS NAME ". */
static void line_start(struct line *l, const char *ts, const char *name)
{
    l->n = 0;
    put_str(l, ts);
    put_str(l, " ");
    put_str(l, name);
    put_str(l, " ");
}

/* Ends a line: "LEN bytes\n". */
static void line_end(struct line *l, uint32_t wire_len)
{
    put_uint(l, wire_len);
    put_str(l, " bytes\n");
}

/* Bare address, or "-" when the family is unknown. */
static void put_addr(struct line *l, int family, const struct nm_ip *ip)
{
    char a[NM_FMT_IPV6_LEN];

    if (family == 4)
        nm_fmt_ipv4(ip->b, a, sizeof a);
    else if (family == 6)
        nm_fmt_ipv6(ip->b, a, sizeof a);
    else
        memcpy(a, "-", 2);
    put_str(l, a);
}

/* "addr:port", "[addr]:port" for IPv6. */
static void put_endpoint(struct line *l, int family, const struct nm_ip *ip, uint16_t port)
{
    if (family == 6)
        put_str(l, "[");
    put_addr(l, family, ip);
    put_str(l, family == 6 ? "]:" : ":");
    put_uint(l, port);
}

int nm_eventline_ip_family(const struct nm_packet *p)
{
    if (p->layers & NM_L_IPV4)
        return 4;
    if (p->layers & NM_L_IPV6)
        return 6;
    if (p->ip_version == 4 || p->ip_version == 6)
        return p->ip_version;
    return 0;
}

/* Appends the line to the output if it fits (with the final NUL). */
static bool flush_line(const struct line *l, char *buf, size_t len, size_t *used)
{
    if (*used + l->n + 1 > len)
        return false;
    memcpy(buf + *used, l->s, l->n);
    *used += l->n;
    buf[*used] = '\0';
    return true;
}

size_t nm_eventline_format(const struct nm_packet *p, bool utc, char *buf, size_t len)
{
    char ts[NM_FMT_TS_LEN];
    struct line l;
    size_t used = 0;
    int fam = nm_eventline_ip_family(p);
    uint32_t layers = p->layers;

    if (len == 0)
        return 0;
    buf[0] = '\0';
    if ((layers & (NM_L_ETH | NM_L_ARP | NM_L_IPV4 | NM_L_IPV6 | NM_L_TCP | NM_L_UDP |
                   NM_L_ICMP | NM_L_ICMPV6 | NM_L_DNS)) == 0)
        return 0;
    nm_fmt_ts(p->ts_ns, utc, ts, sizeof ts);

    if (layers & NM_L_ETH) {
        char mac[NM_FMT_MAC_LEN];
        line_start(&l, ts, "Ethernet");
        nm_fmt_mac(p->src_mac, mac, sizeof mac);
        put_str(&l, mac);
        put_str(&l, " ");
        nm_fmt_mac(p->dst_mac, mac, sizeof mac);
        put_str(&l, mac);
        put_str(&l, " ");
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    }

    if (layers & (NM_L_ARP | NM_L_IPV4 | NM_L_IPV6)) {
        if (layers & NM_L_ARP) {
            char a[NM_FMT_IPV4_LEN];
            line_start(&l, ts, "ARP");
            nm_fmt_ipv4(p->arp_spa, a, sizeof a);
            put_str(&l, a);
            put_str(&l, " ");
            nm_fmt_ipv4(p->arp_tpa, a, sizeof a);
            put_str(&l, a);
            put_str(&l, " Op: ");
            if (p->arp_op == 1)
                put_str(&l, "request");
            else if (p->arp_op == 2)
                put_str(&l, "reply");
            else
                put_uint(&l, p->arp_op);
            put_str(&l, " ");
        } else {
            line_start(&l, ts, (layers & NM_L_IPV4) ? "IP" : "IPv6");
            put_addr(&l, fam, &p->src_ip);
            put_str(&l, " ");
            put_addr(&l, fam, &p->dst_ip);
            put_str(&l, " ");
        }
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    }

    if (layers & (NM_L_TCP | NM_L_UDP)) {
        line_start(&l, ts, (layers & NM_L_TCP) ? "TCP" : "UDP");
        put_endpoint(&l, fam, &p->src_ip, p->src_port);
        put_str(&l, " ");
        put_endpoint(&l, fam, &p->dst_ip, p->dst_port);
        put_str(&l, " ");
        if (layers & NM_L_TCP) {
            char flags[NM_FMT_TCP_FLAGS_LEN];
            nm_fmt_tcp_flags(p->tcp_flags, flags, sizeof flags);
            put_str(&l, "Flags: ");
            put_str(&l, flags);
            put_str(&l, " ");
        }
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    } else if (layers & (NM_L_ICMP | NM_L_ICMPV6)) {
        line_start(&l, ts, (layers & NM_L_ICMP) ? "ICMP" : "ICMPv6");
        put_addr(&l, fam, &p->src_ip);
        put_str(&l, " ");
        put_addr(&l, fam, &p->dst_ip);
        put_str(&l, " Type: ");
        put_uint(&l, p->icmp_type);
        put_str(&l, " Code: ");
        put_uint(&l, p->icmp_code);
        put_str(&l, " ");
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    }

    if (layers & NM_L_DNS) {
        char name[NM_FMT_DNS_NAME_LEN];
        line_start(&l, ts, "DNS");
        put_endpoint(&l, fam, &p->src_ip, p->src_port);
        put_str(&l, " ");
        put_endpoint(&l, fam, &p->dst_ip, p->dst_port);
        put_str(&l, NM_DNS_QR(p->dns_flags) ? " Response Id: " : " Query Id: ");
        put_uint(&l, p->dns_id);
        put_str(&l, " Name: ");
        if (nm_fmt_dns_name(p->dns_qname, name, sizeof name) == 0)
            memcpy(name, "-", 2);
        put_str(&l, name);
        put_str(&l, " ");
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    }
    return used;
}
