/*
 * options.c - nm-capture's options, after tcpdump's where they exist
 * (-r -i -c -s -B -p -D -F -n, filter as trailing words).
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../report/report.h"
#include "privs.h"

enum {
    OPT_NO_LOG = 256,
    OPT_IMMEDIATE,
    OPT_MAX_FLOWS,
    OPT_MAX_ADDRESSES,
    OPT_QUEUE,
    OPT_DURATION,
    OPT_NO_LATENCY,
    OPT_REPORT_DIR,
    OPT_NO_REPORT,
};

static const struct option long_options[] = {
    { "read", required_argument, NULL, 'r' },
    { "interface", required_argument, NULL, 'i' },
    { "database", required_argument, NULL, 'd' },
    { "log", required_argument, NULL, 'l' },
    { "no-log", no_argument, NULL, OPT_NO_LOG },
    { "count", required_argument, NULL, 'c' },
    { "duration", required_argument, NULL, OPT_DURATION },
    { "snapshot-length", required_argument, NULL, 's' },
    { "buffer-size", required_argument, NULL, 'B' },
    { "no-promiscuous-mode", no_argument, NULL, 'p' },
    { "immediate-mode", no_argument, NULL, OPT_IMMEDIATE },
    { "aggregate", no_argument, NULL, 'A' },
    { "utc", no_argument, NULL, 'u' },
    { "quiet", no_argument, NULL, 'q' },
    { "no-latency", no_argument, NULL, OPT_NO_LATENCY },
    { "report-dir", required_argument, NULL, OPT_REPORT_DIR },
    { "no-report", no_argument, NULL, OPT_NO_REPORT },
    { "list-interfaces", no_argument, NULL, 'D' },
    { "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
    { "max-addresses", required_argument, NULL, OPT_MAX_ADDRESSES },
    { "queue", required_argument, NULL, OPT_QUEUE },
    { "relinquish-privileges", required_argument, NULL, 'Z' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

void nm_options_usage(FILE *fp)
{
    fputs("Usage: nm-capture [-r FILE | -i IFACE] [-d DB] [-l LOG] [-c COUNT] [-s SNAPLEN]\n"
          "                  [-A] [-u] [-q] [options] [FILTER EXPRESSION...]\n"
          "  -r FILE           read a pcap or pcapng file ('-' = standard input)\n"
          "  -i IFACE          capture live on IFACE ('any' for all); default: first interface up\n"
          "  -D                list the interfaces and exit\n"
          "  -d DB             SQLite database to write (default ./netmon.db)\n"
          "  -l LOG            event log file (default network_events.log beside the database)\n"
          "      --no-log      write no event log\n"
          "  -c COUNT          stop after COUNT packets\n"
          "      --duration S  stop after S seconds (live capture)\n"
          "  -s SNAPLEN        bytes to capture per packet (default 262144)\n"
          "  -B KIB            kernel capture buffer size in KiB (live; default 8192)\n"
          "  -p                do not put the interface in promiscuous mode\n"
          "      --immediate-mode  deliver packets as they arrive (live)\n"
          "  -F FILE           read the filter expression from FILE\n"
          "  -A                aggregate mode: flows, counters and addresses only; no per-packet\n"
          "                    rows and no event log (for busy links)\n"
          "  -u, --utc         event-log times in UTC (default: local time)\n"
          "  -q                do not print the final statistics\n"
          "      --no-latency  do not measure latency (saves its cost on busy links)\n"
          "      --report-dir DIR  when the run ends, write the graphs and report.html there\n"
          "                    (default: netmon-report beside the database)\n"
          "      --no-report   write no graphs and no report.html\n"
          "  -Z USER           after opening the capture, the database and the log, give them\n"
          "                    to USER and run as USER (needs root)\n"
          "  -n                accepted for tcpdump compatibility (names are never resolved)\n"
          "      --max-flows N      flow table capacity (default 262144)\n"
          "      --max-addresses N  address cache capacity (default 262144)\n"
          "  -h, --help        this help;  -V, --version  the version\n"
          "Exit status: 0 done (end of input, -c, --duration, or Ctrl+C / SIGTERM), 1 input\n"
          "cut short or unreadable part-way (what was read is saved), 2 usage error or cannot\n"
          "start, 3 database or event-log write failed mid-run (earlier batches are saved) or\n"
          "the report could not be written,\n"
          "130 a second Ctrl+C while saving (whole transactions only).\n",
          fp);
}

/* Strict unsigned parse: digits only, in range, no trailing junk. */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out,
                     char *errbuf, size_t errlen)
{
    char *end = NULL;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
        snprintf(errbuf, errlen, "option %s: '%s' is not a number", opt, s ? s : "");
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if ((errno != 0 && errno != ERANGE) || *end != '\0') {
        snprintf(errbuf, errlen, "option %s: '%s' is not a number", opt, s);
        return -1;
    }
    if (errno == ERANGE || v < min || v > max) {   /* ERANGE: digits past 2^64 - 1 */
        snprintf(errbuf, errlen, "option %s: %s is out of range (%llu to %llu)", opt, s,
                 (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out,
                     char *errbuf, size_t errlen)
{
    uint64_t v;
    if (parse_u64(opt, s, min, max, &v, errbuf, errlen) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Appends `s` to buf (NUL-terminated, size n); returns -1 if it does not fit. */
static int append(char *buf, size_t n, const char *s)
{
    size_t used = strlen(buf), add = strlen(s);
    if (used + add + 1 > n)
        return -1;
    memcpy(buf + used, s, add + 1);
    return 0;
}

static char *read_filter_file(const char *path, char *errbuf, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(errbuf, errlen, "%s: cannot read filter file: %s", path, strerror(errno));
        return NULL;
    }
    enum { MAX_FILTER = 65536 };
    char *text = malloc(MAX_FILTER + 1);
    if (!text) {
        fclose(fp);
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(text, 1, MAX_FILTER, fp);
    int too_long = n == MAX_FILTER && fgetc(fp) != EOF;
    fclose(fp);
    if (too_long) {
        free(text);
        snprintf(errbuf, errlen, "%s: filter file larger than %d bytes", path, MAX_FILTER);
        return NULL;
    }
    text[n] = '\0';
    /* tcpdump strips '#' comments from -F files. */
    for (char *p = text; (p = strchr(p, '#')) != NULL;)
        while (*p && *p != '\n')
            *p++ = ' ';
    return text;
}

int nm_options_parse(int argc, char **argv, struct nm_options *o, char *errbuf, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->promisc = true;

    for (int i = 0; i < argc; i++) {
        if ((i && append(o->command_line, sizeof o->command_line, " ") != 0) ||
            append(o->command_line, sizeof o->command_line, argv[i]) != 0)
            break;  /* a very long command line is stored cut short */
    }

    optind = 1;
    opterr = 0;
    int c;
    /* '+' stops at the first non-option, so filter words such as "not" or
     * "-" in expressions are never taken as options (tcpdump does the same). */
    while ((c = getopt_long(argc, argv, "+:r:i:d:l:c:s:B:pF:AuqnDhVZ:", long_options, NULL)) != -1) {
        switch (c) {
        case 'r': o->read_file = optarg; break;
        case 'i': o->interface = optarg; break;
        case 'd': o->db_path = optarg; break;
        case 'l': o->log_path = optarg; break;
        case OPT_NO_LOG: o->no_log = true; break;
        case 'c':
            if (parse_u64("-c", optarg, 1, UINT64_MAX, &o->count, errbuf, errlen) != 0)
                return -1;
            break;
        case OPT_DURATION:
            if (parse_u64("--duration", optarg, 1, 100u * 365 * 86400, &o->duration_s, errbuf,
                          errlen) != 0)
                return -1;
            break;
        case 's':
            if (parse_u32("-s", optarg, 0, 262144, &o->snaplen, errbuf, errlen) != 0)
                return -1;
            break;
        case 'B':
            if (parse_u32("-B", optarg, 1, 4u * 1024 * 1024, &o->buffer_kib, errbuf, errlen) != 0)
                return -1;
            break;
        case 'p': o->promisc = false; break;
        case OPT_IMMEDIATE: o->immediate = true; break;
        case OPT_NO_LATENCY: o->no_latency = true; break;
        case OPT_REPORT_DIR: o->report_dir = optarg; break;
        case OPT_NO_REPORT: o->no_report = true; break;
        case 'F': o->filter_file = optarg; break;
        case 'A': o->aggregate = true; break;
        case 'u': o->utc = true; break;
        case 'q': o->quiet = true; break;
        case 'n': break;
        case 'Z': o->drop_user = optarg; break;
        case 'D': o->list_interfaces = true; break;
        case 'h': o->show_help = true; break;
        case 'V': o->show_version = true; break;
        case OPT_MAX_FLOWS:
            if (parse_u32("--max-flows", optarg, 16, 1u << 26, &o->max_flows, errbuf, errlen) != 0)
                return -1;
            break;
        case OPT_MAX_ADDRESSES:
            if (parse_u32("--max-addresses", optarg, 16, 1u << 26, &o->max_addresses, errbuf,
                          errlen) != 0)
                return -1;
            break;
        case OPT_QUEUE:
            if (parse_u32("--queue", optarg, 64, 1u << 22, &o->queue_slots, errbuf, errlen) != 0)
                return -1;
            break;
        case ':':
            snprintf(errbuf, errlen, "option %s needs a value", argv[optind - 1]);
            return -1;
        default:
            if (optopt && optopt < 256)
                snprintf(errbuf, errlen, "unknown option -%c", optopt);
            else
                snprintf(errbuf, errlen, "unknown option %s", argv[optind - 1]);
            return -1;
        }
    }
    if (o->show_help || o->show_version || o->list_interfaces)
        return 0;

    if (o->drop_user && nm_privs_check_user(o->drop_user, errbuf, errlen) != 0)
        return -1;
    if (o->read_file && o->interface) {
        snprintf(errbuf, errlen, "-r and -i cannot be used together");
        return -1;
    }
    if (o->read_file && !*o->read_file) {
        snprintf(errbuf, errlen, "-r needs a file name");
        return -1;
    }
    if (o->aggregate && o->log_path) {
        snprintf(errbuf, errlen, "-A writes no event log; -l cannot be used with it");
        return -1;
    }
    if (o->no_report && o->report_dir) {
        snprintf(errbuf, errlen, "--no-report and --report-dir cannot be used together");
        return -1;
    }
    if (o->report_dir && !*o->report_dir) {
        snprintf(errbuf, errlen, "--report-dir needs a folder name");
        return -1;
    }
    if (o->no_log && o->log_path) {
        snprintf(errbuf, errlen, "--no-log and -l cannot be used together");
        return -1;
    }

    /* Filter: trailing words joined by spaces, or -F FILE (not both). */
    if (optind < argc && o->filter_file) {
        snprintf(errbuf, errlen, "give the filter either with -F or as words, not both");
        return -1;
    }
    if (o->filter_file) {
        o->filter = read_filter_file(o->filter_file, errbuf, errlen);
        if (!o->filter)
            return -1;
    } else if (optind < argc) {
        size_t total = 1;
        for (int i = optind; i < argc; i++)
            total += strlen(argv[i]) + 1;
        o->filter = calloc(1, total);
        if (!o->filter) {
            snprintf(errbuf, errlen, "out of memory");
            return -1;
        }
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                (void)append(o->filter, total, " ");
            (void)append(o->filter, total, argv[i]);
        }
    }

    if (!o->db_path)
        o->db_path = "netmon.db";
    if (!o->report_dir && !o->no_report) {
        if (nm_report_default_dir(o->db_path, o->report_dir_buf, sizeof o->report_dir_buf) != 0) {
            snprintf(errbuf, errlen, "database path too long");
            return -1;
        }
        o->report_dir = o->report_dir_buf;
    }
    if (!o->log_path && !o->no_log && !o->aggregate) {
        /* network_events.log beside the database */
        const char *slash = strrchr(o->db_path, '/');
        int dirlen = slash ? (int)(slash - o->db_path) : 0;
        int n = slash ? snprintf(o->log_path_buf, sizeof o->log_path_buf,
                                 "%.*s/network_events.log", dirlen, o->db_path)
                      : snprintf(o->log_path_buf, sizeof o->log_path_buf, "network_events.log");
        if (n < 0 || (size_t)n >= sizeof o->log_path_buf) {
            snprintf(errbuf, errlen, "database path too long");
            return -1;
        }
        o->log_path = o->log_path_buf;
    }
    return 0;
}

void nm_options_free(struct nm_options *o)
{
    free(o->filter);
    o->filter = NULL;
}
