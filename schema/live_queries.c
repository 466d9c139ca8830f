/*
 * live_queries.c - nm-live's SQL (see live_queries.h).  Every statement is
 * a read of a few aggregate rows: a range scan of proto_seconds on its
 * primary key (session, proto, second) and of seconds on (session, second).
 */
#include "db_internal.h"
#include "live_queries.h"

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
        out->last_second = sqlite3_column_int64(s, 0);
        out->first_second = out->last_second - (seconds - 1);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return -1;
    if (!out->has_data)
        return 0;

    s = nm_db_prepare(db,
        "SELECT coalesce(sum(packets), 0), coalesce(sum(bytes), 0) FROM seconds"
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
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int read_protocols(struct nm_db *db, int64_t session_id, struct nm_live_window *out)
{
    sqlite3_stmt *s = nm_db_prepare(db,
        "SELECT proto, sum(packets), sum(bytes), sum(new_connections) FROM proto_seconds"
        " WHERE session_id = ?1 AND second BETWEEN ?2 AND ?3 GROUP BY proto");
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
    bool busy;
    int ret;

    memset(out, 0, sizeof *out);
    if (seconds < 1 || seconds > LIVE_MAX_WINDOW_S)
        return nm_db_fail_msg(db, "window length out of range");
    /* One read transaction: the writer may commit between statements, and
     * the totals and the per-protocol rows must describe the same data.
     * In WAL mode a reader never blocks the writer. */
    if (sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return nm_db_fail_rc(db, sqlite3_errcode(conn));
    ret = read_totals(db, session_id, seconds, out);
    if (ret == 0 && out->has_data)
        ret = read_protocols(db, session_id, out);
    /* Taken before COMMIT, which resets the connection's error code. */
    busy = ret != 0 && nm_live_error_is_busy(db);
    sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL);
    if (ret != 0) {
        memset(out, 0, sizeof *out);
        return busy ? NM_LIVE_BUSY : -1;
    }
    nm_db_clear_error(db);
    return 0;
}

bool nm_live_error_is_busy(struct nm_db *db)
{
    int rc = sqlite3_errcode(nm_db_conn(db)) & 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}
