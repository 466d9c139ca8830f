/*
 * report_cli.c - nm-report's command line (README "nm-report").
 */
#include "report_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void nm_report_usage(FILE *fp)
{
    fputs("Usage: nm-report [-d DB] [-s SESSION] [--from TIME] [--to TIME] [-o DIR]\n"
          "                 [--bin SECONDS] [--top N] [--format text|json|csv] [--no-graphs]\n"
          "  -d DB             netmon database written by nm-capture (default ./netmon.db)\n"
          "  -s SESSION        session id (default: the newest)\n"
          "  --from TIME       start of the packet-time range shown (inclusive)\n"
          "  --to TIME         end of the range (inclusive).  TIME: 2024-11-12T12:58:30Z (UTC),\n"
          "                    2024-11-12T12:58:30 (local time), +HH:MM offsets, fractions of\n"
          "                    a second, or Unix seconds (1731416310)\n"
          "  -o DIR            folder for the PNG graphs and report.html (created if missing;\n"
          "                    default: netmon-report beside the database)\n"
          "  --bin SECONDS     time-series bin width (default 10)\n"
          "  --top N           top talkers shown (default 10, at most 100)\n"
          "  --format FORMAT   statistics on standard output: text (default), json or csv\n"
          "  --no-graphs       print the statistics only; write no files\n"
          "  -h, --help        this help;  -V, --version  the version\n"
          "Exit status: 0 done, 1 no packets in the session or range (statistics only, no\n"
          "files), 2 usage error or unreadable database, 3 output cannot be written.\n",
          fp);
}

/* Strict positive integer in [1, max]. */
static int parse_count(const char *s, long long max, long long *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > max)
        return -1;
    *out = v;
    return 0;
}

int nm_report_parse_args(int argc, char **argv, struct nm_report_opts *o,
                         enum nm_report_cli_info *info, char *errbuf, size_t errlen)
{
    nm_report_opts_default(o);
    o->out_dir = NULL;
    *info = NM_REPORT_CLI_RUN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long long n;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            *info = NM_REPORT_CLI_HELP;
            return 0;
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            *info = NM_REPORT_CLI_VERSION;
            return 0;
        }
        if (strcmp(a, "--no-graphs") == 0) {
            o->write_files = false;
            continue;
        }
        static const char *const with_value[] = { "-d", "-s", "-o", "--from", "--to", "--bin",
                                                  "--top", "--format", NULL };
        bool known = false;
        for (int k = 0; with_value[k]; k++)
            known |= strcmp(a, with_value[k]) == 0;
        if (!known) {
            snprintf(errbuf, errlen, "unknown option %s", a);
            return -1;
        }
        if (i + 1 >= argc) {
            snprintf(errbuf, errlen, "option %s needs a value", a);
            return -1;
        }
        const char *v = argv[++i];
        if (strcmp(a, "-d") == 0) {
            if (*v == '\0') {
                snprintf(errbuf, errlen, "-d needs a file name");
                return -1;
            }
            o->db_path = v;
        } else if (strcmp(a, "-o") == 0) {
            if (*v == '\0') {
                snprintf(errbuf, errlen, "-o needs a folder name");
                return -1;
            }
            o->out_dir = v;
        } else if (strcmp(a, "-s") == 0) {
            if (parse_count(v, INT64_MAX, &n) != 0) {
                snprintf(errbuf, errlen, "-s %s: not a session id (a positive integer)", v);
                return -1;
            }
            o->session_id = n;
        } else if (strcmp(a, "--bin") == 0) {
            if (parse_count(v, NM_REPORT_MAX_BIN_S, &n) != 0) {
                snprintf(errbuf, errlen, "--bin %s: not a bin width (1 to %d seconds)", v,
                         NM_REPORT_MAX_BIN_S);
                return -1;
            }
            o->bin_s = (int)n;
        } else if (strcmp(a, "--top") == 0) {
            if (parse_count(v, NM_REPORT_MAX_TOP, &n) != 0) {
                snprintf(errbuf, errlen, "--top %s: not a count (1 to %d)", v,
                         NM_REPORT_MAX_TOP);
                return -1;
            }
            o->top_n = (size_t)n;
        } else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "text") == 0) {
                o->format = NM_REPORT_TEXT;
            } else if (strcmp(v, "json") == 0) {
                o->format = NM_REPORT_JSON;
            } else if (strcmp(v, "csv") == 0) {
                o->format = NM_REPORT_CSV;
            } else {
                snprintf(errbuf, errlen, "--format %s: use text, json or csv", v);
                return -1;
            }
        } else {
            bool from = strcmp(a, "--from") == 0;
            int64_t t;
            if (nm_report_parse_time(v, &t) != 0) {
                snprintf(errbuf, errlen, "%s %s: not a time (e.g. 2024-11-12T12:58:30Z, "
                         "2024-11-12T12:58:30 local, or Unix seconds)", a, v);
                return -1;
            }
            if (from) {
                o->has_from = true;
                o->from_ns = t;
            } else {
                o->has_to = true;
                o->to_ns = t;
            }
        }
    }
    if (o->has_from && o->has_to && o->from_ns > o->to_ns) {
        snprintf(errbuf, errlen, "--from is after --to");
        return -1;
    }
    return 0;
}
