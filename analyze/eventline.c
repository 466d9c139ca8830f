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

/* A field formatted once per packet and written into several of its
 * lines: the time on each, the addresses on the IP and transport lines. */
struct text {
    char s[NM_FMT_IPV6_LEN > NM_FMT_TS_LEN ? NM_FMT_IPV6_LEN : NM_FMT_TS_LEN];
    size_t n;
};

static void put_mem(struct line *l, const char *str, size_t k)
{
    if (k > sizeof l->s - l->n)
        k = sizeof l->s - l->n;
    memcpy(l->s + l->n, str, k);
    l->n += k;
}

/* A string literal, its length known when compiling. */
#define PUT_LIT(l, lit) put_mem((l), "" lit, sizeof(lit) - 1)

static void put_text(struct line *l, const struct text *t)
{
    put_mem(l, t->s, t->n);
}

static void put_str(struct line *l, const char *str)
{
    put_mem(l, str, strlen(str));
}

static void put_uint(struct line *l, uint32_t v)
{
    char tmp[10];  /* UINT32_MAX has ten digits */
    char *end = tmp + sizeof tmp, *p = end;

    do {
        *--p = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    put_mem(l, p, (size_t)(end - p));
}

/* Starts a line: "TS NAME ". */
static void line_start(struct line *l, const struct text *ts, const char *name)
{
    l->n = 0;
    put_text(l, ts);
    PUT_LIT(l, " ");
    put_str(l, name);
    PUT_LIT(l, " ");
}

/* Ends a line: "LEN bytes\n". */
static void line_end(struct line *l, uint32_t wire_len)
{
    put_uint(l, wire_len);
    PUT_LIT(l, " bytes\n");
}

/* Bare address, or "-" when the family is unknown. */
static void format_addr(struct text *t, int family, const struct nm_ip *ip)
{
    if (family == 4)
        t->n = nm_fmt_ipv4(ip->b, t->s, sizeof t->s);
    else if (family == 6)
        t->n = nm_fmt_ipv6(ip->b, t->s, sizeof t->s);
    else {
        t->s[0] = '-';
        t->n = 1;
    }
}

/* "addr:port", "[addr]:port" for IPv6. */
static void put_endpoint(struct line *l, int family, const struct text *addr, uint16_t port)
{
    if (family == 6)
        PUT_LIT(l, "[");
    put_text(l, addr);
    if (family == 6)
        PUT_LIT(l, "]:");
    else
        PUT_LIT(l, ":");
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
    struct text ts, src, dst;
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
    ts.n = nm_fmt_ts(p->ts_ns, utc, ts.s, sizeof ts.s);
    format_addr(&src, fam, &p->src_ip);  /* "-" at once without an IP family */
    format_addr(&dst, fam, &p->dst_ip);

    if (layers & NM_L_ETH) {
        char mac[NM_FMT_MAC_LEN];
        line_start(&l, &ts, "Ethernet");
        put_mem(&l, mac, nm_fmt_mac(p->src_mac, mac, sizeof mac));
        PUT_LIT(&l, " ");
        put_mem(&l, mac, nm_fmt_mac(p->dst_mac, mac, sizeof mac));
        PUT_LIT(&l, " ");
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    }

    if (layers & (NM_L_ARP | NM_L_IPV4 | NM_L_IPV6)) {
        if (layers & NM_L_ARP) {
            char a[NM_FMT_IPV4_LEN];
            line_start(&l, &ts, "ARP");
            put_mem(&l, a, nm_fmt_ipv4(p->arp_spa, a, sizeof a));
            PUT_LIT(&l, " ");
            put_mem(&l, a, nm_fmt_ipv4(p->arp_tpa, a, sizeof a));
            PUT_LIT(&l, " Op: ");
            if (p->arp_op == 1)
                PUT_LIT(&l, "request");
            else if (p->arp_op == 2)
                PUT_LIT(&l, "reply");
            else
                put_uint(&l, p->arp_op);
            PUT_LIT(&l, " ");
        } else {
            line_start(&l, &ts, (layers & NM_L_IPV4) ? "IP" : "IPv6");
            put_text(&l, &src);
            PUT_LIT(&l, " ");
            put_text(&l, &dst);
            PUT_LIT(&l, " ");
        }
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    }

    if (layers & (NM_L_TCP | NM_L_UDP)) {
        line_start(&l, &ts, (layers & NM_L_TCP) ? "TCP" : "UDP");
        put_endpoint(&l, fam, &src, p->src_port);
        PUT_LIT(&l, " ");
        put_endpoint(&l, fam, &dst, p->dst_port);
        PUT_LIT(&l, " ");
        if (layers & NM_L_TCP) {
            char flags[NM_FMT_TCP_FLAGS_LEN];
            PUT_LIT(&l, "Flags: ");
            put_mem(&l, flags, nm_fmt_tcp_flags(p->tcp_flags, flags, sizeof flags));
            PUT_LIT(&l, " ");
        }
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    } else if (layers & (NM_L_ICMP | NM_L_ICMPV6)) {
        line_start(&l, &ts, (layers & NM_L_ICMP) ? "ICMP" : "ICMPv6");
        put_text(&l, &src);
        PUT_LIT(&l, " ");
        put_text(&l, &dst);
        PUT_LIT(&l, " Type: ");
        put_uint(&l, p->icmp_type);
        PUT_LIT(&l, " Code: ");
        put_uint(&l, p->icmp_code);
        PUT_LIT(&l, " ");
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    }

    if (layers & NM_L_DNS) {
        char name[NM_FMT_DNS_NAME_LEN];
        line_start(&l, &ts, "DNS");
        put_endpoint(&l, fam, &src, p->src_port);
        PUT_LIT(&l, " ");
        put_endpoint(&l, fam, &dst, p->dst_port);
        if (NM_DNS_QR(p->dns_flags))
            PUT_LIT(&l, " Response Id: ");
        else
            PUT_LIT(&l, " Query Id: ");
        put_uint(&l, p->dns_id);
        PUT_LIT(&l, " Name: ");
        size_t k = nm_fmt_dns_name(p->dns_qname, name, sizeof name);
        if (k == 0)
            PUT_LIT(&l, "-");
        else
            put_mem(&l, name, k);
        PUT_LIT(&l, " ");
        line_end(&l, p->wire_len);
        if (!flush_line(&l, buf, len, &used))
            return used;
    }
    return used;
}
