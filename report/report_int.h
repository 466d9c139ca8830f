/*
 * report_int.h - what report.c gathers from the database and hands to the
 * writers (report_out.c: JSON and CSV; report_html.c: report.html).  Not
 * part of the contract: only report*.c include it.
 */
#ifndef NM_REPORT_INT_H
#define NM_REPORT_INT_H

#include <stdio.h>

#include "latency_hist.h"
#include "report.h"
#include "../schema/report_queries.h"
#include "../schema/summary.h"

/* The graphs, in the order they appear in report.html. */
enum nm_report_graph {
    NM_G_THROUGHPUT = 0,
    NM_G_LATENCY,
    NM_G_PROTOCOLS,
    NM_G_NEWCONN,
    NM_G_TALKERS,
    NM_G_COUNT
};
const char *nm_report_graph_file(enum nm_report_graph g);   /* "throughput_over_time.png" */
const char *nm_report_graph_title(enum nm_report_graph g);

/* Latency histogram groups: one per kind. */
const char *nm_report_kind_label(enum nm_latency_kind k);   /* "TCP handshake" */

struct nm_report_data {
    struct nm_summary sum;          /* the whole session (nm_db_read_summary) */
    struct nm_rq_session sess;
    bool ranged;                    /* --from or --to given */
    int64_t from_ns, to_ns;         /* the range shown: packet times, inclusive */
    int64_t req_bin_s;              /* bin width asked for */
    struct nm_rq_bins bins;         /* bins.bin_s: the width used */
    /* Totals of the range per protocol (the sums of the bins). */
    uint64_t win_packets[NM_P_COUNT], win_bytes[NM_P_COUNT], win_newconn[NM_P_COUNT];
    uint64_t win_drops;
    struct nm_rq_talker *talkers;
    size_t ntalkers;
    struct nm_hist *hist;           /* groups in enum nm_latency_kind order */
    uint64_t lat_samples;           /* in the range, all kinds */
    uint64_t lat_drawn;             /* of connection-level kinds: the histogram's */
    double lat_p50[NM_LAT_KIND_COUNT], lat_p90[NM_LAT_KIND_COUNT], lat_p99[NM_LAT_KIND_COUNT];
    bool graph_written[NM_G_COUNT];
    char graph_note[NM_G_COUNT][160];   /* why a graph was not drawn */
};

/* report_out.c */
void nm_report_print_json(FILE *fp, const struct nm_report_data *d);
void nm_report_print_csv(FILE *fp, const struct nm_report_data *d);
/* "2024-11-12T12:58:30.112349Z" (microseconds, UTC). */
void nm_report_iso_time(int64_t ns, char *buf, size_t len);

/* report_html.c: writes DIR/report.html; 0, or -1 with errbuf. */
int nm_report_write_html(const char *dir, const struct nm_report_data *d, char *errbuf,
                         size_t errlen);

#endif /* NM_REPORT_INT_H */
