/*
 * latency_dump.c - run the latency matcher over a capture file, print JSON.
 *
 *   latency_dump [-v] CAPTURE        samples per kind, timeouts, counters
 *   latency_dump -b N CAPTURE        micro-benchmark: ns per packet
 *
 * The capture is read with libpcap at nanosecond precision and decoded with
 * nm_decode(); every packet goes to nm_latency_packet() (flow id 0: the flow
 * engine is not involved), then nm_latency_flush() at the last packet's time.
 * Values are printed in milliseconds with 6 decimals (exact nanoseconds), in
 * the order the samples were produced.  -v also writes one tab-separated
 * line per sample to stderr.  A read error after some packets is reported
 * in "read_error" (the packets before it are used); a file that cannot be
 * opened gives exit status 1.
 *
 * -b N: decode the whole file into memory, then feed it to a fresh matcher
 * once untimed (page faults) and N times timed, each pass as new traffic
 * (addresses changed, timestamps shifted after the previous pass), and print
 * the time per packet next to the time nm_decode() takes.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../analyze/latency.h"
#include "../../capture/decode/decode.h"

#define MAX_VALUES_PER_KIND 1000000u    /* a ceiling on what this tool keeps */

struct values {
    int64_t *v;
    size_t n, cap;
};

struct dump {
    struct values kind[NM_LAT_KIND_COUNT];
    bool verbose;
    bool out_of_memory;
};

static void push(struct dump *d, enum nm_latency_kind k, int64_t v)
{
    struct values *x = &d->kind[k];

    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        int64_t *nv;
        if (cap > MAX_VALUES_PER_KIND || (nv = realloc(x->v, cap * sizeof *nv)) == NULL) {
            d->out_of_memory = true;
            return;
        }
        x->v = nv;
        x->cap = cap;
    }
    x->v[x->n++] = v;
}

static void addr_text(const struct nm_ip *ip, uint8_t version, char *buf, size_t len)
{
    /* Plain text without <arpa/inet.h>: dotted quad or 8 hex groups. */
    if (version == 4) {
        snprintf(buf, len, "%u.%u.%u.%u", ip->b[0], ip->b[1], ip->b[2], ip->b[3]);
        return;
    }
    snprintf(buf, len, "%x:%x:%x:%x:%x:%x:%x:%x", (unsigned)(ip->b[0] << 8 | ip->b[1]),
             (unsigned)(ip->b[2] << 8 | ip->b[3]), (unsigned)(ip->b[4] << 8 | ip->b[5]),
             (unsigned)(ip->b[6] << 8 | ip->b[7]), (unsigned)(ip->b[8] << 8 | ip->b[9]),
             (unsigned)(ip->b[10] << 8 | ip->b[11]), (unsigned)(ip->b[12] << 8 | ip->b[13]),
             (unsigned)(ip->b[14] << 8 | ip->b[15]));
}

static void on_sample(void *ctx, const struct nm_latency_sample *s)
{
    struct dump *d = ctx;

    push(d, (enum nm_latency_kind)s->kind, s->value_ns);
    if (d->verbose) {
        char c[48], sv[48];
        addr_text(&s->client, s->ip_version, c, sizeof c);
        addr_text(&s->server, s->ip_version, sv, sizeof sv);
        fprintf(stderr, "%s\t%" PRId64 "\t%s\t%u\t%s\t%u\t%u\t%" PRId64 "\n",
                nm_latency_kind_name((enum nm_latency_kind)s->kind), s->ts_ns, c,
                (unsigned)s->client_port, sv, (unsigned)s->server_port, (unsigned)s->ip_proto,
                s->value_ns);
    }
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

/* ms with 6 decimals from ns, exactly (no floating point). */
static void print_ms(int64_t ns)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    printf("%s%" PRIu64 ".%06" PRIu64, sign, a / 1000000u, a % 1000000u);
}

static pcap_t *open_capture(const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);

    if (p == NULL)
        fprintf(stderr, "%s: %s\n", path, errbuf);
    return p;
}

static int64_t ts_of(const struct pcap_pkthdr *h)
{
    /* With nanosecond precision tv_usec holds nanoseconds. */
    return (int64_t)h->ts.tv_sec * INT64_C(1000000000) + (int64_t)h->ts.tv_usec;
}

static int dump_file(const char *path, bool verbose)
{
    struct dump d;
    struct nm_latency_config cfg;
    struct nm_latency_sink sink;
    struct nm_latency *l;
    struct nm_packet pkt;
    struct pcap_pkthdr *h;
    const u_char *data;
    const struct nm_latency_counters *c;
    char read_error[PCAP_ERRBUF_SIZE + 64] = "";
    uint64_t packets = 0;
    int64_t last = 0;
    pcap_t *p;
    int linktype, rc;

    memset(&d, 0, sizeof d);
    d.verbose = verbose;
    p = open_capture(path);
    if (p == NULL)
        return 1;
    linktype = pcap_datalink(p);
    nm_latency_config_default(&cfg);
    sink = (struct nm_latency_sink){ .ctx = &d, .sample = on_sample };
    l = nm_latency_new(&cfg, &sink);
    if (l == NULL) {
        fprintf(stderr, "%s: cannot allocate the latency tables\n", path);
        pcap_close(p);
        return 1;
    }
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        nm_decode(linktype, data, h->caplen, h->len, &pkt);
        pkt.ts_ns = ts_of(h);
        if (packets == 0 || pkt.ts_ns > last)
            last = pkt.ts_ns;
        nm_latency_packet(l, &pkt, 0, true, NULL);
        packets++;
    }
    if (rc == PCAP_ERROR)
        snprintf(read_error, sizeof read_error, "%s", pcap_geterr(p));
    if (packets > 0)
        nm_latency_flush(l, last);

    c = nm_latency_counters(l);
    printf("{\"file\": ");
    json_string(path);
    printf(", \"linktype\": %d, \"packets\": %" PRIu64 ", \"read_error\": ", linktype, packets);
    if (read_error[0] != '\0')
        json_string(read_error);
    else
        printf("null");
    printf(",\n \"samples_ms\": {");
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        printf("%s\n  \"%s\": [", k ? "," : "", nm_latency_kind_name((enum nm_latency_kind)k));
        for (size_t i = 0; i < d.kind[k].n; i++) {
            if (i)
                printf(", ");
            print_ms(d.kind[k].v[i]);
        }
        printf("]");
    }
    printf("},\n \"counts\": {");
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        printf("%s\"%s\": %" PRIu64, k ? ", " : "", nm_latency_kind_name((enum nm_latency_kind)k),
               c->samples[k]);
    printf("},\n \"timeouts\": {");
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        printf("%s\"%s\": %" PRIu64, k ? ", " : "", nm_latency_kind_name((enum nm_latency_kind)k),
               c->timeouts[k]);
    printf("},\n \"evictions\": {\"tcp\": %" PRIu64 ", \"dns\": %" PRIu64 ", \"icmp\": %" PRIu64
           ", \"udp\": %" PRIu64 "},\n",
           c->evictions[NM_LAT_TABLE_TCP], c->evictions[NM_LAT_TABLE_DNS],
           c->evictions[NM_LAT_TABLE_ICMP], c->evictions[NM_LAT_TABLE_UDP]);
    printf(" \"dns_unmatched\": %" PRIu64 ", \"icmp_unmatched\": %" PRIu64
           ", \"tcp_karn_skipped\": %" PRIu64 ", \"negative_dropped\": %" PRIu64
           ", \"out_of_memory\": %s}\n",
           c->dns_unmatched, c->icmp_unmatched, c->tcp_karn_skipped, c->negative_dropped,
           d.out_of_memory ? "true" : "false");

    nm_latency_free(l);
    pcap_close(p);
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        free(d.kind[k].v);
    return 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void count_sample(void *ctx, const struct nm_latency_sample *s)
{
    (void)s;
    (*(uint64_t *)ctx)++;
}

static int bench_file(const char *path, long reps)
{
    struct nm_packet *pk = NULL;
    uint8_t **raw = NULL;
    struct pcap_pkthdr *hs = NULL;
    struct pcap_pkthdr *h;
    const u_char *data;
    size_t n = 0, cap = 0;
    pcap_t *p;
    int linktype;
    double t0, t_dec, t_lat;
    uint64_t nsamples = 0;
    int64_t span;

    p = open_capture(path);
    if (p == NULL)
        return 1;
    linktype = pcap_datalink(p);
    while (pcap_next_ex(p, &h, &data) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            pk = realloc(pk, cap * sizeof *pk);
            raw = realloc(raw, cap * sizeof *raw);
            hs = realloc(hs, cap * sizeof *hs);
            if (pk == NULL || raw == NULL || hs == NULL) {
                fprintf(stderr, "%s: out of memory\n", path);
                return 1;
            }
        }
        raw[n] = malloc(h->caplen ? h->caplen : 1);
        if (raw[n] == NULL) {
            fprintf(stderr, "%s: out of memory\n", path);
            return 1;
        }
        memcpy(raw[n], data, h->caplen);
        hs[n] = *h;
        n++;
    }
    pcap_close(p);
    if (n == 0) {
        fprintf(stderr, "%s: no packets\n", path);
        return 1;
    }

    t0 = now_s();
    for (long r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i++)
            nm_decode(linktype, raw[i], hs[i].caplen, hs[i].len, &pk[i]);
    t_dec = now_s() - t0;
    for (size_t i = 0; i < n; i++)
        pk[i].ts_ns = ts_of(&hs[i]);
    span = pk[n - 1].ts_ns - pk[0].ts_ns;
    if (span < 0)
        span = 0;
    span += INT64_C(1000000000);

    {
        struct nm_latency_config cfg;
        struct nm_latency_sink sink = { .ctx = &nsamples, .sample = count_sample };
        struct nm_latency *l;

        nm_latency_config_default(&cfg);
        l = nm_latency_new(&cfg, &sink);
        if (l == NULL) {
            fprintf(stderr, "%s: cannot allocate the latency tables\n", path);
            return 1;
        }
        /* One untimed pass first: it faults in the tables' pages, which a
         * long-running capture pays once. */
        for (size_t i = 0; i < n; i++) {
            nm_latency_packet(l, &pk[i], 0, true, NULL);
            pk[i].ts_ns += span;
        }
        nsamples = 0;
        t_lat = 0;
        for (long r = 0; r < reps; r++) {
            /* Each pass is new traffic: the addresses' last bytes (unused
             * by IPv4) change, and it starts after the previous one. */
            for (size_t i = 0; i < n; i++) {
                pk[i].src_ip.b[14] = pk[i].dst_ip.b[14] = (uint8_t)((r + 1) >> 8);
                pk[i].src_ip.b[15] = pk[i].dst_ip.b[15] = (uint8_t)(r + 1);
            }
            t0 = now_s();
            for (size_t i = 0; i < n; i++)
                nm_latency_packet(l, &pk[i], 0, true, NULL);
            t_lat += now_s() - t0;
            for (size_t i = 0; i < n; i++)
                pk[i].ts_ns += span;
        }
        nm_latency_free(l);
    }
    printf("{\"file\": ");
    json_string(path);
    printf(", \"packets\": %zu, \"passes\": %ld, \"samples\": %" PRIu64
           ", \"decode_ns_per_packet\": %.1f, \"latency_ns_per_packet\": %.1f}\n",
           n, reps, nsamples, t_dec * 1e9 / ((double)n * (double)reps),
           t_lat * 1e9 / ((double)n * (double)reps));
    for (size_t i = 0; i < n; i++)
        free(raw[i]);
    free(raw);
    free(hs);
    free(pk);
    return 0;
}

int main(int argc, char **argv)
{
    bool verbose = false;
    long reps = 0;
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            reps = strtol(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || reps < 1 || reps > 100000) {
                fprintf(stderr, "latency_dump: -b wants a count from 1 to 100000\n");
                return 2;
            }
        } else {
            break;
        }
    }
    if (i + 1 != argc) {
        fprintf(stderr, "usage: latency_dump [-v] CAPTURE | latency_dump -b N CAPTURE\n");
        return 2;
    }
    return reps > 0 ? bench_file(argv[i], reps) : dump_file(argv[i], verbose);
}
