/*
 * options.h - nm-capture's command line, parsed into a plain struct.
 */
#ifndef NM_OPTIONS_H
#define NM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nm_options {
    const char *read_file;     /* -r FILE ("-" = stdin) */
    const char *interface;     /* -i IFACE */
    const char *db_path;       /* -d FILE, default ./netmon.db */
    const char *log_path;      /* -l FILE, default network_events.log beside the database */
    char log_path_buf[4096];
    bool no_log;               /* --no-log */
    const char *filter_file;   /* -F FILE */
    char *filter;              /* trailing words joined, or the -F file's text (owned) */
    uint64_t count;            /* -c COUNT, 0 = no limit */
    uint64_t duration_s;       /* -G/--duration SECONDS, 0 = no limit */
    uint32_t snaplen;          /* -s SNAPLEN, 0 = default */
    uint32_t buffer_kib;       /* -B KiB */
    bool promisc;              /* default on; -p turns it off */
    bool immediate;            /* --immediate */
    bool aggregate;            /* -A: no per-packet rows and no event log */
    bool utc;                  /* -u / --utc: event log in UTC */
    bool quiet;                /* -q: no final statistics */
    bool no_latency;           /* --no-latency: no latency tracking */
    const char *report_dir;    /* --report-dir DIR, default netmon-report beside the database */
    char report_dir_buf[4096];
    bool no_report;            /* --no-report: draw no graphs, write no report.html */
    bool list_interfaces;      /* -D */
    const char *drop_user;     /* -Z USER: run as USER once the capture is open */
    bool show_help, show_version;
    uint32_t max_flows, max_addresses;
    uint32_t queue_slots;
    char command_line[4096];
};

/* Parses argv.  On a usage error returns -1 with a one-line message in
 * errbuf.  The caller frees with nm_options_free(). */
int nm_options_parse(int argc, char **argv, struct nm_options *o, char *errbuf, size_t errlen);
void nm_options_free(struct nm_options *o);
void nm_options_usage(FILE *fp);

#endif /* NM_OPTIONS_H */
