/*
 * test_flow_helpers.h - hand-made packets and a recording sink for the
 * analysis engine's unit tests (test_flow.c, test_engine.c).
 */
#ifndef NM_TEST_FLOW_HELPERS_H
#define NM_TEST_FLOW_HELPERS_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../../analyze/engine.h"

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)
/* A round base time (2024-03-12 09:00:00 UTC) so seconds are easy to read. */
#define T0 (INT64_C(1710234000) * SEC)

#define REC_MAX 4096

/* Records received through the sink, in order. */
struct rec_log {
    struct nm_flow_rec flows[REC_MAX];
    struct nm_addr_rec addrs[REC_MAX];
    struct nm_second_rec secs[REC_MAX];
    unsigned nflows, naddrs, nsecs;
    unsigned long long flows_total, addrs_total, secs_total; /* also past REC_MAX */
};

static void log_flow(void *ctx, const struct nm_flow_rec *r)
{
    struct rec_log *l = ctx;
    if (l->nflows < REC_MAX)
        l->flows[l->nflows++] = *r;
    l->flows_total++;
}

static void log_addr(void *ctx, const struct nm_addr_rec *r)
{
    struct rec_log *l = ctx;
    if (l->naddrs < REC_MAX)
        l->addrs[l->naddrs++] = *r;
    l->addrs_total++;
}

static void log_sec(void *ctx, const struct nm_second_rec *r)
{
    struct rec_log *l = ctx;
    if (l->nsecs < REC_MAX)
        l->secs[l->nsecs++] = *r;
    l->secs_total++;
}

static inline struct rec_log *rec_log_new(void)
{
    return calloc(1, sizeof(struct rec_log));
}

static inline struct nm_sink rec_sink(struct rec_log *l)
{
    struct nm_sink s = { .ctx = l, .flow = log_flow, .address = log_addr, .second = log_sec };
    return s;
}

/* Last record of flow `id` (NULL if none). */
static inline const struct nm_flow_rec *find_flow(const struct rec_log *l, uint64_t id)
{
    for (unsigned i = l->nflows; i-- > 0;)
        if (l->flows[i].flow_id == id)
            return &l->flows[i];
    return NULL;
}

static inline struct nm_engine *new_engine(struct rec_log *l, uint32_t max_flows,
                                           uint32_t max_addrs)
{
    struct nm_engine_config cfg;
    nm_engine_config_default(&cfg);
    if (max_flows)
        cfg.max_flows = max_flows;
    if (max_addrs)
        cfg.max_addresses = max_addrs;
    cfg.hash_seed = 12345;
    struct nm_sink s = rec_sink(l);
    return nm_engine_new(&cfg, &s);
}

static inline struct nm_ip ip_of(const char *text)
{
    struct nm_ip ip;
    memset(&ip, 0, sizeof ip);
    if (strchr(text, ':'))
        inet_pton(AF_INET6, text, ip.b);
    else
        inet_pton(AF_INET, text, ip.b);
    return ip;
}

/* An Ethernet + IPv4/IPv6 frame skeleton: MACs derived from the last
 * address byte so each host has its own. */
static inline struct nm_packet ip_packet(const char *src, const char *dst, int64_t ts,
                                         uint32_t wire_len)
{
    struct nm_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = ts;
    p.wire_len = p.cap_len = wire_len;
    bool v6 = strchr(src, ':') != NULL;
    p.layers = NM_L_ETH | (v6 ? NM_L_IPV6 : NM_L_IPV4);
    p.ethertype = v6 ? 0x86dd : 0x0800;
    p.ip_version = v6 ? 6 : 4;
    p.ttl = 64;
    p.src_ip = ip_of(src);
    p.dst_ip = ip_of(dst);
    uint8_t s_last = p.src_ip.b[v6 ? 15 : 3], d_last = p.dst_ip.b[v6 ? 15 : 3];
    uint8_t smac[6] = { 0x02, 0, 0, 0, 0, s_last }, dmac[6] = { 0x02, 0, 0, 0, 0, d_last };
    memcpy(p.src_mac, smac, 6);
    memcpy(p.dst_mac, dmac, 6);
    return p;
}

static inline struct nm_packet tcp_pkt(const char *src, uint16_t sport, const char *dst,
                                       uint16_t dport, int64_t ts, uint16_t flags, uint32_t seq,
                                       uint32_t ack, uint32_t len)
{
    bool v6 = strchr(src, ':') != NULL;
    struct nm_packet p = ip_packet(src, dst, ts, (v6 ? 74u : 54u) + len);
    p.layers |= NM_L_TCP;
    p.ip_proto = 6;
    p.src_port = sport;
    p.dst_port = dport;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_win = 65535;
    p.l4_payload_len = len;
    return p;
}

static inline struct nm_packet udp_pkt(const char *src, uint16_t sport, const char *dst,
                                       uint16_t dport, int64_t ts, uint32_t len)
{
    bool v6 = strchr(src, ':') != NULL;
    struct nm_packet p = ip_packet(src, dst, ts, (v6 ? 62u : 42u) + len);
    p.layers |= NM_L_UDP;
    p.ip_proto = 17;
    p.src_port = sport;
    p.dst_port = dport;
    p.l4_payload_len = len;
    return p;
}

static inline struct nm_packet icmp_pkt(const char *src, const char *dst, int64_t ts,
                                        uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
    bool v6 = strchr(src, ':') != NULL;
    struct nm_packet p = ip_packet(src, dst, ts, v6 ? 118u : 98u);
    p.layers |= v6 ? NM_L_ICMPV6 : NM_L_ICMP;
    p.ip_proto = v6 ? 58 : 1;
    p.icmp_type = type;
    p.icmp_code = code;
    p.icmp_id = id;
    p.icmp_seq = seq;
    return p;
}

static inline struct nm_packet arp_pkt(int64_t ts)
{
    struct nm_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = ts;
    p.wire_len = p.cap_len = 60;
    p.layers = NM_L_ETH | NM_L_ARP;
    p.ethertype = 0x0806;
    uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0xaa }, bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    memcpy(p.src_mac, smac, 6);
    memcpy(p.dst_mac, bcast, 6);
    p.arp_op = 1;
    return p;
}

/* Feed one packet and return its verdict. */
static inline struct nm_verdict feed(struct nm_engine *e, const struct nm_packet *p)
{
    struct nm_verdict v;
    nm_engine_packet(e, p, &v);
    return v;
}

#endif /* NM_TEST_FLOW_HELPERS_H */
