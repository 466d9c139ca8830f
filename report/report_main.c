/*
 * nm-report: final statistics, graphs and an HTML report of one session of
 * a netmon database.  Parse options, run, print the messages; the work is
 * in report.c.  Exit statuses: report.h (enum nm_report_status).
 */
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "report_cli.h"

/* Each line of `text` on stderr, prefixed with the program name. */
static void print_lines(const char *prefix, const char *text)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        int len = nl ? (int)(nl - text) : (int)strlen(text);
        fprintf(stderr, "nm-report: %s%.*s\n", prefix, len, text);
        text += len + (nl ? 1 : 0);
    }
}

int main(int argc, char **argv)
{
    struct nm_report_opts o;
    struct nm_report_result res;
    char err[1024];
    enum nm_report_cli_info info;

    if (nm_report_parse_args(argc, argv, &o, &info, err, sizeof err) != 0) {
        fprintf(stderr, "nm-report: %s\nTry 'nm-report -h' for help.\n", err);
        return NM_REPORT_USAGE;
    }
    if (info == NM_REPORT_CLI_HELP) {
        nm_report_usage(stdout);
        return NM_REPORT_OK;
    }
    if (info == NM_REPORT_CLI_VERSION) {
        printf("nm-report (netmon) %s\n", NM_VERSION);
        return NM_REPORT_OK;
    }
    nm_report_run(&o, stdout, &res);
    print_lines("note: ", res.notes);
    print_lines("", res.message);
    return res.status;
}
