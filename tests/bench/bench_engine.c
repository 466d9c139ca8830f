/*
 * bench_engine.c - time the analysis engine alone on a real capture, and
 * print its totals (for comparison with the tshark oracle).
 *
 *   cc -std=c11 -D_DEFAULT_SOURCE -O2 tests/bench/bench_engine.c build/libnetmon.a \
 *      -lpcap -lsqlite3 -lpthread -lm -o build/bench_engine
 *   build/bench_engine [-f MAX_FLOWS] [-a MAX_ADDRESSES] [-q] FILE
 *   build/bench_engine -m PACKETS [-r RUNS] [-w] [-f ...] [-a ...] FILE
 *
 * Frames are read with libpcap and decoded with nm_decode() in batches of
 * BATCH packets (not timed); then the batch goes through nm_engine_packet()
 * with the clock running, so the decoded packets are cache-warm as they are
 * in nm-capture, where the engine runs right after the decoder.  The engine
 * is flushed once per second of packet time (timed too), like nm-capture's
 * periodic flush, and finally with final=true.  The sink only counts.
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
 *
 * Output: "key value" lines: totals, records emitted, engine ns/packet,
 * peak RSS of the whole process, and the engine's share (RSS after the run
 * minus RSS before creating the engine; pages are only touched as tables
 * fill).  -q prints only the totals (no timing), for diffing.
 *
 * -m PACKETS: decode the first PACKETS frames into memory once, then feed
 * them to RUNS (default 5) fresh engines and report the fastest run, flushing
 * every second of packet time as above.  This isolates the engine from file
 * reading and from other load on a shared machine.  Each batch of BATCH
 * packets is first copied (untimed) to a small buffer, so the engine sees
 * cache-warm packets as it does in nm-capture, not a 400 MB array streaming
 * from RAM.  A run is timed as a whole (reading the thread CPU clock costs
 * over 1 us on a VM), and the time of a pass that only does the copies is
 * subtracted.
 *
 * -w (with -m): warm up.  Each run first feeds the packets once untimed and
 * flushes with final=true (every flow ends; the tables are empty but their
 * memory is mapped), then times a second pass on the same engine.  On a VM
 * that hands freed memory back to the host, first touches of table memory
 * can cost more than the engine itself and vary from run to run; -w measures
 * the engine's own work.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../../analyze/engine.h"
#include "../../capture/decode/decode.h"

#define BATCH 256
#define FLUSH_EVERY_NS INT64_C(1000000000)

struct counts {
    uint64_t flows, flows_final, addrs, secs;
    uint64_t fin, rst, idle, evicted, capture_end;
    uint64_t tcp_flows, udp_flows; /* final records, by IP protocol */
};

static void on_flow(void *ctx, const struct nm_flow_rec *r)
{
    struct counts *c = ctx;
    c->flows++;
    switch ((enum nm_flow_end)r->end_reason) {
    case NM_FEND_ACTIVE:
        return;
    case NM_FEND_FIN:
        c->fin++;
        break;
    case NM_FEND_RST:
        c->rst++;
        break;
    case NM_FEND_IDLE:
        c->idle++;
        break;
    case NM_FEND_EVICTED:
        c->evicted++;
        break;
    case NM_FEND_CAPTURE_END:
        c->capture_end++;
        break;
    }
    c->flows_final++;
    if (r->ip_proto == 6)
        c->tcp_flows++;
    else if (r->ip_proto == 17)
        c->udp_flows++;
}

static void on_addr(void *ctx, const struct nm_addr_rec *r)
{
    (void)r;
    ((struct counts *)ctx)->addrs++;
}

static void on_sec(void *ctx, const struct nm_second_rec *r)
{
    (void)r;
    ((struct counts *)ctx)->secs++;
}

/* Thread CPU time, not wall time: on a shared machine the wall clock also
 * counts the time other processes held the CPU. */
static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Current resident set in KiB, from /proc/self/statm. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static uint32_t parse_u32(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > UINT32_MAX) {
        fprintf(stderr, "bench_engine: bad number \"%s\"\n", s);
        exit(2);
    }
    return (uint32_t)v;
}

/* -m mode: returns the exit status. */
/* Feed pk[0..n) through hot[] to the engine, flushing every second of
 * packet time; final flush at the end. */
static void feed_all(struct nm_engine *e, const struct nm_packet *pk, uint64_t n,
                     struct nm_packet *hot)
{
    struct nm_verdict v;
    int64_t next_flush = INT64_MIN;
    for (uint64_t at = 0; at < n; at += BATCH) {
        size_t k = n - at < BATCH ? (size_t)(n - at) : BATCH;
        memcpy(hot, &pk[at], k * sizeof *hot);
        for (size_t i = 0; i < k; i++) {
            nm_engine_packet(e, &hot[i], &v);
            if (hot[i].ts_ns >= next_flush) {
                if (next_flush != INT64_MIN)
                    nm_engine_flush(e, hot[i].ts_ns, false);
                next_flush = hot[i].ts_ns + FLUSH_EVERY_NS;
            }
        }
    }
    nm_engine_flush(e, nm_engine_totals(e)->last_ns, true);
}

static int run_in_memory(pcap_t *pc, int linktype, const struct nm_engine_config *cfg,
                         uint64_t want, int runs, int warm)
{
    struct nm_packet *pk = calloc(want, sizeof *pk);
    if (!pk) {
        fprintf(stderr, "bench_engine: no memory for %" PRIu64 " packets\n", want);
        return 1;
    }
    uint64_t n = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (n < want && pcap_next_ex(pc, &h, &data) == 1) {
        nm_decode(linktype, data, h->caplen, h->len, &pk[n]);
        pk[n].ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
        n++;
    }
    static struct nm_packet hot[BATCH];
    /* The copies alone: subtracted from every run below. */
    int64_t copy_ns = INT64_MAX;
    for (int r = 0; r < 3; r++) {
        int64_t t0 = mono_ns();
        for (uint64_t at = 0; at < n; at += BATCH) {
            size_t k = n - at < BATCH ? (size_t)(n - at) : BATCH;
            memcpy(hot, &pk[at], k * sizeof *hot);
            __asm__ __volatile__("" : : "r"(hot) : "memory"); /* keep the copy */
        }
        int64_t dt = mono_ns() - t0;
        if (dt < copy_ns)
            copy_ns = dt;
    }
    int64_t best = INT64_MAX;
    struct counts cnt;
    for (int r = 0; r < runs; r++) {
        memset(&cnt, 0, sizeof cnt);
        struct nm_sink sink = { .ctx = &cnt, .flow = on_flow, .address = on_addr,
                                .second = on_sec };
        struct nm_engine *e = nm_engine_new(cfg, &sink);
        if (!e) {
            free(pk);
            return 1;
        }
        if (warm) {
            feed_all(e, pk, n, hot);
            memset(&cnt, 0, sizeof cnt);
        }
        int64_t t0 = mono_ns();
        feed_all(e, pk, n, hot);
        int64_t dt = mono_ns() - t0 - copy_ns;
        if (dt < best)
            best = dt;
        printf("run %d: %.1f ns/packet\n", r + 1, n ? (double)dt / (double)n : 0.0);
        nm_engine_free(e);
    }
    printf("packets %" PRIu64 "\n", n);
    printf("records flows=%" PRIu64 " addresses=%" PRIu64 " seconds=%" PRIu64 "\n", cnt.flows,
           cnt.addrs, cnt.secs);
    printf("engine_ns_per_packet %.1f (best of %d%s)\n", n ? (double)best / (double)n : 0.0, runs,
           warm ? ", warm" : "");
    free(pk);
    return 0;
}

int main(int argc, char **argv)
{
    struct nm_engine_config cfg;
    nm_engine_config_default(&cfg);
    cfg.hash_seed = 0x5eed;
    int quiet = 0, opt, runs = 5, warm = 0;
    uint64_t in_memory = 0;
    while ((opt = getopt(argc, argv, "f:a:qm:r:w")) != -1) {
        if (opt == 'f')
            cfg.max_flows = parse_u32(optarg);
        else if (opt == 'a')
            cfg.max_addresses = parse_u32(optarg);
        else if (opt == 'q')
            quiet = 1;
        else if (opt == 'm')
            in_memory = parse_u32(optarg);
        else if (opt == 'r')
            runs = (int)parse_u32(optarg);
        else if (opt == 'w')
            warm = 1;
        else
            return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: bench_engine [-f max_flows] [-a max_addresses] [-q] FILE\n");
        return 2;
    }
    const char *path = argv[optind];
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!pc) {
        fprintf(stderr, "bench_engine: %s: %s\n", path, errbuf);
        return 1;
    }
    int linktype = pcap_datalink(pc);
    if (in_memory) {
        int rc = run_in_memory(pc, linktype, &cfg, in_memory, runs > 0 ? runs : 1, warm);
        pcap_close(pc);
        return rc;
    }

    static struct nm_packet pk[BATCH];
    struct counts cnt;
    memset(&cnt, 0, sizeof cnt);
    struct nm_sink sink = { .ctx = &cnt, .flow = on_flow, .address = on_addr, .second = on_sec };
    long rss_before = rss_kib();
    struct nm_engine *e = nm_engine_new(&cfg, &sink);
    if (!e) {
        fprintf(stderr, "bench_engine: out of memory\n");
        return 1;
    }

    int64_t engine_ns = 0, next_flush = INT64_MIN;
    uint64_t n = 0, read_errors = 0;
    struct nm_verdict v;
    for (;;) {
        unsigned k = 0;
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = 0;
        while (k < BATCH && (rc = pcap_next_ex(pc, &h, &data)) == 1) {
            nm_decode(linktype, data, h->caplen, h->len, &pk[k]);
            pk[k].ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
            k++;
        }
        if (rc == -1)
            read_errors++;
        int64_t t0 = mono_ns();
        for (unsigned i = 0; i < k; i++) {
            nm_engine_packet(e, &pk[i], &v);
            if (pk[i].ts_ns >= next_flush) {
                if (next_flush != INT64_MIN)
                    nm_engine_flush(e, pk[i].ts_ns, false);
                next_flush = pk[i].ts_ns + FLUSH_EVERY_NS;
            }
        }
        engine_ns += mono_ns() - t0;
        n += k;
        if (k < BATCH)
            break;
    }
    const struct nm_engine_totals *t = nm_engine_totals(e);
    int64_t t0 = mono_ns();
    nm_engine_flush(e, t->last_ns, true);
    engine_ns += mono_ns() - t0;
    long rss_after = rss_kib();

    printf("packets %" PRIu64 "\n", t->packets);
    printf("bytes %" PRIu64 "\n", t->bytes);
    for (int p = 0; p < NM_P_COUNT; p++)
        printf("proto_packets.%s %" PRIu64 "\n", nm_proto_name((enum nm_proto)p),
               t->proto_packets[p]);
    for (int p = 0; p < NM_P_COUNT; p++)
        if (t->connections[p])
            printf("connections.%s %" PRIu64 "\n", nm_proto_name((enum nm_proto)p),
                   t->connections[p]);
    printf("tcp_retransmissions %" PRIu64 "\n", t->tcp_retransmissions);
    printf("tcp_resets %" PRIu64 "\n", t->tcp_resets);
    printf("flows_created %" PRIu64 "\n", t->flows_created);
    printf("flows_evicted %" PRIu64 "\n", t->flows_evicted);
    printf("flows_timed_out %" PRIu64 "\n", t->flows_timed_out);
    printf("flows_peak %" PRIu32 "\n", t->flows_peak);
    printf("addresses_evicted %" PRIu64 "\n", t->addresses_evicted);
    printf("tcp_flows %" PRIu64 "\nudp_flows %" PRIu64 "\n", cnt.tcp_flows, cnt.udp_flows);
    printf("flow_ends fin=%" PRIu64 " rst=%" PRIu64 " idle=%" PRIu64 " evicted=%" PRIu64
           " capture_end=%" PRIu64 "\n",
           cnt.fin, cnt.rst, cnt.idle, cnt.evicted, cnt.capture_end);
    if (!quiet) {
        printf("records flows=%" PRIu64 " addresses=%" PRIu64 " seconds=%" PRIu64 "\n", cnt.flows,
               cnt.addrs, cnt.secs);
        printf("engine_ns_per_packet %.1f\n", n ? (double)engine_ns / (double)n : 0.0);
        printf("engine_seconds %.3f\n", (double)engine_ns / 1e9);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("peak_rss_kib %ld\n", ru.ru_maxrss);
        printf("engine_rss_kib %ld\n", rss_after - rss_before);
    }
    if (read_errors)
        printf("read_error %s\n", pcap_geterr(pc));
    nm_engine_free(e);
    pcap_close(pc);
    return 0;
}
