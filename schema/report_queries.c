/*
 * report_queries.c - nm-report's SQL (see report_queries.h).  Every
 * statement is a range scan of a small aggregate table on its primary key,
 * except the reads of latency_samples for a time range, which has no
 * index (one aggregate pass for the bounds, one streaming pass for the
 * histogram).  A whole session reads its latency_hist buckets instead.
 */
#include "db_internal.h"
#include "report_queries.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

int nm_rq_begin(struct nm_db *db)
{
    sqlite3 *conn = nm_db_conn(db);
    /* A deferred transaction: the first SELECT takes the snapshot.  Read
     * it now so the snapshot is fixed before anything else is asked. */
    if (sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return nm_db_fail_rc(db, sqlite3_extended_errcode(conn));
    if (sqlite3_exec(conn, "SELECT count(*) FROM sessions", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = sqlite3_extended_errcode(conn);
        sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
        return nm_db_fail_rc(db, rc);
    }
    nm_db_clear_error(db);
    return 0;
}

void nm_rq_end(struct nm_db *db)
{
    /* Read-only: COMMIT and ROLLBACK are the same; ROLLBACK cannot fail
     * for lack of a lock. */
    sqlite3_exec(nm_db_conn(db), "ROLLBACK", NULL, NULL, NULL);
}

static int kind_index(const unsigned char *name)
{
    for (int k = 0; name && k < NM_LAT_KIND_COUNT; k++)
        if (strcmp((const char *)name, nm_latency_kind_name((enum nm_latency_kind)k)) == 0)
            return k;
    return -1;
}

int nm_rq_session(struct nm_db *db, int64_t session_id, struct nm_rq_session *out)
{
    sqlite3_stmt *s;
    int rc;

    memset(out, 0, sizeof *out);
    if (session_id <= 0 && nm_db_newest_session(db, &session_id) != 0)
        return -1;
    out->id = session_id;
    s = nm_db_prepare(db, "SELECT source, end_reason, aggregate_only FROM sessions WHERE id = ?1");
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW) {
        const unsigned char *src = sqlite3_column_text(s, 0);
        const unsigned char *end = sqlite3_column_text(s, 1);
        snprintf(out->source, sizeof out->source, "%s", src ? (const char *)src : "");
        snprintf(out->end_reason, sizeof out->end_reason, "%s", end ? (const char *)end : "");
        out->aggregate_only = sqlite3_column_int(s, 2) != 0;
    } else if (rc == SQLITE_DONE) {
        char msg[64];
        snprintf(msg, sizeof msg, "no session %lld", (long long)session_id);
        nm_db_fail_msg(db, msg);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return -1;

    /* The packet-time span from the per-second table rather than the
     * session row: a running capture updates the row less often. */
    s = nm_db_prepare(db, "SELECT min(second), max(second) FROM seconds WHERE session_id = ?1");
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        out->has_packets = true;
        out->first_second = nm_db_col_second(s, 0);
        out->last_second = nm_db_col_second(s, 1);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return -1;
    nm_db_clear_error(db);
    return 0;
}

/* Bin of `second`, or -1 outside the bins. */
static long long bin_of(const struct nm_rq_bins *b, int64_t second)
{
    if (second < b->t0_s || b->bin_s <= 0)
        return -1;
    int64_t i = (second - b->t0_s) / b->bin_s;
    return (uint64_t)i < b->nbins ? (long long)i : -1;
}

int nm_rq_timeseries(struct nm_db *db, int64_t session_id, const struct nm_rq_bins *b)
{
    /* One statement per protocol: "session = ? AND proto = ? AND second
     * BETWEEN" is a range scan of the primary key (session, proto, second);
     * without the proto term SQLite would read every protocol's rows of the
     * session and filter them. */
    sqlite3_stmt *s = nm_db_prepare(db,
        "SELECT second, packets, bytes, new_connections FROM proto_seconds"
        " WHERE session_id = ?1 AND proto = ?2 AND second BETWEEN ?3 AND ?4");
    int rc = SQLITE_DONE;

    if (s == NULL)
        return -1;
    for (int p = 0; p < NM_P_COUNT && rc == SQLITE_DONE; p++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, session_id);
        sqlite3_bind_text(s, 2, nm_proto_name((enum nm_proto)p), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, b->from_s);
        sqlite3_bind_int64(s, 4, b->to_s);
        while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
            long long i = bin_of(b, nm_db_col_second(s, 0));
            if (i < 0)
                continue;
            size_t at = (size_t)p * b->nbins + (size_t)i;
            b->packets[at] += (double)nm_db_col_u64(s, 1);
            b->bytes[at] += (double)nm_db_col_u64(s, 2);
            b->newconn[at] += (double)nm_db_col_u64(s, 3);
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;

    s = nm_db_prepare(db,
        "SELECT second, drops_kernel + drops_ifdrop + drops_queue FROM seconds"
        " WHERE session_id = ?1 AND second BETWEEN ?2 AND ?3"
        " AND drops_kernel + drops_ifdrop + drops_queue > 0");
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, b->from_s);
    sqlite3_bind_int64(s, 3, b->to_s);
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        long long i = bin_of(b, nm_db_col_second(s, 0));
        if (i >= 0)
            b->drops[i] += nm_db_col_u64(s, 1);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    nm_db_clear_error(db);
    return 0;
}

int nm_rq_top_talkers(struct nm_db *db, int64_t session_id, struct nm_rq_talker *out,
                      size_t max, size_t *n)
{
    sqlite3_stmt *s = nm_db_prepare(db,
        "SELECT kind, address, bytes_sent + bytes_recv, pkts_sent + pkts_recv,"
        " bytes_sent, bytes_recv FROM addresses"
        " WHERE session_id = ?1 AND kind IN ('ipv4', 'ipv6')"
        " ORDER BY bytes_sent + bytes_recv DESC, address LIMIT ?2");
    int rc;

    *n = 0;
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW && *n < max) {
        struct nm_rq_talker *t = &out[(*n)++];
        const unsigned char *kind = sqlite3_column_text(s, 0);
        const unsigned char *addr = sqlite3_column_text(s, 1);
        snprintf(t->kind, sizeof t->kind, "%s", kind ? (const char *)kind : "");
        snprintf(t->address, sizeof t->address, "%s", addr ? (const char *)addr : "");
        t->bytes = nm_db_col_u64(s, 2);
        t->packets = nm_db_col_u64(s, 3);
        t->bytes_sent = nm_db_col_u64(s, 4);
        t->bytes_recv = nm_db_col_u64(s, 5);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return -1;
    nm_db_clear_error(db);
    return 0;
}

/* The bounds from the histogram buckets (a few thousand rows at most). */
static int hist_bounds(struct nm_db *db, int64_t session_id, struct nm_rq_latency_bounds *out)
{
    sqlite3_stmt *s = nm_db_prepare(db,
        "SELECT kind, sum(count), min(min_ns), max(max_ns) FROM latency_hist"
        " WHERE session_id = ?1 AND count > 0 GROUP BY kind");
    int rc;

    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        int k = kind_index(sqlite3_column_text(s, 0));
        if (k < 0)
            continue;
        out->count[k] = nm_db_col_u64(s, 1);
        out->min_us[k] = (double)sqlite3_column_int64(s, 2) / 1000.0;
        out->max_us[k] = (double)sqlite3_column_int64(s, 3) / 1000.0;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    nm_db_clear_error(db);
    return 0;
}

int nm_rq_latency_bounds(struct nm_db *db, int64_t session_id,
                         const struct nm_rq_latency_range *r, struct nm_rq_latency_bounds *out)
{
    /* One pass for all kinds: conditional aggregates instead of GROUP BY,
     * which would sort every sample of the session first. */
    char sql[4096];
    size_t used = 0;
    sqlite3_stmt *s;
    int rc;

    memset(out, 0, sizeof *out);
    used += (size_t)snprintf(sql + used, sizeof sql - used, "SELECT 0");
    for (int k = 0; k < NM_LAT_KIND_COUNT && used < sizeof sql; k++) {
        const char *name = nm_latency_kind_name((enum nm_latency_kind)k);
        used += (size_t)snprintf(sql + used, sizeof sql - used,
                                 ", count(CASE WHEN kind = '%s' THEN 1 END),"
                                 " min(CASE WHEN kind = '%s' THEN value_us END),"
                                 " max(CASE WHEN kind = '%s' THEN value_us END)",
                                 name, name, name);
    }
    if (used < sizeof sql)
        used += (size_t)snprintf(sql + used, sizeof sql - used,
                                 " FROM latency_samples WHERE session_id = ?1"
                                 " AND ts_ns BETWEEN ?2 AND ?3");
    if (used >= sizeof sql)
        return nm_db_fail_msg(db, "internal error: latency query too long");
    if (r->whole_session)
        return hist_bounds(db, session_id, out);
    s = nm_db_prepare(db, sql);
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, r->from_ns);
    sqlite3_bind_int64(s, 3, r->to_ns);
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW) {
        for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
            out->count[k] = nm_db_col_u64(s, 1 + 3 * k);
            out->min_us[k] = sqlite3_column_double(s, 2 + 3 * k);
            out->max_us[k] = sqlite3_column_double(s, 3 + 3 * k);
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return -1;
    nm_db_clear_error(db);
    return 0;
}

int nm_rq_latency_connection_kinds(struct nm_db *db, bool is_conn[NM_LAT_KIND_COUNT])
{
    sqlite3_stmt *s = nm_db_prepare(db, "SELECT kind, is_connection FROM latency_kinds");
    int rc;

    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        is_conn[k] = false;
    if (s == NULL)
        return -1;
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        int k = kind_index(sqlite3_column_text(s, 0));
        if (k >= 0)
            is_conn[k] = sqlite3_column_int(s, 1) != 0;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    nm_db_clear_error(db);
    return 0;
}

int nm_rq_latency_scan(struct nm_db *db, int64_t session_id, const struct nm_rq_latency_range *r,
                       nm_rq_latency_fn fn, void *ctx)
{
    bool is_conn[NM_LAT_KIND_COUNT];
    sqlite3_stmt *s;
    int rc;

    if (nm_rq_latency_connection_kinds(db, is_conn) != 0)
        return -1;

    if (r->whole_session)
        s = nm_db_prepare(db, "SELECT kind, ip_proto, (min_ns + max_ns) / 2000.0, count"
                              " FROM latency_hist WHERE session_id = ?1 AND count > 0");
    else
        s = nm_db_prepare(db, "SELECT kind, ip_proto, value_us, 1 FROM latency_samples"
                              " WHERE session_id = ?1 AND ts_ns BETWEEN ?2 AND ?3");
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    if (!r->whole_session) {
        sqlite3_bind_int64(s, 2, r->from_ns);
        sqlite3_bind_int64(s, 3, r->to_ns);
    }
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        int k = kind_index(sqlite3_column_text(s, 0));
        if (k >= 0)
            fn(ctx, (enum nm_latency_kind)k, sqlite3_column_int(s, 1), is_conn[k],
               sqlite3_column_double(s, 2), nm_db_col_u64(s, 3));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    nm_db_clear_error(db);
    return 0;
}
