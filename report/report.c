/*
 * report.c - nm_report_run(): read one snapshot of a session, print its
 * statistics, draw the graphs and write report.html (see report.h).
 *
 * Order of work: check the output folder (a folder we cannot write fails
 * before any reading), open the database read-only, read everything inside
 * one read transaction, close it, then write.  Drawing happens after the
 * snapshot is released so a long plot never holds back a WAL checkpoint.
 */
#include "report.h"
#include "report_int.h"
#include "plot.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../analyze/counters.h"
#include "../schema/db.h"

#define NS_PER_S 1000000000LL

static const char *const graph_files[NM_G_COUNT] = {
    [NM_G_THROUGHPUT] = "throughput_over_time.png",
    [NM_G_LATENCY] = "latency_distribution.png",
    [NM_G_PROTOCOLS] = "protocol_usage.png",
    [NM_G_NEWCONN] = "new_connections.png",
    [NM_G_TALKERS] = "top_talkers.png",
};

static const char *const graph_titles[NM_G_COUNT] = {
    [NM_G_THROUGHPUT] = "Throughput per protocol",
    [NM_G_LATENCY] = "Latency distribution",
    [NM_G_PROTOCOLS] = "Protocol usage",
    [NM_G_NEWCONN] = "New connections per second",
    [NM_G_TALKERS] = "Top talkers",
};

const char *nm_report_graph_file(enum nm_report_graph g)
{
    return (unsigned)g < NM_G_COUNT ? graph_files[g] : "";
}

const char *nm_report_graph_title(enum nm_report_graph g)
{
    return (unsigned)g < NM_G_COUNT ? graph_titles[g] : "";
}

const char *nm_report_kind_label(enum nm_latency_kind k)
{
    switch (k) {
    case NM_LAT_TCP_SYN_SYNACK: return "TCP SYN -> SYN/ACK";
    case NM_LAT_TCP_SYNACK_ACK: return "TCP SYN/ACK -> ACK";
    case NM_LAT_TCP_HANDSHAKE: return "TCP handshake";
    case NM_LAT_TCP_DATA_ACK: return "TCP data -> ACK";
    case NM_LAT_DNS: return "DNS";
    case NM_LAT_ICMP_ECHO: return "ICMP echo";
    case NM_LAT_ICMPV6_ECHO: return "ICMPv6 echo";
    case NM_LAT_UDP_FIRST_RESPONSE: return "UDP first response";
    case NM_LAT_KIND_COUNT: break;
    }
    return "";
}

void nm_report_opts_default(struct nm_report_opts *o)
{
    memset(o, 0, sizeof *o);
    o->db_path = "netmon.db";
    o->bin_s = NM_REPORT_DEFAULT_BIN_S;
    o->top_n = NM_REPORT_DEFAULT_TOP;
    o->format = NM_REPORT_TEXT;
    o->print_stats = true;
    o->write_files = true;
}

int nm_report_default_dir(const char *db_path, char *buf, size_t len)
{
    const char *slash = strrchr(db_path, '/');
    int n = slash ? snprintf(buf, len, "%.*s/netmon-report", (int)(slash - db_path), db_path)
                  : snprintf(buf, len, "netmon-report");
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ------------------------------------------------------------- times -- */

/* Digits of s[0..n-1] as a number; -1 if any is not a digit. */
static long digits(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* sec seconds and frac nanoseconds as nanoseconds since the epoch, if that
 * fits in 64 bits (up to 2262-04-11T23:47:16.854775807Z): -1 if not. */
static int to_ns(long long sec, long long frac, int64_t *ns)
{
    if (sec > (INT64_MAX - frac) / NS_PER_S || sec < INT64_MIN / NS_PER_S + 1)
        return -1;
    *ns = (int64_t)sec * NS_PER_S + frac;
    return 0;
}

/* ".25" -> 250000000 ns; advances *p.  -1 on a bad fraction. */
static long long fraction_ns(const char **p)
{
    long long ns = 0, scale = 100000000;
    const char *s = *p;

    if (*s != '.')
        return 0;
    s++;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        ns += (*s - '0') * scale;   /* digits past nanoseconds are ignored */
        scale /= 10;
    }
    *p = s;
    return ns;
}

int nm_report_parse_time(const char *text, int64_t *ns)
{
    const char *s = text;
    long long frac;

    if (text == NULL || *text == '\0')
        return -1;
    /* Unix seconds: digits, an optional fraction, nothing else. */
    if (strspn(s, "0123456789") == strlen(s) ||
        (strchr(s, '.') && strspn(s, "0123456789.") == strlen(s) && strchr(s, '-') == NULL)) {
        size_t int_len = strspn(s, "0123456789");
        if (int_len == 0 || int_len > 11)
            return -1;
        long long sec = 0;
        for (size_t i = 0; i < int_len; i++)
            sec = sec * 10 + (s[i] - '0');
        s += int_len;
        frac = fraction_ns(&s);
        if (frac < 0 || *s != '\0')
            return -1;
        return to_ns(sec, frac, ns);
    }

    /* YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM|-HH:MM] */
    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    long year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
    long hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 60)
        return -1;
    s += 19;
    frac = fraction_ns(&s);
    if (frac < 0)
        return -1;

    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (int)year - 1900;
    tm.tm_mon = (int)mon - 1;
    tm.tm_mday = (int)day;
    tm.tm_hour = (int)hour;
    tm.tm_min = (int)min;
    tm.tm_sec = (int)sec;
    time_t t;
    if (*s == '\0') {
        tm.tm_isdst = -1;       /* local time: let mktime() decide DST */
        t = mktime(&tm);
        if (t == (time_t)-1)
            return -1;
    } else {
        long off = 0;
        if (strcmp(s, "Z") == 0) {
            off = 0;
        } else if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && s[3] == ':') {
            long oh = digits(s + 1, 2), om = digits(s + 4, 2);
            if (oh < 0 || oh > 23 || om < 0 || om > 59)
                return -1;
            off = (oh * 3600 + om * 60) * (s[0] == '-' ? -1 : 1);
        } else {
            return -1;
        }
        t = timegm(&tm);
        if (t == (time_t)-1)
            return -1;
        t -= off;
    }
    /* mktime/timegm normalise (e.g. February 31st): refuse what they moved. */
    if (tm.tm_mday != (int)day || tm.tm_mon != (int)mon - 1)
        return -1;
    return to_ns((long long)t, frac, ns);
}

/* ------------------------------------------------------------ helpers -- */

static void add_note(struct nm_report_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends one line to r->notes. */
static void add_note(struct nm_report_result *r, const char *fmt, ...)
{
    size_t used = strlen(r->notes);
    va_list ap;

    if (used && used + 1 < sizeof r->notes)
        r->notes[used++] = '\n';
    if (used < sizeof r->notes) {
        va_start(ap, fmt);
        vsnprintf(r->notes + used, sizeof r->notes - used, fmt, ap);
        va_end(ap);
    }
}

static int fail(struct nm_report_result *r, int status, const char *msg)
{
    /* Copied by hand: a long path is cut, which snprintf("%s") would
     * make -Wformat-truncation report as an error. */
    size_t n = strnlen(msg, sizeof r->message - 1);
    r->status = status;
    memcpy(r->message, msg, n);
    r->message[n] = '\0';
    return -1;
}

/* Floor division for seconds (negative times are before 1970 and legal). */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Creates `dir` and its missing parents (mkdir -p); 0 or -1 with errno. */
static int make_dirs(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;

    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return -1;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ reading -- */

struct lat_ctx {
    struct nm_hist *h;
};

static void on_latency(void *ctx, enum nm_latency_kind kind, int ip_proto, bool is_connection,
                       double value_us, uint64_t count)
{
    struct lat_ctx *c = ctx;
    (void)ip_proto;
    if (is_connection)
        nm_hist_add_n(c->h, (size_t)kind, value_us, count);
}

static int read_latency(struct nm_db *db, struct nm_report_data *d)
{
    /* The whole session: its histogram buckets (cheap, and -A sessions
     * have them too).  A range: the sample rows, which -A does not store. */
    struct nm_rq_latency_range r = { !d->ranged, d->from_ns, d->to_ns };
    struct nm_rq_latency_bounds b;
    bool is_conn[NM_LAT_KIND_COUNT];
    double lo = 0, hi = 0;
    bool any = false;

    if (nm_rq_latency_connection_kinds(db, is_conn) != 0 ||
        nm_rq_latency_bounds(db, d->sess.id, &r, &b) != 0)
        return -1;
    /* The histogram shows the connection-level kinds (one sample per
     * connection or exchange: README "Latency"); the parts of a handshake
     * and the per-segment data->ACK times are in the tables. */
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        d->lat_samples += b.count[k];
        if (b.count[k] == 0 || !is_conn[k])
            continue;
        d->lat_drawn += b.count[k];
        if (!any || b.min_us[k] < lo)
            lo = b.min_us[k];
        if (!any || b.max_us[k] > hi)
            hi = b.max_us[k];
        any = true;
    }
    d->hist = malloc(sizeof *d->hist);
    if (d->hist == NULL)
        return -1;
    nm_hist_init(d->hist, lo, hi, d->lat_drawn, NM_LAT_KIND_COUNT);
    if (d->lat_drawn == 0)
        return 0;
    struct lat_ctx c = { d->hist };
    if (nm_rq_latency_scan(db, d->sess.id, &r, on_latency, &c) != 0)
        return -1;
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        /* The whole session: the summary's exact percentiles (the numbers
         * nm-capture prints).  A range: estimated from the fine bins. */
        if (!d->ranged) {
            d->lat_p50[k] = d->sum.latency[k].p50_us;
            d->lat_p90[k] = d->sum.latency[k].p90_us;
            d->lat_p99[k] = d->sum.latency[k].p99_us;
        } else {
            d->lat_p50[k] = nm_hist_percentile(d->hist, (size_t)k, 50);
            d->lat_p90[k] = nm_hist_percentile(d->hist, (size_t)k, 90);
            d->lat_p99[k] = nm_hist_percentile(d->hist, (size_t)k, 99);
        }
    }
    return 0;
}

/* Bins: aligned to multiples of the width since the epoch, as the
 * throughput_10s view; widened when the range would need too many. */
static int plan_bins(const struct nm_report_opts *o, struct nm_report_data *d, int64_t lo_s,
                     int64_t hi_s, struct nm_report_result *res)
{
    int64_t bin = o->bin_s > 0 ? o->bin_s : NM_REPORT_DEFAULT_BIN_S;
    int64_t span = hi_s - lo_s + 1;

    d->req_bin_s = bin;
    if (span / bin + 2 > NM_REPORT_MAX_BINS) {
        int64_t k = (span / (NM_REPORT_MAX_BINS - 2)) / bin + 1;
        bin *= k;
        add_note(res, "time series: bins widened to %lld s to keep at most %d bins",
                 (long long)bin, NM_REPORT_MAX_BINS);
    }
    d->bins.bin_s = bin;
    d->bins.t0_s = floor_div(lo_s, bin) * bin;
    d->bins.nbins = (size_t)((floor_div(hi_s, bin) * bin - d->bins.t0_s) / bin + 1);
    d->bins.from_s = lo_s;
    d->bins.to_s = hi_s;
    size_t n = (size_t)NM_P_COUNT * d->bins.nbins;
    d->bins.bytes = calloc(n, sizeof(double));
    d->bins.packets = calloc(n, sizeof(double));
    d->bins.newconn = calloc(n, sizeof(double));
    d->bins.drops = calloc(d->bins.nbins, sizeof(uint64_t));
    return d->bins.bytes && d->bins.packets && d->bins.newconn && d->bins.drops ? 0 : -1;
}

static void free_data(struct nm_report_data *d)
{
    free(d->bins.bytes);
    free(d->bins.packets);
    free(d->bins.newconn);
    free(d->bins.drops);
    free(d->talkers);
    free(d->hist);
}

/* Everything, in one read transaction.  0 ok, -1 error (res filled),
 * 1 nothing in the session or range. */
static int gather(struct nm_db *db, const struct nm_report_opts *o, struct nm_report_data *d,
                  struct nm_report_result *res)
{
    char msg[1100];

    if (nm_rq_session(db, o->session_id, &d->sess) != 0 ||
        nm_db_read_summary(db, d->sess.id, &d->sum) != 0) {
        fail(res, NM_REPORT_USAGE, nm_db_errmsg(db));
        return -1;
    }
    if (strcmp(d->sess.end_reason, "running") == 0)
        add_note(res, "session %lld is still running (or nm-capture was killed): the report "
                 "shows what was committed so far", (long long)d->sess.id);
    d->ranged = o->has_from || o->has_to;
    if (!d->sess.has_packets) {
        snprintf(msg, sizeof msg, "session %lld has no packets: statistics only, no graphs",
                 (long long)d->sess.id);
        fail(res, NM_REPORT_EMPTY, msg);
        return 1;
    }
    int64_t first_ns = d->sum.first_packet_ns, last_ns = d->sum.last_packet_ns;
    d->from_ns = o->has_from && o->from_ns > first_ns ? o->from_ns : first_ns;
    d->to_ns = o->has_to && o->to_ns < last_ns ? o->to_ns : last_ns;
    int64_t lo_s = nm_counters_second(d->from_ns), hi_s = nm_counters_second(d->to_ns);
    if (lo_s < d->sess.first_second)
        lo_s = d->sess.first_second;
    if (hi_s > d->sess.last_second)
        hi_s = d->sess.last_second;
    if (d->from_ns > d->to_ns || lo_s > hi_s) {
        char a[40], b[40];
        nm_report_iso_time(o->has_from ? o->from_ns : first_ns, a, sizeof a);
        nm_report_iso_time(o->has_to ? o->to_ns : last_ns, b, sizeof b);
        snprintf(msg, sizeof msg, "session %lld has no packets between %s and %s: statistics "
                 "only, no graphs", (long long)d->sess.id, a, b);
        fail(res, NM_REPORT_EMPTY, msg);
        return 1;
    }
    size_t top = o->top_n ? o->top_n : NM_REPORT_DEFAULT_TOP;
    if (plan_bins(o, d, lo_s, hi_s, res) != 0 || nm_rq_timeseries(db, d->sess.id, &d->bins) != 0)
        goto db_fail;
    for (int p = 0; p < NM_P_COUNT; p++) {
        for (size_t i = 0; i < d->bins.nbins; i++) {
            size_t at = (size_t)p * d->bins.nbins + i;
            d->win_packets[p] += (uint64_t)d->bins.packets[at];
            d->win_bytes[p] += (uint64_t)d->bins.bytes[at];
            d->win_newconn[p] += (uint64_t)d->bins.newconn[at];
        }
    }
    for (size_t i = 0; i < d->bins.nbins; i++)
        d->win_drops += d->bins.drops[i];
    d->talkers = calloc(top, sizeof *d->talkers);
    if (d->talkers == NULL || nm_rq_top_talkers(db, d->sess.id, d->talkers, top, &d->ntalkers))
        goto db_fail;
    if (read_latency(db, d) != 0)
        goto db_fail;
    return 0;

db_fail:
    fail(res, NM_REPORT_USAGE, nm_db_errmsg(db)[0] ? nm_db_errmsg(db) : "out of memory");
    return -1;
}

/* ------------------------------------------------------------ drawing -- */

static int draw(enum nm_report_graph g, const char *dir, const struct nm_report_data *d,
                struct nm_report_result *res)
{
    char path[PATH_MAX], err[512];
    struct nm_plot_meta meta = { d->sum.source, d->sess.id, d->from_ns, d->to_ns };
    const size_t nb = d->bins.nbins;
    int rc = 0;

    if (snprintf(path, sizeof path, "%s/%s", dir, graph_files[g]) >= (int)sizeof path)
        return fail(res, NM_REPORT_OUTPUT, "output folder name too long");
    err[0] = '\0';
    switch (g) {
    case NM_G_THROUGHPUT:
    case NM_G_NEWCONN: {
        struct nm_plot_series series[NM_P_COUNT];
        double *y = calloc((size_t)NM_P_COUNT * nb, sizeof *y);
        size_t ns = 0;
        if (y == NULL)
            return fail(res, NM_REPORT_OUTPUT, "out of memory");
        for (int p = 0; p < NM_P_COUNT; p++) {
            /* Connections only exist for TCP, UDP, ICMP, ICMPv6, Other. */
            if (g == NM_G_NEWCONN && !(p == NM_P_TCP || p == NM_P_UDP || p == NM_P_ICMP ||
                                       p == NM_P_ICMPV6 || p == NM_P_OTHER))
                continue;
            double *row = y + ns * nb;
            for (size_t i = 0; i < nb; i++) {
                size_t at = (size_t)p * nb + i;
                row[i] = g == NM_G_THROUGHPUT
                             ? d->bins.bytes[at] * 8.0 / (double)d->bins.bin_s
                             : d->bins.newconn[at] / (double)d->bins.bin_s;
            }
            series[ns].name = nm_proto_name((enum nm_proto)p);
            series[ns].y = row;
            ns++;
        }
        struct nm_plot_timeseries ts = { d->bins.t0_s, (int)d->bins.bin_s, nb, ns, series,
                                         d->bins.drops };
        rc = g == NM_G_THROUGHPUT ? nm_plot_throughput(path, &meta, &ts, err, sizeof err)
                                  : nm_plot_new_connections(path, &meta, &ts, err, sizeof err);
        free(y);
        break;
    }
    case NM_G_LATENCY: {
        struct nm_plot_hist_group groups[NM_LAT_KIND_COUNT];
        size_t ng = 0;
        for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
            const struct nm_hist_group *hg = &d->hist->groups[k];
            if (hg->samples == 0)
                continue;
            groups[ng++] = (struct nm_plot_hist_group){
                nm_report_kind_label((enum nm_latency_kind)k), hg->counts, hg->samples,
                d->lat_p50[k], d->lat_p90[k], d->lat_p99[k] };
        }
        struct nm_plot_histogram h = { d->hist->log_x, d->hist->nbins, d->hist->edges, ng,
                                       groups };
        rc = nm_plot_latency(path, &meta, &h, err, sizeof err);
        break;
    }
    case NM_G_PROTOCOLS: {
        const char *labels[NM_P_COUNT];
        double values[NM_P_COUNT];
        for (int p = 0; p < NM_P_COUNT; p++) {
            labels[p] = nm_proto_name((enum nm_proto)p);
            values[p] = (double)d->win_packets[p];
        }
        struct nm_plot_bars bars = { NM_P_COUNT, labels, values };
        rc = nm_plot_protocol_usage(path, &meta, &bars, d->sum.unique_ipv4 + d->sum.unique_ipv6,
                                    d->sum.unique_macs, err, sizeof err);
        break;
    }
    case NM_G_TALKERS: {
        const char *labels[NM_REPORT_MAX_TOP];
        double values[NM_REPORT_MAX_TOP];
        size_t n = d->ntalkers < NM_REPORT_MAX_TOP ? d->ntalkers : NM_REPORT_MAX_TOP;
        for (size_t i = 0; i < n; i++) {
            labels[i] = d->talkers[i].address;
            values[i] = (double)d->talkers[i].bytes;
        }
        struct nm_plot_bars bars = { n, labels, values };
        rc = nm_plot_top_talkers(path, &meta, &bars, err, sizeof err);
        break;
    }
    case NM_G_COUNT:
        break;
    }
    if (rc != 0)
        return fail(res, NM_REPORT_OUTPUT, err[0] ? err : path);
    return 0;
}

/* Draws what there is to draw; a graph without data gets a note instead of
 * an empty image, and an old file of that name is removed so the folder
 * never mixes two reports. */
static int write_files(const char *dir, struct nm_report_data *d, struct nm_report_result *res)
{
    char err[1024], path[PATH_MAX];

    for (int g = 0; g < NM_G_COUNT; g++) {
        const char *why = NULL;
        if (g == NM_G_LATENCY && d->lat_drawn == 0 && d->ranged && d->sess.aggregate_only)
            why = "a time range needs latency sample rows, which aggregate mode (-A) does "
                  "not store; without --from/--to the whole session is drawn";
        else if (g == NM_G_LATENCY && d->lat_drawn == 0)
            why = "no connection latency samples (TCP handshake, DNS, ICMP echo, first UDP "
                  "response) in this session or range";
        else if (g == NM_G_TALKERS && d->ntalkers == 0)
            why = "no IP addresses in this session";
        if (why) {
            snprintf(d->graph_note[g], sizeof d->graph_note[g], "%s", why);
            add_note(res, "%s not drawn: %s", graph_files[g], why);
            if (snprintf(path, sizeof path, "%s/%s", dir, graph_files[g]) < (int)sizeof path)
                (void)unlink(path);
            continue;
        }
        if (draw((enum nm_report_graph)g, dir, d, res) != 0)
            return -1;
        d->graph_written[g] = true;
        res->files_written++;
    }
    if (nm_report_write_html(dir, d, err, sizeof err) != 0)
        return fail(res, NM_REPORT_OUTPUT, err);
    res->files_written++;
    return 0;
}

/* --------------------------------------------------------------- run -- */

void nm_report_run(const struct nm_report_opts *o, FILE *out, struct nm_report_result *res)
{
    struct nm_report_data *d = calloc(1, sizeof *d);
    struct nm_db *db = NULL;
    char err[PATH_MAX + 200], dirbuf[PATH_MAX];
    const char *dir = o->out_dir;
    int g;

    memset(res, 0, sizeof *res);
    if (d == NULL) {
        fail(res, NM_REPORT_USAGE, "out of memory");
        return;
    }
    if (o->write_files) {
        if (dir == NULL) {
            if (nm_report_default_dir(o->db_path, dirbuf, sizeof dirbuf) != 0) {
                fail(res, NM_REPORT_USAGE, "database path too long");
                goto out;
            }
            dir = dirbuf;
        }
        if (make_dirs(dir) != 0 || access(dir, W_OK | X_OK) != 0) {
            snprintf(err, sizeof err, "%s: cannot write the report folder: %s", dir,
                     strerror(errno));
            fail(res, NM_REPORT_OUTPUT, err);
            goto out;
        }
    }
    if (nm_db_open(o->db_path, NM_DB_READ, &db, err, sizeof err) != 0) {
        fail(res, NM_REPORT_USAGE, err);
        goto out;
    }
    if (nm_rq_begin(db) != 0) {
        fail(res, NM_REPORT_USAGE, nm_db_errmsg(db));
        goto out;
    }
    g = gather(db, o, d, res);
    nm_rq_end(db);
    nm_db_close(db);
    db = NULL;
    if (g < 0)
        goto out;

    if (o->print_stats) {
        switch (o->format) {
        case NM_REPORT_TEXT: nm_summary_print(out, &d->sum); break;
        case NM_REPORT_JSON: nm_report_print_json(out, d); break;
        case NM_REPORT_CSV: nm_report_print_csv(out, d); break;
        }
        if (fflush(out) != 0 || ferror(out)) {
            fail(res, NM_REPORT_OUTPUT, "cannot write the statistics to standard output");
            goto out;
        }
    }
    if (g == 0 && o->write_files)
        (void)write_files(dir, d, res);

out:
    nm_db_close(db);
    if (d)
        free_data(d);
    free(d);
}
