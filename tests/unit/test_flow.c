/*
 * test_flow.c - flow table and TCP tracking, through the engine API with
 * hand-made packets.
 *
 * The TCP scenarios (tcp_scenarios[]) were worked out by hand from
 * Wireshark's rules and then checked against tshark 4.0.17: the same
 * packets written to a pcap give tcp.analysis.retransmission on exactly the
 * frames marked `R` below, and exactly the other analysis flags marked
 * (out_of_order `O`, keep_alive `K`, zero_window_probe `Z`, duplicate_ack
 * `D`); the tcp.stream numbers are what the flow ids here mirror.
 */
#include "check.h"
#include "test_flow_helpers.h"

#include "../../analyze/hash.h"
#include "../../analyze/tcp.h"

#define C_IP "10.0.0.1"
#define S_IP "10.0.0.2"

#define F_SYN NM_TCP_SYN
#define F_ACK NM_TCP_ACK
#define F_FIN NM_TCP_FIN
#define F_RST NM_TCP_RST
#define F_PSH NM_TCP_PSH

struct seg {
    bool from_server;
    int64_t ts;
    uint16_t flags;
    uint32_t seq, ack, len;
    uint16_t win;
    char expect;    /* tshark's analysis of the frame: 'R' retransmission, 'O' out-of-order,
                       'K' keep-alive, 'Z' zero-window probe, 'D' duplicate ACK, '.' none */
};

static struct nm_packet seg_packet(const struct seg *s, uint16_t cport, uint16_t sport)
{
    int64_t ts = T0 + s->ts;
    struct nm_packet p;
    if (s->from_server)
        p = tcp_pkt(S_IP, sport, C_IP, cport, ts, s->flags, s->seq, s->ack, s->len);
    else
        p = tcp_pkt(C_IP, cport, S_IP, sport, ts, s->flags, s->seq, s->ack, s->len);
    p.tcp_win = s->win;
    return p;
}

/* Runs a scenario; checks each frame's retransmission verdict.  Returns
 * the number of retransmissions seen. */
static unsigned run_scenario(struct nm_engine *e, const char *name, const struct seg *s, size_t n,
                             uint16_t cport, uint16_t sport)
{
    unsigned retrans = 0;
    for (size_t i = 0; i < n; i++) {
        struct nm_packet p = seg_packet(&s[i], cport, sport);
        struct nm_verdict v = feed(e, &p);
        bool want = s[i].expect == 'R';
        if (v.tcp_retransmission != want)
            fprintf(stderr, "scenario %s frame %zu: retransmission %d, want %d\n", name, i + 1,
                    v.tcp_retransmission, want);
        CHECK(v.tcp_retransmission == want);
        CHECK(v.flow_id != 0);
        CHECK(v.from_client == !s[i].from_server);
        retrans += v.tcp_retransmission;
    }
    return retrans;
}

#define W 65535
/* Scenario A: handshake (RTT 20 ms), timeout retransmission, out-of-order
 * fill within the RTT, spurious retransmission of acknowledged data,
 * keep-alives (0 and 1 byte), retransmitted FIN. */
static const struct seg scen_a[] = {
    { false, 0, F_SYN, 1000, 0, 0, W, '.' },
    { true, 10 * MS, F_SYN | F_ACK, 5000, 1001, 0, W, '.' },
    { false, 20 * MS, F_ACK, 1001, 5001, 0, W, '.' },
    { false, 30 * MS, F_ACK | F_PSH, 1001, 5001, 100, W, '.' },
    { false, 1030 * MS, F_ACK | F_PSH, 1001, 5001, 100, W, 'R' },  /* 5: timeout */
    { false, 1040 * MS, F_ACK, 1101, 5001, 100, W, '.' },
    { false, 1041 * MS, F_ACK, 1301, 5001, 100, W, '.' },          /* hole at 1201 */
    { false, 1045 * MS, F_ACK, 1201, 5001, 100, W, 'O' },          /* 8: fills it 4 ms later */
    { true, 1100 * MS, F_ACK, 5001, 1401, 0, W, '.' },
    { false, 1101 * MS, F_ACK, 1001, 5001, 100, W, 'R' },          /* 10: spurious */
    { false, 60 * SEC, F_ACK, 1400, 5001, 0, W, 'K' },             /* keep-alive, 0 bytes */
    { false, 60 * SEC + MS, F_ACK, 1400, 5001, 1, W, 'K' },        /* keep-alive, 1 byte */
    { true, 61 * SEC, F_ACK | F_PSH, 5001, 1401, 50, W, '.' },
    { false, 62 * SEC, F_FIN | F_ACK, 1401, 5051, 0, W, '.' },
    { false, 63 * SEC, F_FIN | F_ACK, 1401, 5051, 0, W, 'R' },     /* 15: FIN again */
    { true, 63 * SEC + 10 * MS, F_FIN | F_ACK, 5051, 1402, 0, W, '.' },
    { false, 63 * SEC + 20 * MS, F_ACK, 1402, 5052, 0, W, '.' },
};

/* Scenario B: fast retransmission.  RTT 100 ms, so without the two
 * duplicate ACKs frame 10 would be out-of-order, not a retransmission. */
static const struct seg scen_b[] = {
    { false, 0, F_SYN, 100, 0, 0, W, '.' },
    { true, 50 * MS, F_SYN | F_ACK, 900, 101, 0, W, '.' },
    { false, 100 * MS, F_ACK, 101, 901, 0, W, '.' },
    { false, 110 * MS, F_ACK, 101, 901, 100, W, '.' },
    { false, 111 * MS, F_ACK, 201, 901, 100, W, '.' },
    { false, 112 * MS, F_ACK, 301, 901, 100, W, '.' },
    { true, 150 * MS, F_ACK, 901, 201, 0, W, '.' },
    { true, 151 * MS, F_ACK, 901, 201, 0, W, 'D' },  /* dup ACK 1 */
    { true, 152 * MS, F_ACK, 901, 201, 0, W, 'D' },  /* dup ACK 2 */
    { false, 155 * MS, F_ACK, 201, 901, 100, W, 'R' },
};

/* Scenario C: sequence numbers wrap past 2^32 in the client's direction. */
#define WRAP 0xFFFFFF00u
static const struct seg scen_c[] = {
    { false, 0, F_SYN, WRAP, 0, 0, W, '.' },
    { true, 10 * MS, F_SYN | F_ACK, 7000, WRAP + 1, 0, W, '.' },
    { false, 20 * MS, F_ACK, WRAP + 1, 7001, 0, W, '.' },
    { false, 30 * MS, F_ACK, WRAP + 1, 7001, 512, W, '.' },  /* ends at 0x101 */
    { false, 40 * MS, F_ACK, 0x101, 7001, 100, W, '.' },     /* after the wrap: new */
    { false, 2 * SEC, F_ACK, WRAP + 1, 7001, 512, W, 'R' },  /* before the wrap: old */
    { false, 2100 * MS, F_ACK, 0x165, 7001, 100, W, '.' },
};

/* Scenario D: an unanswered SYN retried twice, then refused. */
static const struct seg scen_d[] = {
    { false, 0, F_SYN, 500, 0, 0, W, '.' },
    { false, 1 * SEC, F_SYN, 500, 0, 0, W, 'R' },
    { false, 3 * SEC, F_SYN, 500, 0, 0, W, 'R' },
    { true, 3 * SEC + MS, F_RST | F_ACK, 0, 501, 0, W, '.' },
};

/* Scenario E: zero-window probes (same byte twice) are not retransmissions. */
static const struct seg scen_e[] = {
    { false, 0, F_SYN, 100, 0, 0, W, '.' },
    { true, 10 * MS, F_SYN | F_ACK, 300, 101, 0, W, '.' },
    { false, 20 * MS, F_ACK, 101, 301, 0, W, '.' },
    { true, 30 * MS, F_ACK, 301, 101, 0, 0, '.' },           /* window 0 */
    { false, 1 * SEC, F_ACK, 101, 301, 1, W, 'Z' },          /* probe */
    { false, 2 * SEC, F_ACK, 101, 301, 1, W, 'Z' },          /* probe again */
    { true, 2 * SEC + 10 * MS, F_ACK, 301, 101, 0, 0, '.' },
    { true, 3 * SEC, F_ACK, 301, 101, 0, 8192, '.' },        /* window opens */
    { false, 3 * SEC + 10 * MS, F_ACK, 101, 301, 100, W, '.' },
};

/* The same scenarios straight through the TCP tracker: every analysis
 * flag tshark reported, and none it did not. */
static void run_direct(const char *name, const struct seg *s, size_t n)
{
    struct nm_tcp_track t;
    nm_tcp_init(&t);
    static const struct {
        char c;
        unsigned bit;
    } map[] = { { 'R', NM_TCPR_RETRANS }, { 'O', NM_TCPR_OOO }, { 'K', NM_TCPR_KEEPALIVE },
                { 'Z', NM_TCPR_ZWP }, { 'D', NM_TCPR_DUPACK } };
    const unsigned all = NM_TCPR_RETRANS | NM_TCPR_OOO | NM_TCPR_KEEPALIVE | NM_TCPR_ZWP |
                         NM_TCPR_DUPACK;
    for (size_t i = 0; i < n; i++) {
        unsigned res = nm_tcp_segment(&t, s[i].from_server, T0 + s[i].ts, s[i].flags, s[i].seq,
                                      s[i].ack, s[i].len, s[i].win);
        unsigned want = 0;
        for (unsigned m = 0; m < sizeof map / sizeof map[0]; m++)
            if (map[m].c == s[i].expect)
                want = map[m].bit;
        if ((res & all) != want)
            fprintf(stderr, "scenario %s frame %zu: flags 0x%x, want 0x%x\n", name, i + 1,
                    res & all, want);
        CHECK_EQ_U(res & all, want);
        CHECK(((res & NM_TCPR_RST) != 0) == ((s[i].flags & F_RST) != 0));
    }
}

/* Scenario F: ACKs answering keep-alives repeat the previous ACK but are
 * not duplicate ACKs (tshark: "ACK to a TCP keep-alive segment"); 20 bytes
 * starting one before the highest sequence number are new data. */
static const struct seg scen_f[] = {
    { false, 0, F_SYN, 100, 0, 0, W, '.' },
    { true, 10 * MS, F_SYN | F_ACK, 300, 101, 0, W, '.' },
    { false, 20 * MS, F_ACK, 101, 301, 0, W, '.' },
    { false, 30 * MS, F_ACK, 101, 301, 10, W, '.' },
    { true, 40 * MS, F_ACK, 301, 111, 0, W, '.' },
    { false, 10 * SEC, F_ACK, 110, 301, 0, W, 'K' },
    { true, 10 * SEC + 10 * MS, F_ACK, 301, 111, 0, W, '.' },
    { false, 20 * SEC, F_ACK, 110, 301, 1, W, 'K' },
    { true, 20 * SEC + 10 * MS, F_ACK, 301, 111, 0, W, '.' },
    { true, 20 * SEC + 20 * MS, F_ACK, 301, 111, 0, W, '.' },
    { true, 20 * SEC + 30 * MS, F_ACK, 301, 111, 0, W, '.' },
    { false, 30 * SEC, F_ACK, 110, 301, 20, W, '.' },
    { false, 30 * SEC + MS, F_ACK, 130, 301, 10, W, '.' },
};

static void test_tcp_scenarios(void)
{
    run_direct("F", scen_f, sizeof scen_f / sizeof scen_f[0]);
    run_direct("A", scen_a, sizeof scen_a / sizeof scen_a[0]);
    run_direct("B", scen_b, sizeof scen_b / sizeof scen_b[0]);
    run_direct("C", scen_c, sizeof scen_c / sizeof scen_c[0]);
    run_direct("D", scen_d, sizeof scen_d / sizeof scen_d[0]);
    run_direct("E", scen_e, sizeof scen_e / sizeof scen_e[0]);

    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    CHECK_EQ_U(run_scenario(e, "A", scen_a, sizeof scen_a / sizeof scen_a[0], 40000, 80), 3);
    CHECK_EQ_U(run_scenario(e, "B", scen_b, sizeof scen_b / sizeof scen_b[0], 40001, 80), 1);
    CHECK_EQ_U(run_scenario(e, "C", scen_c, sizeof scen_c / sizeof scen_c[0], 40002, 80), 1);
    CHECK_EQ_U(run_scenario(e, "D", scen_d, sizeof scen_d / sizeof scen_d[0], 40003, 81), 2);
    CHECK_EQ_U(run_scenario(e, "E", scen_e, sizeof scen_e / sizeof scen_e[0], 40004, 80), 0);
    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK_EQ_U(t->tcp_retransmissions, 7);
    CHECK_EQ_U(t->tcp_resets, 1);
    CHECK_EQ_U(t->flows_created, 5);
    CHECK_EQ_U(t->connections[NM_P_TCP], 5);

    /* Records: A closed by FINs, D by RST; the others still open. */
    nm_engine_flush(e, T0 + 63 * SEC + 20 * MS, true);
    const struct nm_flow_rec *a = find_flow(l, 1), *d = find_flow(l, 4), *b = find_flow(l, 2);
    CHECK(a && d && b);
    if (a && d && b) {
        CHECK_EQ_U(a->end_reason, NM_FEND_FIN);
        CHECK_EQ_U(a->tcp_state, NM_TCPS_CLOSED);
        CHECK_EQ_U(a->tcp_retransmissions, 3);
        CHECK_EQ_U(a->pkts_c2s, 13);
        CHECK_EQ_U(a->pkts_s2c, 4);
        /* Client payload: six 100-byte segments and a 1-byte keep-alive;
         * 13 frames of 54 header bytes. */
        CHECK_EQ_U(a->bytes_c2s, 13 * 54 + 6 * 100 + 1);
        CHECK_EQ_U(a->bytes_s2c, 4 * 54 + 50);
        CHECK_EQ_U(a->client_port, 40000);
        CHECK_EQ_U(a->server_port, 80);
        CHECK(memcmp(a->client.b, ip_of(C_IP).b, 16) == 0);
        CHECK(memcmp(a->server.b, ip_of(S_IP).b, 16) == 0);
        CHECK_EQ_U(a->first_ns, T0);
        CHECK_EQ_U(a->last_ns, T0 + 63 * SEC + 20 * MS);
        CHECK(a->is_connection);
        CHECK_EQ_U(d->end_reason, NM_FEND_RST);
        CHECK_EQ_U(d->tcp_resets, 1);
        CHECK_EQ_U(d->tcp_retransmissions, 2);
        CHECK_EQ_U(d->pkts_c2s, 3);
        CHECK_EQ_U(b->end_reason, NM_FEND_CAPTURE_END);
        CHECK_EQ_U(b->tcp_state, NM_TCPS_ESTABLISHED);
    }
    nm_engine_free(e);
    free(l);
}

/* The state machine, packet by packet, read from ACTIVE flushes. */
static void test_handshake_states(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    static const struct {
        bool srv;
        uint16_t flags;
        uint32_t seq, ack;
        uint8_t state;
    } steps[] = {
        { false, F_SYN, 10, 0, NM_TCPS_SYN_SENT },
        { true, F_SYN | F_ACK, 20, 11, NM_TCPS_SYN_RECEIVED },
        { false, F_ACK, 11, 21, NM_TCPS_ESTABLISHED },
        { true, F_FIN | F_ACK, 21, 11, NM_TCPS_FIN_WAIT },
        { false, F_ACK, 11, 22, NM_TCPS_FIN_WAIT },
        { false, F_FIN | F_ACK, 11, 22, NM_TCPS_CLOSED },
        { true, F_ACK, 22, 12, NM_TCPS_CLOSED },
    };
    for (unsigned i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int64_t ts = T0 + (int64_t)i * MS;
        uint16_t fl = steps[i].flags;
        uint32_t sq = steps[i].seq, ak = steps[i].ack;
        struct nm_packet p = steps[i].srv ? tcp_pkt(S_IP, 443, C_IP, 50000, ts, fl, sq, ak, 0)
                                          : tcp_pkt(C_IP, 50000, S_IP, 443, ts, fl, sq, ak, 0);
        struct nm_verdict v = feed(e, &p);
        CHECK_EQ_U(v.flow_id, 1);
        CHECK(v.new_flow == (i == 0));
        CHECK(v.new_connection == (i == 0));
        nm_engine_flush(e, ts, false);
        const struct nm_flow_rec *r = find_flow(l, 1);
        CHECK(r != NULL);
        if (r) {
            CHECK_EQ_U(r->tcp_state, steps[i].state);
            CHECK_EQ_U(r->end_reason, NM_FEND_ACTIVE);
        }
    }
    /* Closed at +6 ms; the record becomes final (FIN) after 5 s of quiet. */
    unsigned before = l->nflows;
    nm_engine_flush(e, T0 + 6 * MS + 5 * SEC, false);
    CHECK_EQ_U(l->nflows, before); /* exactly 5 s: still lingering */
    nm_engine_flush(e, T0 + 6 * MS + 5 * SEC + 1, false);
    CHECK_EQ_U(l->nflows, before + 1);
    CHECK_EQ_U(l->flows[l->nflows - 1].end_reason, NM_FEND_FIN);
    CHECK_EQ_U(nm_engine_totals(e)->flows_active, 0);
    CHECK_EQ_U(nm_engine_totals(e)->flows_timed_out, 0);
    nm_engine_free(e);
    free(l);
}

/* FIN close, then a SYN with a new ISN on the same ports (tshark: tcp.stream
 * 1); SYN, RST, then the same ISN again (tshark: same stream, retransmission). */
static void test_port_reuse(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    struct nm_packet g[] = {
        tcp_pkt(C_IP, 40005, S_IP, 80, T0, F_SYN, 100, 0, 0),
        tcp_pkt(S_IP, 80, C_IP, 40005, T0 + 10 * MS, F_SYN | F_ACK, 300, 101, 0),
        tcp_pkt(C_IP, 40005, S_IP, 80, T0 + 20 * MS, F_ACK, 101, 301, 0),
        tcp_pkt(C_IP, 40005, S_IP, 80, T0 + 30 * MS, F_FIN | F_ACK, 101, 301, 0),
        tcp_pkt(S_IP, 80, C_IP, 40005, T0 + 40 * MS, F_FIN | F_ACK, 301, 102, 0),
        tcp_pkt(C_IP, 40005, S_IP, 80, T0 + 50 * MS, F_ACK, 102, 302, 0),
        tcp_pkt(C_IP, 40005, S_IP, 80, T0 + 2 * SEC, F_SYN, 9000, 0, 0),
        tcp_pkt(S_IP, 80, C_IP, 40005, T0 + 2 * SEC + 10 * MS, F_SYN | F_ACK, 7000, 9001, 0),
    };
    static const uint64_t want_id[] = { 1, 1, 1, 1, 1, 1, 2, 2 };
    for (unsigned i = 0; i < 8; i++) {
        struct nm_verdict v = feed(e, &g[i]);
        CHECK_EQ_U(v.flow_id, want_id[i]);
        CHECK(v.new_connection == (i == 0 || i == 6));
    }
    /* The old flow's record is final at once, with its true end reason. */
    CHECK_EQ_U(l->nflows, 1);
    CHECK_EQ_U(l->flows[0].flow_id, 1);
    CHECK_EQ_U(l->flows[0].end_reason, NM_FEND_FIN);
    CHECK_EQ_U(l->flows[0].pkts_c2s + l->flows[0].pkts_s2c, 6);

    struct nm_packet h[] = {
        tcp_pkt(C_IP, 40006, S_IP, 80, T0 + 3 * SEC, F_SYN, 700, 0, 0),
        tcp_pkt(S_IP, 80, C_IP, 40006, T0 + 3 * SEC + MS, F_RST | F_ACK, 0, 701, 0),
        tcp_pkt(C_IP, 40006, S_IP, 80, T0 + 4 * SEC, F_SYN, 700, 0, 0),
        tcp_pkt(S_IP, 80, C_IP, 40006, T0 + 4 * SEC + MS, F_RST | F_ACK, 0, 701, 0),
    };
    for (unsigned i = 0; i < 4; i++) {
        struct nm_verdict v = feed(e, &h[i]);
        CHECK_EQ_U(v.flow_id, 3);
        CHECK(v.tcp_retransmission == (i == 2));
    }
    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK_EQ_U(t->connections[NM_P_TCP], 3);
    CHECK_EQ_U(t->tcp_resets, 2);
    CHECK_EQ_U(t->flows_created, 3);
    nm_engine_free(e);
    free(l);
}

/* Mid-stream pickups and SYN/ACK-first flows: who is the client, and what
 * counts as a connection. */
static void test_midstream_and_reorder(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    /* First packet is server data from port 443: the client is the other side. */
    struct nm_packet p = tcp_pkt(S_IP, 443, C_IP, 51000, T0, F_ACK | F_PSH, 5000, 9000, 1000);
    struct nm_verdict v = feed(e, &p);
    CHECK(v.new_flow);
    CHECK(!v.new_connection);
    CHECK(!v.from_client);
    p = tcp_pkt(C_IP, 51000, S_IP, 443, T0 + MS, F_ACK, 9000, 6000, 0);
    v = feed(e, &p);
    CHECK(v.from_client);
    CHECK_EQ_U(v.flow_id, 1);

    /* Both ports high: the first sender is the client. */
    p = tcp_pkt(S_IP, 8080, C_IP, 51001, T0 + 2 * MS, F_ACK, 1, 1, 10);
    v = feed(e, &p);
    CHECK(v.from_client);

    /* SYN/ACK seen before its SYN: the SYN's sender is the client, and the
     * flow becomes a connection when the SYN arrives. */
    p = tcp_pkt(S_IP, 22, C_IP, 51002, T0 + 3 * MS, F_SYN | F_ACK, 800, 401, 0);
    v = feed(e, &p);
    CHECK(v.new_flow && !v.new_connection && !v.from_client);
    p = tcp_pkt(C_IP, 51002, S_IP, 22, T0 + 3 * MS + 1000, F_SYN, 400, 0, 0);
    v = feed(e, &p);
    CHECK(!v.new_flow && v.new_connection && v.from_client);
    CHECK_EQ_U(v.flow_id, 3);

    nm_engine_flush(e, T0 + 4 * MS, true);
    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK_EQ_U(t->flows_created, 3);
    CHECK_EQ_U(t->connections[NM_P_TCP], 1);
    const struct nm_flow_rec *r1 = find_flow(l, 1), *r3 = find_flow(l, 3);
    CHECK(r1 && r3);
    if (r1 && r3) {
        CHECK_EQ_U(r1->client_port, 51000);
        CHECK_EQ_U(r1->server_port, 443);
        CHECK_EQ_U(r1->pkts_s2c, 1);
        CHECK_EQ_U(r1->bytes_s2c, 1054);
        CHECK(!r1->is_connection);
        CHECK_EQ_U(r1->tcp_state, NM_TCPS_ESTABLISHED);
        CHECK(r3->is_connection);
        CHECK_EQ_U(r3->client_port, 51002);
        CHECK_EQ_U(r3->tcp_state, NM_TCPS_SYN_RECEIVED);
    }
    nm_engine_free(e);
    free(l);
}

/* Idle timeouts in packet time: exactly at the timeout the flow continues,
 * one nanosecond later it is a new flow (and a new UDP connection). */
static void test_idle_timeout(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    struct nm_packet p = udp_pkt(C_IP, 5353, S_IP, 53, T0, 40);
    CHECK_EQ_U(feed(e, &p).flow_id, 1);
    p = udp_pkt(S_IP, 53, C_IP, 5353, T0 + 60 * SEC, 100);
    struct nm_verdict v = feed(e, &p);
    CHECK_EQ_U(v.flow_id, 1);
    CHECK(!v.from_client);
    p = udp_pkt(C_IP, 5353, S_IP, 53, T0 + 120 * SEC + 1, 40);
    v = feed(e, &p);
    CHECK_EQ_U(v.flow_id, 2);
    CHECK(v.new_flow && v.new_connection && v.from_client);
    CHECK_EQ_U(l->nflows, 1);
    CHECK_EQ_U(l->flows[0].end_reason, NM_FEND_IDLE);
    CHECK_EQ_U(l->flows[0].pkts_c2s, 1);
    CHECK_EQ_U(l->flows[0].pkts_s2c, 1);
    CHECK_EQ_U(l->flows[0].last_ns, T0 + 60 * SEC);

    /* TCP waits 300 s: a packet 299 s later is the same flow. */
    p = tcp_pkt(C_IP, 40000, S_IP, 80, T0 + 200 * SEC, F_SYN, 1, 0, 0);
    CHECK_EQ_U(feed(e, &p).flow_id, 3);
    p = tcp_pkt(C_IP, 40000, S_IP, 80, T0 + 499 * SEC, F_ACK, 2, 1, 0);
    CHECK_EQ_U(feed(e, &p).flow_id, 3);
    /* The UDP flow 2 (last packet at 120 s) expired in the sweep at 200 s. */
    CHECK_EQ_U(nm_engine_totals(e)->flows_timed_out, 2);
    const struct nm_flow_rec *r2 = find_flow(l, 2);
    CHECK(r2 != NULL);
    if (r2)
        CHECK_EQ_U(r2->end_reason, NM_FEND_IDLE);
    /* A flush at 799 s + 1 ns ends the TCP flow as idle too. */
    nm_engine_flush(e, T0 + 799 * SEC, false);
    CHECK_EQ_U(nm_engine_totals(e)->flows_active, 1);
    nm_engine_flush(e, T0 + 799 * SEC + 1, false);
    CHECK_EQ_U(nm_engine_totals(e)->flows_active, 0);
    CHECK_EQ_U(nm_engine_totals(e)->flows_timed_out, 3);
    CHECK_EQ_U(nm_engine_totals(e)->connections[NM_P_UDP], 2);
    nm_engine_free(e);
    free(l);
}

/* A full table evicts the least recently used flow, emits it, counts it. */
static void test_lru_eviction(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 4, 0);
    char src[32];
    for (int i = 1; i <= 4; i++) {
        snprintf(src, sizeof src, "10.1.0.%d", i);
        struct nm_packet p = udp_pkt(src, 1000, S_IP, 53, T0 + i * SEC, 10);
        CHECK_EQ_U(feed(e, &p).flow_id, (uint64_t)i);
    }
    /* Touch flow 1 (a reply), so flow 2 is now the least recently used. */
    struct nm_packet p = udp_pkt(S_IP, 53, "10.1.0.1", 1000, T0 + 5 * SEC, 10);
    CHECK_EQ_U(feed(e, &p).flow_id, 1);
    CHECK_EQ_U(l->nflows, 0);
    /* A TCP flow (other list) and a UDP flow: evict 2, then 3. */
    p = tcp_pkt("10.1.0.5", 2000, S_IP, 80, T0 + 6 * SEC, F_SYN, 1, 0, 0);
    CHECK_EQ_U(feed(e, &p).flow_id, 5);
    p = udp_pkt("10.1.0.6", 1000, S_IP, 53, T0 + 7 * SEC, 10);
    CHECK_EQ_U(feed(e, &p).flow_id, 6);
    CHECK_EQ_U(l->nflows, 2);
    CHECK_EQ_U(l->flows[0].flow_id, 2);
    CHECK_EQ_U(l->flows[0].end_reason, NM_FEND_EVICTED);
    CHECK_EQ_U(l->flows[1].flow_id, 3);
    CHECK_EQ_U(l->flows[1].end_reason, NM_FEND_EVICTED);
    /* Next LRU is flow 4 (4 s), older than the TCP flow 5 (6 s). */
    p = udp_pkt("10.1.0.7", 1000, S_IP, 53, T0 + 8 * SEC, 10);
    CHECK_EQ_U(feed(e, &p).flow_id, 7);
    CHECK_EQ_U(l->flows[2].flow_id, 4);
    /* Then flow 1 (5 s), then the TCP flow 5. */
    p = udp_pkt("10.1.0.8", 1000, S_IP, 53, T0 + 9 * SEC, 10);
    feed(e, &p);
    p = udp_pkt("10.1.0.9", 1000, S_IP, 53, T0 + 10 * SEC, 10);
    feed(e, &p);
    CHECK_EQ_U(l->flows[3].flow_id, 1);
    CHECK_EQ_U(l->flows[3].pkts_c2s + l->flows[3].pkts_s2c, 2);
    CHECK_EQ_U(l->flows[4].flow_id, 5);
    CHECK_EQ_U(l->flows[4].ip_proto, 6);
    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK_EQ_U(t->flows_evicted, 5);
    CHECK_EQ_U(t->flows_active, 4);
    CHECK_EQ_U(t->flows_peak, 4);
    CHECK_EQ_U(t->flows_created, 9);

    /* At 75 s the sweep expires the UDP flows 6..9 (last seen 7..10 s):
     * room without evicting. */
    p = tcp_pkt("10.1.0.10", 2000, S_IP, 80, T0 + 75 * SEC, F_SYN, 1, 0, 0);
    feed(e, &p);
    CHECK_EQ_U(t->flows_evicted, 5);
    CHECK_EQ_U(t->flows_timed_out, 4);
    nm_engine_free(e);
    free(l);

    /* A full table between sweeps: the idle tail is expired, not the live
     * flow evicted.  A at 0 s; B at 59.8 s (sweep: A not yet idle); C at
     * 60.3 s, before the next sweep, finds A idle by 0.3 s. */
    l = rec_log_new();
    e = new_engine(l, 2, 0);
    t = nm_engine_totals(e);
    p = udp_pkt("10.2.0.1", 1000, S_IP, 53, T0, 10);
    CHECK_EQ_U(feed(e, &p).flow_id, 1);
    p = udp_pkt("10.2.0.2", 1000, S_IP, 53, T0 + 59800 * MS, 10);
    CHECK_EQ_U(feed(e, &p).flow_id, 2);
    p = udp_pkt("10.2.0.3", 1000, S_IP, 53, T0 + 60300 * MS, 10);
    CHECK_EQ_U(feed(e, &p).flow_id, 3);
    CHECK_EQ_U(t->flows_evicted, 0);
    CHECK_EQ_U(t->flows_timed_out, 1);
    CHECK_EQ_U(l->nflows, 1);
    CHECK_EQ_U(l->flows[0].flow_id, 1);
    CHECK_EQ_U(l->flows[0].end_reason, NM_FEND_IDLE);
    nm_engine_free(e);
    free(l);
}

/* Capacity 1 under a flood: memory stays put, every flow still gets a record. */
static void test_flood_capacity(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 1, 1);
    for (uint32_t i = 0; i < 10000; i++) {
        struct nm_packet p = tcp_pkt(C_IP, 1, S_IP, 80, T0 + i, F_SYN, i, 0, 0);
        p.src_ip.b[1] = 99; /* 10.99.x.y: never the server's address */
        p.src_ip.b[2] = (uint8_t)(i >> 8);
        p.src_ip.b[3] = (uint8_t)i;
        feed(e, &p);
    }
    nm_engine_flush(e, T0 + 10000, true);
    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK_EQ_U(t->flows_created, 10000);
    CHECK_EQ_U(t->flows_evicted, 9999);
    CHECK_EQ_U(l->flows_total, 10000);
    CHECK_EQ_U(t->connections[NM_P_TCP], 10000);
    /* One address slot: each of the 4 lookups per packet (its 2 MACs, and
     * the 2 IPs of the flow it evicts, or at the end the last flow's) misses
     * and evicts, except the very first; every evicted entry held a delta,
     * and the final flush emits the last one. */
    CHECK_EQ_U(t->addresses_evicted, 4 * 10000 - 1);
    CHECK_EQ_U(l->addrs_total, 4 * 10000);
    nm_engine_free(e);
    free(l);
}

/* Keys: ICMP echo by identifier, other ICMP by type/code, VLANs apart,
 * non-IP and non-first fragments in no flow, other IP protocols by address. */
static void test_keys(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    struct nm_packet p = icmp_pkt(C_IP, S_IP, T0, 8, 0, 77, 1);
    struct nm_verdict v = feed(e, &p);
    CHECK_EQ_U(v.flow_id, 1);
    CHECK(v.new_connection);
    p = icmp_pkt(S_IP, C_IP, T0 + MS, 0, 0, 77, 1);
    v = feed(e, &p);
    CHECK_EQ_U(v.flow_id, 1);
    CHECK(!v.from_client);
    p = icmp_pkt(C_IP, S_IP, T0 + 2 * MS, 8, 0, 78, 1); /* another identifier */
    CHECK_EQ_U(feed(e, &p).flow_id, 2);
    /* Echo reply first: its receiver is the client. */
    p = icmp_pkt("2001:db8::2", "2001:db8::1", T0 + 3 * MS, 129, 0, 5, 1);
    v = feed(e, &p);
    CHECK_EQ_U(v.flow_id, 3);
    CHECK(!v.from_client);
    /* Destination unreachable (3/3) twice from a router: one flow; 3/1 another. */
    p = icmp_pkt("10.0.0.254", C_IP, T0 + 4 * MS, 3, 3, 0, 0);
    CHECK_EQ_U(feed(e, &p).flow_id, 4);
    p = icmp_pkt("10.0.0.254", C_IP, T0 + 5 * MS, 3, 3, 0, 0);
    CHECK_EQ_U(feed(e, &p).flow_id, 4);
    p = icmp_pkt("10.0.0.254", C_IP, T0 + 6 * MS, 3, 1, 0, 0);
    CHECK_EQ_U(feed(e, &p).flow_id, 5);
    /* Same UDP 5-tuple on two VLANs: two flows. */
    p = udp_pkt(C_IP, 1000, S_IP, 53, T0 + 7 * MS, 10);
    p.layers |= NM_L_VLAN;
    p.vlan_count = 1;
    p.vlan_ids[0] = 20;
    CHECK_EQ_U(feed(e, &p).flow_id, 6);
    p.vlan_ids[0] = 30;
    CHECK_EQ_U(feed(e, &p).flow_id, 7);
    /* ARP: no flow. */
    p = arp_pkt(T0 + 8 * MS);
    v = feed(e, &p);
    CHECK_EQ_U(v.flow_id, 0);
    CHECK(!v.new_flow);
    /* Fragments: the first (offset 0, ports known) joins the UDP flow;
     * a later fragment has no ports and belongs to no flow. */
    p = udp_pkt(C_IP, 2049, S_IP, 2049, T0 + 9 * MS, 1472);
    p.layers |= NM_L_FRAG;
    p.more_frags = true;
    CHECK_EQ_U(feed(e, &p).flow_id, 8);
    p = ip_packet(C_IP, S_IP, T0 + 9 * MS + 1, 1514);
    p.layers |= NM_L_FRAG;
    p.ip_proto = 17;
    p.frag_offset = 1480;
    CHECK_EQ_U(feed(e, &p).flow_id, 0);
    /* A later fragment of a GRE packet: no flow either (it would otherwise
     * be keyed like any other-protocol packet). */
    p = ip_packet(C_IP, S_IP, T0 + 9 * MS + 2, 600);
    p.layers |= NM_L_FRAG;
    p.ip_proto = 47;
    p.frag_offset = 1480;
    CHECK_EQ_U(feed(e, &p).flow_id, 0);
    /* TCP header truncated (no TCP layer): no flow. */
    p = ip_packet(C_IP, S_IP, T0 + 10 * MS, 40);
    p.ip_proto = 6;
    p.malformed = NM_MAL_TCP_TRUNCATED;
    CHECK_EQ_U(feed(e, &p).flow_id, 0);
    /* GRE (47): keyed by address pair, both directions one flow. */
    p = ip_packet(C_IP, S_IP, T0 + 11 * MS, 100);
    p.ip_proto = 47;
    p.layers |= NM_L_TUNNEL;
    CHECK_EQ_U(feed(e, &p).flow_id, 9);
    p = ip_packet(S_IP, C_IP, T0 + 12 * MS, 100);
    p.ip_proto = 47;
    v = feed(e, &p);
    CHECK_EQ_U(v.flow_id, 9);
    CHECK(!v.from_client);

    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK_EQ_U(t->connections[NM_P_ICMP], 4);   /* flows 1, 2, 4, 5 */
    CHECK_EQ_U(t->connections[NM_P_ICMPV6], 1); /* flow 3 */
    CHECK_EQ_U(t->connections[NM_P_UDP], 3);    /* flows 6, 7, 8 */
    CHECK_EQ_U(t->connections[NM_P_OTHER], 1);  /* flow 9 (GRE) */
    CHECK_EQ_U(t->connections[NM_P_TCP], 0);

    nm_engine_flush(e, T0 + 12 * MS, true);
    const struct nm_flow_rec *r4 = find_flow(l, 4), *r1 = find_flow(l, 1), *r6 = find_flow(l, 6);
    CHECK(r4 && r1 && r6);
    if (r4 && r1 && r6) {
        CHECK_EQ_U(r4->client_port, 3); /* type */
        CHECK_EQ_U(r4->server_port, 3); /* code */
        CHECK_EQ_U(r4->pkts_c2s, 2);
        CHECK_EQ_U(r1->client_port, 77);
        CHECK_EQ_U(r1->server_port, 77);
        CHECK_EQ_U(r1->ip_proto, 1);
        CHECK_EQ_U(r6->vlan, 20);
        CHECK_EQ_U(r6->ip_version, 4);
    }
    nm_engine_free(e);
    free(l);
}

/* flush(false) emits only flows changed since the previous flush. */
static void test_flush_changed_only(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    struct nm_packet a = udp_pkt(C_IP, 1, S_IP, 2, T0, 10);
    struct nm_packet b = udp_pkt(C_IP, 3, S_IP, 4, T0 + 1, 10);
    feed(e, &a);
    feed(e, &b);
    nm_engine_flush(e, T0 + 1, false);
    CHECK_EQ_U(l->nflows, 2);
    nm_engine_flush(e, T0 + 2, false);
    CHECK_EQ_U(l->nflows, 2);
    a.ts_ns = T0 + 3;
    feed(e, &a);
    nm_engine_flush(e, T0 + 3, false);
    CHECK_EQ_U(l->nflows, 3);
    CHECK_EQ_U(l->flows[2].flow_id, 1);
    CHECK_EQ_U(l->flows[2].pkts_c2s, 2);
    CHECK_EQ_U(l->flows[2].end_reason, NM_FEND_ACTIVE);
    nm_engine_flush(e, T0 + 3, true);
    CHECK_EQ_U(l->nflows, 5);
    CHECK_EQ_U(nm_engine_totals(e)->flows_active, 0);
    /* After the final flush the engine still works: a new flow, new id. */
    a.ts_ns = T0 + 4;
    CHECK_EQ_U(feed(e, &a).flow_id, 3);
    nm_engine_free(e);
    free(l);
}

/* Thousands of flows (the bucket array grows several times), flushed in
 * between: every packet of an existing flow still finds it, and the address
 * cache keeps exact counts. */
static void test_many_flows(void)
{
    struct rec_log *l = rec_log_new();
    struct nm_engine *e = new_engine(l, 0, 0);
    const uint32_t n = 20000;
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < n; i++) {
            struct nm_packet p = udp_pkt(C_IP, 1, S_IP, 53, T0 + round * SEC + i, 10);
            p.src_ip.b[2] = (uint8_t)(i >> 8);
            p.src_ip.b[3] = (uint8_t)i;
            p.src_port = (uint16_t)(1000 + i % 7);
            struct nm_verdict v = feed(e, &p);
            if (v.flow_id != i + 1)
                fprintf(stderr, "round %d flow %u got id %llu\n", round, i,
                        (unsigned long long)v.flow_id);
            CHECK_EQ_U(v.flow_id, i + 1);
            CHECK(v.new_flow == (round == 0));
            if (i % 3000 == 0)
                nm_engine_flush(e, T0 + round * SEC + i, false);
        }
    }
    const struct nm_engine_totals *t = nm_engine_totals(e);
    CHECK_EQ_U(t->flows_created, n);
    CHECK_EQ_U(t->flows_active, n);
    nm_engine_flush(e, T0 + 3 * SEC, true);
    CHECK_EQ_U(t->flows_active, 0);
    CHECK_EQ_U(t->flows_evicted, 0);
    CHECK_EQ_U(t->flows_timed_out, 0);
    nm_engine_free(e);
    free(l);
}

/* The flow table's index (hash.h) against a plain array: random inserts,
 * removals and lookups with deliberately colliding hashes, in a small index
 * so probe runs wrap around its end, and through growth. */
static void test_index(void)
{
    struct nm_index ix;
    CHECK(nm_index_init(&ix, 600));
    enum { N = 600 };
    static uint64_t hash_of[N];
    static bool present[N];
    memset(present, 0, sizeof present);
    uint32_t x = 4242, live = 0;
    for (int step = 0; step < 200000; step++) {
        x = x * 1103515245u + 12345u;
        uint32_t id = (x >> 8) % N;
        if (!present[id]) {
            if (live >= N - 1)
                continue;
            /* Few distinct low bits: long probe runs and shared homes. */
            x = x * 1103515245u + 12345u;
            hash_of[id] = (uint64_t)x << 32 | ((x >> 3) % 64) | (step % 3 == 0 ? 0xffc0u : 0);
            if (nm_index_full(&ix)) {
                nm_index_grow(&ix);
                for (uint32_t k = 0; k < N; k++)
                    if (present[k])
                        nm_index_insert(&ix, hash_of[k], k);
            }
            nm_index_insert(&ix, hash_of[id], id);
            present[id] = true;
            live++;
        } else if ((x & 7) == 0) { /* inserts win: ~89% full, so the index grows */
            nm_index_remove(&ix, hash_of[id], id);
            present[id] = false;
            live--;
        }
        if (step % 997 == 0) {
            for (uint32_t k = 0; k < N; k++) {
                bool found = false;
                NM_INDEX_FOREACH(&ix, hash_of[k], j, {
                    if (j == k)
                        found = true;
                });
                if (found != present[k])
                    fprintf(stderr, "index step %d id %u: found %d present %d\n", step, k,
                            found, present[k]);
                CHECK(found == present[k]);
            }
            CHECK_EQ_U(ix.count, live);
        }
    }
    CHECK(ix.mask + 1 == ix.nslots); /* grew to the full range */
    nm_index_free(&ix);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_tcp_scenarios();
    test_handshake_states();
    test_port_reuse();
    test_midstream_and_reorder();
    test_idle_timeout();
    test_lru_eviction();
    test_flood_capacity();
    test_keys();
    test_flush_changed_only();
    test_many_flows();
    test_index();
    return check_report(argv[0]);
}
