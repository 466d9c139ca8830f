/*
 * plot.h - nm-report's PNG graphs, drawn with PLplot's cairo PNG device.
 *
 * Pure drawing: the caller (report.c) reads the database through
 * schema/report_queries.h and hands plain arrays here; nothing in plot*.c
 * speaks SQL.  Every function writes one PNG at `path`, returns 0, or -1
 * with a one-line message in errbuf naming the file and the cause.
 *
 * Every graph has a title, axis labels with units, and a subtitle with the
 * capture source and the time range (struct nm_plot_meta).  Same input ->
 * byte-identical PNG (no clock, no random state), so reports of the sample
 * captures can be reproduced.
 */
#ifndef NM_PLOT_H
#define NM_PLOT_H

#include <stddef.h>
#include <stdint.h>

/* What every graph names in its subtitle. */
struct nm_plot_meta {
    const char *source;      /* capture file or interface */
    int64_t session_id;
    int64_t from_ns, to_ns;  /* packet-time range shown (UTC) */
};

/* One line of a time series: y[i] belongs to bin i. */
struct nm_plot_series {
    const char *name;        /* legend text, e.g. "TCP" */
    const double *y;         /* nbins values */
};

/* Values per fixed-width bin of packet time.  Bin i covers
 * [t0_s + i*bin_s, t0_s + (i+1)*bin_s) in Unix seconds (UTC); bins without
 * traffic are present with value 0. */
struct nm_plot_timeseries {
    int64_t t0_s;
    int bin_s;
    size_t nbins;
    size_t nseries;
    const struct nm_plot_series *series;
    const uint64_t *drops;   /* NULL, or nbins counts: bins with drops > 0 are marked */
};

/* throughput_over_time.png: bits per second per protocol (y in bit/s; the
 * axis is scaled to b/s, kb/s, Mb/s or Gb/s to fit), clock-time x axis. */
int nm_plot_throughput(const char *path, const struct nm_plot_meta *meta,
                       const struct nm_plot_timeseries *ts, char *errbuf, size_t errlen);

/* new_connections.png: new connections per second per protocol. */
int nm_plot_new_connections(const char *path, const struct nm_plot_meta *meta,
                            const struct nm_plot_timeseries *ts, char *errbuf, size_t errlen);

/* A latency histogram, binned by the caller: group g has counts[b] samples
 * in bin b, whose edges are edges_us[b] and edges_us[b + 1] (microseconds,
 * increasing).  log_x: the bins are logarithmic and the x axis too. */
struct nm_plot_hist_group {
    const char *name;        /* e.g. "TCP handshake" */
    const uint64_t *counts;  /* nbins counts */
    uint64_t samples;        /* total samples of the group (shown in the legend) */
    double p50_us, p90_us, p99_us;   /* marked on the graph */
};
struct nm_plot_histogram {
    int log_x;
    size_t nbins;
    const double *edges_us;  /* nbins + 1 edges */
    size_t ngroups;
    const struct nm_plot_hist_group *groups;
};

/* latency_distribution.png */
int nm_plot_latency(const char *path, const struct nm_plot_meta *meta,
                    const struct nm_plot_histogram *h, char *errbuf, size_t errlen);

/* Labelled bars (one value each). */
struct nm_plot_bars {
    size_t n;
    const char *const *labels;
    const double *values;
};

/* protocol_usage.png: packets per protocol as bars, with the unique IP and
 * MAC address counts written on the graph. */
int nm_plot_protocol_usage(const char *path, const struct nm_plot_meta *meta,
                           const struct nm_plot_bars *packets, uint64_t unique_ips,
                           uint64_t unique_macs, char *errbuf, size_t errlen);

/* top_talkers.png: bytes (sent + received) per address, largest first. */
int nm_plot_top_talkers(const char *path, const struct nm_plot_meta *meta,
                        const struct nm_plot_bars *bytes, char *errbuf, size_t errlen);

#endif /* NM_PLOT_H */
