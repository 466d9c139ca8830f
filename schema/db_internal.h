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

#endif /* NM_DB_INTERNAL_H */
