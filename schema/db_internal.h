/*
 * db_internal.h - what the other files of schema/ (summary.c) share with
 * db.c.  Not part of the contract: nothing outside schema/ includes it.
 */
#ifndef NM_DB_INTERNAL_H
#define NM_DB_INTERNAL_H

#include "db.h"

struct sqlite3;  /* sqlite3.h's handle: `typedef struct sqlite3 sqlite3` */

/* The connection; valid until nm_db_close(). */
struct sqlite3 *nm_db_conn(struct nm_db *db);

/* The path the database was opened with (for messages). */
const char *nm_db_path(const struct nm_db *db);

/* Records "PATH: cause of SQLite result rc" as the error; returns -1. */
int nm_db_fail_rc(struct nm_db *db, int rc);

/* Records "PATH: message" as the error; returns -1. */
int nm_db_fail_msg(struct nm_db *db, const char *message);

/* Clears the error after a successful call. */
void nm_db_clear_error(struct nm_db *db);

/* Read helpers shared by the query modules (summary.c, live_queries.c). */
struct sqlite3_stmt;  /* sqlite3.h's `typedef struct sqlite3_stmt sqlite3_stmt` */

/* Prepares `sql`; NULL (and the error recorded) on failure. */
struct sqlite3_stmt *nm_db_prepare(struct nm_db *db, const char *sql);
/* Steps; SQLITE_ROW/SQLITE_DONE pass through, other results are recorded. */
int nm_db_step(struct nm_db *db, struct sqlite3_stmt *s);
/* Column i as a count: negative values (never written by us) read as 0. */
uint64_t nm_db_col_u64(struct sqlite3_stmt *s, int i);
/* Column i as a time in ns, or as a second whose every nanosecond is a
 * time, within the range nm-capture writes (+-NM_TS_LIMIT_NS, decode.h):
 * a value edited by hand beyond it reads as the limit, so that spans,
 * windows and bins computed from what is read cannot overflow. */
int64_t nm_db_col_time_ns(struct sqlite3_stmt *s, int i);
int64_t nm_db_col_second(struct sqlite3_stmt *s, int i);
/* The newest session's id; -1 with an error if there is none. */
int nm_db_newest_session(struct nm_db *db, int64_t *id);

#endif /* NM_DB_INTERNAL_H */
