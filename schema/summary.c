/*
 * summary.c - nm_db_read_summary(): one session's final statistics from the
 * aggregate tables (sessions, seconds, proto_seconds, addresses, flows,
 * malformed).  Never touches `packets`, so it costs the same for ten
 * packets and ten million, and works for aggregate-only sessions.
 */
#include "db_internal.h"
#include "summary.h"
#include "../analyze/lathist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* Prepares `sql` with ?1 bound to the session id; NULL on error. */
static sqlite3_stmt *query(struct nm_db *db, const char *sql, int64_t session_id)
{
    sqlite3_stmt *s = nm_db_prepare(db, sql);
    if (s != NULL)
        sqlite3_bind_int64(s, 1, session_id);
    return s;
}


static void col_text(sqlite3_stmt *s, int i, char *buf, size_t len)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
}

static int read_session(struct nm_db *db, struct nm_summary *out)
{
    sqlite3_stmt *s = query(db,
        "SELECT source, coalesce(link_type_name, ''), end_reason,"
        " coalesce(first_packet_ns, 0), coalesce(last_packet_ns, 0),"
        " start_wall_ns, coalesce(end_wall_ns, 0), packets, bytes, captured_bytes,"
        " drops_kernel, drops_ifdrop, drops_queue, malformed, flows_evicted, addresses_evicted,"
        " latency_evictions FROM sessions WHERE id = ?1", out->session_id);
    int rc;

    if (s == NULL)
        return -1;
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW) {
        col_text(s, 0, out->source, sizeof out->source);
        col_text(s, 1, out->link_type_name, sizeof out->link_type_name);
        col_text(s, 2, out->end_reason, sizeof out->end_reason);
        out->first_packet_ns = nm_db_col_time_ns(s, 3);
        out->last_packet_ns = nm_db_col_time_ns(s, 4);
        out->start_wall_ns = nm_db_col_time_ns(s, 5);
        out->end_wall_ns = nm_db_col_time_ns(s, 6);
        out->packets = nm_db_col_u64(s, 7);
        out->bytes = nm_db_col_u64(s, 8);
        out->captured_bytes = nm_db_col_u64(s, 9);
        out->drops_kernel = nm_db_col_u64(s, 10);
        out->drops_ifdrop = nm_db_col_u64(s, 11);
        out->drops_queue = nm_db_col_u64(s, 12);
        out->malformed_total = nm_db_col_u64(s, 13);
        out->flows_evicted = nm_db_col_u64(s, 14);
        out->addresses_evicted = nm_db_col_u64(s, 15);
        out->latency_evictions = nm_db_col_u64(s, 16);
    } else if (rc == SQLITE_DONE) {
        char msg[64];
        snprintf(msg, sizeof msg, "no session %lld", (long long)out->session_id);
        nm_db_fail_msg(db, msg);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Totals of the per-second table.  The session row is authoritative, but a
 * capture that is still running (or was killed) may not have updated it
 * yet; then the per-second rows, flushed about once a second, stand in.
 */
static int read_seconds(struct nm_db *db, struct nm_summary *out)
{
    sqlite3_stmt *s = query(db,
        "SELECT count(*), coalesce(sum(packets), 0), coalesce(sum(bytes), 0),"
        " coalesce(sum(malformed), 0), coalesce(sum(tcp_resets), 0),"
        " coalesce(sum(tcp_retransmissions), 0), min(second), max(second)"
        " FROM seconds WHERE session_id = ?1", out->session_id);
    int rc;

    if (s == NULL)
        return -1;
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW) {
        out->tcp_resets = nm_db_col_u64(s, 4);
        out->tcp_retransmissions = nm_db_col_u64(s, 5);
        if (out->packets == 0 && sqlite3_column_int64(s, 0) > 0) {
            out->packets = nm_db_col_u64(s, 1);
            out->bytes = nm_db_col_u64(s, 2);
            out->malformed_total = nm_db_col_u64(s, 3);
            out->first_packet_ns = nm_db_col_second(s, 6) * 1000000000;
            out->last_packet_ns = nm_db_col_second(s, 7) * 1000000000 + 999999999;
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int read_protocols(struct nm_db *db, struct nm_summary *out)
{
    sqlite3_stmt *s = query(db,
        "SELECT proto, sum(packets), sum(bytes), sum(new_connections)"
        " FROM proto_seconds WHERE session_id = ?1 GROUP BY proto", out->session_id);
    int rc;

    if (s == NULL)
        return -1;
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        for (int p = 0; name && p < NM_P_COUNT; p++) {
            if (strcmp(name, nm_proto_name((enum nm_proto)p)) == 0) {
                out->proto_packets[p] = nm_db_col_u64(s, 1);
                out->proto_bytes[p] = nm_db_col_u64(s, 2);
                out->connections[p] = nm_db_col_u64(s, 3);
                break;
            }
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int read_addresses(struct nm_db *db, struct nm_summary *out)
{
    sqlite3_stmt *s = query(db,
        "SELECT kind, count(*) FROM addresses WHERE session_id = ?1 GROUP BY kind",
        out->session_id);
    int rc;

    if (s == NULL)
        return -1;
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(s, 0);
        uint64_t n = nm_db_col_u64(s, 1);
        if (kind == NULL)
            continue;
        if (strcmp(kind, "ipv4") == 0)
            out->unique_ipv4 = n;
        else if (strcmp(kind, "ipv6") == 0)
            out->unique_ipv6 = n;
        else if (strcmp(kind, "mac") == 0)
            out->unique_macs = n;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int read_malformed(struct nm_db *db, struct nm_summary *out)
{
    sqlite3_stmt *s = query(db, "SELECT reason, count FROM malformed WHERE session_id = ?1",
                            out->session_id);
    int rc;

    if (s == NULL)
        return -1;
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        const char *reason = (const char *)sqlite3_column_text(s, 0);
        for (int m = NM_MAL_NONE + 1; reason && m < NM_MAL_COUNT; m++) {
            if (strcmp(reason, nm_malformed_name((enum nm_malformed)m)) == 0) {
                out->malformed[m] = nm_db_col_u64(s, 1);
                break;
            }
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int read_flows(struct nm_db *db, struct nm_summary *out)
{
    sqlite3_stmt *s = query(db, "SELECT count(*) FROM flows WHERE session_id = ?1",
                            out->session_id);
    int rc;

    if (s == NULL)
        return -1;
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW)
        out->flows = nm_db_col_u64(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int latency_kind_index(const unsigned char *kind)
{
    for (int k = 0; kind && k < NM_LAT_KIND_COUNT; k++)
        if (strcmp((const char *)kind, nm_latency_kind_name((enum nm_latency_kind)k)) == 0)
            return k;
    return -1;
}

/* One kind's totals and its p50, p90 and p99, for read_latency(). */
struct kind_buckets {
    uint64_t n;
    int64_t sum_ns, max_ns;
    uint64_t rank[3];          /* of p50, p90, p99 */
    double value_us[3];
    uint64_t cum;              /* samples in the buckets read so far */
};

static const unsigned wanted_pct[3] = { 50, 90, 99 };

/* The next bucket of a kind, in increasing order: a wanted rank in it takes
 * its value by nm_lathist_rank_value(), the definition latency_stats
 * (schema/v2.sql) follows. */
static void bucket_ranks(struct kind_buckets *kb, uint64_t count, int64_t min_ns, int64_t max_ns)
{
    uint64_t first = kb->cum + 1;
    kb->cum += count;
    for (int i = 0; i < 3; i++)
        if (count > 0 && kb->rank[i] >= first && kb->rank[i] <= kb->cum)
            kb->value_us[i] = nm_lathist_rank_value(kb->rank[i], first, count, (double)min_ns,
                                                    (double)max_ns) / 1000.0;
}

/* One histogram row of the session, for read_latency(). */
struct hist_row {
    int kind;
    int64_t low_ns, sum_ns, min_ns, max_ns;
    uint64_t count;
};

static int by_kind_then_low(const void *a, const void *b)
{
    const struct hist_row *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->low_ns < y->low_ns ? -1 : x->low_ns > y->low_ns;
}

/*
 * Latency statistics per kind: what the latency_stats view gives (test_db
 * checks that they agree), computed here from the session's histogram rows
 * read once in table order and sorted in memory.  The view takes
 * 0.12-0.155 s on mixed.pcap's 15,485 buckets (its window functions sort
 * them twice), 8 % of an aggregate-mode run, which prints these at its
 * end; this takes a few milliseconds.  The averages per protocol are the
 * latency_per_protocol view's rows (a plain GROUP BY, milliseconds).
 */
static int read_latency(struct nm_db *db, struct nm_summary *out)
{
    struct kind_buckets kb[NM_LAT_KIND_COUNT];
    struct hist_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc;

    memset(kb, 0, sizeof kb);
    sqlite3_stmt *s = query(db, "SELECT kind, low_ns, count, sum_ns, min_ns, max_ns"
                                " FROM latency_hist WHERE session_id = ?1", out->session_id);
    if (s == NULL)
        return -1;
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        int k = latency_kind_index(sqlite3_column_text(s, 0));
        if (k < 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 4096;
            struct hist_row *r = realloc(rows, ncap * sizeof *rows);
            if (r == NULL) {
                rc = nm_db_fail_msg(db, "out of memory reading latency_hist");
                break;
            }
            rows = r;
            cap = ncap;
        }
        rows[n++] = (struct hist_row){ .kind = k, .low_ns = sqlite3_column_int64(s, 1),
                                       .count = nm_db_col_u64(s, 2),
                                       .sum_ns = sqlite3_column_int64(s, 3),
                                       .min_ns = sqlite3_column_int64(s, 4),
                                       .max_ns = sqlite3_column_int64(s, 5) };
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(rows);
        return -1;
    }
    if (n > 0)
        qsort(rows, n, sizeof *rows, by_kind_then_low);
    /* The totals first (the ranks depend on them) ... */
    for (size_t i = 0; i < n; i++) {
        struct kind_buckets *b = &kb[rows[i].kind];
        b->n += rows[i].count;
        /* Saturated: only a database edited by hand gets near the limit
         * (2^63 ns is 292 years of summed latency). */
        if (__builtin_add_overflow(b->sum_ns, rows[i].sum_ns, &b->sum_ns))
            b->sum_ns = rows[i].sum_ns < 0 ? INT64_MIN : INT64_MAX;
        if (rows[i].max_ns > b->max_ns)
            b->max_ns = rows[i].max_ns;
    }
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        for (int i = 0; i < 3; i++)
            kb[k].rank[i] = nm_lathist_nearest_rank(kb[k].n, wanted_pct[i]);
    /* ... then the buckets in order, rows of one bucket (the same kind
     * over several protocols) merged as the view's GROUP BY does. */
    for (size_t i = 0; i < n;) {
        struct hist_row m = rows[i];
        size_t j = i + 1;
        for (; j < n && rows[j].kind == m.kind && rows[j].low_ns == m.low_ns; j++) {
            m.count += rows[j].count;
            if (rows[j].min_ns < m.min_ns)
                m.min_ns = rows[j].min_ns;
            if (rows[j].max_ns > m.max_ns)
                m.max_ns = rows[j].max_ns;
        }
        bucket_ranks(&kb[m.kind], m.count, m.min_ns, m.max_ns);
        i = j;
    }
    free(rows);
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        struct nm_summary_latency *l = &out->latency[k];
        l->samples = kb[k].n;
        if (kb[k].n == 0)
            continue;
        l->mean_us = (double)kb[k].sum_ns / 1000.0 / (double)kb[k].n;
        l->max_us = (double)kb[k].max_ns / 1000.0;
        l->p50_us = kb[k].value_us[0];
        l->p90_us = kb[k].value_us[1];
        l->p99_us = kb[k].value_us[2];
    }

    s = query(db, "SELECT kind, sum(count) FROM latency_timeouts WHERE session_id = ?1"
                  " GROUP BY kind", out->session_id);
    if (s == NULL)
        return -1;
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        int k = latency_kind_index(sqlite3_column_text(s, 0));
        if (k >= 0)
            out->latency[k].timeouts = nm_db_col_u64(s, 1);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;

    s = query(db, "SELECT proto, samples, mean_us FROM latency_per_protocol WHERE session_id = ?1",
              out->session_id);
    if (s == NULL)
        return -1;
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        const char *proto = (const char *)sqlite3_column_text(s, 0);
        struct nm_summary_latency_avg *avg =
            !proto                          ? NULL
            : strcmp(proto, "TCP") == 0    ? &out->latency_tcp
            : strcmp(proto, "UDP") == 0    ? &out->latency_udp
            : strcmp(proto, "ICMP") == 0   ? &out->latency_icmp
            : strcmp(proto, "ICMPv6") == 0 ? &out->latency_icmpv6
            : strcmp(proto, "all") == 0    ? &out->latency_all
                                           : NULL;
        if (avg) {
            avg->samples = nm_db_col_u64(s, 1);
            avg->mean_us = sqlite3_column_double(s, 2);
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int nm_db_read_summary(struct nm_db *db, int64_t session_id, struct nm_summary *out)
{
    memset(out, 0, sizeof *out);
    if (session_id <= 0 && nm_db_newest_session(db, &session_id) != 0)
        return -1;
    out->session_id = session_id;
    if (read_session(db, out) != 0 || read_seconds(db, out) != 0 ||
        read_protocols(db, out) != 0 || read_addresses(db, out) != 0 ||
        read_malformed(db, out) != 0 || read_flows(db, out) != 0 ||
        read_latency(db, out) != 0)
        return -1;
    nm_db_clear_error(db);
    return 0;
}
