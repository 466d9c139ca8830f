/*
 * report_out.c - nm-report --format json and --format csv.  Both carry the
 * same facts as nm_summary_print() (README "nm-report", "JSON and CSV"),
 * in a fixed key order, so two runs over one database give identical
 * bytes and scripts can diff them.  Floating-point values have fixed
 * decimals (sizes 2, milliseconds 3); an undefined value (an average of
 * nothing) is null in JSON and an empty field in CSV.
 */
#include "report_int.h"

#include <inttypes.h>
#include <string.h>

#include "../analyze/textfmt.h"

void nm_report_iso_time(int64_t ns, char *buf, size_t len)
{
    char t[NM_FMT_TS_LEN];
    nm_fmt_ts(ns, true, t, sizeof t);
    if (strlen(t) > 10)
        t[10] = 'T';
    snprintf(buf, len, "%sZ", t);
}

/* Protocols whose flows count as connections (schema.sql `protocols`). */
static bool has_connections(int p)
{
    return p == NM_P_TCP || p == NM_P_UDP || p == NM_P_ICMP || p == NM_P_ICMPV6 ||
           p == NM_P_OTHER;
}

static double ms(double us)
{
    return us / 1000.0;
}

/* ------------------------------------------------------------- JSON -- */

static void json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

static void json_avg(FILE *fp, const char *name, const struct nm_summary_latency_avg *a,
                     bool last)
{
    fprintf(fp, "    \"%s\": {\"samples\": %" PRIu64 ", \"mean_ms\": ", name, a->samples);
    if (a->samples)
        fprintf(fp, "%.3f}", ms(a->mean_us));
    else
        fprintf(fp, "null}");
    fprintf(fp, "%s\n", last ? "" : ",");
}

void nm_report_print_json(FILE *fp, const struct nm_report_data *d)
{
    const struct nm_summary *s = &d->sum;
    char t1[40], t2[40];
    bool first;

    fprintf(fp, "{\n  \"report\": \"netmon\",\n  \"report_version\": 1,\n");
    fprintf(fp, "  \"session\": {\n    \"id\": %" PRId64 ",\n    \"source\": ", s->session_id);
    json_str(fp, s->source);
    fprintf(fp, ",\n    \"link_type\": ");
    json_str(fp, s->link_type_name);
    fprintf(fp, ",\n    \"end_reason\": ");
    json_str(fp, s->end_reason);
    if (s->packets > 0) {
        nm_report_iso_time(s->first_packet_ns, t1, sizeof t1);
        nm_report_iso_time(s->last_packet_ns, t2, sizeof t2);
        fprintf(fp, ",\n    \"first_packet\": \"%s\",\n    \"last_packet\": \"%s\",\n"
                    "    \"first_packet_ns\": %" PRId64 ",\n    \"last_packet_ns\": %" PRId64,
                t1, t2, s->first_packet_ns, s->last_packet_ns);
    } else {
        fprintf(fp, ",\n    \"first_packet\": null,\n    \"last_packet\": null,\n"
                    "    \"first_packet_ns\": null,\n    \"last_packet_ns\": null");
    }
    if (s->end_wall_ns > 0 && s->end_wall_ns >= s->start_wall_ns)
        fprintf(fp, ",\n    \"run_seconds\": %.6f",
                (double)(s->end_wall_ns - s->start_wall_ns) / 1e9);
    else
        fprintf(fp, ",\n    \"run_seconds\": null");
    fprintf(fp, "\n  },\n");

    fprintf(fp, "  \"packets\": %" PRIu64 ",\n  \"bytes\": %" PRIu64 ",\n"
                "  \"captured_bytes\": %" PRIu64 ",\n", s->packets, s->bytes, s->captured_bytes);
    if (s->packets)
        fprintf(fp, "  \"avg_packet_size\": %.2f,\n", (double)s->bytes / (double)s->packets);
    else
        fprintf(fp, "  \"avg_packet_size\": null,\n");

    fprintf(fp, "  \"protocols\": [\n");
    for (int p = 0; p < NM_P_COUNT; p++) {
        fprintf(fp, "    {\"name\": \"%s\", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
                    ", \"avg_size\": ", nm_proto_name((enum nm_proto)p), s->proto_packets[p],
                s->proto_bytes[p]);
        if (s->proto_packets[p])
            fprintf(fp, "%.2f", (double)s->proto_bytes[p] / (double)s->proto_packets[p]);
        else
            fprintf(fp, "null");
        if (has_connections(p))
            fprintf(fp, ", \"connections\": %" PRIu64 "}", s->connections[p]);
        else
            fprintf(fp, ", \"connections\": null}");
        fprintf(fp, "%s\n", p + 1 < NM_P_COUNT ? "," : "");
    }
    fprintf(fp, "  ],\n");

    fprintf(fp, "  \"unique_addresses\": {\"ipv4\": %" PRIu64 ", \"ipv6\": %" PRIu64
                ", \"mac\": %" PRIu64 "},\n", s->unique_ipv4, s->unique_ipv6, s->unique_macs);
    fprintf(fp, "  \"tcp_resets\": %" PRIu64 ",\n  \"tcp_retransmissions\": %" PRIu64 ",\n",
            s->tcp_resets, s->tcp_retransmissions);
    fprintf(fp, "  \"flows\": %" PRIu64 ",\n  \"flows_evicted\": %" PRIu64 ",\n"
                "  \"addresses_evicted\": %" PRIu64 ",\n  \"latency_evictions\": %" PRIu64 ",\n",
            s->flows, s->flows_evicted, s->addresses_evicted, s->latency_evictions);
    fprintf(fp, "  \"malformed\": {\"total\": %" PRIu64 ", \"reasons\": {", s->malformed_total);
    first = true;
    for (int m = NM_MAL_NONE + 1; m < NM_MAL_COUNT; m++) {
        if (!s->malformed[m])
            continue;
        fprintf(fp, "%s\"%s\": %" PRIu64, first ? "" : ", ",
                nm_malformed_name((enum nm_malformed)m), s->malformed[m]);
        first = false;
    }
    fprintf(fp, "}},\n");
    fprintf(fp, "  \"drops\": {\"kernel\": %" PRIu64 ", \"interface\": %" PRIu64
                ", \"queue\": %" PRIu64 "},\n", s->drops_kernel, s->drops_ifdrop, s->drops_queue);

    fprintf(fp, "  \"latency\": [");
    first = true;
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        const struct nm_summary_latency *l = &s->latency[k];
        if (!l->samples && !l->timeouts)
            continue;
        fprintf(fp, "%s\n    {\"kind\": \"%s\", \"samples\": %" PRIu64 ", \"timeouts\": %"
                PRIu64, first ? "" : ",", nm_latency_kind_name((enum nm_latency_kind)k),
                l->samples, l->timeouts);
        if (l->samples)
            fprintf(fp, ", \"mean_ms\": %.3f, \"p50_ms\": %.3f, \"p90_ms\": %.3f, "
                        "\"p99_ms\": %.3f, \"max_ms\": %.3f}", ms(l->mean_us), ms(l->p50_us),
                    ms(l->p90_us), ms(l->p99_us), ms(l->max_us));
        else
            fprintf(fp, ", \"mean_ms\": null, \"p50_ms\": null, \"p90_ms\": null, "
                        "\"p99_ms\": null, \"max_ms\": null}");
        first = false;
    }
    fprintf(fp, "%s],\n", first ? "" : "\n  ");
    fprintf(fp, "  \"latency_average\": {\n");
    json_avg(fp, "tcp", &s->latency_tcp, false);
    json_avg(fp, "udp", &s->latency_udp, false);
    json_avg(fp, "icmp", &s->latency_icmp, false);
    json_avg(fp, "icmpv6", &s->latency_icmpv6, false);
    json_avg(fp, "all", &s->latency_all, true);
    fprintf(fp, "  },\n");

    /* The range the graphs show. */
    fprintf(fp, "  \"window\": ");
    if (d->bins.nbins == 0) {
        fprintf(fp, "null,\n");
    } else {
        nm_report_iso_time(d->from_ns, t1, sizeof t1);
        nm_report_iso_time(d->to_ns, t2, sizeof t2);
        fprintf(fp, "{\n    \"from\": \"%s\",\n    \"to\": \"%s\",\n    \"from_ns\": %" PRId64
                    ",\n    \"to_ns\": %" PRId64 ",\n    \"bin_seconds\": %" PRId64
                    ",\n    \"bins\": %zu,\n    \"drops\": %" PRIu64
                    ",\n    \"latency_samples\": %" PRIu64 ",\n    \"protocols\": [\n",
                t1, t2, d->from_ns, d->to_ns, d->bins.bin_s, d->bins.nbins, d->win_drops,
                d->lat_samples);
        for (int p = 0; p < NM_P_COUNT; p++)
            fprintf(fp, "      {\"name\": \"%s\", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
                        ", \"new_connections\": %" PRIu64 "}%s\n",
                    nm_proto_name((enum nm_proto)p), d->win_packets[p], d->win_bytes[p],
                    d->win_newconn[p], p + 1 < NM_P_COUNT ? "," : "");
        fprintf(fp, "    ]\n  },\n");
    }

    fprintf(fp, "  \"top_talkers\": [");
    for (size_t i = 0; i < d->ntalkers; i++) {
        const struct nm_rq_talker *t = &d->talkers[i];
        fprintf(fp, "%s\n    {\"rank\": %zu, \"address\": ", i ? "," : "", i + 1);
        json_str(fp, t->address);
        fprintf(fp, ", \"kind\": \"%s\", \"bytes\": %" PRIu64 ", \"packets\": %" PRIu64
                    ", \"bytes_sent\": %" PRIu64 ", \"bytes_recv\": %" PRIu64 "}",
                t->kind, t->bytes, t->packets, t->bytes_sent, t->bytes_recv);
    }
    fprintf(fp, "%s]\n}\n", d->ntalkers ? "\n  " : "");
}

/* -------------------------------------------------------------- CSV -- */

/* RFC 4180: quoted when it holds a comma, quote or line break. */
static void csv_field(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void csv_row(FILE *fp, const char *section, const char *name, const char *field,
                    const char *value)
{
    csv_field(fp, section);
    fputc(',', fp);
    csv_field(fp, name);
    fputc(',', fp);
    csv_field(fp, field);
    fputc(',', fp);
    csv_field(fp, value);
    fputc('\n', fp);
}

static void csv_u64(FILE *fp, const char *section, const char *name, const char *field,
                    uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    csv_row(fp, section, name, field, buf);
}

static void csv_i64(FILE *fp, const char *section, const char *name, const char *field,
                    int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    csv_row(fp, section, name, field, buf);
}

/* Fixed decimals, or an empty field when !defined. */
static void csv_dbl(FILE *fp, const char *section, const char *name, const char *field,
                    double v, int decimals, bool defined)
{
    char buf[64] = "";
    if (defined)
        snprintf(buf, sizeof buf, "%.*f", decimals, v);
    csv_row(fp, section, name, field, buf);
}

void nm_report_print_csv(FILE *fp, const struct nm_report_data *d)
{
    const struct nm_summary *s = &d->sum;
    char t[40];

    fprintf(fp, "section,name,field,value\n");
    csv_i64(fp, "session", "", "id", s->session_id);
    csv_row(fp, "session", "", "source", s->source);
    csv_row(fp, "session", "", "link_type", s->link_type_name);
    csv_row(fp, "session", "", "end_reason", s->end_reason);
    nm_report_iso_time(s->first_packet_ns, t, sizeof t);
    csv_row(fp, "session", "", "first_packet", s->packets ? t : "");
    nm_report_iso_time(s->last_packet_ns, t, sizeof t);
    csv_row(fp, "session", "", "last_packet", s->packets ? t : "");
    csv_dbl(fp, "session", "", "run_seconds", (double)(s->end_wall_ns - s->start_wall_ns) / 1e9,
            6, s->end_wall_ns > 0 && s->end_wall_ns >= s->start_wall_ns);

    csv_u64(fp, "total", "", "packets", s->packets);
    csv_u64(fp, "total", "", "bytes", s->bytes);
    csv_u64(fp, "total", "", "captured_bytes", s->captured_bytes);
    csv_dbl(fp, "total", "", "avg_packet_size",
            s->packets ? (double)s->bytes / (double)s->packets : 0, 2, s->packets > 0);
    for (int p = 0; p < NM_P_COUNT; p++) {
        const char *n = nm_proto_name((enum nm_proto)p);
        csv_u64(fp, "protocol", n, "packets", s->proto_packets[p]);
        csv_u64(fp, "protocol", n, "bytes", s->proto_bytes[p]);
        csv_dbl(fp, "protocol", n, "avg_size",
                s->proto_packets[p] ? (double)s->proto_bytes[p] / (double)s->proto_packets[p]
                                    : 0, 2, s->proto_packets[p] > 0);
        if (has_connections(p))
            csv_u64(fp, "protocol", n, "connections", s->connections[p]);
        else
            csv_row(fp, "protocol", n, "connections", "");
    }
    csv_u64(fp, "unique_addresses", "", "ipv4", s->unique_ipv4);
    csv_u64(fp, "unique_addresses", "", "ipv6", s->unique_ipv6);
    csv_u64(fp, "unique_addresses", "", "mac", s->unique_macs);
    csv_u64(fp, "tcp", "", "resets", s->tcp_resets);
    csv_u64(fp, "tcp", "", "retransmissions", s->tcp_retransmissions);
    csv_u64(fp, "flows", "", "total", s->flows);
    csv_u64(fp, "flows", "", "evicted", s->flows_evicted);
    csv_u64(fp, "addresses", "", "evicted", s->addresses_evicted);
    csv_u64(fp, "latency", "", "evictions", s->latency_evictions);
    csv_u64(fp, "malformed", "", "total", s->malformed_total);
    for (int m = NM_MAL_NONE + 1; m < NM_MAL_COUNT; m++)
        if (s->malformed[m])
            csv_u64(fp, "malformed", nm_malformed_name((enum nm_malformed)m), "count",
                    s->malformed[m]);
    csv_u64(fp, "drops", "", "kernel", s->drops_kernel);
    csv_u64(fp, "drops", "", "interface", s->drops_ifdrop);
    csv_u64(fp, "drops", "", "queue", s->drops_queue);
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        const struct nm_summary_latency *l = &s->latency[k];
        const char *n = nm_latency_kind_name((enum nm_latency_kind)k);
        if (!l->samples && !l->timeouts)
            continue;
        csv_u64(fp, "latency", n, "samples", l->samples);
        csv_u64(fp, "latency", n, "timeouts", l->timeouts);
        csv_dbl(fp, "latency", n, "mean_ms", ms(l->mean_us), 3, l->samples > 0);
        csv_dbl(fp, "latency", n, "p50_ms", ms(l->p50_us), 3, l->samples > 0);
        csv_dbl(fp, "latency", n, "p90_ms", ms(l->p90_us), 3, l->samples > 0);
        csv_dbl(fp, "latency", n, "p99_ms", ms(l->p99_us), 3, l->samples > 0);
        csv_dbl(fp, "latency", n, "max_ms", ms(l->max_us), 3, l->samples > 0);
    }
    const struct { const char *name; const struct nm_summary_latency_avg *a; } avgs[] = {
        { "tcp", &s->latency_tcp }, { "udp", &s->latency_udp }, { "icmp", &s->latency_icmp },
        { "icmpv6", &s->latency_icmpv6 }, { "all", &s->latency_all },
    };
    for (size_t i = 0; i < sizeof avgs / sizeof avgs[0]; i++) {
        csv_u64(fp, "latency_average", avgs[i].name, "samples", avgs[i].a->samples);
        csv_dbl(fp, "latency_average", avgs[i].name, "mean_ms", ms(avgs[i].a->mean_us), 3,
                avgs[i].a->samples > 0);
    }
    if (d->bins.nbins > 0) {
        nm_report_iso_time(d->from_ns, t, sizeof t);
        csv_row(fp, "window", "", "from", t);
        nm_report_iso_time(d->to_ns, t, sizeof t);
        csv_row(fp, "window", "", "to", t);
        csv_i64(fp, "window", "", "bin_seconds", d->bins.bin_s);
        csv_u64(fp, "window", "", "bins", d->bins.nbins);
        csv_u64(fp, "window", "", "drops", d->win_drops);
        csv_u64(fp, "window", "", "latency_samples", d->lat_samples);
        for (int p = 0; p < NM_P_COUNT; p++) {
            const char *n = nm_proto_name((enum nm_proto)p);
            csv_u64(fp, "window", n, "packets", d->win_packets[p]);
            csv_u64(fp, "window", n, "bytes", d->win_bytes[p]);
            csv_u64(fp, "window", n, "new_connections", d->win_newconn[p]);
        }
    }
    for (size_t i = 0; i < d->ntalkers; i++) {
        const struct nm_rq_talker *tk = &d->talkers[i];
        char rank[24];
        snprintf(rank, sizeof rank, "%zu", i + 1);
        csv_row(fp, "top_talker", rank, "address", tk->address);
        csv_row(fp, "top_talker", rank, "kind", tk->kind);
        csv_u64(fp, "top_talker", rank, "bytes", tk->bytes);
        csv_u64(fp, "top_talker", rank, "packets", tk->packets);
    }
}
