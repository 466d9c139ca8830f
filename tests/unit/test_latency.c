/*
 * test_latency.c - the latency matcher on hand-made packets.
 *
 * Every expected value is computed by hand from the timestamps written in
 * the test (times are in ns: MS(10) is 10 ms).  The odd cases of issue 3:
 * retransmitted and duplicated handshake packets, one direction only,
 * missing SYN, reordered handshake, SYN flood, DNS ids reused, repeated
 * responses, timeouts at the boundary, table overflow, time going
 * backwards, sequence wraparound, Karn's rule.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../analyze/latency.h"
#include "check.h"

#define US(x) ((int64_t)(x) * INT64_C(1000))
#define MS(x) ((int64_t)(x) * INT64_C(1000000))
#define SEC(x) ((int64_t)(x) * INT64_C(1000000000))
#define T0 SEC(1700000000)     /* an epoch-like base: values must not depend on it */

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define CLI IP(10, 0, 0, 1)
#define SRV IP(10, 0, 0, 2)
#define NTP IP(10, 0, 0, 123)

#define MAX_REC 4096

struct rec {
    struct nm_latency_sample s[MAX_REC];
    size_t ns;
    struct nm_latency_timeout t[MAX_REC];
    size_t nt;
};

static struct rec R;

static void on_sample(void *ctx, const struct nm_latency_sample *s)
{
    struct rec *r = ctx;
    if (r->ns < MAX_REC)
        r->s[r->ns++] = *s;
}

static void on_timeout(void *ctx, const struct nm_latency_timeout *t)
{
    struct rec *r = ctx;
    if (r->nt < MAX_REC)
        r->t[r->nt++] = *t;
}

static struct nm_latency *make_sink(const struct nm_latency_config *cfg_in, bool without_ends)
{
    struct nm_latency_config cfg;
    struct nm_latency_sink sink = {&R, on_sample, on_timeout, without_ends};
    struct nm_latency *l;

    memset(&R, 0, sizeof R);
    if (cfg_in != NULL)
        cfg = *cfg_in;
    else
        nm_latency_config_default(&cfg);
    l = nm_latency_new(&cfg, &sink);
    if (l == NULL) {
        fprintf(stderr, "nm_latency_new failed\n");
        exit(2);
    }
    return l;
}

static struct nm_latency *make(const struct nm_latency_config *cfg_in)
{
    return make_sink(cfg_in, false);
}

static size_t nkind(enum nm_latency_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < R.ns; i++)
        n += R.s[i].kind == k;
    return n;
}

/* Value of the n-th sample of kind k, or -1. */
static int64_t val(enum nm_latency_kind k, size_t n)
{
    for (size_t i = 0; i < R.ns; i++)
        if (R.s[i].kind == k && n-- == 0)
            return R.s[i].value_ns;
    return -1;
}

static const struct nm_latency_sample *sample(enum nm_latency_kind k, size_t n)
{
    for (size_t i = 0; i < R.ns; i++)
        if (R.s[i].kind == k && n-- == 0)
            return &R.s[i];
    return NULL;
}

static size_t ntimeouts(enum nm_latency_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < R.nt; i++)
        n += R.t[i].kind == k;
    return n;
}

static void put4(struct nm_ip *ip, uint32_t a)
{
    memset(ip, 0, sizeof *ip);
    ip->b[0] = (uint8_t)(a >> 24);
    ip->b[1] = (uint8_t)(a >> 16);
    ip->b[2] = (uint8_t)(a >> 8);
    ip->b[3] = (uint8_t)a;
}

static bool is4(const struct nm_ip *ip, uint32_t a)
{
    struct nm_ip x;
    put4(&x, a);
    return memcmp(&x, ip, sizeof x) == 0;
}

static struct nm_packet ip4(int64_t ts, uint32_t src, uint32_t dst, uint8_t proto, uint32_t layers)
{
    struct nm_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = ts;
    p.layers = NM_L_ETH | NM_L_IPV4 | layers;
    p.ethertype = 0x0800;
    p.ip_version = 4;
    p.ip_proto = proto;
    p.ttl = 64;
    put4(&p.src_ip, src);
    put4(&p.dst_ip, dst);
    return p;
}

static struct nm_packet tcp(int64_t ts, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
                            uint16_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
    struct nm_packet p = ip4(ts, src, dst, 6, NM_L_TCP);
    p.src_port = sp;
    p.dst_port = dp;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.l4_payload_len = len;
    return p;
}

/* Client 10.0.0.1:40000 <-> server 10.0.0.2:80 */
static struct nm_packet c2s(int64_t ts, uint16_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
    return tcp(ts, CLI, 40000, SRV, 80, flags, seq, ack, len);
}

static struct nm_packet s2c(int64_t ts, uint16_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
    return tcp(ts, SRV, 80, CLI, 40000, flags, seq, ack, len);
}

#define SYN NM_TCP_SYN
#define ACK NM_TCP_ACK
#define SYNACK (NM_TCP_SYN | NM_TCP_ACK)
#define PSHACK (NM_TCP_PSH | NM_TCP_ACK)
#define RSTACK (NM_TCP_RST | NM_TCP_ACK)

static struct nm_packet dns(int64_t ts, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
                            uint16_t id, bool response, uint8_t proto)
{
    struct nm_packet p = ip4(ts, src, dst, proto, (proto == 6 ? NM_L_TCP : NM_L_UDP) | NM_L_DNS);
    p.src_port = sp;
    p.dst_port = dp;
    p.dns_id = id;
    p.dns_flags = response ? 0x8180 : 0x0100;
    p.dns_qdcount = 1;
    if (proto == 6)
        p.tcp_flags = PSHACK;
    return p;
}

static struct nm_packet udp(int64_t ts, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp)
{
    struct nm_packet p = ip4(ts, src, dst, 17, NM_L_UDP);
    p.src_port = sp;
    p.dst_port = dp;
    p.l4_payload_len = 48;
    return p;
}

static struct nm_packet icmp(int64_t ts, uint32_t src, uint32_t dst, uint8_t type, uint16_t id,
                             uint16_t seq)
{
    struct nm_packet p = ip4(ts, src, dst, 1, NM_L_ICMP);
    p.icmp_type = type;
    p.icmp_id = id;
    p.icmp_seq = seq;
    return p;
}

static struct nm_packet icmp6(int64_t ts, uint8_t src_last, uint8_t dst_last, uint8_t type,
                              uint16_t id, uint16_t seq)
{
    struct nm_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = ts;
    p.layers = NM_L_ETH | NM_L_IPV6 | NM_L_ICMPV6;
    p.ip_version = 6;
    p.ip_proto = 58;
    p.src_ip.b[0] = p.dst_ip.b[0] = 0x20;
    p.src_ip.b[1] = p.dst_ip.b[1] = 0x01;
    p.src_ip.b[15] = src_last;
    p.dst_ip.b[15] = dst_last;
    p.icmp_type = type;
    p.icmp_id = id;
    p.icmp_seq = seq;
    return p;
}

/* Flow 7, whose first packet came from CLI (the flow engine's client). */
static void feed(struct nm_latency *l, struct nm_packet p)
{
    nm_latency_packet(l, &p, 7, is4(&p.src_ip, CLI), NULL);
}

/* ------------------------------------------------------------------ TCP */

static void test_handshake_and_data(void)
{
    struct nm_latency *l = make(NULL);
    const struct nm_latency_sample *s;

    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(10), SYNACK, 5000, 1001, 0));
    feed(l, c2s(T0 + MS(12), ACK, 1001, 5001, 0));
    CHECK_EQ_U(val(NM_LAT_TCP_SYN_SYNACK, 0), MS(10));
    CHECK_EQ_U(val(NM_LAT_TCP_SYNACK_ACK, 0), MS(2));
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 0), MS(12));
    s = sample(NM_LAT_TCP_HANDSHAKE, 0);
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK(is4(&s->client, CLI));
        CHECK(is4(&s->server, SRV));
        CHECK_EQ_U(s->client_port, 40000);
        CHECK_EQ_U(s->server_port, 80);
        CHECK_EQ_U(s->ts_ns, T0 + MS(12));
        CHECK_EQ_U(s->flow_id, 7);
        CHECK_EQ_U(s->ip_proto, 6);
        CHECK_EQ_U(s->ip_version, 4);
    }
    /* client 100 bytes at 13 ms, server ACK at 43 ms: 30 ms */
    feed(l, c2s(T0 + MS(13), PSHACK, 1001, 5001, 100));
    feed(l, s2c(T0 + MS(43), ACK, 5001, 1101, 0));
    /* server 500 bytes at 44 ms, client ACK at 50 ms: 6 ms */
    feed(l, s2c(T0 + MS(44), PSHACK, 5001, 1101, 500));
    feed(l, c2s(T0 + MS(50), ACK, 1101, 5501, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 2);
    CHECK_EQ_U(val(NM_LAT_TCP_DATA_ACK, 0), MS(30));
    CHECK_EQ_U(val(NM_LAT_TCP_DATA_ACK, 1), MS(6));
    s = sample(NM_LAT_TCP_DATA_ACK, 1);
    if (s != NULL)  /* orientation stays the connection's, whoever sent data */
        CHECK(is4(&s->client, CLI) && s->client_port == 40000);
    /* nothing else pending: no timeouts ever */
    nm_latency_flush(l, T0 + SEC(1000));
    CHECK_EQ_U(R.nt, 0);
    CHECK_EQ_U(nm_latency_counters(l)->samples[NM_LAT_TCP_HANDSHAKE], 1);
    /* idle: forgotten when the next packet comes (not by flush) */
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_TCP], 1);
    feed(l, udp(T0 + SEC(1000), CLI, 40000, NTP, 123));
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_TCP], 0);
    nm_latency_free(l);

    /* exactly 300 s idle is not idle yet; 1 ns more is */
    l = make(NULL);
    feed(l, c2s(T0, PSHACK, 1, 1, 10));
    feed(l, udp(T0 + SEC(300), CLI, 40000, NTP, 123));
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_TCP], 1);
    feed(l, udp(T0 + SEC(300) + 1, CLI, 40000, NTP, 123));
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_TCP], 0);
    nm_latency_free(l);
}

/* Joined samples (latency.h): a clean handshake's three samples come
 * together at the ACK, in order, the first two joined, with the relations a
 * one-row store relies on.  A SYN/ACK sent twice, a flush between the
 * SYN/ACK and the ACK, a reset or another flow id leave the tcp_syn_synack
 * on its own, with its own time and value; the held sample is never lost. */
/* A new latency module that has seen a SYN and, 10 ms later, its SYN/ACK. */
static struct nm_latency *after_synack(void)
{
    struct nm_latency *l = make(NULL);
    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(10), SYNACK, 5000, 1001, 0));
    return l;
}

static void test_joined_handshake(void)
{
    struct nm_latency *l = after_synack();
    const struct nm_latency_sample *s = R.s;
    struct nm_packet p;

    CHECK_EQ_U(R.ns, 0);                /* held until the handshake is over */
    feed(l, c2s(T0 + MS(12), ACK, 1001, 5001, 0));
    CHECK_EQ_U(R.ns, 3);
    CHECK(s[0].kind == NM_LAT_TCP_SYN_SYNACK && s[0].joined && s[0].by_server);
    CHECK(s[1].kind == NM_LAT_TCP_SYNACK_ACK && s[1].joined && !s[1].by_server);
    CHECK(s[2].kind == NM_LAT_TCP_HANDSHAKE && !s[2].joined && !s[2].by_server);
    CHECK_EQ_U(s[0].ts_ns, T0 + MS(10));
    CHECK_EQ_U(s[0].value_ns, MS(10));
    CHECK_EQ_U(s[1].ts_ns, T0 + MS(12));
    CHECK_EQ_U(s[1].value_ns, MS(2));
    CHECK_EQ_U(s[2].ts_ns, T0 + MS(12));
    CHECK_EQ_U(s[2].value_ns, MS(12));
    for (int k = 0; k < 3; k++)
        CHECK(s[k].flow_id == 7 && !s[k].client_is_flow_server && is4(&s[k].client, CLI));
    nm_latency_free(l);

    /* The flow engine saw the server first (its flow's client): every
     * sample's client is then the flow's server side; still joined. */
    l = make(NULL);
    p = c2s(T0, SYN, 1000, 0, 0);
    nm_latency_packet(l, &p, 9, false, NULL);
    p = s2c(T0 + MS(10), SYNACK, 5000, 1001, 0);
    nm_latency_packet(l, &p, 9, true, NULL);
    p = c2s(T0 + MS(12), ACK, 1001, 5001, 0);
    nm_latency_packet(l, &p, 9, false, NULL);
    CHECK_EQ_U(R.ns, 3);
    for (size_t k = 0; k < R.ns; k++)
        CHECK(s[k].client_is_flow_server && s[k].joined == (k < 2));
    nm_latency_free(l);

    /* A second SYN/ACK: the first one's sample goes out on its own then. */
    l = after_synack();
    feed(l, s2c(T0 + MS(1010), SYNACK, 5000, 1001, 0));
    CHECK_EQ_U(R.ns, 1);
    CHECK(s[0].kind == NM_LAT_TCP_SYN_SYNACK && !s[0].joined);
    CHECK_EQ_U(s[0].ts_ns, T0 + MS(10));
    CHECK_EQ_U(s[0].value_ns, MS(10));
    feed(l, c2s(T0 + MS(1012), ACK, 1001, 5001, 0));
    CHECK_EQ_U(R.ns, 3);
    CHECK(!s[1].joined && !s[2].joined);
    CHECK_EQ_U(nkind(NM_LAT_TCP_SYN_SYNACK), 1);
    nm_latency_free(l);

    /* A flush releases it, with the SYN/ACK's time and flow id. */
    l = after_synack();
    nm_latency_flush(l, T0 + MS(11));
    CHECK_EQ_U(R.ns, 1);
    CHECK(s[0].kind == NM_LAT_TCP_SYN_SYNACK && !s[0].joined && s[0].flow_id == 7);
    CHECK_EQ_U(s[0].ts_ns, T0 + MS(10));
    feed(l, c2s(T0 + MS(12), ACK, 1001, 5001, 0));
    CHECK_EQ_U(R.ns, 3);
    CHECK_EQ_U(nkind(NM_LAT_TCP_SYN_SYNACK), 1);
    CHECK(!s[1].joined && !s[2].joined);
    nm_latency_free(l);

    /* Another flow id for the ACK (the flow engine started a new flow):
     * the held sample keeps the SYN/ACK's. */
    l = after_synack();
    p = c2s(T0 + MS(12), ACK, 1001, 5001, 0);
    nm_latency_packet(l, &p, 8, true, NULL);
    CHECK_EQ_U(R.ns, 3);
    CHECK(s[0].kind == NM_LAT_TCP_SYN_SYNACK && !s[0].joined && s[0].flow_id == 7);
    CHECK(s[1].flow_id == 8 && s[2].flow_id == 8 && !s[1].joined && !s[2].joined);
    nm_latency_free(l);

    /* A reset after the SYN/ACK: no handshake sample, the held one out. */
    l = after_synack();
    feed(l, c2s(T0 + MS(12), RSTACK, 1001, 5001, 0));
    CHECK_EQ_U(R.ns, 1);
    CHECK(s[0].kind == NM_LAT_TCP_SYN_SYNACK && !s[0].joined);
    CHECK_EQ_U(s[0].value_ns, MS(10));
    nm_latency_free(l);
}

static void test_retransmitted_syn(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, c2s(T0 + SEC(1), SYN, 1000, 0, 0));        /* same ISN: retransmission */
    feed(l, s2c(T0 + SEC(1) + MS(10), SYNACK, 5000, 1001, 0));
    feed(l, c2s(T0 + SEC(1) + MS(12), ACK, 1001, 5001, 0));
    /* the clock restarts at the most recent SYN */
    CHECK_EQ_U(nkind(NM_LAT_TCP_SYN_SYNACK), 1);
    CHECK_EQ_U(val(NM_LAT_TCP_SYN_SYNACK, 0), MS(10));
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 0), MS(12));
    CHECK_EQ_U(val(NM_LAT_TCP_SYNACK_ACK, 0), MS(2));
    nm_latency_flush(l, T0 + SEC(500));
    CHECK_EQ_U(R.nt, 0);
    nm_latency_free(l);
}

static void test_retransmitted_synack(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(10), SYNACK, 5000, 1001, 0));
    feed(l, s2c(T0 + MS(1010), SYNACK, 5000, 1001, 0)); /* the ACK was lost */
    feed(l, c2s(T0 + MS(1012), ACK, 1001, 5001, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_SYN_SYNACK), 1);          /* first SYN/ACK only */
    CHECK_EQ_U(val(NM_LAT_TCP_SYN_SYNACK, 0), MS(10));
    CHECK_EQ_U(nkind(NM_LAT_TCP_SYNACK_ACK), 1);
    CHECK_EQ_U(val(NM_LAT_TCP_SYNACK_ACK, 0), MS(2));     /* most recent SYN/ACK */
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 0), MS(1012));   /* SYN -> ACK, as tshark */
    nm_latency_free(l);
}

static void test_duplicated_packets(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, c2s(T0 + US(1), SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(10), SYNACK, 5000, 1001, 0));
    feed(l, s2c(T0 + MS(10) + US(1), SYNACK, 5000, 1001, 0));
    feed(l, c2s(T0 + MS(12), ACK, 1001, 5001, 0));
    feed(l, c2s(T0 + MS(12) + US(1), ACK, 1001, 5001, 0));
    feed(l, c2s(T0 + MS(13), PSHACK, 1001, 5001, 10));
    feed(l, c2s(T0 + MS(13) + US(1), PSHACK, 1001, 5001, 10));  /* dup: Karn */
    feed(l, s2c(T0 + MS(20), ACK, 5001, 1011, 0));
    feed(l, s2c(T0 + MS(20) + US(1), ACK, 5001, 1011, 0));
    CHECK_EQ_U(R.ns, 3);
    CHECK_EQ_U(val(NM_LAT_TCP_SYN_SYNACK, 0), MS(10) - US(1));
    CHECK_EQ_U(val(NM_LAT_TCP_SYNACK_ACK, 0), MS(2) - US(1));
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 0), MS(12) - US(1));
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 0);
    CHECK_EQ_U(nm_latency_counters(l)->tcp_karn_skipped, 1);
    nm_latency_free(l);
}

static void test_one_direction_client(void)
{
    struct nm_latency *l = make(NULL);

    /* only client -> server captured: SYN, ACK, data */
    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, c2s(T0 + MS(50), ACK, 1001, 5001, 0));
    feed(l, c2s(T0 + MS(51), PSHACK, 1001, 5001, 300));
    feed(l, c2s(T0 + MS(120), PSHACK, 1301, 5401, 300));
    CHECK_EQ_U(R.ns, 1);
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 0), MS(50));   /* includes the unseen SYN/ACK */
    nm_latency_flush(l, T0 + SEC(1000));
    CHECK_EQ_U(R.nt, 0);    /* the ACK proves the SYN/ACK was sent */
    nm_latency_free(l);
}

static void test_one_direction_server(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, s2c(T0, SYNACK, 5000, 1001, 0));
    feed(l, s2c(T0 + MS(100), PSHACK, 5001, 1101, 1000));
    feed(l, s2c(T0 + MS(101), PSHACK, 6001, 1101, 1000));
    CHECK_EQ_U(R.ns, 0);
    nm_latency_flush(l, T0 + SEC(1000));
    CHECK_EQ_U(R.nt, 0);    /* the server's data proves the ACK came */
    nm_latency_free(l);
}

static void test_missing_syn(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, c2s(T0, PSHACK, 100, 900, 10));
    feed(l, s2c(T0 + MS(20), ACK, 900, 110, 0));
    CHECK_EQ_U(R.ns, 1);
    CHECK_EQ_U(val(NM_LAT_TCP_DATA_ACK, 0), MS(20));
    CHECK_EQ_U(nkind(NM_LAT_TCP_HANDSHAKE), 0);
    nm_latency_flush(l, T0 + SEC(1000));
    CHECK_EQ_U(R.nt, 0);
    nm_latency_free(l);
}

static void test_reordered_handshake(void)
{
    struct nm_latency *l = make(NULL);

    /* zeek's tcp/handshake-reorder.pcap: SYN/ACK seen before the SYN */
    feed(l, s2c(T0, SYNACK, 5000, 1001, 0));
    feed(l, c2s(T0 + US(260), SYN, 1000, 0, 0));
    feed(l, c2s(T0 + US(294), ACK, 1001, 5001, 0));
    CHECK_EQ_U(R.ns, 1);
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 0), US(34));   /* tshark: 0.034 ms */
    nm_latency_flush(l, T0 + SEC(1000));
    CHECK_EQ_U(R.nt, 0);
    nm_latency_free(l);
}

static void test_syn_flood(void)
{
    struct nm_latency_config cfg;
    struct nm_latency *l;
    const struct nm_latency_counters *c;

    nm_latency_config_default(&cfg);
    cfg.max_tcp = 64;
    l = make(&cfg);
    for (uint32_t i = 0; i < 1000; i++)
        feed(l, tcp(T0 + MS(i), IP(192, 0, 2, 7), (uint16_t)(1024 + i), SRV, 80, SYN,
                    i * 7919u, 0, 0));
    c = nm_latency_counters(l);
    CHECK_EQ_U(c->evictions[NM_LAT_TABLE_TCP], 1000 - 64);
    CHECK_EQ_U(c->in_use[NM_LAT_TABLE_TCP], 64);
    CHECK_EQ_U(c->peak[NM_LAT_TABLE_TCP], 64);
    CHECK_EQ_U(R.ns, 0);
    CHECK_EQ_U(R.nt, 0);
    /* SYNs at 936..999 ms remain; at 999 ms + 75 s all but the last are due */
    nm_latency_flush(l, T0 + MS(999) + SEC(75));
    CHECK_EQ_U(ntimeouts(NM_LAT_TCP_SYN_SYNACK), 63);
    CHECK_EQ_U(ntimeouts(NM_LAT_TCP_HANDSHAKE), 63);
    nm_latency_flush(l, T0 + MS(999) + SEC(75) + 1);
    CHECK_EQ_U(ntimeouts(NM_LAT_TCP_SYN_SYNACK), 64);
    CHECK_EQ_U(ntimeouts(NM_LAT_TCP_HANDSHAKE), 64);
    CHECK_EQ_U(ntimeouts(NM_LAT_TCP_SYNACK_ACK), 0);
    CHECK_EQ_U(c->timeouts[NM_LAT_TCP_SYN_SYNACK], 64);
    if (R.nt > 0) {
        CHECK_EQ_U(R.t[0].start_ns, T0 + MS(936));
        CHECK_EQ_U(R.t[0].ts_ns, T0 + MS(936) + SEC(75));
        CHECK(is4(&R.t[0].client, IP(192, 0, 2, 7)));
        CHECK_EQ_U(R.t[0].client_port, 1024 + 936);
        CHECK(is4(&R.t[0].server, SRV));
    }
    nm_latency_free(l);
}

/* A connection closed both ways is forgotten 10 s after its second FIN (by
 * the next packet, never by flush), a reset one 10 s after the reset.
 * Within those 10 s a retransmitted FIN with data gives no sample (Karn),
 * and closed connections passing through a small table evict nothing. */
static void test_closed_forgotten(void)
{
    struct nm_latency *l = make(NULL);
    const struct nm_latency_counters *c = nm_latency_counters(l);

    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(10), SYNACK, 5000, 1001, 0));
    feed(l, c2s(T0 + MS(12), ACK, 1001, 5001, 0));
    feed(l, c2s(T0 + MS(20), NM_TCP_FIN | PSHACK, 1001, 5001, 100));
    feed(l, s2c(T0 + MS(30), NM_TCP_FIN | ACK, 5001, 1102, 0));    /* closed here */
    feed(l, c2s(T0 + MS(31), ACK, 1102, 5002, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 1);
    CHECK_EQ_U(val(NM_LAT_TCP_DATA_ACK, 0), MS(10));
    /* the client's last ACK was lost: FIN and data again, the server's
     * duplicate ACK */
    feed(l, c2s(T0 + SEC(1), NM_TCP_FIN | PSHACK, 1001, 5002, 100));
    feed(l, s2c(T0 + SEC(1) + MS(10), ACK, 5002, 1102, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 1);
    nm_latency_flush(l, T0 + SEC(5));
    CHECK_EQ_U(c->in_use[NM_LAT_TABLE_TCP], 1);
    feed(l, udp(T0 + MS(30) + SEC(10), CLI, 40000, NTP, 123));
    CHECK_EQ_U(c->in_use[NM_LAT_TABLE_TCP], 1);      /* exactly 10 s: not yet */
    feed(l, udp(T0 + MS(30) + SEC(10) + 1, CLI, 40000, NTP, 123));
    CHECK_EQ_U(c->in_use[NM_LAT_TABLE_TCP], 0);

    /* reset by the server in mid-connection */
    feed(l, c2s(T0 + SEC(20), SYN, 7000, 0, 0));
    feed(l, s2c(T0 + SEC(20) + MS(10), SYNACK, 9000, 7001, 0));
    feed(l, c2s(T0 + SEC(20) + MS(12), ACK, 7001, 9001, 0));
    feed(l, s2c(T0 + SEC(21), RSTACK, 9001, 7001, 0));
    feed(l, udp(T0 + SEC(31), CLI, 40000, NTP, 123));
    CHECK_EQ_U(c->in_use[NM_LAT_TABLE_TCP], 1);
    feed(l, udp(T0 + SEC(31) + 1, CLI, 40000, NTP, 123));
    CHECK_EQ_U(c->in_use[NM_LAT_TABLE_TCP], 0);
    CHECK_EQ_U(nkind(NM_LAT_TCP_HANDSHAKE), 2);
    nm_latency_free(l);

    /* 200 closed connections, one a second, through a 16-entry table:
     * about 11 are held at a time, none is evicted, every handshake and
     * data sample is there */
    struct nm_latency_config cfg;
    nm_latency_config_default(&cfg);
    cfg.max_tcp = 16;
    l = make(&cfg);
    c = nm_latency_counters(l);
    for (uint32_t i = 0; i < 200; i++) {
        int64_t t = T0 + SEC(i);
        uint16_t port = (uint16_t)(20000 + i);
        feed(l, tcp(t, CLI, port, SRV, 80, SYN, 100, 0, 0));
        feed(l, tcp(t + MS(5), SRV, 80, CLI, port, SYNACK, 500, 101, 0));
        feed(l, tcp(t + MS(6), CLI, port, SRV, 80, PSHACK, 101, 501, 10));
        feed(l, tcp(t + MS(9), SRV, 80, CLI, port, NM_TCP_FIN | ACK, 501, 111, 0));
        feed(l, tcp(t + MS(10), CLI, port, SRV, 80, NM_TCP_FIN | ACK, 111, 502, 0));
        feed(l, tcp(t + MS(11), SRV, 80, CLI, port, ACK, 502, 112, 0));
    }
    CHECK_EQ_U(c->evictions[NM_LAT_TABLE_TCP], 0);
    CHECK_EQ_U(c->peak[NM_LAT_TABLE_TCP], 11);
    CHECK_EQ_U(nkind(NM_LAT_TCP_HANDSHAKE), 200);
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 200);
    nm_latency_free(l);
}

static void test_synack_never_acked(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(10), SYNACK, 5000, 1001, 0));
    nm_latency_flush(l, T0 + MS(10) + SEC(75));
    CHECK_EQ_U(R.nt, 0);
    nm_latency_flush(l, T0 + MS(10) + SEC(75) + 1);
    CHECK_EQ_U(ntimeouts(NM_LAT_TCP_SYNACK_ACK), 1);
    CHECK_EQ_U(ntimeouts(NM_LAT_TCP_HANDSHAKE), 1);
    CHECK_EQ_U(ntimeouts(NM_LAT_TCP_SYN_SYNACK), 0);
    /* a late ACK gives nothing */
    feed(l, c2s(T0 + SEC(90), ACK, 1001, 5001, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_HANDSHAKE), 0);
    CHECK_EQ_U(nkind(NM_LAT_TCP_SYN_SYNACK), 1);
    nm_latency_free(l);
}

static void test_port_reuse(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(10), SYNACK, 5000, 1001, 0));
    feed(l, c2s(T0 + MS(12), ACK, 1001, 5001, 0));
    feed(l, c2s(T0 + MS(20), NM_TCP_FIN | ACK, 1001, 5001, 0));
    feed(l, s2c(T0 + MS(30), NM_TCP_FIN | ACK, 5001, 1002, 0));
    feed(l, c2s(T0 + MS(31), ACK, 1002, 5002, 0));
    /* same ports, new ISN: a new connection */
    feed(l, c2s(T0 + SEC(10), SYN, 900000, 0, 0));
    feed(l, s2c(T0 + SEC(10) + MS(5), SYNACK, 777, 900001, 0));
    feed(l, c2s(T0 + SEC(10) + MS(6), ACK, 900001, 778, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_HANDSHAKE), 2);
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 0), MS(12));
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 1), MS(6));
    CHECK_EQ_U(val(NM_LAT_TCP_SYN_SYNACK, 1), MS(5));
    CHECK_EQ_U(val(NM_LAT_TCP_SYNACK_ACK, 1), MS(1));
    nm_latency_free(l);
}

static void test_refused_and_aborted(void)
{
    struct nm_latency *l = make(NULL);

    /* refused: RST+ACK from the server answering the SYN (tshark counts it) */
    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(5), RSTACK, 0, 1001, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_HANDSHAKE), 1);
    CHECK_EQ_U(val(NM_LAT_TCP_HANDSHAKE, 0), MS(5));
    CHECK_EQ_U(nkind(NM_LAT_TCP_SYN_SYNACK), 0);
    /* aborted: client gives up after 3 unanswered SYNs, with RST+ACK */
    feed(l, tcp(T0 + SEC(1), CLI, 41000, SRV, 8080, SYN, 42, 0, 0));
    feed(l, tcp(T0 + SEC(2), CLI, 41000, SRV, 8080, SYN, 42, 0, 0));
    feed(l, tcp(T0 + SEC(4), CLI, 41000, SRV, 8080, SYN, 42, 0, 0));
    feed(l, tcp(T0 + SEC(64), CLI, 41000, SRV, 8080, RSTACK, 43, 0, 0));
    /* server reset after its SYN/ACKs went unacknowledged */
    feed(l, tcp(T0 + SEC(2), CLI, 42000, SRV, 8080, SYN, 77, 0, 0));
    feed(l, tcp(T0 + SEC(2) + MS(40), SRV, 8080, CLI, 42000, SYNACK, 9, 78, 0));
    feed(l, tcp(T0 + SEC(70), SRV, 8080, CLI, 42000, RSTACK, 10, 78, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_HANDSHAKE), 1);
    CHECK_EQ_U(nkind(NM_LAT_TCP_SYN_SYNACK), 1);
    CHECK_EQ_U(val(NM_LAT_TCP_SYN_SYNACK, 0), MS(40));
    nm_latency_flush(l, T0 + SEC(2000));
    CHECK_EQ_U(R.nt, 0);    /* resets end the waits without a timeout */
    nm_latency_free(l);
}

static void test_synack_wrong_ack(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, c2s(T0, SYN, 1000, 0, 0));
    feed(l, s2c(T0 + MS(3), SYNACK, 5000, 4242, 0));    /* does not answer ISN 1000 */
    feed(l, s2c(T0 + MS(9), SYNACK, 5000, 1001, 0));
    feed(l, c2s(T0 + MS(10), ACK, 1001, 5001, 0));
    CHECK_EQ_U(val(NM_LAT_TCP_SYN_SYNACK, 0), MS(9));
    CHECK_EQ_U(val(NM_LAT_TCP_SYNACK_ACK, 0), MS(1));
    nm_latency_free(l);
}

static void test_data_ack_wrap_and_karn(void)
{
    struct nm_latency *l = make(NULL);

    /* mid-stream, sequence numbers wrap: 0xffffff00 + 0x200 = 0x100 */
    feed(l, c2s(T0, PSHACK, 0xffffff00u, 1, 0x200));
    feed(l, s2c(T0 + MS(25), ACK, 1, 0x80u, 0));           /* partial: not yet */
    feed(l, s2c(T0 + MS(26), ACK, 1, 0x100u, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 1);
    CHECK_EQ_U(val(NM_LAT_TCP_DATA_ACK, 0), MS(26));
    /* Karn: timed segment retransmitted -> no sample from its ACK */
    feed(l, c2s(T0 + SEC(1), PSHACK, 0x100u, 1, 100));
    feed(l, c2s(T0 + SEC(1) + MS(200), PSHACK, 0x100u, 1, 100));
    feed(l, s2c(T0 + SEC(1) + MS(230), ACK, 1, 0x164u, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 1);
    CHECK_EQ_U(nm_latency_counters(l)->tcp_karn_skipped, 1);
    /* the next new segment is timed again: 10 ms */
    feed(l, c2s(T0 + SEC(1) + MS(300), PSHACK, 0x164u, 1, 100));
    feed(l, s2c(T0 + SEC(1) + MS(305), ACK, 1, 0x164u, 0));  /* duplicate ACK */
    feed(l, s2c(T0 + SEC(1) + MS(310), ACK, 1, 0x1c8u, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 2);
    CHECK_EQ_U(val(NM_LAT_TCP_DATA_ACK, 1), MS(10));
    /* one timed segment at a time: the cumulative ACK times the first one */
    feed(l, c2s(T0 + SEC(2), PSHACK, 0x1c8u, 1, 100));
    feed(l, c2s(T0 + SEC(2) + MS(1), PSHACK, 0x22cu, 1, 100));
    feed(l, s2c(T0 + SEC(2) + MS(41), ACK, 1, 0x290u, 0));
    CHECK_EQ_U(nkind(NM_LAT_TCP_DATA_ACK), 3);
    CHECK_EQ_U(val(NM_LAT_TCP_DATA_ACK, 2), MS(41));
    nm_latency_free(l);
}

/* ------------------------------------------------------------------ DNS */

#define RESOLVER IP(10, 0, 0, 53)

static void test_dns_basic_and_repeat(void)
{
    struct nm_latency *l = make(NULL);
    const struct nm_latency_sample *s;

    feed(l, dns(T0, CLI, 5555, RESOLVER, 53, 0x1234, false, 17));
    feed(l, dns(T0 + MS(20), RESOLVER, 53, CLI, 5555, 0x1234, true, 17));
    feed(l, dns(T0 + MS(21), RESOLVER, 53, CLI, 5555, 0x1234, true, 17)); /* repeated */
    CHECK_EQ_U(nkind(NM_LAT_DNS), 1);
    CHECK_EQ_U(val(NM_LAT_DNS, 0), MS(20));
    CHECK_EQ_U(nm_latency_counters(l)->dns_unmatched, 1);
    s = sample(NM_LAT_DNS, 0);
    if (s != NULL) {
        CHECK(is4(&s->client, CLI));
        CHECK(is4(&s->server, RESOLVER));
        CHECK_EQ_U(s->client_port, 5555);
        CHECK_EQ_U(s->server_port, 53);
        CHECK_EQ_U(s->ip_proto, 17);
    }
    /* no UDP "first response" sample for DNS flows */
    CHECK_EQ_U(nkind(NM_LAT_UDP_FIRST_RESPONSE), 0);
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_UDP], 0);
    nm_latency_free(l);
}

static void test_dns_timeout_boundary(void)
{
    struct nm_latency *l = make(NULL);

    /* answered exactly at the timeout: a sample */
    feed(l, dns(T0, CLI, 1000, RESOLVER, 53, 1, false, 17));
    feed(l, dns(T0 + SEC(5), RESOLVER, 53, CLI, 1000, 1, true, 17));
    CHECK_EQ_U(val(NM_LAT_DNS, 0), SEC(5));
    /* 1 ns later: a timeout, and the late answer is no sample */
    feed(l, dns(T0 + SEC(10), CLI, 1001, RESOLVER, 53, 2, false, 17));
    feed(l, dns(T0 + SEC(15) + 1, RESOLVER, 53, CLI, 1001, 2, true, 17));
    CHECK_EQ_U(nkind(NM_LAT_DNS), 1);
    CHECK_EQ_U(ntimeouts(NM_LAT_DNS), 1);
    CHECK_EQ_U(nm_latency_counters(l)->dns_unmatched, 1);
    /* flush: not yet at 5 s, yes at 5 s + 1 ns */
    feed(l, dns(T0 + SEC(20), CLI, 1002, RESOLVER, 53, 3, false, 17));
    nm_latency_flush(l, T0 + SEC(25));
    CHECK_EQ_U(ntimeouts(NM_LAT_DNS), 1);
    nm_latency_flush(l, T0 + SEC(25) + 1);
    CHECK_EQ_U(ntimeouts(NM_LAT_DNS), 2);
    if (R.nt == 2) {
        CHECK_EQ_U(R.t[1].start_ns, T0 + SEC(20));
        CHECK_EQ_U(R.t[1].client_port, 1002);
    }
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_DNS], 0);
    nm_latency_free(l);
}

static void test_dns_ids_reused(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, dns(T0, CLI, 4000, RESOLVER, 53, 7, false, 17));
    feed(l, dns(T0 + MS(10), RESOLVER, 53, CLI, 4000, 7, true, 17));
    feed(l, dns(T0 + SEC(1), CLI, 4000, RESOLVER, 53, 7, false, 17));
    feed(l, dns(T0 + SEC(1) + MS(30), RESOLVER, 53, CLI, 4000, 7, true, 17));
    /* retransmitted query: the clock runs from the first one (tshark) */
    feed(l, dns(T0 + SEC(2), CLI, 4000, RESOLVER, 53, 9, false, 17));
    feed(l, dns(T0 + SEC(3), CLI, 4000, RESOLVER, 53, 9, false, 17));
    feed(l, dns(T0 + SEC(3) + MS(20), RESOLVER, 53, CLI, 4000, 9, true, 17));
    /* same id, two client ports: two transactions */
    feed(l, dns(T0 + SEC(4), CLI, 1111, RESOLVER, 53, 5, false, 17));
    feed(l, dns(T0 + SEC(4) + MS(1), CLI, 2222, RESOLVER, 53, 5, false, 17));
    feed(l, dns(T0 + SEC(4) + MS(5), RESOLVER, 53, CLI, 2222, 5, true, 17));
    feed(l, dns(T0 + SEC(4) + MS(9), RESOLVER, 53, CLI, 1111, 5, true, 17));
    CHECK_EQ_U(nkind(NM_LAT_DNS), 5);
    CHECK_EQ_U(val(NM_LAT_DNS, 0), MS(10));
    CHECK_EQ_U(val(NM_LAT_DNS, 1), MS(30));
    CHECK_EQ_U(val(NM_LAT_DNS, 2), MS(1020));
    CHECK_EQ_U(val(NM_LAT_DNS, 3), MS(4));
    CHECK_EQ_U(val(NM_LAT_DNS, 4), MS(9));
    /* repeated after the timeout: the first timed out, the repeat is new */
    feed(l, dns(T0 + SEC(10), CLI, 4000, RESOLVER, 53, 11, false, 17));
    feed(l, dns(T0 + SEC(15) + 1, CLI, 4000, RESOLVER, 53, 11, false, 17));
    feed(l, dns(T0 + SEC(15) + MS(3), RESOLVER, 53, CLI, 4000, 11, true, 17));
    CHECK_EQ_U(ntimeouts(NM_LAT_DNS), 1);
    CHECK_EQ_U(val(NM_LAT_DNS, 5), MS(3) - 1);
    R.nt = 0;
    R.ns = 5;
    /* response from another server address: no match */
    feed(l, dns(T0 + SEC(20), CLI, 3333, RESOLVER, 53, 1, false, 17));
    feed(l, dns(T0 + SEC(20) + MS(2), IP(10, 0, 0, 54), 53, CLI, 3333, 1, true, 17));
    CHECK_EQ_U(nkind(NM_LAT_DNS), 5);
    CHECK_EQ_U(nm_latency_counters(l)->dns_unmatched, 1);
    nm_latency_flush(l, T0 + SEC(100));
    CHECK_EQ_U(ntimeouts(NM_LAT_DNS), 1);
    nm_latency_free(l);
}

static void test_dns_tcp(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, dns(T0, CLI, 6000, RESOLVER, 53, 77, false, 6));
    feed(l, dns(T0 + MS(3), RESOLVER, 53, CLI, 6000, 77, true, 17)); /* UDP: other key */
    CHECK_EQ_U(nkind(NM_LAT_DNS), 0);
    feed(l, dns(T0 + MS(8), RESOLVER, 53, CLI, 6000, 77, true, 6));
    CHECK_EQ_U(nkind(NM_LAT_DNS), 1);
    CHECK_EQ_U(val(NM_LAT_DNS, 0), MS(8));
    if (R.ns > 0)
        CHECK_EQ_U(sample(NM_LAT_DNS, 0)->ip_proto, 6);
    nm_latency_free(l);
}

static void test_dns_table_full(void)
{
    struct nm_latency_config cfg;
    struct nm_latency *l;

    nm_latency_config_default(&cfg);
    cfg.max_dns = 4;
    l = make(&cfg);
    for (uint16_t i = 0; i < 6; i++)
        feed(l, dns(T0 + MS(i), CLI, 5000, RESOLVER, 53, i, false, 17));
    CHECK_EQ_U(nm_latency_counters(l)->evictions[NM_LAT_TABLE_DNS], 2);
    for (uint16_t i = 0; i < 6; i++)
        feed(l, dns(T0 + MS(100 + i), RESOLVER, 53, CLI, 5000, i, true, 17));
    CHECK_EQ_U(nkind(NM_LAT_DNS), 4);       /* ids 2..5, the oldest two evicted */
    CHECK_EQ_U(val(NM_LAT_DNS, 0), MS(100));
    CHECK_EQ_U(nm_latency_counters(l)->dns_unmatched, 2);
    nm_latency_flush(l, T0 + SEC(100));
    CHECK_EQ_U(R.nt, 0);    /* evicted queries are not timeouts */
    nm_latency_free(l);
}

/* ------------------------------------------------------------------ ICMP */

static void test_icmp_echo(void)
{
    struct nm_latency *l = make(NULL);
    const struct nm_latency_sample *s;

    feed(l, icmp(T0, CLI, SRV, 8, 0x4242, 1));
    feed(l, icmp(T0 + US(15300), SRV, CLI, 0, 0x4242, 1));
    feed(l, icmp(T0 + US(15400), SRV, CLI, 0, 0x4242, 1));     /* duplicate reply */
    feed(l, icmp(T0 + SEC(1), CLI, SRV, 8, 0x4242, 2));
    feed(l, icmp(T0 + SEC(1) + MS(2), SRV, CLI, 0, 0x4242, 3)); /* wrong seq */
    feed(l, icmp(T0 + SEC(1) + MS(3), IP(10, 9, 9, 9), CLI, 0, 0x4242, 2)); /* other host */
    feed(l, icmp(T0 + SEC(1) + MS(4), SRV, CLI, 0, 0x4242, 2));
    CHECK_EQ_U(nkind(NM_LAT_ICMP_ECHO), 2);
    CHECK_EQ_U(val(NM_LAT_ICMP_ECHO, 0), US(15300));
    CHECK_EQ_U(val(NM_LAT_ICMP_ECHO, 1), MS(4));
    CHECK_EQ_U(nm_latency_counters(l)->icmp_unmatched, 3);
    s = sample(NM_LAT_ICMP_ECHO, 0);
    if (s != NULL) {
        CHECK(is4(&s->client, CLI));
        CHECK(is4(&s->server, SRV));
        CHECK_EQ_U(s->client_port, 0x4242);
        CHECK_EQ_U(s->server_port, 0x4242);
        CHECK_EQ_U(s->ip_proto, 1);
    }
    /* an unanswered request times out after 10 s */
    feed(l, icmp(T0 + SEC(2), CLI, SRV, 8, 0x4242, 4));
    nm_latency_flush(l, T0 + SEC(12));
    CHECK_EQ_U(ntimeouts(NM_LAT_ICMP_ECHO), 0);
    nm_latency_flush(l, T0 + SEC(12) + 1);
    CHECK_EQ_U(ntimeouts(NM_LAT_ICMP_ECHO), 1);
    /* ICMPv6 */
    feed(l, icmp6(T0 + SEC(20), 1, 2, 128, 9, 1));
    feed(l, icmp6(T0 + SEC(20) + US(777), 2, 1, 129, 9, 1));
    CHECK_EQ_U(nkind(NM_LAT_ICMPV6_ECHO), 1);
    CHECK_EQ_U(val(NM_LAT_ICMPV6_ECHO, 0), US(777));
    if (sample(NM_LAT_ICMPV6_ECHO, 0) != NULL)
        CHECK_EQ_U(sample(NM_LAT_ICMPV6_ECHO, 0)->ip_version, 6);
    /* a v4 reply does not match a v6 request */
    feed(l, icmp6(T0 + SEC(21), 1, 2, 128, 9, 2));
    feed(l, icmp(T0 + SEC(21) + MS(1), SRV, CLI, 0, 9, 2));
    CHECK_EQ_U(nkind(NM_LAT_ICMPV6_ECHO) + nkind(NM_LAT_ICMP_ECHO), 3);
    /* ICMP errors are not echo replies */
    {
        struct nm_packet p = icmp(T0 + SEC(22), SRV, CLI, 3, 0, 0);
        p.layers |= NM_L_ICMP_QUOTE;
        nm_latency_packet(l, &p, 1, true, NULL);
    }
    CHECK_EQ_U(R.ns, 3);
    nm_latency_free(l);
}

/* ------------------------------------------------------------------ UDP */

static void test_udp_first_response(void)
{
    struct nm_latency *l = make(NULL);
    const struct nm_latency_sample *s;

    feed(l, udp(T0, CLI, 40000, NTP, 123));
    feed(l, udp(T0 + MS(5), CLI, 40000, NTP, 123));
    feed(l, udp(T0 + MS(20), NTP, 123, CLI, 40000));
    feed(l, udp(T0 + MS(25), NTP, 123, CLI, 40000));
    CHECK_EQ_U(nkind(NM_LAT_UDP_FIRST_RESPONSE), 1);
    CHECK_EQ_U(val(NM_LAT_UDP_FIRST_RESPONSE, 0), MS(20));
    s = sample(NM_LAT_UDP_FIRST_RESPONSE, 0);
    if (s != NULL) {
        CHECK(is4(&s->client, CLI));
        CHECK_EQ_U(s->client_port, 40000);
        CHECK_EQ_U(s->server_port, 123);
        CHECK_EQ_U(s->ip_proto, 17);
    }
    /* multicast and broadcast destinations: not measured */
    feed(l, udp(T0 + MS(30), CLI, 5353, IP(224, 0, 0, 251), 5353));
    feed(l, udp(T0 + MS(31), CLI, 68, IP(255, 255, 255, 255), 67));
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_UDP], 1);
    /* picked up mid-way: the first packet is a service's answer */
    feed(l, udp(T0 + MS(40), NTP, 123, CLI, 40001));
    feed(l, udp(T0 + MS(45), CLI, 40001, NTP, 123));
    feed(l, udp(T0 + MS(50), NTP, 123, CLI, 40001));
    CHECK_EQ_U(nkind(NM_LAT_UDP_FIRST_RESPONSE), 1);
    /* port 53 without a DNS layer: ignored entirely */
    feed(l, udp(T0 + MS(60), CLI, 40002, RESOLVER, 53));
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_UDP], 2);
    /* unanswered: timeout after 10 s; the late answer is no sample */
    feed(l, udp(T0 + SEC(1), CLI, 40003, NTP, 9999));
    nm_latency_flush(l, T0 + SEC(11) + 1);
    CHECK_EQ_U(ntimeouts(NM_LAT_UDP_FIRST_RESPONSE), 1);
    feed(l, udp(T0 + SEC(12), NTP, 9999, CLI, 40003));
    CHECK_EQ_U(nkind(NM_LAT_UDP_FIRST_RESPONSE), 1);
    /* idle for more than 60 s: the next exchange is a new flow */
    feed(l, udp(T0 + SEC(100), CLI, 40000, NTP, 123));
    feed(l, udp(T0 + SEC(100) + MS(7), NTP, 123, CLI, 40000));
    CHECK_EQ_U(nkind(NM_LAT_UDP_FIRST_RESPONSE), 2);
    CHECK_EQ_U(val(NM_LAT_UDP_FIRST_RESPONSE, 1), MS(7));
    nm_latency_free(l);
}

/* ------------------------------------------------------------------ misc */

static void test_eviction_order(void)
{
    struct nm_latency_config cfg;
    struct nm_latency *l;

    nm_latency_config_default(&cfg);
    cfg.max_udp = 2;
    l = make(&cfg);
    feed(l, udp(T0, CLI, 50001, NTP, 123));                 /* A */
    feed(l, udp(T0 + MS(100), CLI, 50002, NTP, 123));       /* B */
    feed(l, udp(T0 + SEC(2), NTP, 123, CLI, 50001));        /* A answered: active */
    feed(l, udp(T0 + SEC(3), CLI, 50003, NTP, 123));        /* C evicts B, not A */
    feed(l, udp(T0 + SEC(3) + MS(5), NTP, 123, CLI, 50002)); /* B is gone */
    feed(l, udp(T0 + SEC(3) + MS(6), NTP, 123, CLI, 50003));
    CHECK_EQ_U(nm_latency_counters(l)->evictions[NM_LAT_TABLE_UDP], 2);
    CHECK_EQ_U(nkind(NM_LAT_UDP_FIRST_RESPONSE), 2);
    CHECK_EQ_U(val(NM_LAT_UDP_FIRST_RESPONSE, 0), SEC(2));
    CHECK_EQ_U(val(NM_LAT_UDP_FIRST_RESPONSE, 1), MS(6));
    nm_latency_free(l);
}

static void test_time_backwards(void)
{
    struct nm_latency *l = make(NULL);

    feed(l, dns(T0 + SEC(1), CLI, 5000, RESOLVER, 53, 1, false, 17));
    feed(l, dns(T0 + MS(900), RESOLVER, 53, CLI, 5000, 1, true, 17));
    feed(l, c2s(T0 + SEC(2), SYN, 1, 0, 0));
    feed(l, c2s(T0 + SEC(1), ACK, 2, 1, 0));
    CHECK_EQ_U(R.ns, 0);
    CHECK_EQ_U(nm_latency_counters(l)->negative_dropped, 2);
    nm_latency_free(l);
}

static void test_malformed_ignored(void)
{
    struct nm_latency *l = make(NULL);
    struct nm_packet p;

    p = c2s(T0, SYN, 1000, 0, 0);
    p.malformed = NM_MAL_TCP_TRUNCATED;
    nm_latency_packet(l, &p, 1, true, NULL);
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_TCP], 0);
    p = dns(T0, CLI, 5000, RESOLVER, 53, 1, false, 17);
    p.malformed = NM_MAL_DNS_TRUNCATED;     /* header maybe lost: skipped */
    nm_latency_packet(l, &p, 1, true, NULL);
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_DNS], 0);
    p = dns(T0, CLI, 5000, RESOLVER, 53, 1, false, 17);
    p.malformed = NM_MAL_DNS_BAD_LABEL;     /* header fine */
    nm_latency_packet(l, &p, 1, true, NULL);
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_DNS], 1);
    p = icmp(T0, CLI, SRV, 8, 1, 1);
    p.malformed = NM_MAL_ICMP_TRUNCATED;
    nm_latency_packet(l, &p, 1, true, NULL);
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_ICMP], 0);
    p = udp(T0, CLI, 40000, NTP, 123);
    p.frag_offset = 1480;                   /* later fragment: no ports */
    nm_latency_packet(l, &p, 1, true, NULL);
    p = udp(T0, CLI, 40000, NTP, 123);
    p.ip_version = 0;                       /* not IP */
    nm_latency_packet(l, &p, 1, true, NULL);
    CHECK_EQ_U(nm_latency_counters(l)->in_use[NM_LAT_TABLE_UDP], 0);
    nm_latency_free(l);
}

static void test_config(void)
{
    struct nm_latency_config cfg;
    struct nm_latency *l;

    nm_latency_config_default(&cfg);
    CHECK_EQ_U(cfg.dns_timeout_ns, SEC(5));
    CHECK_EQ_U(cfg.tcp_handshake_timeout_ns, SEC(75));
    cfg.max_tcp = (1u << 26) + 1;
    l = nm_latency_new(&cfg, NULL);
    CHECK(l == NULL);
    nm_latency_config_default(&cfg);
    cfg.dns_timeout_ns = 0;
    l = nm_latency_new(&cfg, NULL);
    CHECK(l == NULL);
    nm_latency_config_default(&cfg);
    cfg.udp_idle_ns = cfg.udp_timeout_ns - 1;
    l = nm_latency_new(&cfg, NULL);
    CHECK(l == NULL);
    /* all families off, no sink: packets are accepted and ignored */
    nm_latency_config_default(&cfg);
    cfg.max_tcp = cfg.max_dns = cfg.max_icmp = cfg.max_udp = 0;
    l = nm_latency_new(&cfg, NULL);
    CHECK(l != NULL);
    if (l != NULL) {
        struct nm_packet p = c2s(T0, SYN, 1, 0, 0);
        nm_latency_packet(l, &p, 1, true, NULL);
        p = dns(T0, CLI, 1, RESOLVER, 53, 1, false, 17);
        nm_latency_packet(l, &p, 1, true, NULL);
        nm_latency_flush(l, T0 + SEC(1000));
        CHECK_EQ_U(nm_latency_counters(l)->evictions[NM_LAT_TABLE_TCP], 0);
        nm_latency_free(l);
    }
    nm_latency_free(NULL);
    CHECK_EQ_S(nm_latency_kind_name(NM_LAT_TCP_HANDSHAKE), "tcp_handshake");
    CHECK_EQ_S(nm_latency_kind_name(NM_LAT_UDP_FIRST_RESPONSE), "udp_first_response");
    CHECK_EQ_S(nm_latency_kind_name(NM_LAT_KIND_COUNT), "");
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        CHECK(nm_latency_kind_name((enum nm_latency_kind)k)[0] != '\0');
}

/* ------------------------------------------------------------------ random */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Packet `phase` of the script below, from (a, pa) to (b, pb), in the
 * pair's handshake number `round` (each with its own ISNs: a SYN with the
 * same ISN would be a copy of the last one). */
static struct nm_packet scripted_tcp_from(int64_t t, uint32_t a, uint16_t pa, uint32_t b,
                                          uint16_t pb, unsigned phase, unsigned round)
{
    uint32_t c = 1000u + 10000u * round, sv = 5000u + 10000u * round;
    if (phase == 0)
        return tcp(t, a, pa, b, pb, SYN, c, 0, 0);
    if (phase == 1)
        return tcp(t, a, pa, b, pb, SYNACK, sv, c + 1, 0);
    return tcp(t, a, pa, b, pb, ACK, c + 1, sv + 1, 0);
}

static const uint16_t random_flags[] = {SYN, SYNACK, ACK, PSHACK, RSTACK, NM_TCP_RST,
                                        NM_TCP_FIN | ACK, 0};

/* With `handshakes` set, random_packet()'s TCP packets follow a script per
 * pair of endpoints: SYN, SYN/ACK, ACK (the lower endpoint the client,
 * ISNs 1000 and 5000), then two random segments, over and over, with one
 * scripted packet in eight replaced by a random one; and time goes in
 * steps of microseconds, not milliseconds, so that a pair's next packet
 * comes well within the timeouts.  Valid handshakes, rare in random
 * traffic, are then common, and held and joined samples get exercised,
 * interrupted in every way the random packets can. */
static bool handshakes;
static uint16_t pair_phase[64 * 64];

/* A random_packet() endpoint (its address's last byte and its port) as a
 * number below 64, different for different endpoints (ports are 53 and
 * 1000-1005): a flow id then names one pair of endpoints, as latency.h
 * requires. */
static unsigned endpoint(unsigned last_byte, uint16_t port)
{
    return last_byte * 8u + (port == 53 ? 7u : port % 8u);
}

static struct nm_packet scripted_tcp(int64_t t, uint32_t a, uint16_t pa, uint32_t b, uint16_t pb)
{
    unsigned ea = endpoint(a & 0xffu, pa), eb = endpoint(b & 0xffu, pb);
    unsigned n = pair_phase[ea < eb ? ea * 64 + eb : eb * 64 + ea]++;
    unsigned ph = n % 5u, round = n / 5u;

    if (ph < 3 && rnd(8) != 0) {
        bool from_client = ph != 1;
        if (from_client != (ea < eb))
            return scripted_tcp_from(t, b, pb, a, pa, ph, round);
        return scripted_tcp_from(t, a, pa, b, pb, ph, round);
    }
    uint32_t base = 1000u + 10000u * round;
    return tcp(t, a, pa, b, pb, random_flags[rnd(8)], base + 4000u * rnd(2) + rnd(2),
               base + 4000u * rnd(2) + rnd(2), rnd(3) * 500);
}

/* A random but reproducible mix of packets over few addresses and ports
 * (so entries collide, repeat and get evicted), timestamps that mostly
 * advance and sometimes go back. */
static struct nm_packet random_packet(int64_t *t)
{
    uint32_t hosts = handshakes ? 3 : 4, ports = handshakes ? 3 : 6;
    uint32_t a = IP(10, 0, 0, 1 + rnd(hosts)), b = IP(10, 0, 0, 1 + rnd(hosts));
    uint16_t pa = (uint16_t)(rnd(3) == 0 ? 53 : 1000 + rnd(ports));
    uint16_t pb = (uint16_t)(rnd(3) == 0 ? 53 : 1000 + rnd(ports));
    struct nm_packet p;

    if (handshakes)     /* a pair's next packet then comes well within the timeouts */
        *t += rnd(10) == 0 ? -US(rnd(50)) : US(rnd(400));
    else
        *t += rnd(10) == 0 ? -MS(rnd(50)) : MS(rnd(400));
    switch (rnd(5)) {
    case 0:
        if (handshakes)
            p = scripted_tcp(*t, a, pa, b, pb);
        else
            p = tcp(*t, a, pa, b, pb, random_flags[rnd(8)], rnd(4) * 0x40000000u + rnd(3000),
                    rnd(4) * 0x40000000u + rnd(3000), rnd(3) * 500);
        if (rnd(4) == 0)
            p.layers |= NM_L_DNS;
        p.dns_flags = (uint16_t)(rnd(2) << 15);
        break;
    case 1:
        p = dns(*t, a, pa, b, pb, (uint16_t)rnd(4), rnd(2), 17);
        break;
    case 2:
        p = udp(*t, a, pa, b, pb);
        break;
    case 3:
        p = icmp(*t, a, b, rnd(2) ? 8 : 0, (uint16_t)rnd(3), (uint16_t)rnd(3));
        break;
    default:
        p = icmp6(*t, (uint8_t)rnd(3), (uint8_t)rnd(3), rnd(2) ? 128 : 129, 1,
                  (uint16_t)rnd(3));
        break;
    }
    return p;
}

/* A sample as one number; summed, so the order samples come in (which may
 * depend on flushes: held tcp_syn_synack samples) does not count. */
static uint64_t sample_mix(const struct nm_latency_sample *s)
{
    uint64_t x = (uint64_t)s->value_ns * 0x9e3779b97f4a7c15u ^ (uint64_t)s->ts_ns ^
                 ((uint64_t)s->kind << 56);
    x ^= x >> 29;
    return x * 0xbf58476d1ce4e5b9u;
}

/* How the random run passes hints (nm_latency_packet's last argument). */
enum hints { HINT_NONE, HINT_PER_FLOW, HINT_ONE_WORD };

/* A random_packet()'s endpoints as numbers below 64. */
static unsigned src_end(const struct nm_packet *p)
{
    return endpoint(p->src_ip.b[3], p->src_port);
}

static unsigned dst_end(const struct nm_packet *p)
{
    return endpoint(p->dst_ip.b[3], p->dst_port);
}

/* Index of the flow (either direction) of a random_packet() */
static unsigned flow_slot(const struct nm_packet *p)
{
    unsigned a = src_end(p), b = dst_end(p);
    return a < b ? a * 64 + b : b * 64 + a;
}

/* Joined samples seen by the last run_random(). */
static uint64_t random_joined;

static void run_random(uint64_t seed, uint64_t hash_seed, bool flush_often, enum hints hints,
                       uint64_t *out)
{
    static uint32_t hint_word[64 * 64];
    uint32_t one_word = UINT32_MAX;
    struct nm_latency_config cfg;
    struct nm_latency *l;
    const struct nm_latency_counters *c;
    int64_t t = T0;
    uint64_t sum = 0;

    nm_latency_config_default(&cfg);
    cfg.max_tcp = handshakes ? 64 : 16;
    cfg.max_dns = 8;
    cfg.max_icmp = 8;
    cfg.max_udp = 16;
    cfg.hash_seed = hash_seed;
    l = make(&cfg);
    rng_state = seed;
    random_joined = 0;
    memset(pair_phase, 0, sizeof pair_phase);
    memset(hint_word, 0xff, sizeof hint_word);
    c = nm_latency_counters(l);
    for (int i = 0; i < 200000; i++) {
        struct nm_packet p = random_packet(&t);
        /* A live run flushes about once a second: at most at the time of
         * the packet that comes next. */
        if (flush_often && i % 7 == 0)
            nm_latency_flush(l, p.ts_ns);
        uint32_t *hint = hints == HINT_PER_FLOW ? &hint_word[flow_slot(&p)]
                         : hints == HINT_ONE_WORD ? &one_word : NULL;
        /* A flow per pair of endpoints, its client the lower one. */
        nm_latency_packet(l, &p, flow_slot(&p) + 1u, src_end(&p) < dst_end(&p), hint);
        if (c->in_use[NM_LAT_TABLE_TCP] > cfg.max_tcp || c->in_use[NM_LAT_TABLE_DNS] > 8 ||
            c->in_use[NM_LAT_TABLE_ICMP] > 8 || c->in_use[NM_LAT_TABLE_UDP] > 16) {
            CHECK(false); /* a table grew past its capacity */
            break;
        }
        if (R.ns > MAX_REC / 2) {
            for (size_t j = 0; j < R.ns; j++) {
                CHECK(R.s[j].value_ns >= 0);
                sum += sample_mix(&R.s[j]);
                random_joined += R.s[j].joined;
            }
            R.ns = 0;
        }
        R.nt = 0;
    }
    /* The capture ends, as in nm-capture: held samples go out. */
    nm_latency_flush(l, t);
    for (size_t j = 0; j < R.ns; j++) {
        sum += sample_mix(&R.s[j]);
        random_joined += R.s[j].joined;
    }
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        sum = sum * 31 + c->samples[k] * 1000003u + c->timeouts[k];
    *out = sum;
    for (int tid = 0; tid < NM_LAT_TABLE_COUNT; tid++)
        CHECK(c->peak[tid] > 0);
    CHECK(c->samples[NM_LAT_TCP_HANDSHAKE] > 0);
    CHECK(c->samples[NM_LAT_DNS] > 0);
    CHECK(c->samples[NM_LAT_ICMPV6_ECHO] > 0);
    CHECK(c->samples[NM_LAT_UDP_FIRST_RESPONSE] > 0);
    CHECK(c->timeouts[NM_LAT_DNS] > 0 || handshakes);  /* a run of seconds, then */
    CHECK(c->evictions[NM_LAT_TABLE_TCP] > 0);
    nm_latency_free(l);
}

/* Results depend on neither the hash seed, nor how often flush is called,
 * nor the hints: per flow, or one word for all flows (wrong most of the
 * time, and must be caught). */
static void test_random_invariants(void)
{
    uint64_t a = 0, b = 1, c = 2, d = 3, e = 4;

    run_random(12345, 0, false, HINT_NONE, &a);
    run_random(12345, 0xdeadbeefcafef00dull, false, HINT_NONE, &b);
    run_random(12345, 77, true, HINT_NONE, &c);
    run_random(12345, 0, false, HINT_PER_FLOW, &d);
    run_random(12345, 0, true, HINT_ONE_WORD, &e);
    CHECK_EQ_U(a, b);
    CHECK_EQ_U(a, c);
    CHECK_EQ_U(a, d);
    CHECK_EQ_U(a, e);

    /* Many valid handshakes: samples held from SYN/ACK to ACK, joined or
     * released by every other event; flushes change which are joined,
     * never the samples. */
    uint64_t joined_plain, joined_flushed;
    handshakes = true;
    run_random(54321, 0, false, HINT_NONE, &a);
    joined_plain = random_joined;
    run_random(54321, 0, true, HINT_NONE, &b);
    joined_flushed = random_joined;
    run_random(54321, 5, false, HINT_PER_FLOW, &c);
    run_random(54321, 0, true, HINT_ONE_WORD, &d);
    handshakes = false;
    CHECK_EQ_U(a, b);
    CHECK_EQ_U(a, c);
    CHECK_EQ_U(a, d);
    CHECK(joined_plain > 100);
    CHECK(joined_flushed < joined_plain);
}

/* A sink that asks for samples without their endpoints gets the same
 * samples, every other field equal, client, server and ports zero. */
static void test_sample_without_ends(void)
{
    static struct nm_latency_sample with[MAX_REC];
    size_t n_with = 0;

    handshakes = true;
    for (int pass = 0; pass < 2; pass++) {
        struct nm_latency *l = make_sink(NULL, pass == 1);
        int64_t t = T0;
        rng_state = 777;
        memset(pair_phase, 0, sizeof pair_phase);
        for (int i = 0; i < 30000 && R.ns < MAX_REC; i++) {
            struct nm_packet p = random_packet(&t);
            nm_latency_packet(l, &p, flow_slot(&p) + 1u, src_end(&p) < dst_end(&p), NULL);
        }
        nm_latency_flush(l, t);
        if (pass == 0) {
            n_with = R.ns;
            memcpy(with, R.s, R.ns * sizeof R.s[0]);
        }
        nm_latency_free(l);
    }
    handshakes = false;
    CHECK(n_with > 1000);
    CHECK_EQ_U(R.ns, n_with);
    size_t ends = 0, same = 0;
    for (size_t i = 0; i < n_with && i < R.ns; i++) {
        struct nm_latency_sample a = with[i];
        const struct nm_latency_sample *b = &R.s[i];
        static const struct nm_ip zero;
        ends += memcmp(&a.client, &zero, sizeof zero) != 0 && memcmp(&a.server, &zero,
                                                                       sizeof zero) != 0;
        CHECK(memcmp(&b->client, &zero, sizeof zero) == 0);
        CHECK(memcmp(&b->server, &zero, sizeof zero) == 0);
        CHECK(b->client_port == 0 && b->server_port == 0);
        memset(&a.client, 0, sizeof a.client);
        memset(&a.server, 0, sizeof a.server);
        a.client_port = a.server_port = 0;
        same += memcmp(&a, b, sizeof a) == 0;
    }
    CHECK_EQ_U(ends, n_with);   /* the first pass had them */
    CHECK_EQ_U(same, n_with);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_handshake_and_data();
    test_joined_handshake();
    test_retransmitted_syn();
    test_retransmitted_synack();
    test_duplicated_packets();
    test_one_direction_client();
    test_one_direction_server();
    test_missing_syn();
    test_reordered_handshake();
    test_closed_forgotten();
    test_syn_flood();
    test_synack_never_acked();
    test_port_reuse();
    test_refused_and_aborted();
    test_synack_wrong_ack();
    test_data_ack_wrap_and_karn();
    test_dns_basic_and_repeat();
    test_dns_timeout_boundary();
    test_dns_ids_reused();
    test_dns_tcp();
    test_dns_table_full();
    test_icmp_echo();
    test_udp_first_response();
    test_eviction_order();
    test_time_backwards();
    test_malformed_ignored();
    test_config();
    test_random_invariants();
    test_sample_without_ends();
    return check_report(argv[0]);
}
