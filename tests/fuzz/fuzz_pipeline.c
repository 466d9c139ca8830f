/*
 * fuzz_pipeline.c - libFuzzer harness for what nm-capture does with a
 * sequence of packets: nm_decode(), the flow engine, the latency matcher
 * and the event-log line, with tables small enough that hostile traffic
 * fills them (evictions, timeouts, idle expiry, time going backwards).
 *
 * Input: records of
 *   1 byte   bits 0-3: link type (index into fuzz_linktypes, modulo its size)
 *            bit 4: the frame was cut by the snap length (wire length 1000
 *            bytes more than captured)
 *            bits 5-7: how the 16-bit step below moves the packet clock:
 *            0 +us, 1 +ms, 2 +s, 3 -us (back), 4 no move, 5-7 +ns
 *   2 bytes  the step (little-endian)
 *   2 bytes  frame length L (little-endian), cut to what is left
 *   L bytes  the frame
 *
 * Besides "no crash, no read out of bounds, no leak", it checks that counts
 * are conserved whatever the tables had to forget: the per-second records
 * add up to every packet and byte (per protocol too, and to the run's
 * connections, resets, retransmissions and malformed frames), the address
 * deltas to every sender and
 * receiver, the flows' last records to every packet given a flow; and that
 * every latency record is well formed (value >= 0, known kind, a timeout
 * after its request, a joined sample followed by its partner), every event
 * line fits its buffer, and no table holds more than its capacity.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../analyze/engine.h"
#include "../../analyze/eventline.h"
#include "../../analyze/latency.h"
#include "../../capture/decode/decode.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REC_HEADER 5u
#define SNAP_CUT_FLAG 0x10u
#define SNAP_CUT_EXTRA 1000u
#define MAX_PACKETS 4096u           /* more records in one input are ignored */
#define START_NS INT64_C(1700000000000000000)
#define LINE_BUF 4096
#define FLUSH_EVERY 64u

/* Small tables: a few dozen packets fill them. */
#define FLOWS 8u
#define ADDRESSES 8u
#define LAT_CAP 4u

struct totals {
    uint64_t packets, bytes;
    uint64_t mac_pkts, mac_bytes, ip_pkts, ip_bytes;    /* expected per direction */
    uint64_t flow_pkts;             /* packets given a flow id */
    int64_t max_ts;
    /* What the sinks received. */
    uint64_t sec_pkts, sec_bytes, sec_malformed, sec_resets, sec_retrans;
    uint64_t sec_proto_pkts[NM_P_COUNT], sec_proto_bytes[NM_P_COUNT], sec_conns[NM_P_COUNT];
    uint64_t mac_sent, mac_recv, mac_sent_b, mac_recv_b;
    uint64_t ip_sent, ip_recv, ip_sent_b, ip_recv_b;
    uint64_t flow_last[MAX_PACKETS + 1];   /* latest record's packets, by flow id */
    bool joined_open;               /* the previous sample said "joined" */
    uint64_t joined_flow;
};

static struct totals T;

static void on_flow(void *ctx, const struct nm_flow_rec *r)
{
    (void)ctx;
    check(r->flow_id >= 1 && r->flow_id <= MAX_PACKETS);
    check(r->first_ns <= r->last_ns);
    check(r->pkts_c2s + r->pkts_s2c >= 1);
    /* A flow's records are running totals: a later one never has fewer. */
    check(r->pkts_c2s + r->pkts_s2c >= T.flow_last[r->flow_id]);
    T.flow_last[r->flow_id] = r->pkts_c2s + r->pkts_s2c;
}

static void on_address(void *ctx, const struct nm_addr_rec *r)
{
    (void)ctx;
    check(r->first_ns <= r->last_ns);
    check(r->pkts_sent + r->pkts_recv >= 1);
    if (r->kind == NM_ADDR_MAC) {
        T.mac_sent += r->pkts_sent;
        T.mac_recv += r->pkts_recv;
        T.mac_sent_b += r->bytes_sent;
        T.mac_recv_b += r->bytes_recv;
    } else {
        check(r->kind == NM_ADDR_IPV4 || r->kind == NM_ADDR_IPV6);
        T.ip_sent += r->pkts_sent;
        T.ip_recv += r->pkts_recv;
        T.ip_sent_b += r->bytes_sent;
        T.ip_recv_b += r->bytes_recv;
    }
}

static void on_second(void *ctx, const struct nm_second_rec *r)
{
    (void)ctx;
    T.sec_pkts += r->packets;
    T.sec_bytes += r->bytes;
    T.sec_malformed += r->malformed;
    T.sec_resets += r->tcp_resets;
    T.sec_retrans += r->tcp_retransmissions;
    for (int p = 0; p < NM_P_COUNT; p++) {
        T.sec_proto_pkts[p] += r->proto_packets[p];
        T.sec_proto_bytes[p] += r->proto_bytes[p];
        T.sec_conns[p] += r->proto_new_connections[p];
    }
}

static void on_sample(void *ctx, const struct nm_latency_sample *s)
{
    (void)ctx;
    check(s->kind < NM_LAT_KIND_COUNT);
    check(s->value_ns >= 0);
    check(s->ts_ns <= T.max_ts);
    check(s->ip_version == 4 || s->ip_version == 6);
    if (T.joined_open)
        check(s->flow_id == T.joined_flow);
    T.joined_open = s->joined;
    T.joined_flow = s->flow_id;
}

static void on_timeout(void *ctx, const struct nm_latency_timeout *t)
{
    (void)ctx;
    check(t->kind < NM_LAT_KIND_COUNT);
    check(t->ts_ns >= t->start_ns);
    check(!T.joined_open);          /* nothing comes between joined samples */
}

static int64_t step_clock(int64_t now, unsigned how, uint16_t step)
{
    switch (how) {
    case 0: return now + (int64_t)step * 1000;
    case 1: return now + (int64_t)step * 1000000;
    case 2: return now + (int64_t)step * 1000000000;
    case 3: return now - (int64_t)step * 1000;
    case 4: return now;
    default: return now + step;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nm_packet pkt;
    static char line[LINE_BUF];
    struct nm_engine_config ecfg;
    struct nm_latency_config lcfg;
    const struct nm_sink sink = { .flow = on_flow, .address = on_address, .second = on_second };
    const struct nm_latency_sink lsink = { .sample = on_sample, .timeout = on_timeout };

    memset(&T, 0, sizeof T);
    nm_engine_config_default(&ecfg);
    ecfg.max_flows = FLOWS;
    ecfg.max_addresses = ADDRESSES;
    ecfg.hash_seed = 1;
    nm_latency_config_default(&lcfg);
    lcfg.max_tcp = lcfg.max_dns = lcfg.max_icmp = lcfg.max_udp = LAT_CAP;
    lcfg.hash_seed = 2;
    struct nm_engine *e = nm_engine_new(&ecfg, &sink);
    struct nm_latency *l = nm_latency_new(&lcfg, &lsink);
    check(e != NULL && l != NULL);

    int64_t now = START_NS;
    size_t off = 0;
    T.max_ts = INT64_MIN;
    while (size - off >= REC_HEADER && T.packets < MAX_PACKETS) {
        const uint8_t *h = data + off;
        int linktype = fuzz_linktypes[(h[0] & 0x0fu) % N_LINKTYPES];
        now = step_clock(now, h[0] >> 5, (uint16_t)(h[1] | h[2] << 8));
        size_t len = (size_t)(h[3] | h[4] << 8);
        off += REC_HEADER;
        if (len > size - off)
            len = size - off;
        uint32_t cap = (uint32_t)len;
        uint32_t wire = (h[0] & SNAP_CUT_FLAG) ? cap + SNAP_CUT_EXTRA : cap;
        /* The frame in a buffer of its exact size, so ASan sees any read past it. */
        uint8_t *frame = len ? malloc(len) : NULL;
        check(len == 0 || frame != NULL);
        if (len)
            memcpy(frame, data + off, len);
        off += len;

        nm_decode(linktype, frame, cap, wire, &pkt);
        pkt.ts_ns = now;
        if (now > T.max_ts)
            T.max_ts = now;
        struct nm_verdict v;
        nm_engine_packet(e, &pkt, &v);
        nm_latency_packet(l, &pkt, v.flow_id, v.from_client, v.latency_hint);
        size_t n = nm_eventline_format(&pkt, true, line, sizeof line);
        check(n < sizeof line && strlen(line) == n);
        free(frame);

        T.packets++;
        T.bytes += pkt.wire_len;
        /* nm-capture flushes about once a second whatever the traffic:
         * here every FLUSH_EVERY packets. */
        if (T.packets % FLUSH_EVERY == 0) {
            nm_engine_flush(e, nm_engine_totals(e)->last_ns, false);
            nm_latency_flush(l, nm_engine_totals(e)->last_ns);
        }
        if (nm_packet_has_macs(&pkt)) {
            T.mac_pkts++;
            T.mac_bytes += pkt.wire_len;
        }
        if (nm_packet_has_ip_addrs(&pkt)) {
            T.ip_pkts++;
            T.ip_bytes += pkt.wire_len;
        }
        if (v.flow_id != 0) {
            check(v.flow_id <= MAX_PACKETS);
            T.flow_pkts++;
        }
    }
    if (T.packets > 0) {
        nm_engine_flush(e, nm_engine_totals(e)->last_ns, true);
        nm_latency_flush(l, nm_engine_totals(e)->last_ns);
    }

    const struct nm_engine_totals *et = nm_engine_totals(e);
    check(et->packets == T.packets && et->bytes == T.bytes);
    check(T.sec_pkts == T.packets && T.sec_bytes == T.bytes);
    /* The per-second records (what interval queries read) add up to the
     * run's totals, also when the clock went back. */
    uint64_t malformed = 0;
    for (int m = 1; m < NM_MAL_COUNT; m++)
        malformed += et->malformed[m];
    check(T.sec_malformed == malformed);
    check(T.sec_resets == et->tcp_resets && T.sec_retrans == et->tcp_retransmissions);
    for (int p = 0; p < NM_P_COUNT; p++) {
        check(T.sec_proto_pkts[p] == et->proto_packets[p]);
        check(T.sec_proto_bytes[p] == et->proto_bytes[p]);
        check(T.sec_conns[p] == et->connections[p]);
    }
    check(T.mac_sent == T.mac_pkts && T.mac_recv == T.mac_pkts);
    check(T.mac_sent_b == T.mac_bytes && T.mac_recv_b == T.mac_bytes);
    check(T.ip_sent == T.ip_pkts && T.ip_recv == T.ip_pkts);
    check(T.ip_sent_b == T.ip_bytes && T.ip_recv_b == T.ip_bytes);
    uint64_t flow_sum = 0;
    for (size_t i = 0; i <= MAX_PACKETS; i++)
        flow_sum += T.flow_last[i];
    check(flow_sum == T.flow_pkts);
    check(et->flows_active <= FLOWS && et->flows_peak <= FLOWS);
    check(!T.joined_open);
    const struct nm_latency_counters *lc = nm_latency_counters(l);
    for (int t = 0; t < NM_LAT_TABLE_COUNT; t++)
        check(lc->in_use[t] <= LAT_CAP && lc->peak[t] <= LAT_CAP);

    nm_latency_free(l);
    nm_engine_free(e);
    return 0;
}
