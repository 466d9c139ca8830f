/*
 * summary.h - the final statistics of one session, read back from the
 * database.  One definition, one code path: nm-capture's closing summary
 * and nm-report's statistics are both this struct, filled by
 * nm_db_read_summary() and printed by nm_summary_print().
 * Definitions of every number: README.md, "Metrics".
 */
#ifndef NM_SUMMARY_H
#define NM_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "../analyze/latency.h"
#include "../analyze/proto.h"
#include "../capture/decode/decode.h"

struct nm_db;

struct nm_summary {
    int64_t session_id;
    char source[512];
    char link_type_name[64];
    char end_reason[32];
    int64_t first_packet_ns, last_packet_ns;   /* 0 when no packets */
    int64_t start_wall_ns, end_wall_ns;
    uint64_t packets, bytes, captured_bytes;
    uint64_t proto_packets[NM_P_COUNT], proto_bytes[NM_P_COUNT];
    uint64_t connections[NM_P_COUNT];          /* see README "connections" */
    uint64_t unique_ipv4, unique_ipv6, unique_macs;
    uint64_t malformed_total;
    uint64_t malformed[NM_MAL_COUNT];
    uint64_t tcp_resets, tcp_retransmissions;
    uint64_t flows, flows_evicted, addresses_evicted;
    uint64_t latency_evictions;     /* sessions.latency_evictions */
    uint64_t drops_kernel, drops_ifdrop, drops_queue;
    /* Latency per kind (enum nm_latency_kind order), from latency_stats;
     * values in microseconds, meaningful when samples > 0. */
    struct nm_summary_latency {
        uint64_t samples, timeouts;
        double mean_us, p50_us, p90_us, p99_us, max_us;
    } latency[NM_LAT_KIND_COUNT];
    /* Connection latency averages (latency_per_protocol): TCP, UDP, ICMP,
     * ICMPv6 and all of them; samples 0 means none. */
    struct nm_summary_latency_avg {
        uint64_t samples;
        double mean_us;
    } latency_tcp, latency_udp, latency_icmp, latency_icmpv6, latency_all;
};

/* Fills *out for session_id (<= 0: the newest session). */
int nm_db_read_summary(struct nm_db *db, int64_t session_id, struct nm_summary *out);

/* Prints the "Final statistics" block. */
void nm_summary_print(FILE *fp, const struct nm_summary *s);

#endif /* NM_SUMMARY_H */
