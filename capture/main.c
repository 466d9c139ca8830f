/*
 * nm-capture: capture or read packets into netmon's SQLite database and
 * event log.  Parse options, run, report; everything else is in run.c.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "run.h"
#include "source.h"

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
    nm_options_free(&opt);
    return res.exit_status;
}
