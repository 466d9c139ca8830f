/*
 * nm-capture: capture or read packets into netmon's SQLite database and
 * event log.  Parse options, run, report; everything else is in run.c.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "run.h"
#include "source.h"
#include "../report/report.h"

static void print_message(const char *msg)
{
    const char *line = msg;
    while (*line) {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        fprintf(stderr, "nm-capture: %.*s\n", len, line);
        line += len + (nl ? 1 : 0);
    }
}

/* The graphs and report.html of the session just written, by the same code
 * as nm-report (the statistics were printed already).  A report that
 * cannot be written turns a clean exit into NM_EXIT_WRITE; the captured
 * data is saved either way. */
static int write_report(const struct nm_options *opt, const struct nm_run_result *res)
{
    struct nm_report_opts ro;
    struct nm_report_result rr;

    nm_report_opts_default(&ro);
    ro.db_path = opt->db_path;
    ro.session_id = res->summary.session_id;
    ro.out_dir = opt->report_dir;
    ro.print_stats = false;
    nm_report_run(&ro, stdout, &rr);
    /* rr.notes (graphs without data) are in report.html; stderr is for
     * problems.  An empty session is not one: the statistics said so. */
    if (rr.message[0] && rr.status != NM_REPORT_EMPTY)
        print_message(rr.message);
    if (rr.status == NM_REPORT_OK && !opt->quiet)
        printf("Report:             %s/report.html (%d files)\n", opt->report_dir,
               rr.files_written);
    return rr.status == NM_REPORT_OK || rr.status == NM_REPORT_EMPTY ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct nm_options opt;
    struct nm_run_result res;
    char errbuf[1024];

    if (nm_options_parse(argc, argv, &opt, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "nm-capture: %s\nTry 'nm-capture -h' for help.\n", errbuf);
        nm_options_free(&opt);
        return NM_EXIT_USAGE;
    }
    if (opt.show_help || opt.show_version) {
        if (opt.show_help)
            nm_options_usage(stdout);
        else
            printf("nm-capture (netmon) %s\n", NM_VERSION);
        return NM_EXIT_OK;
    }
    if (opt.list_interfaces) {
        int rc = nm_source_list_interfaces(errbuf, sizeof errbuf);
        if (rc != 0)
            fprintf(stderr, "nm-capture: %s\n", errbuf);
        return rc ? NM_EXIT_USAGE : NM_EXIT_OK;
    }

    nm_capture_run(&opt, &res);
    if (res.have_summary && !opt.quiet)
        nm_summary_print(stdout, &res.summary);
    if (res.message[0])
        print_message(res.message);
    fflush(stdout);
    /* No report after a database write failure: the database is the
     * problem, and its error is already on stderr. */
    if (res.have_summary && !opt.no_report && res.exit_status != NM_EXIT_WRITE &&
        write_report(&opt, &res) != 0 && res.exit_status == NM_EXIT_OK)
        res.exit_status = NM_EXIT_WRITE;
    nm_options_free(&opt);
    return res.exit_status;
}
