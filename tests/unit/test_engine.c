/*
 * test_engine.c - the engine's totals, per-second counters and address
 * deltas, with hand-made packets.  Expected values are computed by hand or,
 * for the randomised address test, by a plain independent tally in the test.
 */
#include "check.h"
#include "test_flow_helpers.h"

#include "../../analyze/counters.h"

static void test_second_floor(void)
{
    CHECK_EQ_U(nm_counters_second(0), 0);
    CHECK_EQ_U(nm_counters_second(999999999), 0);
    CHECK_EQ_U(nm_counters_second(1000000000), 1);
    CHECK(nm_counters_second(-1) == -1);
    CHECK(nm_counters_second(-500000000) == -1);
    CHECK(nm_counters_second(-1000000000) == -1);
    CHECK(nm_counters_second(-1000000001) == -2);
    CHECK(nm_counters_second(INT64_MIN) == INT64_MIN / 1000000000 - 1);
}

/* Seconds S=T0s+1.. with one out-of-order packet:
 *   1.1 TCP SYN 60 B, 1.5 DNS/UDP 80 B, 2.2 ARP 60 B, 1.9 ICMP echo 98 B
 *   (late), 3.0 malformed Ethernet-only frame 20 B (cap 14).
 * Records: [S1: 2 pkts] when 2.2 arrives; [S1: 1 pkt] and [S2: 1 pkt] when
 * 3.0 arrives (oldest first); [S3: 1 pkt] at the flush. */
static void test_seconds(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    const int64_t s1 = T0 / SEC + 1;

    struct nm_packet syn =
        tcp_pkt("10.0.0.1", 40000, "10.0.0.2", 80, T0 + 1100 * MS, NM_TCP_SYN, 1, 0, 0);
    syn.wire_len = syn.cap_len = 60;
    struct nm_packet dns = udp_pkt("10.0.0.1", 5000, "10.0.0.53", 53, T0 + 1500 * MS, 38);
    dns.layers |= NM_L_DNS;
    struct nm_packet arp = arp_pkt(T0 + 2200 * MS);
    struct nm_packet ping = icmp_pkt("10.0.0.1", "10.0.0.2", T0 + 1900 * MS, 8, 0, 1, 1);
    struct nm_packet bad;
    memset(&bad, 0, sizeof bad);
    bad.ts_ns = T0 + 3000 * MS;
    bad.wire_len = 20;
    bad.cap_len = 14;
    bad.layers = NM_L_ETH;
    bad.malformed = NM_MAL_ETH_TRUNCATED;

    feed(e, &syn);
    feed(e, &dns);
    CHECK_EQ_U(l->nsecs, 0);
    feed(e, &arp);
    CHECK_EQ_U(l->nsecs, 1);
    feed(e, &ping);
    CHECK_EQ_U(l->nsecs, 1);
    feed(e, &bad);
    CHECK_EQ_U(l->nsecs, 3);
    nm_engine_flush(e, T0 + 3000 * MS, false);
    CHECK_EQ_U(l->nsecs, 4);
    if (l->nsecs == 4) {
        const struct nm_second_rec *r = l->secs;
        CHECK(r[0].second == s1 && r[1].second == s1);
        CHECK(r[2].second == s1 + 1 && r[3].second == s1 + 2);
        CHECK_EQ_U(r[0].packets, 2);
        CHECK_EQ_U(r[0].bytes, 60 + 80);
        CHECK_EQ_U(r[0].proto_packets[NM_P_TCP], 1);
        CHECK_EQ_U(r[0].proto_packets[NM_P_DNS], 1);
        CHECK_EQ_U(r[0].proto_packets[NM_P_IPV4], 2);
        CHECK_EQ_U(r[0].proto_bytes[NM_P_UDP], 80);
        CHECK_EQ_U(r[0].proto_new_connections[NM_P_TCP], 1);
        CHECK_EQ_U(r[0].proto_new_connections[NM_P_UDP], 1);
        CHECK_EQ_U(r[1].packets, 1); /* the late ping */
        CHECK_EQ_U(r[1].bytes, 98);
        CHECK_EQ_U(r[1].proto_packets[NM_P_ICMP], 1);
        CHECK_EQ_U(r[1].proto_new_connections[NM_P_ICMP], 1);
        CHECK_EQ_U(r[2].packets, 1);
        CHECK_EQ_U(r[2].proto_packets[NM_P_ARP], 1);
        CHECK_EQ_U(r[2].proto_packets[NM_P_ETHERNET], 1);
        CHECK_EQ_U(r[2].proto_packets[NM_P_OTHER], 0);
        CHECK_EQ_U(r[3].malformed, 1);
        CHECK_EQ_U(r[3].bytes, 20);
        CHECK_EQ_U(r[3].proto_packets[NM_P_OTHER], 1);
        CHECK_EQ_U(r[3].proto_packets[NM_P_ETHERNET], 1);
    }

    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK_EQ_U(t->packets, 5);
    CHECK_EQ_U(t->bytes, 60 + 80 + 60 + 98 + 20);
    CHECK_EQ_U(t->captured_bytes, 60 + 80 + 60 + 98 + 14);
    CHECK_EQ_U(t->first_ns, T0 + 1100 * MS);
    CHECK_EQ_U(t->last_ns, T0 + 3000 * MS);
    CHECK_EQ_U(t->malformed[NM_MAL_ETH_TRUNCATED], 1);
    CHECK_EQ_U(t->proto_packets[NM_P_ETHERNET], 5);
    CHECK_EQ_U(t->proto_packets[NM_P_IPV4], 3);
    CHECK_EQ_U(t->proto_bytes[NM_P_IPV4], 60 + 80 + 98);
    CHECK_EQ_U(t->proto_packets[NM_P_OTHER], 1);
    CHECK_EQ_U(t->connections[NM_P_TCP] + t->connections[NM_P_UDP] + t->connections[NM_P_ICMP], 3);

    /* Packets before 1970 land in floor seconds. */
    struct nm_packet old = arp_pkt(-SEC / 2);
    feed(e, &old);
    nm_engine_flush(e, 0, false);
    CHECK(l->nsecs == 5 && l->secs[4].second == -1 && l->secs[4].packets == 1);
    CHECK(nm_engine_totals(e)->first_ns == -SEC / 2);
    nm_engine_free(e);
    free(l);
}

/* Many seconds in random order: the per-second deltas add up to exact
 * per-second totals, and the slot cache never emits more than one record
 * per packet. */
static void test_seconds_shuffled(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    uint64_t want[40] = { 0 };
    uint32_t x = 12345;
    const unsigned n = 3000;
    for (unsigned i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        /* Mostly forward in time with jitter of up to 10 s backwards. */
        int64_t sec = (int64_t)(i / 100) + 10 - (int64_t)((x >> 16) % 11);
        struct nm_packet p = arp_pkt(T0 + sec * SEC + (int64_t)(x % 1000) * MS);
        feed(e, &p);
        want[sec]++;
    }
    nm_engine_flush(e, T0 + 40 * SEC, false);
    uint64_t got[40] = { 0 };
    CHECK(l->nsecs < REC_MAX);
    for (unsigned i = 0; i < l->nsecs; i++) {
        int64_t s = l->secs[i].second - T0 / SEC;
        CHECK(s >= 0 && s < 40);
        if (s >= 0 && s < 40)
            got[s] += l->secs[i].packets;
    }
    for (int s = 0; s < 40; s++)
        CHECK_EQ_U(got[s], want[s]);
    CHECK(l->nsecs < n);
    nm_engine_free(e);
    free(l);
}

/* --- addresses --------------------------------------------------------- */

#define HOSTS 5

struct addr_tally {
    uint64_t sent_p, sent_b, recv_p, recv_b;
    int64_t first, last;
    bool seen;
};

/* Sink that sums address deltas per host (IPv4 10.0.0.h and MAC 02::h). */
struct addr_sum {
    struct addr_tally ip[HOSTS + 1], mac[HOSTS + 1];
    uint64_t records, bad;
};

static void sum_addr(void *ctx, const struct nm_addr_rec *r)
{
    struct addr_sum *s = ctx;
    struct addr_tally *t = NULL;
    if (r->kind == NM_ADDR_IPV4 && r->addr[0] == 10 && r->addr[3] >= 1 && r->addr[3] <= HOSTS)
        t = &s->ip[r->addr[3]];
    else if (r->kind == NM_ADDR_MAC && r->addr[0] == 2 && r->addr[5] >= 1 && r->addr[5] <= HOSTS)
        t = &s->mac[r->addr[5]];
    s->records++;
    if (!t || r->pkts_sent + r->pkts_recv == 0 || r->first_ns > r->last_ns) {
        s->bad++;
        return;
    }
    t->sent_p += r->pkts_sent;
    t->sent_b += r->bytes_sent;
    t->recv_p += r->pkts_recv;
    t->recv_b += r->bytes_recv;
    if (!t->seen || r->first_ns < t->first)
        t->first = r->first_ns;
    if (!t->seen || r->last_ns > t->last)
        t->last = r->last_ns;
    t->seen = true;
}

static void tally(struct addr_tally *t, bool sent, uint64_t bytes, int64_t ts)
{
    if (sent) {
        t->sent_p++;
        t->sent_b += bytes;
    } else {
        t->recv_p++;
        t->recv_b += bytes;
    }
    if (!t->seen || ts < t->first)
        t->first = ts;
    if (!t->seen || ts > t->last)
        t->last = ts;
    t->seen = true;
}

/* A cache of 3 entries for 10 addresses (5 IPv4 + 5 MAC), flushed now and
 * then: the emitted deltas still add up to the exact per-address totals.
 * The packets are of UDP flows, of TCP flows (a new SYN on a port pair ends
 * its previous flow), and later fragments, which belong to no flow, in a
 * table of 4 flows: a flow's packets count to its IP addresses when it is
 * evicted or ends, at flushes and at the end (flow.c), a fragment's at
 * once; their sum is the same. */
static void test_address_deltas(void)
{
    static struct addr_sum got;
    static struct addr_tally want_ip[HOSTS + 1], want_mac[HOSTS + 1];
    memset(&got, 0, sizeof got);
    struct nm_engine_config cfg;
    nm_engine_config_default(&cfg);
    cfg.max_addresses = 3;
    cfg.max_flows = 4;
    struct nm_sink sink = { .ctx = &got, .address = sum_addr };
    struct nm_engine *e = nm_engine_new(&cfg, &sink);
    CHECK(e != NULL);
    if (!e)
        return;
    uint32_t x = 777;
    char src[16], dst[16];
    for (int i = 0; i < 5000; i++) {
        x = x * 1103515245u + 12345u;
        unsigned a = 1 + (x >> 8) % HOSTS, b = 1 + (x >> 16) % HOSTS; /* a == b allowed */
        uint32_t len = 60 + (x >> 20) % 1400;
        /* Timestamps mostly increasing with some going back. */
        int64_t ts = T0 + i * MS - (int64_t)((x >> 4) % 3) * 5 * MS;
        snprintf(src, sizeof src, "10.0.0.%u", a);
        snprintf(dst, sizeof dst, "10.0.0.%u", b);
        struct nm_packet p;
        switch ((x >> 28) % 4) {
        case 0:
            p = ip_packet(src, dst, ts, len);
            p.layers |= NM_L_FRAG;
            p.ip_proto = 17;
            p.frag_offset = 1480;
            break;
        case 1:
            p = tcp_pkt(src, (uint16_t)(1000 + (x >> 12) % 3), dst, 80, ts,
                        i % 7 ? NM_TCP_ACK : NM_TCP_SYN,
                        x, 0, len - 54);
            break;
        default:
            p = udp_pkt(src, 1000, dst, 2000, ts, len - 42);
            break;
        }
        feed(e, &p);
        tally(&want_ip[a], true, len, ts);
        tally(&want_ip[b], false, len, ts);
        tally(&want_mac[a], true, len, ts);
        tally(&want_mac[b], false, len, ts);
        if (i % 700 == 0)
            nm_engine_flush(e, ts, false);
    }
    nm_engine_flush(e, T0 + 5000 * MS, true);
    CHECK_EQ_U(got.bad, 0);
    for (int h = 1; h <= HOSTS; h++) {
        CHECK_EQ_U(got.ip[h].sent_p, want_ip[h].sent_p);
        CHECK_EQ_U(got.ip[h].sent_b, want_ip[h].sent_b);
        CHECK_EQ_U(got.ip[h].recv_p, want_ip[h].recv_p);
        CHECK_EQ_U(got.ip[h].recv_b, want_ip[h].recv_b);
        CHECK(got.ip[h].first == want_ip[h].first);
        CHECK(got.ip[h].last == want_ip[h].last);
        CHECK_EQ_U(got.mac[h].sent_p, want_mac[h].sent_p);
        CHECK_EQ_U(got.mac[h].recv_b, want_mac[h].recv_b);
        CHECK(got.mac[h].first == want_mac[h].first);
        CHECK(got.mac[h].last == want_mac[h].last);
    }
    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK(t->addresses_evicted > 1000);
    CHECK(t->flows_evicted > 500);
    /* Every record is one eviction or one dirty entry at one of the 9
     * flushes (at most 3 entries each). */
    CHECK(got.records <= t->addresses_evicted + 9 * 3);
    nm_engine_free(e);
}

/* A flow whose bytes pass 2^32 between two flushes: its addresses get the
 * exact count (a cache entry holds 32-bit deltas, addr.c). */
static void test_address_large_delta(void)
{
    static struct addr_sum got;
    memset(&got, 0, sizeof got);
    struct nm_sink sink = { .ctx = &got, .address = sum_addr };
    struct nm_engine *e = nm_engine_new(NULL, &sink);
    CHECK(e != NULL);
    if (!e)
        return;
    const uint64_t n = 70000, len = 65535;
    for (uint64_t i = 0; i < n; i++) {
        struct nm_packet p = udp_pkt("10.0.0.1", 5000, "10.0.0.2", 6000, T0 + (int64_t)i * 1000,
                                     (uint32_t)(len - 42));
        feed(e, &p);
    }
    struct nm_packet p = udp_pkt("10.0.0.2", 6000, "10.0.0.1", 5000, T0 + SEC, 58);
    feed(e, &p);
    nm_engine_flush(e, T0 + SEC, true);
    CHECK_EQ_U(got.bad, 0);
    CHECK_EQ_U(got.ip[1].sent_p, n);
    CHECK_EQ_U(got.ip[1].sent_b, n * len);
    CHECK_EQ_U(got.ip[1].recv_p, 1);
    CHECK_EQ_U(got.ip[1].recv_b, 100);
    CHECK_EQ_U(got.ip[2].recv_b, n * len);
    CHECK_EQ_U(got.ip[2].sent_b, 100);
    CHECK(got.ip[2].first == T0 && got.ip[2].last == T0 + SEC);
    /* The MACs, counted per packet, spill over 32 bits on the way. */
    CHECK_EQ_U(got.mac[1].sent_b, n * len);
    CHECK_EQ_U(got.mac[2].recv_b, n * len);
    nm_engine_free(e);
}

/* Sink for the flood: count what arrives, sum sent packets. */
struct flood_sum {
    uint64_t records, pkts_sent, pkts_recv, bytes_sent;
};

static void flood_addr(void *ctx, const struct nm_addr_rec *r)
{
    struct flood_sum *s = ctx;
    s->records++;
    s->pkts_sent += r->pkts_sent;
    s->pkts_recv += r->pkts_recv;
    s->bytes_sent += r->bytes_sent;
}

/* 200,000 spoofed IPv4 and IPv6 sources against one victim with a cache of
 * 1,000 addresses: totals exact, evictions counted. */
static void test_address_flood(void)
{
    struct flood_sum s = { 0 };
    struct nm_engine_config cfg;
    nm_engine_config_default(&cfg);
    cfg.max_addresses = 1000;
    cfg.max_flows = 1000;
    struct nm_sink sink = { .ctx = &s, .address = flood_addr };
    struct nm_engine *e = nm_engine_new(&cfg, &sink);
    CHECK(e != NULL);
    if (!e)
        return;
    const uint32_t n = 200000;
    uint32_t x = 99;
    for (uint32_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        bool v6 = i % 20 == 0;
        struct nm_packet p = v6 ? tcp_pkt("2001:db8::1", 1, "2001:db8::a00", 80, T0 + i * 10000,
                                          NM_TCP_SYN, x, 0, 0)
                                : tcp_pkt("1.1.1.1", 1, "10.0.0.10", 80, T0 + i * 10000,
                                          NM_TCP_SYN, x, 0, 0);
        /* A distinct source per packet: the index in the address bytes. */
        p.src_ip.b[0] = v6 ? 0x20 : 11;
        p.src_ip.b[1] = (uint8_t)(i >> 16);
        p.src_ip.b[2] = (uint8_t)(i >> 8);
        p.src_ip.b[3] = (uint8_t)i;
        p.src_port = (uint16_t)x;
        feed(e, &p);
    }
    nm_engine_flush(e, T0 + n * 10000, true);
    const struct nm_engine_totals *t = nm_engine_totals(e);
    /* Each packet: 2 MACs + 2 IPs sent/received once each. */
    CHECK_EQ_U(s.pkts_sent, 2 * (uint64_t)n);
    CHECK_EQ_U(s.pkts_recv, 2 * (uint64_t)n);
    CHECK_EQ_U(s.bytes_sent, 2 * (uint64_t)(n / 20) * 74 + 2 * (uint64_t)(n - n / 20) * 54);
    /* n distinct sources + 2 victims (v4, v6) + 3 MACs (the test derives
     * MACs from the last address byte: ::01 for both sources, ::0a and ::00
     * for the victims); 1,000 are still cached at the end. */
    CHECK_EQ_U(t->addresses_evicted, (uint64_t)n + 5 - 1000);
    CHECK_EQ_U(t->flows_created, n);
    CHECK_EQ_U(t->flows_evicted, n - 1000);
    CHECK_EQ_U(t->flows_peak, 1000);
    CHECK_EQ_U(t->connections[NM_P_TCP], n);
    nm_engine_free(e);
}

/* A zeroed config means the defaults; NULL sink callbacks are allowed. */
static void test_config_defaults(void)
{
    struct nm_engine_config cfg;
    memset(&cfg, 0, sizeof cfg);
    struct nm_sink sink;
    memset(&sink, 0, sizeof sink);
    struct nm_engine *e = nm_engine_new(&cfg, &sink);
    CHECK(e != NULL);
    if (!e)
        return;
    struct nm_packet p = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2, T0, 10);
    CHECK_EQ_U(feed(e, &p).flow_id, 1);
    p.ts_ns = T0 + 60 * SEC; /* default UDP idle timeout: 60 s, inclusive */
    CHECK_EQ_U(feed(e, &p).flow_id, 1);
    nm_engine_flush(e, T0 + 60 * SEC, true);
    CHECK_EQ_U(nm_engine_totals(e)->flows_active, 0);
    nm_engine_free(e);

    struct nm_engine_config d;
    nm_engine_config_default(&d);
    CHECK_EQ_U(d.max_flows, 262144);
    CHECK_EQ_U(d.max_addresses, 262144);
    CHECK(d.tcp_idle_ns == 300 * SEC);
    CHECK(d.tcp_closed_ns == 5 * SEC);
    CHECK(d.udp_idle_ns == 60 * SEC && d.icmp_idle_ns == 60 * SEC && d.other_idle_ns == 60 * SEC);
    nm_engine_free(NULL);
    e = nm_engine_new(NULL, NULL);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_U(feed(e, &p).flow_id, 1);
        nm_engine_free(e);
    }
}

/* Timestamps at the ends of int64 must not overflow the idle arithmetic
 * (UBSan checks this in SANITIZE=1 builds). */
static void test_extreme_timestamps(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 4, 4);
    struct nm_packet p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, INT64_MIN, NM_TCP_SYN, 1, 0, 0);
    CHECK_EQ_U(feed(e, &p).flow_id, 1);
    p = tcp_pkt("10.0.0.2", 2, "10.0.0.1", 1, INT64_MAX, NM_TCP_SYN | NM_TCP_ACK, 5, 2, 0);
    CHECK_EQ_U(feed(e, &p).flow_id, 2); /* the first flow is long idle */
    p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, INT64_MIN, NM_TCP_ACK, 2, 6, 10);
    feed(e, &p);
    nm_engine_flush(e, INT64_MAX, true);
    CHECK_EQ_U(nm_engine_totals(e)->flows_active, 0);
    CHECK(nm_engine_totals(e)->first_ns == INT64_MIN);
    CHECK(nm_engine_totals(e)->last_ns == INT64_MAX);
    nm_engine_free(e);
    free(l);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_second_floor();
    test_seconds();
    test_seconds_shuffled();
    test_address_deltas();
    test_address_large_delta();
    test_address_flood();
    test_config_defaults();
    test_extreme_timestamps();
    return check_report(argv[0]);
}
