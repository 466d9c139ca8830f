/*
 * live_queries.h - the read-only queries behind nm-live.  All of nm-live's
 * SQL lives in live_queries.c; it reads only the small aggregate tables
 * (sessions, seconds, proto_seconds) and never scans `packets`, so a
 * refresh costs the same for a thousand packets and for ten million.
 * Session-wide numbers come from nm_db_read_summary() (summary.h).
 */
#ifndef NM_LIVE_QUERIES_H
#define NM_LIVE_QUERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "../analyze/proto.h"

struct nm_db;

/* Totals over the last `seconds` whole seconds of packet time ending at the
 * newest second stored in `seconds` for the session. */
struct nm_live_window {
    bool has_data;                 /* false: the session has no packets yet */
    int64_t first_second;          /* window [first_second, last_second] */
    int64_t last_second;
    uint64_t packets, bytes;       /* all frames in the window */
    uint64_t proto_packets[NM_P_COUNT], proto_bytes[NM_P_COUNT];
    uint64_t new_connections;      /* all protocols */
};

/* The newest session's id in *session_id; fails ("no session") on an empty
 * database. */
int nm_live_newest_session(struct nm_db *db, int64_t *session_id)
    __attribute__((warn_unused_result));

/* Returned by nm_live_read_window() when another connection held a lock
 * longer than the busy timeout: nothing is wrong, retry later. */
#define NM_LIVE_BUSY (-2)

/* Fills *out for the window of `seconds` (1..86400) of session_id.  Returns
 * 0, NM_LIVE_BUSY or -1; on error *out is zeroed and nm_db_errmsg() says
 * why. */
int nm_live_read_window(struct nm_db *db, int64_t session_id, int seconds,
                        struct nm_live_window *out) __attribute__((warn_unused_result));

/* True when the last failed call (e.g. nm_db_read_summary())  failed because another connection held a
 * lock (SQLITE_BUSY / SQLITE_LOCKED): the caller may simply retry later. */
bool nm_live_error_is_busy(struct nm_db *db);

#endif /* NM_LIVE_QUERIES_H */
