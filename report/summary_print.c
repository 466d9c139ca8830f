/*
 * summary_print.c - nm_summary_print(): the "Final statistics" block that
 * nm-capture prints at the end of a run and nm-report prints for a stored
 * session.  Plain text, one fact per line, fixed labels so scripts can grep
 * them.  Times are UTC: a summary pasted into a ticket must mean the same
 * thing to every reader.
 */
#include "../schema/summary.h"

#include <inttypes.h>

#include "../analyze/textfmt.h"

/* "12.345678 s" for a span in nanoseconds (non-negative). */
static void print_span(FILE *fp, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    fprintf(fp, "%" PRId64 ".%06" PRId64 " s", ns / 1000000000, ns % 1000000000 / 1000);
}

/* Protocols whose flows count as connections (schema.sql `protocols`). */
static int has_connections(enum nm_proto p)
{
    switch (p) {
    case NM_P_TCP:
    case NM_P_UDP:
    case NM_P_ICMP:
    case NM_P_ICMPV6:
    case NM_P_OTHER:
        return 1;
    case NM_P_ETHERNET:
    case NM_P_VLAN:
    case NM_P_ARP:
    case NM_P_IPV4:
    case NM_P_IPV6:
    case NM_P_DNS:
    case NM_P_COUNT:
        return 0;
    }
    return 0;
}

static void print_avg(FILE *fp, const char *name, const struct nm_summary_latency_avg *a)
{
    fprintf(fp, "%s%s", name, *name ? " " : "");
    if (a->samples)
        fprintf(fp, "%.3f ms (%" PRIu64 " samples)", a->mean_us / 1000.0, a->samples);
    else
        fprintf(fp, "-");
}

/* Latency per kind in milliseconds, then the connection-latency averages
 * (README "Latency"). */
static void print_latency(FILE *fp, const struct nm_summary *s)
{
    int any = 0;
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        any |= s->latency[k].samples > 0 || s->latency[k].timeouts > 0;
    if (!any) {
        fprintf(fp, "  Latency:            no request/response pairs seen\n");
        return;
    }
    fprintf(fp, "  Latency (ms)        %8s %9s %9s %9s %9s %9s %8s\n", "samples", "mean", "p50",
            "p90", "p99", "max", "timeouts");
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        const struct nm_summary_latency *l = &s->latency[k];
        if (!l->samples && !l->timeouts)
            continue;
        fprintf(fp, "    %-18s %8" PRIu64, nm_latency_kind_name((enum nm_latency_kind)k),
                l->samples);
        if (l->samples)
            fprintf(fp, " %9.3f %9.3f %9.3f %9.3f %9.3f", l->mean_us / 1000.0,
                    l->p50_us / 1000.0, l->p90_us / 1000.0, l->p99_us / 1000.0,
                    l->max_us / 1000.0);
        else
            fprintf(fp, " %9s %9s %9s %9s %9s", "-", "-", "-", "-", "-");
        fprintf(fp, " %8" PRIu64 "\n", l->timeouts);
    }
    fprintf(fp, "  Average latency:    ");
    print_avg(fp, "TCP", &s->latency_tcp);
    print_avg(fp, ", UDP", &s->latency_udp);
    print_avg(fp, ", ICMP", &s->latency_icmp);
    print_avg(fp, ", ICMPv6", &s->latency_icmpv6);
    fprintf(fp, "\n  Average latency across all connections: ");
    print_avg(fp, "", &s->latency_all);
    fprintf(fp, "\n");
    if (s->latency_evictions > 0)
        fprintf(fp, "  Latency tables full: %" PRIu64 " pending requests or connections forgotten"
                    " (their samples and timeouts are lost)\n", s->latency_evictions);
}

void nm_summary_print(FILE *fp, const struct nm_summary *s)
{
    char t1[NM_FMT_TS_LEN], t2[NM_FMT_TS_LEN];

    fprintf(fp, "Final statistics\n");
    fprintf(fp, "  Session:            %" PRId64 " (%s%s%s), end: %s\n", s->session_id,
            s->source, s->link_type_name[0] ? ", " : "", s->link_type_name,
            s->end_reason[0] ? s->end_reason : "unknown");
    fprintf(fp, "  Packets:            %" PRIu64 "\n", s->packets);
    fprintf(fp, "  Bytes:              %" PRIu64 " on the wire, %" PRIu64 " captured\n",
            s->bytes, s->captured_bytes);
    if (s->packets > 0)
        fprintf(fp, "  Average size:       %.2f bytes\n",
                (double)s->bytes / (double)s->packets);
    else
        fprintf(fp, "  Average size:       -\n");
    if (s->packets > 0) {
        nm_fmt_ts(s->first_packet_ns, true, t1, sizeof t1);
        nm_fmt_ts(s->last_packet_ns, true, t2, sizeof t2);
        fprintf(fp, "  Capture time span:  ");
        print_span(fp, s->last_packet_ns - s->first_packet_ns);
        fprintf(fp, " (%s to %s UTC)\n", t1, t2);
    } else {
        fprintf(fp, "  Capture time span:  - (no packets)\n");
    }
    if (s->end_wall_ns > 0 && s->end_wall_ns >= s->start_wall_ns) {
        int64_t run_ns = s->end_wall_ns - s->start_wall_ns;
        fprintf(fp, "  Run time:           ");
        print_span(fp, run_ns);
        /* Processing rate: packets over the wall-clock run time (for a file,
         * how fast it was read; live, close to the arrival rate). */
        if (run_ns > 0)
            fprintf(fp, " (%.0f packets/s)", (double)s->packets * 1e9 / (double)run_ns);
        fprintf(fp, "\n");
    }

    /* A frame counts in every protocol it contains (analyze/proto.h), so
     * the rows add up to more than the packet total. */
    fprintf(fp, "  %-10s %14s %16s %10s %12s\n", "Protocol", "Packets", "Bytes", "Avg size",
            "Connections");
    for (int i = 0; i < NM_P_COUNT; i++) {
        enum nm_proto p = (enum nm_proto)i;
        fprintf(fp, "  %-10s %14" PRIu64 " %16" PRIu64, nm_proto_name(p), s->proto_packets[i],
                s->proto_bytes[i]);
        if (s->proto_packets[i] > 0)
            fprintf(fp, " %10.2f", (double)s->proto_bytes[i] / (double)s->proto_packets[i]);
        else
            fprintf(fp, " %10s", "-");
        if (has_connections(p))
            fprintf(fp, " %12" PRIu64 "\n", s->connections[i]);
        else
            fprintf(fp, " %12s\n", "-");
    }

    fprintf(fp, "  Unique addresses:   IPv4 %" PRIu64 ", IPv6 %" PRIu64 ", MAC %" PRIu64 "\n",
            s->unique_ipv4, s->unique_ipv6, s->unique_macs);
    fprintf(fp, "  TCP:                %" PRIu64 " resets, %" PRIu64 " retransmissions\n",
            s->tcp_resets, s->tcp_retransmissions);
    fprintf(fp, "  Flows:              %" PRIu64 " (%" PRIu64 " evicted from the flow table), "
            "addresses evicted: %" PRIu64 "\n", s->flows, s->flows_evicted, s->addresses_evicted);
    fprintf(fp, "  Malformed frames:   %" PRIu64 "\n", s->malformed_total);
    for (int m = NM_MAL_NONE + 1; m < NM_MAL_COUNT; m++)
        if (s->malformed[m] > 0)
            fprintf(fp, "    %-32s %" PRIu64 "\n", nm_malformed_name((enum nm_malformed)m),
                    s->malformed[m]);
    fprintf(fp, "  Drops:              kernel %" PRIu64 ", interface %" PRIu64
            ", queue %" PRIu64 "\n", s->drops_kernel, s->drops_ifdrop, s->drops_queue);
    print_latency(fp, s);
}
