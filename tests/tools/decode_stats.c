/*
 * decode_stats.c - run nm_decode() over a capture file and print what it saw
 * as JSON, in the terms of the tshark oracle (../shared/captures/README.md):
 * frames and wire bytes per layer, distinct outer IP and MAC addresses,
 * malformation counts by reason, and the libpcap error if reading stopped.
 *
 *   decode_stats [-a] [-v] [-t PASSES] FILE
 *     -a  also list the distinct addresses (IP in inet_ntop form)
 *     -v  one line per frame instead of JSON: number, wire length, layers
 *         (tshark names), malformation, outer IP addresses
 *     -t  time nm_decode alone: load every frame into memory, decode them
 *         PASSES times, add "decode_ns_per_packet_stream" and "..._hot"
 *         to the JSON (see time_decode)
 *
 * A test tool: it exits 0 whenever it could print its report (a read error
 * is part of the report), 2 on bad usage or if the file cannot be opened.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../capture/decode/decode.h"

/* The layers the oracle counts, in frame.protocols order. */
static const struct {
    const char *name;
    uint32_t bit;
} layer_names[] = {
    { "eth", NM_L_ETH },       { "sll", NM_L_SLL },     { "null", NM_L_NULL },
    { "raw", NM_L_RAW },       { "ieee8021ad", NM_L_8021AD }, { "vlan", NM_L_VLAN },
    { "arp", NM_L_ARP },       { "ip", NM_L_IPV4 },     { "ipv6", NM_L_IPV6 },
    { "tcp", NM_L_TCP },       { "udp", NM_L_UDP },     { "icmp", NM_L_ICMP },
    { "icmpv6", NM_L_ICMPV6 }, { "dns", NM_L_DNS },
};
#define N_LAYERS (sizeof layer_names / sizeof layer_names[0])

/* Extra flags reported alongside the layers. */
static const struct {
    const char *name;
    uint32_t bit;
} flag_names[] = {
    { "frag", NM_L_FRAG }, { "tunnel", NM_L_TUNNEL }, { "icmp_quote", NM_L_ICMP_QUOTE },
};
#define N_FLAGS (sizeof flag_names / sizeof flag_names[0])

/* Open-addressing set of 17-byte keys (family + address).  Grows by
 * doubling; capped so a hostile file cannot take all memory. */
#define SET_KEY_LEN  17
#define SET_MAX_SIZE (1u << 24)

struct set {
    uint8_t (*keys)[SET_KEY_LEN];
    uint8_t *used;
    uint32_t size, count;
    bool overflow;
};

static uint32_t hash_key(const uint8_t *k)
{
    uint32_t h = 2166136261u;   /* FNV-1a */

    for (int i = 0; i < SET_KEY_LEN; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

static bool set_insert_slot(struct set *s, const uint8_t *key)
{
    uint32_t i = hash_key(key) & (s->size - 1);

    /* The table is never more than half full, so this ends. */
    while (s->used[i]) {
        if (memcmp(s->keys[i], key, SET_KEY_LEN) == 0)
            return false;
        i = (i + 1) & (s->size - 1);
    }
    s->used[i] = 1;
    memcpy(s->keys[i], key, SET_KEY_LEN);
    s->count++;
    return true;
}

static bool set_grow(struct set *s)
{
    struct set n = { NULL, NULL, s->size ? s->size * 2 : 1024, 0, false };

    if (n.size > SET_MAX_SIZE)
        return false;
    n.keys = calloc(n.size, SET_KEY_LEN);
    n.used = calloc(n.size, 1);
    if (n.keys == NULL || n.used == NULL) {
        free(n.keys);
        free(n.used);
        return false;
    }
    for (uint32_t i = 0; i < s->size; i++)
        if (s->used[i])
            set_insert_slot(&n, s->keys[i]);
    free(s->keys);
    free(s->used);
    *s = n;
    return true;
}

static void set_add(struct set *s, uint8_t family, const uint8_t *addr, size_t len)
{
    uint8_t key[SET_KEY_LEN] = { 0 };

    if (s->overflow)
        return;
    if ((s->count + 1) * 2 > s->size && !set_grow(s)) {
        s->overflow = true;
        return;
    }
    key[0] = family;
    memcpy(key + 1, addr, len);
    set_insert_slot(s, key);
}

static void key_text(const uint8_t *key, char *buf, size_t len)
{
    if (key[0] == 4)
        inet_ntop(AF_INET, key + 1, buf, (socklen_t)len);
    else if (key[0] == 6)
        inet_ntop(AF_INET6, key + 1, buf, (socklen_t)len);
    else
        snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", key[1], key[2], key[3], key[4],
                 key[5], key[6]);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_set_list(const struct set *s, const char *name)
{
    char **list = calloc(s->count + 1, sizeof *list);
    uint32_t n = 0;

    if (list == NULL)
        return;
    for (uint32_t i = 0; i < s->size && n < s->count; i++) {
        if (!s->used[i])
            continue;
        list[n] = malloc(INET6_ADDRSTRLEN);
        if (list[n] == NULL)
            break;
        key_text(s->keys[i], list[n], INET6_ADDRSTRLEN);
        n++;
    }
    qsort(list, n, sizeof *list, cmp_str);
    printf(",\n \"%s\": [", name);
    for (uint32_t i = 0; i < n; i++) {
        printf("%s\"%s\"", i ? ", " : "", list[i]);
        free(list[i]);
    }
    printf("]");
    free(list);
}

/* JSON string body: the few characters a pcap error or path may hold. */
static void print_json_string(const char *s)
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

struct stats {
    uint64_t packets, wire_bytes, cap_bytes;
    uint64_t layer_pkts[N_LAYERS], layer_bytes[N_LAYERS], layer_cap[N_LAYERS];
    uint64_t flag_pkts[N_FLAGS];
    uint64_t malformed[NM_MAL_COUNT];
    struct set ips, macs;
};

static void account(struct stats *st, const struct nm_packet *p)
{
    st->packets++;
    st->wire_bytes += p->wire_len;
    st->cap_bytes += p->cap_len;
    for (size_t i = 0; i < N_LAYERS; i++) {
        if (p->layers & layer_names[i].bit) {
            st->layer_pkts[i]++;
            st->layer_bytes[i] += p->wire_len;
            st->layer_cap[i] += p->cap_len;
        }
    }
    for (size_t i = 0; i < N_FLAGS; i++)
        if (p->layers & flag_names[i].bit)
            st->flag_pkts[i]++;
    if ((unsigned)p->malformed < NM_MAL_COUNT)
        st->malformed[p->malformed]++;
    if (nm_packet_has_ip_addrs(p)) {
        size_t alen = p->ip_version == 4 ? 4 : 16;
        set_add(&st->ips, p->ip_version, p->src_ip.b, alen);
        set_add(&st->ips, p->ip_version, p->dst_ip.b, alen);
    }
    if (nm_packet_has_macs(p)) {
        set_add(&st->macs, 1, p->src_mac, 6);
        set_add(&st->macs, 1, p->dst_mac, 6);
    }
}

static void print_frame(uint64_t n, const struct nm_packet *p)
{
    char a[INET6_ADDRSTRLEN] = "", b[INET6_ADDRSTRLEN] = "";
    const char *sep = "";

    printf("%" PRIu64 "\t%" PRIu32 "\t", n, p->wire_len);
    for (size_t i = 0; i < N_LAYERS; i++) {
        if (p->layers & layer_names[i].bit) {
            printf("%s%s", sep, layer_names[i].name);
            sep = ":";
        }
    }
    if (p->ip_version == 4) {
        inet_ntop(AF_INET, p->src_ip.b, a, sizeof a);
        inet_ntop(AF_INET, p->dst_ip.b, b, sizeof b);
    } else if (p->ip_version == 6) {
        inet_ntop(AF_INET6, p->src_ip.b, a, sizeof a);
        inet_ntop(AF_INET6, p->dst_ip.b, b, sizeof b);
    }
    printf("\t%s\t%s\t%s", nm_malformed_name(p->malformed), a, b);
    if (p->layers & NM_L_DNS)
        printf("\tdns id=%u flags=%04x qd=%u qtype=%u qname=%s", p->dns_id, p->dns_flags,
               p->dns_qdcount, p->dns_qtype, p->dns_qname);
    printf("\n");
}

/* Frames kept in memory for -t. */
struct frame_buf {
    uint8_t *data;
    size_t used, cap;
    uint32_t *caplen, *wirelen;
    size_t n, ncap;
};

static bool keep_frame(struct frame_buf *fb, const uint8_t *data, uint32_t caplen,
                       uint32_t wirelen)
{
    if (fb->used + caplen > fb->cap) {
        size_t ncap = fb->cap ? fb->cap * 2 : (1u << 20);
        while (ncap < fb->used + caplen)
            ncap *= 2;
        uint8_t *nd = realloc(fb->data, ncap);
        if (nd == NULL)
            return false;
        fb->data = nd;
        fb->cap = ncap;
    }
    if (fb->n == fb->ncap) {
        size_t ncap = fb->ncap ? fb->ncap * 2 : 4096;
        uint32_t *c = realloc(fb->caplen, ncap * sizeof *c);
        if (c == NULL)
            return false;
        fb->caplen = c;
        uint32_t *w = realloc(fb->wirelen, ncap * sizeof *w);
        if (w == NULL)
            return false;
        fb->wirelen = w;
        fb->ncap = ncap;
    }
    memcpy(fb->data + fb->used, data, caplen);
    fb->used += caplen;
    fb->caplen[fb->n] = caplen;
    fb->wirelen[fb->n] = wirelen;
    fb->n++;
    return true;
}

/*
 * ns per nm_decode() call over the frames in memory, two ways:
 *  stream: `passes` sweeps over all frames, as a capture loop meets them;
 *          on a file larger than the caches each frame's first touch misses;
 *  hot:    each frame decoded `passes` times in a row, so all but the first
 *          decode find it in cache (as after libpcap has just copied it).
 */
static void time_decode(const struct frame_buf *fb, int linktype, int passes, double *stream,
                        double *hot)
{
    struct nm_packet pkt;
    struct timespec t0, t1, t2;
    uint64_t sink = 0;
    size_t off = 0;

    memset(&pkt, 0, sizeof pkt);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < passes; r++) {
        off = 0;
        for (size_t i = 0; i < fb->n; i++) {
            nm_decode(linktype, fb->data + off, fb->caplen[i], fb->wirelen[i], &pkt);
            sink += pkt.layers;
            off += fb->caplen[i];
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    off = 0;
    for (size_t i = 0; i < fb->n; i++) {
        for (int r = 0; r < passes; r++) {
            nm_decode(linktype, fb->data + off, fb->caplen[i], fb->wirelen[i], &pkt);
            sink += pkt.layers;
        }
        off += fb->caplen[i];
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (sink == 1)      /* keeps the loops from being optimised away */
        fputc(' ', stderr);
    double n = fb->n ? (double)fb->n * passes : 1.0;
    *stream = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / n;
    *hot = ((double)(t2.tv_sec - t1.tv_sec) * 1e9 + (double)(t2.tv_nsec - t1.tv_nsec)) / n;
}

static void print_report(const char *path, int linktype, const struct stats *st,
                         const char *read_error, bool list, const double *ns_per_packet)
{
    printf("{\n \"file\": ");
    print_json_string(path);
    printf(",\n \"linktype\": %d,\n \"packets\": %" PRIu64 ",\n \"bytes\": %" PRIu64
           ",\n \"captured_bytes\": %" PRIu64 ",\n \"layers\": {",
           linktype, st->packets, st->wire_bytes, st->cap_bytes);
    for (size_t i = 0; i < N_LAYERS; i++)
        printf("%s\n  \"%s\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
               ", \"captured_bytes\": %" PRIu64 "}",
               i ? "," : "", layer_names[i].name, st->layer_pkts[i], st->layer_bytes[i],
               st->layer_cap[i]);
    printf("\n },\n \"flags\": {");
    for (size_t i = 0; i < N_FLAGS; i++)
        printf("%s\"%s\": %" PRIu64, i ? ", " : "", flag_names[i].name, st->flag_pkts[i]);
    printf("},\n \"distinct_ip_addresses\": %" PRIu32 ",\n \"distinct_mac_addresses\": %" PRIu32,
           st->ips.count, st->macs.count);
    if (st->ips.overflow || st->macs.overflow)
        printf(",\n \"address_set_overflow\": true");
    printf(",\n \"malformed_frames\": %" PRIu64 ",\n \"malformed\": {",
           st->packets - st->malformed[NM_MAL_NONE]);
    const char *sep = "";
    for (int r = 1; r < NM_MAL_COUNT; r++) {
        if (st->malformed[r] == 0)
            continue;
        printf("%s\"%s\": %" PRIu64, sep, nm_malformed_name((enum nm_malformed)r),
               st->malformed[r]);
        sep = ", ";
    }
    printf("},\n \"pcap_error\": ");
    if (read_error[0] != '\0')
        print_json_string(read_error);
    else
        printf("null");
    if (list) {
        print_set_list(&st->ips, "ip_addresses");
        print_set_list(&st->macs, "mac_addresses");
    }
    if (ns_per_packet != NULL)
        printf(",\n \"decode_ns_per_packet_stream\": %.1f,\n \"decode_ns_per_packet_hot\": %.1f",
               ns_per_packet[0], ns_per_packet[1]);
    printf("\n}\n");
}

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    struct stats st;
    struct frame_buf fb = { 0 };
    struct pcap_pkthdr *hdr;
    const u_char *data;
    struct nm_packet pkt;
    bool list = false, verbose = false;
    int passes = 0, opt, rc, linktype;
    char read_error[PCAP_ERRBUF_SIZE + 64] = "";

    while ((opt = getopt(argc, argv, "avt:")) != -1) {
        switch (opt) {
        case 'a':
            list = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 't':
            passes = (int)strtol(optarg, NULL, 10);
            if (passes < 1 || passes > 100000) {
                fprintf(stderr, "decode_stats: -t wants 1..100000 passes\n");
                return 2;
            }
            break;
        default:
            fprintf(stderr, "usage: decode_stats [-a] [-v] [-t PASSES] FILE\n");
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: decode_stats [-a] [-v] [-t PASSES] FILE\n");
        return 2;
    }
    const char *path = argv[optind];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    memset(&st, 0, sizeof st);
    memset(&pkt, 0, sizeof pkt);
    if (p == NULL) {
        if (verbose) {
            fprintf(stderr, "decode_stats: %s: %s\n", path, errbuf);
            return 2;
        }
        printf("{\n \"file\": ");
        print_json_string(path);
        printf(",\n \"open_error\": ");
        print_json_string(errbuf);
        printf(",\n \"packets\": 0\n}\n");
        return 0;
    }
    linktype = pcap_datalink(p);
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        pkt.ts_ns = (int64_t)hdr->ts.tv_sec * 1000000000 + hdr->ts.tv_usec;
        nm_decode(linktype, data, hdr->caplen, hdr->len, &pkt);
        account(&st, &pkt);
        if (verbose)
            print_frame(st.packets, &pkt);
        if (passes > 0 && !keep_frame(&fb, data, hdr->caplen, hdr->len)) {
            fprintf(stderr, "decode_stats: out of memory\n");
            return 2;
        }
    }
    if (rc == -1)
        snprintf(read_error, sizeof read_error, "%s", pcap_geterr(p));
    if (verbose) {
        if (read_error[0] != '\0')
            fprintf(stderr, "decode_stats: %s: %s\n", path, read_error);
    } else {
        double ns[2];
        if (passes > 0)
            time_decode(&fb, linktype, passes, &ns[0], &ns[1]);
        print_report(path, linktype, &st, read_error, list, passes > 0 ? ns : NULL);
    }
    pcap_close(p);
    free(fb.data);
    free(fb.caplen);
    free(fb.wirelen);
    free(st.ips.keys);
    free(st.ips.used);
    free(st.macs.keys);
    free(st.macs.used);
    return 0;
}
