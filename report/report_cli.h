/*
 * report_cli.h - nm-report's options, parsed into struct nm_report_opts.
 */
#ifndef NM_REPORT_CLI_H
#define NM_REPORT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report.h"

/* What the command line asks for besides a report. */
enum nm_report_cli_info { NM_REPORT_CLI_RUN, NM_REPORT_CLI_HELP, NM_REPORT_CLI_VERSION };

/* Parses argv.  *info says whether -h or -V came first.  On a usage error
 * returns -1 with a one-line message in errbuf.  The strings in *o point
 * into argv. */
int nm_report_parse_args(int argc, char **argv, struct nm_report_opts *o,
                         enum nm_report_cli_info *info, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

void nm_report_usage(FILE *fp);

#endif /* NM_REPORT_CLI_H */
