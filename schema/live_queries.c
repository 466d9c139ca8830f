/*
 * live_queries.c - nm-live's SQL (see live_queries.h).  Every statement is
 * a read of a few aggregate rows: a range scan of proto_seconds on its
 * primary key (session, proto, second) and of seconds on (session, second).
 * Per-protocol ranges join from `protocols` with CROSS JOIN, which makes
 * SQLite walk the 11 protocols and do one key range each; with the plain
 * "WHERE session_id = ? AND second BETWEEN" it scanned every row of the
 * session (EXPLAIN QUERY PLAN: "PRIMARY KEY (session_id=?)").
 */
#include "db_internal.h"
#include "live_queries.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

/* The window is at most a day of seconds: anything longer is a caller bug. */
#define LIVE_MAX_WINDOW_S 86400

int nm_live_newest_session(struct nm_db *db, int64_t *session_id)
{
    if (nm_db_newest_session(db, session_id) != 0)
        return -1;
    nm_db_clear_error(db);
    return 0;
}

/* The newest second of the session, and the totals of all frames over the
 * window that ends there. */
static int read_totals(struct nm_db *db, int64_t session_id, int seconds,
                       struct nm_live_window *out)
{
    sqlite3_stmt *s = nm_db_prepare(db,
        "SELECT max(second) FROM seconds WHERE session_id = ?1");
    int rc;

    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        out->has_data = true;
        out->last_second = nm_db_col_second(s, 0);
        out->first_second = out->last_second - (seconds - 1);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return -1;
    if (!out->has_data)
        return 0;

    s = nm_db_prepare(db,
        "SELECT coalesce(sum(packets), 0), coalesce(sum(bytes), 0),"
        " coalesce(sum(drops_kernel), 0), coalesce(sum(drops_ifdrop), 0),"
        " coalesce(sum(drops_queue), 0) FROM seconds"
        " WHERE session_id = ?1 AND second BETWEEN ?2 AND ?3");
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, out->first_second);
    sqlite3_bind_int64(s, 3, out->last_second);
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW) {
        out->packets = nm_db_col_u64(s, 0);
        out->bytes = nm_db_col_u64(s, 1);
        out->drops_kernel = nm_db_col_u64(s, 2);
        out->drops_ifdrop = nm_db_col_u64(s, 3);
        out->drops_queue = nm_db_col_u64(s, 4);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int read_protocols(struct nm_db *db, int64_t session_id, struct nm_live_window *out)
{
    sqlite3_stmt *s = nm_db_prepare(db,
        "SELECT pr.name, sum(ps.packets), sum(ps.bytes), sum(ps.new_connections)"
        " FROM protocols pr CROSS JOIN proto_seconds ps ON ps.session_id = ?1"
        " AND ps.proto = pr.name AND ps.second BETWEEN ?2 AND ?3 GROUP BY pr.id");
    int rc;

    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, out->first_second);
    sqlite3_bind_int64(s, 3, out->last_second);
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        /* A protocol name this build does not know (a newer writer) is
         * skipped rather than misfiled. */
        for (int p = 0; name && p < NM_P_COUNT; p++) {
            if (strcmp(name, nm_proto_name((enum nm_proto)p)) == 0) {
                out->proto_packets[p] = nm_db_col_u64(s, 1);
                out->proto_bytes[p] = nm_db_col_u64(s, 2);
                break;
            }
        }
        /* Each new flow is counted under exactly one connection protocol
         * (TCP, UDP, ICMP, ICMPv6 or Other), so the sum over all rows is
         * the number of new connections. */
        out->new_connections += nm_db_col_u64(s, 3);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int nm_live_read_window(struct nm_db *db, int64_t session_id, int seconds,
                        struct nm_live_window *out)
{
    sqlite3 *conn = nm_db_conn(db);
    /* Inside nm_live_snapshot_begin() the caller's transaction is used. */
    bool own = sqlite3_get_autocommit(conn) != 0;
    bool busy;
    int ret;

    memset(out, 0, sizeof *out);
    if (seconds < 1 || seconds > LIVE_MAX_WINDOW_S)
        return nm_db_fail_msg(db, "window length out of range");
    /* One read transaction: the writer may commit between statements, and
     * the totals and the per-protocol rows must describe the same data.
     * In WAL mode a reader never blocks the writer. */
    if (own && sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return nm_db_fail_rc(db, sqlite3_errcode(conn));
    ret = read_totals(db, session_id, seconds, out);
    if (ret == 0 && out->has_data)
        ret = read_protocols(db, session_id, out);
    /* Taken before COMMIT, which resets the connection's error code. */
    busy = ret != 0 && nm_live_error_is_busy(db);
    if (own)
        sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL);
    if (ret != 0) {
        memset(out, 0, sizeof *out);
        return busy ? NM_LIVE_BUSY : -1;
    }
    nm_db_clear_error(db);
    return 0;
}

/* 0 stays 0; a failure becomes NM_LIVE_BUSY when a lock caused it. */
static int outcome(struct nm_db *db, int ret)
{
    if (ret == 0) {
        nm_db_clear_error(db);
        return 0;
    }
    return nm_live_error_is_busy(db) ? NM_LIVE_BUSY : -1;
}

int nm_live_snapshot_begin(struct nm_db *db)
{
    sqlite3 *conn = nm_db_conn(db);
    int rc;

    if (sqlite3_get_autocommit(conn) == 0)
        return nm_db_fail_msg(db, "read snapshot already open");
    /* A deferred BEGIN takes no lock; the first SELECT does, and holds the
     * snapshot until COMMIT. */
    rc = sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return outcome(db, nm_db_fail_rc(db, rc));
    return 0;
}

void nm_live_snapshot_end(struct nm_db *db)
{
    sqlite3 *conn = nm_db_conn(db);

    if (sqlite3_get_autocommit(conn) == 0)
        sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL);
}

int nm_live_session_before(struct nm_db *db, int64_t before, int64_t *session_id)
{
    sqlite3_stmt *s = nm_db_prepare(db, "SELECT max(id) FROM sessions WHERE id < ?1");
    int rc;

    *session_id = 0;
    if (s == NULL)
        return outcome(db, -1);
    sqlite3_bind_int64(s, 1, before);
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        *session_id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return outcome(db, rc == SQLITE_ROW ? 0 : -1);
}

/* enum nm_proto of a stored protocol name; -1 if this build lacks it. */
static int proto_index(const unsigned char *name)
{
    for (int p = 0; name && p < NM_P_COUNT; p++)
        if (strcmp((const char *)name, nm_proto_name((enum nm_proto)p)) == 0)
            return p;
    return -1;
}

int nm_live_read_history(struct nm_db *db, int64_t session_id, int64_t first_second,
                         int nbins, int bin_s, uint64_t *bytes)
{
    sqlite3_stmt *s;
    int rc;

    if (nbins < 1 || bin_s < 1 || (int64_t)nbins * bin_s > LIVE_MAX_WINDOW_S)
        return nm_db_fail_msg(db, "history length out of range");
    memset(bytes, 0, (size_t)nbins * NM_P_COUNT * sizeof *bytes);
    s = nm_db_prepare(db,
        "SELECT pr.name, (ps.second - ?2) / ?4, sum(ps.bytes)"
        " FROM protocols pr CROSS JOIN proto_seconds ps ON ps.session_id = ?1"
        " AND ps.proto = pr.name AND ps.second BETWEEN ?2 AND ?3"
        " GROUP BY pr.id, 2");
    if (s == NULL)
        return outcome(db, -1);
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, first_second);
    sqlite3_bind_int64(s, 3, first_second + (int64_t)nbins * bin_s - 1);
    sqlite3_bind_int(s, 4, bin_s);
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW) {
        int p = proto_index(sqlite3_column_text(s, 0));
        int64_t bin = sqlite3_column_int64(s, 1);
        if (p >= 0 && bin >= 0 && bin < nbins)
            bytes[bin * NM_P_COUNT + p] = nm_db_col_u64(s, 2);
    }
    sqlite3_finalize(s);
    return outcome(db, rc == SQLITE_DONE ? 0 : -1);
}

static void col_text(sqlite3_stmt *s, int i, char *buf, size_t len)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
}

int nm_live_read_talkers(struct nm_db *db, int64_t session_id, bool macs,
                         struct nm_live_talker *out, int max, int *n)
{
    /* The primary key (session_id, kind, address) gives the rows of each
     * kind; the sort keeps only `max` of them (a bounded heap in SQLite).
     * The address table has a ceiling (nm-capture evicts beyond it). */
    sqlite3_stmt *s = nm_db_prepare(db,
        "SELECT kind, address, pkts_sent, bytes_sent, pkts_recv, bytes_recv FROM addresses"
        " WHERE session_id = ?1 AND kind IN (?2, ?3)"
        " ORDER BY bytes_sent + bytes_recv DESC, address LIMIT ?4");
    int rc;

    *n = 0;
    if (s == NULL)
        return outcome(db, -1);
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_text(s, 2, macs ? "mac" : "ipv4", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, macs ? "mac" : "ipv6", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, max);
    while ((rc = nm_db_step(db, s)) == SQLITE_ROW && *n < max) {
        struct nm_live_talker *t = &out[(*n)++];
        col_text(s, 0, t->kind, sizeof t->kind);
        col_text(s, 1, t->address, sizeof t->address);
        t->pkts_sent = nm_db_col_u64(s, 2);
        t->bytes_sent = nm_db_col_u64(s, 3);
        t->pkts_recv = nm_db_col_u64(s, 4);
        t->bytes_recv = nm_db_col_u64(s, 5);
    }
    sqlite3_finalize(s);
    return outcome(db, rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1);
}


bool nm_live_error_is_busy(struct nm_db *db)
{
    int rc = sqlite3_errcode(nm_db_conn(db)) & 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}
