/*
 * report_queries.h - every query nm-report runs (the SQL is in
 * report_queries.c; only schema/ speaks SQL).
 *
 * nm-report reads only the small tables: sessions, seconds, proto_seconds,
 * addresses, flows (through nm_db_read_summary) and latency_samples.  It
 * never scans `packets`, so a report costs about the same for a thousand
 * packets and for ten million, and works on aggregate-only sessions.
 *
 * Consistency: wrap a whole report in nm_rq_begin() / nm_rq_end().  In WAL
 * mode the first read fixes a snapshot that later commits of a running
 * nm-capture do not change, so the statistics, the time series and the
 * histogram of one report describe the same data, and the writer is never
 * blocked.
 */
#ifndef NM_REPORT_QUERIES_H
#define NM_REPORT_QUERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyze/latency.h"
#include "../analyze/proto.h"

struct nm_db;

/* Opens the read transaction (the snapshot) / ends it. */
int nm_rq_begin(struct nm_db *db) __attribute__((warn_unused_result));
void nm_rq_end(struct nm_db *db);

/* What the report needs to know about a session before reading it. */
struct nm_rq_session {
    int64_t id;
    char source[512];
    char end_reason[32];         /* "running" while nm-capture writes it */
    bool aggregate_only;         /* -A: no packet rows and no latency sample rows */
    bool has_packets;            /* at least one row in `seconds` */
    int64_t first_second, last_second;   /* packet time, whole seconds (UTC) */
};

/* Fills *out for session_id (<= 0: the newest).  Fails with "no session N"
 * or "no capture session in the database yet". */
int nm_rq_session(struct nm_db *db, int64_t session_id, struct nm_rq_session *out)
    __attribute__((warn_unused_result));

/*
 * Time series over bins of packet time: bin i covers seconds
 * [t0_s + i*bin_s, t0_s + (i+1)*bin_s), and only seconds in
 * [from_s, to_s] (inclusive) are counted.  The caller owns the arrays and
 * zeroes them; this adds:
 *   bytes[p * nbins + i]     wire bytes of protocol p in bin i
 *   packets[p * nbins + i]   frames of protocol p in bin i
 *   newconn[p * nbins + i]   new connections of protocol p in bin i
 *   drops[i]                 kernel + interface + queue drops in bin i
 * (p in enum nm_proto order).  Rows of protocols this build does not know
 * are skipped.  One range scan of proto_seconds per protocol and one of
 * seconds.
 */
struct nm_rq_bins {
    int64_t t0_s;
    int64_t bin_s;
    size_t nbins;
    int64_t from_s, to_s;
    double *bytes;
    double *packets;
    double *newconn;
    uint64_t *drops;
};
int nm_rq_timeseries(struct nm_db *db, int64_t session_id, const struct nm_rq_bins *b)
    __attribute__((warn_unused_result));

/* One row of the top talkers: an IP address ranked by bytes sent + received
 * over the whole session (the addresses table keeps session totals only). */
struct nm_rq_talker {
    char kind[8];                /* "ipv4" or "ipv6" */
    char address[64];
    uint64_t bytes, packets;
    uint64_t bytes_sent, bytes_recv;
};

/* Fills up to `max` talkers, largest first (ties by address), *n the
 * count.  SQLite keeps only the top `max` while sorting: memory does not
 * grow with the number of addresses. */
int nm_rq_top_talkers(struct nm_db *db, int64_t session_id, struct nm_rq_talker *out,
                      size_t max, size_t *n) __attribute__((warn_unused_result));

/*
 * Which latency data to read.  whole_session: the session's histogram
 * buckets (table latency_hist: at most a few thousand rows, also for -A
 * sessions, which store no sample rows).  Otherwise the sample rows
 * (latency_samples, no index: one pass) whose stopping packet lies in
 * [from_ns, to_ns] (inclusive).
 */
struct nm_rq_latency_range {
    bool whole_session;
    int64_t from_ns, to_ns;
};

/* Per kind: samples, smallest and largest value (microseconds), from one
 * aggregate query.  Kinds without samples have count 0. */
struct nm_rq_latency_bounds {
    uint64_t count[NM_LAT_KIND_COUNT];
    double min_us[NM_LAT_KIND_COUNT], max_us[NM_LAT_KIND_COUNT];
};
int nm_rq_latency_bounds(struct nm_db *db, int64_t session_id,
                         const struct nm_rq_latency_range *r, struct nm_rq_latency_bounds *out)
    __attribute__((warn_unused_result));

/* is_conn[k]: kind k is connection-level (table latency_kinds). */
int nm_rq_latency_connection_kinds(struct nm_db *db, bool is_conn[NM_LAT_KIND_COUNT])
    __attribute__((warn_unused_result));

/* Streams the samples to fn (no order), one row at a time: constant memory
 * whatever the sample count.  A sample row gives count 1; a histogram
 * bucket gives its count and one value for all of them: its only value
 * when it holds one, else the middle of its smallest and largest (a
 * bucket is at most 0.4% wide, analyze/lathist.h).  is_connection: the
 * kind is connection-level (table latency_kinds). */
typedef void (*nm_rq_latency_fn)(void *ctx, enum nm_latency_kind kind, int ip_proto,
                                 bool is_connection, double value_us, uint64_t count);
int nm_rq_latency_scan(struct nm_db *db, int64_t session_id, const struct nm_rq_latency_range *r,
                       nm_rq_latency_fn fn, void *ctx) __attribute__((warn_unused_result));

#endif /* NM_REPORT_QUERIES_H */
