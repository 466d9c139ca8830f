/*
 * engine.c - the analysis engine (engine.h): per packet, the totals, the
 * per-second counters (counters.c), the flow table (flow.c) and the address
 * cache (addr.c).  Metric definitions are in stats.h.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "counters.h"
#include "flow.h"
#include "stats.h"
#include "tcp.h"

#define NS_PER_S INT64_C(1000000000)

/* Defaults (engine.h documents them; stats.h explains the timeouts). */
#define DEFAULT_MAX_FLOWS 262144u
#define DEFAULT_MAX_ADDRESSES 262144u
#define DEFAULT_TCP_IDLE_NS (300 * NS_PER_S)
#define DEFAULT_TCP_CLOSED_NS (5 * NS_PER_S)
#define DEFAULT_UDP_IDLE_NS (60 * NS_PER_S)
#define DEFAULT_ICMP_IDLE_NS (60 * NS_PER_S)
#define DEFAULT_OTHER_IDLE_NS (60 * NS_PER_S)

struct nm_engine {
    struct nm_sink sink;
    struct nm_engine_totals totals;
    struct nm_counters sec;
    struct nm_flow_table *flows;
    struct nm_addr_cache *addrs;
};

void nm_engine_config_default(struct nm_engine_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_flows = DEFAULT_MAX_FLOWS;
    cfg->max_addresses = DEFAULT_MAX_ADDRESSES;
    cfg->tcp_idle_ns = DEFAULT_TCP_IDLE_NS;
    cfg->tcp_closed_ns = DEFAULT_TCP_CLOSED_NS;
    cfg->udp_idle_ns = DEFAULT_UDP_IDLE_NS;
    cfg->icmp_idle_ns = DEFAULT_ICMP_IDLE_NS;
    cfg->other_idle_ns = DEFAULT_OTHER_IDLE_NS;
    cfg->hash_seed = 0;
}

struct nm_engine *nm_engine_new(const struct nm_engine_config *cfg_in, const struct nm_sink *sink)
{
    /* Zero (or negative) fields mean "the default", so a caller may start
     * from a zeroed config; no config at all means every default. */
    struct nm_engine_config def;
    nm_engine_config_default(&def);
    struct nm_engine_config cfg = cfg_in ? *cfg_in : def;
    if (cfg.max_flows == 0 || cfg.max_flows == UINT32_MAX)
        cfg.max_flows = cfg.max_flows ? UINT32_MAX - 1 : def.max_flows;
    if (cfg.max_addresses == 0 || cfg.max_addresses == UINT32_MAX)
        cfg.max_addresses = cfg.max_addresses ? UINT32_MAX - 1 : def.max_addresses;
    if (cfg.tcp_idle_ns <= 0)
        cfg.tcp_idle_ns = def.tcp_idle_ns;
    if (cfg.tcp_closed_ns <= 0)
        cfg.tcp_closed_ns = def.tcp_closed_ns;
    if (cfg.udp_idle_ns <= 0)
        cfg.udp_idle_ns = def.udp_idle_ns;
    if (cfg.icmp_idle_ns <= 0)
        cfg.icmp_idle_ns = def.icmp_idle_ns;
    if (cfg.other_idle_ns <= 0)
        cfg.other_idle_ns = def.other_idle_ns;

    struct nm_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (sink)
        e->sink = *sink;
    nm_counters_init(&e->sec);
    e->addrs = nm_addr_cache_new(cfg.max_addresses, cfg.hash_seed, &e->sink,
                                 &e->totals.addresses_evicted);
    e->flows = e->addrs ? nm_flow_table_new(&cfg, &e->sink, &e->totals, e->addrs) : NULL;
    if (!e->flows || !e->addrs) {
        nm_engine_free(e);
        return NULL;
    }
    return e;
}

void nm_engine_free(struct nm_engine *e)
{
    if (!e)
        return;
    nm_flow_table_free(e->flows);
    nm_addr_cache_free(e->addrs);
    free(e);
}

void nm_engine_packet(struct nm_engine *e, const struct nm_packet *pkt, struct nm_verdict *out)
{
    struct nm_engine_totals *t = &e->totals;
    const uint64_t len = pkt->wire_len;
    const int64_t ts = pkt->ts_ns;

    /* Hash everything first and prefetch: the flow lookup and the (up to)
     * four address lookups then overlap their cache misses instead of
     * paying for them one after another.  A packet of a flow counts to its
     * IP addresses through the flow (flow.c), so only a packet of no flow
     * (a later fragment, a transport header cut short) looks them up. */
    struct nm_flow_prep fp;
    nm_flow_prepare(e->flows, pkt, &fp);
    struct nm_addr_ref ar[4]; /* even: sender, odd: receiver */
    unsigned na = 0;
    if (nm_packet_has_macs(pkt)) {
        nm_addr_ref_init(e->addrs, &ar[na++], NM_ADDR_MAC, pkt->src_mac);
        nm_addr_ref_init(e->addrs, &ar[na++], NM_ADDR_MAC, pkt->dst_mac);
    }
    if (nm_packet_has_ip_addrs(pkt) && !fp.has_flow) {
        uint8_t kind = pkt->ip_version == 4 ? NM_ADDR_IPV4 : NM_ADDR_IPV6;
        nm_addr_ref_init(e->addrs, &ar[na++], kind, pkt->src_ip.b);
        nm_addr_ref_init(e->addrs, &ar[na++], kind, pkt->dst_ip.b);
    }

    memset(out, 0, sizeof *out);
    if (t->packets == 0 || ts < t->first_ns)
        t->first_ns = ts;
    if (t->packets == 0 || ts > t->last_ns)
        t->last_ns = ts;
    t->packets++;
    t->bytes += len;
    t->captured_bytes += pkt->cap_len;

    struct nm_second_rec *sec = nm_counters_at(&e->sec, ts, &e->sink);
    sec->packets++;
    sec->bytes += len;
    if (pkt->malformed != NM_MAL_NONE) {
        sec->malformed++;
        if ((unsigned)pkt->malformed < NM_MAL_COUNT)
            t->malformed[pkt->malformed]++;
    }
    /* Bounded: at most NM_P_COUNT bits. */
    for (uint32_t m = nm_proto_mask(pkt->layers); m != 0; m &= m - 1) {
        unsigned p = (unsigned)__builtin_ctz(m);
        t->proto_packets[p]++;
        t->proto_bytes[p] += len;
        sec->proto_packets[p]++;
        sec->proto_bytes[p] += len;
    }

    nm_flow_prefetch(e->flows, &fp);
    for (unsigned i = 0; i < na; i++)
        nm_addr_prefetch(e->addrs, &ar[i]);

    struct nm_flow_result fr;
    nm_flow_packet(e->flows, pkt, &fp, out, &fr);
    if (fr.tcp & NM_TCPR_RETRANS) {
        t->tcp_retransmissions++;
        sec->tcp_retransmissions++;
    }
    if (fr.tcp & NM_TCPR_RST) {
        t->tcp_resets++;
        sec->tcp_resets++;
    }
    if (out->new_connection) {
        t->connections[fr.conn_proto]++;
        sec->proto_new_connections[fr.conn_proto]++;
    }

    for (unsigned i = 0; i < na; i++)
        nm_addr_count(e->addrs, &ar[i], ts, pkt->wire_len, (i & 1) == 0);
}

void nm_engine_flush(struct nm_engine *e, int64_t now_ns, bool final)
{
    nm_flow_expire(e->flows, now_ns);
    nm_flow_flush(e->flows, final);
    nm_counters_flush(&e->sec, &e->sink);
    nm_addr_flush(e->addrs);
}

const struct nm_engine_totals *nm_engine_totals(const struct nm_engine *e)
{
    return &e->totals;
}
