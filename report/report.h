/*
 * report.h - nm-report: one session's final statistics (text, JSON or CSV)
 * and its graphs and HTML report, from the database alone.  nm-capture
 * calls the same function when a run ends (README "nm-report").
 *
 * Reads one consistent snapshot of the database (schema/report_queries.h),
 * so a database that nm-capture is still writing gives a coherent report.
 * Deterministic: the same database gives byte-identical output files.
 */
#ifndef NM_REPORT_H
#define NM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of nm-report (README, nm-report -h). */
enum nm_report_status {
    NM_REPORT_OK = 0,       /* statistics printed, files written */
    NM_REPORT_EMPTY = 1,    /* no packets in the session or range: statistics only, no files */
    NM_REPORT_USAGE = 2,    /* bad option, or the database cannot be read */
    NM_REPORT_OUTPUT = 3,   /* an output file or folder cannot be written */
};

enum nm_report_format { NM_REPORT_TEXT, NM_REPORT_JSON, NM_REPORT_CSV };

#define NM_REPORT_DEFAULT_BIN_S 10
#define NM_REPORT_MAX_BIN_S (366 * 86400)
/* Time series are capped at this many bins: a longer session gets wider
 * bins (a multiple of the requested width), so memory stays flat. */
#define NM_REPORT_MAX_BINS 4000
#define NM_REPORT_DEFAULT_TOP 10
#define NM_REPORT_MAX_TOP 100

struct nm_report_opts {
    const char *db_path;
    int64_t session_id;            /* <= 0: the newest session */
    bool has_from, has_to;
    int64_t from_ns, to_ns;        /* packet-time range, inclusive (UTC ns) */
    const char *out_dir;           /* folder for the PNGs and report.html */
    int bin_s;                     /* time-series bin width in seconds */
    size_t top_n;                  /* top talkers shown */
    enum nm_report_format format;
    bool print_stats;              /* write the statistics to `out` */
    bool write_files;              /* draw the PNGs and write report.html */
};

/* The defaults: netmon.db, newest session, whole session, bins of 10 s,
 * top 10, text, statistics and files, out_dir "netmon-report". */
void nm_report_opts_default(struct nm_report_opts *o);

struct nm_report_result {
    int status;                    /* enum nm_report_status */
    char message[1024];            /* the error, one line, "" if none */
    char notes[2048];              /* informational lines ("no latency samples: ..."), may be "" */
    int files_written;             /* PNGs + report.html */
};

/* Runs one report.  Statistics go to `out` (if print_stats); nothing is
 * printed elsewhere: the caller prints result->message and notes. */
void nm_report_run(const struct nm_report_opts *o, FILE *out, struct nm_report_result *res);

/*
 * Parses a time for --from / --to into nanoseconds since the epoch:
 *   2024-11-12T12:58:30Z       UTC (also with a space instead of 'T',
 *   2024-11-12T12:58:30.25Z    fractional seconds, or +HH:MM / -HH:MM)
 *   2024-11-12T12:58:30        local time (TZ), no zone given
 *   1731416310 or 1731416310.5 Unix seconds
 * Returns 0, or -1 if the text is none of these.
 */
int nm_report_parse_time(const char *text, int64_t *ns);

/* The folder nm-capture writes its report into by default: netmon-report
 * beside the database.  0, or -1 if it does not fit in buf. */
int nm_report_default_dir(const char *db_path, char *buf, size_t len);

#endif /* NM_REPORT_H */
