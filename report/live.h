/*
 * live.h - nm-live: follows a netmon database while nm-capture writes it
 * (or reads a finished one) and prints text summaries:
 *   every 10 s  throughput per protocol (bits/s over the last 10 s of packet
 *               time), every protocol listed, zeros included;
 *   every 30 s  network metrics over the last 30 s and the session's
 *               real-time statistics.
 * Definitions: README.md "Metrics".  No SQL here: schema/live_queries.h and
 * schema/summary.h do the reading.
 */
#ifndef NM_LIVE_H
#define NM_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nm_live_opts {
    const char *db_path;
    int64_t session_id;     /* <= 0: follow the newest session */
    bool once;              /* print both blocks once and return */
    bool plain;             /* text output (the only mode so far) */
};

/* Runs until SIGINT/SIGTERM (or once).  Returns 0, or -1 with a one-line
 * message naming the database file and the cause in errbuf.  A refresh
 * that finds the database locked is skipped with a note on `out`. */
int nm_live_run(const struct nm_live_opts *opts, FILE *out, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* The text blocks, exposed for tests. */
struct nm_live_window;
struct nm_summary;
void nm_live_print_throughput(FILE *fp, int64_t session_id, const struct nm_live_window *w);
void nm_live_print_metrics(FILE *fp, const struct nm_live_window *w30,
                           const struct nm_summary *s);

#endif /* NM_LIVE_H */
