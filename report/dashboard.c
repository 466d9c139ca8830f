/*
 * dashboard.c - nm-live's ncurses dashboard (see dashboard.h).  The loop
 * reads a snapshot (live_data.h) every interval and draws one of four
 * views from it; drawing never touches the database, and a snapshot that
 * could not be refreshed (database busy, file gone) stays on screen with
 * the reason in the status line.
 *
 * Layout: line 0 the view tabs, line 1 the session, the view in between,
 * line LINES-2 the status (refresh time or the problem), line LINES-1 the
 * keys.  Every text is clipped to the width, so any size at or above the
 * minimum draws without wrapping; below it, "terminal too small".
 */
#include "dashboard.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ncurses.h>

#include "../analyze/latency.h"
#include "live_data.h"

/* Below this the views cannot show their tables. */
#define MIN_COLS 60
#define MIN_LINES 16
/* getch() wait: how fast keys and signals are noticed between refreshes. */
#define KEY_POLL_MS 100
/* Label columns in front of the sparklines (name, rate, total). */
#define SPARK_LABEL_W 33

enum view { VIEW_OVERVIEW, VIEW_THROUGHPUT, VIEW_LATENCY, VIEW_TALKERS, VIEW_COUNT };
static const char *const view_names[VIEW_COUNT] = {
    "Overview", "Throughput", "Latency", "Talkers",
};

enum color { C_NONE, C_HEADER, C_GOOD, C_WARN, C_BAD, C_TITLE, C_SPARK };

struct ui {
    enum view view;
    bool paused;
    bool utf8;                   /* block characters for the sparklines */
    bool color;
    int sel_proto;               /* the throughput view's chart */
    const char *db_path;
    int interval_ms;
    struct nm_live_snapshot *snap;
    bool have_snap;
    enum nm_live_status status;
    char msg[512];
    time_t refreshed;            /* wall clock of the last good refresh */
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

bool nm_dashboard_usable(void)
{
    const char *term = getenv("TERM");

    return isatty(STDOUT_FILENO) && term != NULL && term[0] != '\0' &&
           strcmp(term, "dumb") != 0;
}

/* ----------------------------------------------------------- formatting -- */

static void fmt_rate(char *buf, size_t len, double bps)
{
    if (bps < 1e3)
        snprintf(buf, len, "%.0f b/s", bps);
    else if (bps < 1e6)
        snprintf(buf, len, "%.1f kb/s", bps / 1e3);
    else if (bps < 1e9)
        snprintf(buf, len, "%.1f Mb/s", bps / 1e6);
    else
        snprintf(buf, len, "%.2f Gb/s", bps / 1e9);
}

static void fmt_bytes(char *buf, size_t len, uint64_t b)
{
    double v = (double)b;

    if (b < 1000)
        snprintf(buf, len, "%llu B", (unsigned long long)b);
    else if (v < 1e6)
        snprintf(buf, len, "%.1f kB", v / 1e3);
    else if (v < 1e9)
        snprintf(buf, len, "%.1f MB", v / 1e6);
    else
        snprintf(buf, len, "%.2f GB", v / 1e9);
}

/* Latency in milliseconds with microsecond resolution. */
static void fmt_ms(char *buf, size_t len, double us)
{
    snprintf(buf, len, "%.3f", us / 1000.0);
}

static void fmt_clock(char *buf, size_t len, int64_t sec)
{
    time_t t = (time_t)sec;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%H:%M:%S", &tm) == 0)
        snprintf(buf, len, "?");
}

/* "90 s", "16 min 10 s": the span of the bins shown. */
static void fmt_span(char *buf, size_t len, int seconds)
{
    if (seconds < 120)
        snprintf(buf, len, "%d s", seconds);
    else if (seconds % 60 == 0)
        snprintf(buf, len, "%d min", seconds / 60);
    else
        snprintf(buf, len, "%d min %d s", seconds / 60, seconds % 60);
}

/* ------------------------------------------------------------- drawing -- */

static void set_color(const struct ui *u, enum color c, bool on)
{
    if (!u->color || c == C_NONE)
        return;
    if (on)
        attron(COLOR_PAIR((short)c));
    else
        attroff(COLOR_PAIR((short)c));
}

/* Prints at (y, x), clipped to the screen width. */
__attribute__((format(printf, 3, 4)))
static void put(int y, int x, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int room = COLS - x;

    if (y < 0 || y >= LINES || room <= 0)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    mvaddnstr(y, x, buf, room);
}

static void put_attr(const struct ui *u, int y, int x, enum color c, int attr, const char *s)
{
    set_color(u, c, true);
    if (attr)
        attron(attr);
    put(y, x, "%s", s);
    if (attr)
        attroff(attr);
    set_color(u, c, false);
}

/* Bits per second of history bin b (the newest bin covers fewer seconds). */
static double bin_bps(const struct nm_live_snapshot *s, int b, int p)
{
    int secs = b == s->nbins - 1 ? s->last_bin_seconds : NM_LIVE_BIN_S;
    return (double)s->hist_bytes[b][p] * 8.0 / (double)(secs > 0 ? secs : 1);
}

static double window_bps(const struct nm_live_window *w, int p)
{
    return (double)w->proto_bytes[p] * 8.0 / NM_LIVE_RATE_S;
}

/* One-row sparkline of protocol p over the newest `width` bins, scaled to
 * its own peak; *peak gets that peak.  Any traffic shows at least the
 * lowest mark, so a quiet protocol is told apart from a silent one. */
static void draw_sparkline(const struct ui *u, int y, int x, int width, int p, double *peak)
{
    static const char *const blocks[] = {
        " ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
        "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
    };
    static const char ascii[] = " .:-=+*#@";
    const struct nm_live_snapshot *s = u->snap;
    int n = width < s->nbins ? width : s->nbins, first = s->nbins - n;
    double max = 0;

    for (int b = first; b < s->nbins; b++)
        if (bin_bps(s, b, p) > max)
            max = bin_bps(s, b, p);
    *peak = max;
    if (y >= LINES)
        return;
    set_color(u, C_SPARK, true);
    /* Right-aligned: the newest bin is always in the last column. */
    for (int i = 0; i < n && x + (width - n) + i < COLS; i++) {
        double v = bin_bps(s, first + i, p);
        int level = max > 0 ? (int)(v / max * 8.0 + 0.5) : 0;
        if (v > 0 && level == 0)
            level = 1;
        move(y, x + (width - n) + i);
        if (u->utf8)
            addstr(blocks[level]);
        else
            addch((chtype)(unsigned char)ascii[level]);
    }
    set_color(u, C_SPARK, false);
}

static void draw_header(const struct ui *u)
{
    int x = 0;
    const struct nm_live_snapshot *s = u->snap;

    set_color(u, C_HEADER, true);
    attron(A_REVERSE);
    move(0, 0);
    hline(' ', COLS);
    put(0, 0, " nm-live ");
    x = 9;
    for (int v = 0; v < VIEW_COUNT; v++) {
        char tab[32];
        snprintf(tab, sizeof tab, " %d %s ", v + 1, view_names[v]);
        if ((int)v == (int)u->view)
            attron(A_BOLD);
        else
            attroff(A_REVERSE);
        put(0, x, "%s", tab);
        attron(A_REVERSE);
        attroff(A_BOLD);
        x += (int)strlen(tab) + 1;
    }
    if (u->paused)
        put(0, COLS - 8, " PAUSED ");
    attroff(A_REVERSE);
    set_color(u, C_HEADER, false);

    if (!u->have_snap) {
        put(1, 0, "database %s", u->db_path);
        return;
    }
    char last[16] = "-", span[32] = "no packets yet";
    if (s->has_data) {
        fmt_clock(last, sizeof last, s->rate.last_second);
        int64_t secs = (s->sum.last_packet_ns - s->sum.first_packet_ns) / 1000000000;
        snprintf(span, sizeof span, "%lld s of packets", (long long)secs + 1);
    }
    put(1, 0, "session %lld%s  %s  %s, last %s UTC  source %s", (long long)s->session_id,
        s->following ? " (newest)" : " (pinned)", s->sum.end_reason, span, last,
        s->sum.source);
}

static void draw_status(const struct ui *u)
{
    char when[16] = "never";
    struct tm tm;
    enum color c = C_NONE;
    const char *msg = u->msg;
    char line[600];

    if (u->refreshed != 0 && localtime_r(&u->refreshed, &tm) != NULL)
        strftime(when, sizeof when, "%H:%M:%S", &tm);
    switch (u->status) {
    case NM_LIVE_ST_OK:
        c = C_GOOD;
        snprintf(line, sizeof line, "updated %s, every %.1f s", when, u->interval_ms / 1000.0);
        msg = line;
        break;
    case NM_LIVE_ST_BUSY:
    case NM_LIVE_ST_WAITING:
    case NM_LIVE_ST_NO_SESSION:
        c = C_WARN;
        break;
    case NM_LIVE_ST_FAILED:
        c = C_BAD;
        snprintf(line, sizeof line, "%s (retrying)", u->msg);
        msg = line;
        break;
    }
    move(LINES - 2, 0);
    clrtoeol();
    put_attr(u, LINES - 2, 0, c, A_BOLD, msg);
    move(LINES - 1, 0);
    clrtoeol();
    put_attr(u, LINES - 1, 0, C_TITLE, 0,
             "q quit  tab/1-4 view  p pause  s older session  f follow  r refresh  up/down");
}

/* The counters block from line y: three lines on a wide terminal, five
 * on a narrow one.  Returns the next free line. */
static int draw_counters(const struct ui *u, int y)
{
    const struct nm_live_snapshot *s = u->snap;
    const struct nm_summary *m = &s->sum;
    const struct nm_live_window *r = &s->recent;
    bool wide = COLS >= 120;
    bool any_drops = m->drops_kernel || m->drops_ifdrop || m->drops_queue;
    char b[32], rate[32], totals[160], conns[160], recent[200], uniq[96], drops[160];
    uint64_t nconn = 0;

    for (int p = 0; p < NM_P_COUNT; p++)
        nconn += m->connections[p];
    fmt_bytes(b, sizeof b, m->bytes);
    snprintf(totals, sizeof totals, "Packets %llu  Bytes %llu (%s)  Flows %llu  Malformed %llu",
             (unsigned long long)m->packets, (unsigned long long)m->bytes, b,
             (unsigned long long)m->flows, (unsigned long long)m->malformed_total);
    snprintf(conns, sizeof conns, "Connections %llu: TCP %llu UDP %llu ICMP %llu ICMPv6 %llu "
             "Other %llu", (unsigned long long)nconn,
             (unsigned long long)m->connections[NM_P_TCP],
             (unsigned long long)m->connections[NM_P_UDP],
             (unsigned long long)m->connections[NM_P_ICMP],
             (unsigned long long)m->connections[NM_P_ICMPV6],
             (unsigned long long)m->connections[NM_P_OTHER]);
    fmt_rate(rate, sizeof rate, (double)s->rate.bytes * 8.0 / NM_LIVE_RATE_S);
    snprintf(recent, sizeof recent, "Last %d s %s %.1f pkt/s | %d s: %llu pkts, "
             "avg %.1f B, %.3f new conn/s", NM_LIVE_RATE_S, rate,
             (double)s->rate.packets / NM_LIVE_RATE_S, NM_LIVE_RECENT_S,
             (unsigned long long)r->packets,
             r->packets ? (double)r->bytes / (double)r->packets : 0.0,
             (double)r->new_connections / NM_LIVE_RECENT_S);
    snprintf(uniq, sizeof uniq, "Unique IPv4 %llu  IPv6 %llu  MAC %llu",
             (unsigned long long)m->unique_ipv4, (unsigned long long)m->unique_ipv6,
             (unsigned long long)m->unique_macs);
    snprintf(drops, sizeof drops, "Drops kernel %llu ifdrop %llu queue %llu "
             "(last %d s: %llu %llu %llu)", (unsigned long long)m->drops_kernel,
             (unsigned long long)m->drops_ifdrop, (unsigned long long)m->drops_queue,
             NM_LIVE_RECENT_S, (unsigned long long)r->drops_kernel,
             (unsigned long long)r->drops_ifdrop, (unsigned long long)r->drops_queue);
    if (wide) {
        put(y, 0, "%s", totals);
        put(y++, 64, "%s", conns);
        put(y++, 0, "%s", recent);
        put(y, 0, "%s", uniq);
        put_attr(u, y++, 40, any_drops ? C_BAD : C_NONE, any_drops ? A_BOLD : 0, drops);
    } else {
        put(y++, 0, "%s", totals);
        put(y++, 0, "%s", conns);
        put(y++, 0, "%s", recent);
        put(y++, 0, "%s", uniq);
        put_attr(u, y++, 0, any_drops ? C_BAD : C_NONE, any_drops ? A_BOLD : 0, drops);
    }
    return y;
}

/* Per-protocol rows with sparklines from line y, at most `rows`;
 * `detail` adds average and peak columns.  Returns the next free line. */
static int draw_protocols(const struct ui *u, int y, int rows, bool detail)
{
    const struct nm_live_snapshot *s = u->snap;
    int label = detail ? SPARK_LABEL_W + 24 : SPARK_LABEL_W;
    int width = COLS - label;
    char span[32], title[160];

    if (width < 10)
        width = 10;
    if (width > s->nbins)
        width = s->nbins;
    fmt_span(span, sizeof span, width * NM_LIVE_BIN_S);
    if (detail)
        snprintf(title, sizeof title, "%-8s %11s %11s %11s %11s  last %s, %d s per column",
                 "protocol", "last 10 s", "average", "peak", "bytes", span, NM_LIVE_BIN_S);
    else
        snprintf(title, sizeof title, "%-8s %11s %11s  throughput, last %s, %d s per column",
                 "protocol", "last 10 s", "bytes", span, NM_LIVE_BIN_S);
    put_attr(u, y++, 0, C_TITLE, A_BOLD, title);
    if (!s->has_data) {
        put(y++, 0, "no packets yet");
        return y;
    }
    for (int p = 0; p < NM_P_COUNT && rows-- > 0 && y < LINES - 2; p++, y++) {
        char now[24], tot[24], avg[24], pk[24];
        double peak, sum = 0;
        int n = width < s->nbins ? width : s->nbins;

        for (int b = s->nbins - n; b < s->nbins; b++)
            sum += (double)s->hist_bytes[b][p];
        fmt_rate(now, sizeof now, window_bps(&s->rate, p));
        fmt_bytes(tot, sizeof tot, s->sum.proto_bytes[p]);
        draw_sparkline(u, y, label, width, p, &peak);
        fmt_rate(pk, sizeof pk, peak);
        /* The average over the columns shown, partial newest bin included. */
        fmt_rate(avg, sizeof avg,
                 sum * 8.0 / (double)((n - 1) * NM_LIVE_BIN_S + s->last_bin_seconds));
        if (detail && p == u->sel_proto)
            attron(A_REVERSE);
        if (detail)
            put(y, 0, "%-8s %11s %11s %11s %11s", nm_proto_name((enum nm_proto)p), now, avg,
                pk, tot);
        else
            put(y, 0, "%-8s %11s %11s", nm_proto_name((enum nm_proto)p), now, tot);
        if (detail && p == u->sel_proto)
            attroff(A_REVERSE);
    }
    return y;
}

/* Latency table from line y, at most `rows` lines, `width` columns from
 * x.  Returns the next free line. */
static int draw_latency_table(const struct ui *u, int y, int x, int rows, bool all_kinds)
{
    const struct nm_summary *m = &u->snap->sum;
    int shown = 0;

    if (rows < 2)
        return y;
    put_attr(u, y++, x, C_TITLE, A_BOLD,
             "latency (ms)          samples  timeouts     p50      p90      p99     mean");
    rows--;
    for (int k = 0; k < NM_LAT_KIND_COUNT && rows > 0; k++) {
        const struct nm_summary_latency *l = &m->latency[k];
        char p50[24], p90[24], p99[24], mean[24];
        if (!all_kinds && l->samples == 0 && l->timeouts == 0)
            continue;
        if (l->samples == 0) {
            put(y++, x, "%-20s %8llu  %8llu %8s %8s %8s %8s",
                nm_latency_kind_name((enum nm_latency_kind)k), 0ULL,
                (unsigned long long)l->timeouts, "-", "-", "-", "-");
        } else {
            fmt_ms(p50, sizeof p50, l->p50_us);
            fmt_ms(p90, sizeof p90, l->p90_us);
            fmt_ms(p99, sizeof p99, l->p99_us);
            fmt_ms(mean, sizeof mean, l->mean_us);
            put(y++, x, "%-20s %8llu  %8llu %8s %8s %8s %8s",
                nm_latency_kind_name((enum nm_latency_kind)k), (unsigned long long)l->samples,
                (unsigned long long)l->timeouts, p50, p90, p99, mean);
        }
        rows--;
        shown++;
    }
    if (shown == 0 && rows > 0)
        put(y++, x, "no latency samples yet");
    return y;
}

/* Top talkers (IPs or MACs) from line y, at most `rows` lines. */
static int draw_talkers(const struct ui *u, int y, int x, int rows, bool macs, bool detail)
{
    const struct nm_live_snapshot *s = u->snap;
    const struct nm_live_talker *t = macs ? s->macs : s->ips;
    int n = macs ? s->n_macs : s->n_ips;
    uint64_t total = s->sum.bytes;

    if (rows < 2)
        return y;
    if (detail)
        put_attr(u, y++, x, C_TITLE, A_BOLD,
                 macs ? " #  MAC address                       packets        bytes    share"
                        "    sent B    recv B"
                      : " #  IP address                        packets        bytes    share"
                        "    sent B    recv B");
    else
        put_attr(u, y++, x, C_TITLE, A_BOLD,
                 macs ? "top MACs                  packets      bytes"
                      : "top talkers               packets      bytes");
    rows--;
    for (int i = 0; i < n && rows > 0; i++, rows--) {
        uint64_t pk = t[i].pkts_sent + t[i].pkts_recv, by = t[i].bytes_sent + t[i].bytes_recv;
        char b[24];
        fmt_bytes(b, sizeof b, by);
        if (detail)
            put(y++, x, "%2d  %-30.30s %10llu %12llu %7.1f%% %9llu %9llu", i + 1, t[i].address,
                (unsigned long long)pk, (unsigned long long)by,
                total ? 100.0 * (double)by / (double)total : 0.0,
                (unsigned long long)t[i].bytes_sent, (unsigned long long)t[i].bytes_recv);
        else
            put(y++, x, "%-24.24s %9llu %10s", t[i].address, (unsigned long long)pk, b);
    }
    if (n == 0 && rows > 0)
        put(y++, x, "no addresses yet");
    return y;
}

static void view_overview(const struct ui *u, int y, int bottom)
{
    y = draw_counters(u, y) + 1;
    y = draw_protocols(u, y, NM_P_COUNT, false) + 1;
    int rows = bottom - y;
    if (rows < 2)
        return;
    if (COLS >= 125) {
        draw_latency_table(u, y, 0, rows, false);
        draw_talkers(u, y, 80, rows, false, false);
    } else {
        int lat = rows / 2 < 3 ? rows : rows / 2;
        int next = draw_latency_table(u, y, 0, lat, false);
        draw_talkers(u, next + 1, 0, bottom - next - 1, false, false);
    }
}

/* A bar chart of the selected protocol over the newest bins, `h` rows
 * tall, from line y. */
static void draw_chart(const struct ui *u, int y, int h)
{
    static const char *const eighths[] = {
        " ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
        "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
    };
    const struct nm_live_snapshot *s = u->snap;
    const int axis = 12;
    int width = COLS - axis, p = u->sel_proto;
    char top[24], title[128], span[32];
    double max = 0;

    if (h < 3 || !s->has_data)
        return;
    if (width > s->nbins)
        width = s->nbins;
    for (int b = s->nbins - width; b < s->nbins; b++)
        if (bin_bps(s, b, p) > max)
            max = bin_bps(s, b, p);
    fmt_span(span, sizeof span, width * NM_LIVE_BIN_S);
    snprintf(title, sizeof title, "%s throughput, last %s (up/down: protocol)",
             nm_proto_name((enum nm_proto)p), span);
    put_attr(u, y, 0, C_TITLE, A_BOLD, title);
    h--;
    y++;
    fmt_rate(top, sizeof top, max);
    put(y, 0, "%11s", top);
    put(y + h - 1, 0, "%11s", "0");
    set_color(u, C_SPARK, true);
    for (int i = 0; i < width; i++) {
        double v = bin_bps(s, s->nbins - width + i, p);
        int units = max > 0 ? (int)(v / max * h * 8 + 0.5) : 0;
        if (v > 0 && units == 0)
            units = 1;
        for (int r = 0; r < h; r++) {
            int level = units - r * 8;
            if (level <= 0)
                continue;
            move(y + h - 1 - r, axis + i);
            if (u->utf8)
                addstr(eighths[level > 8 ? 8 : level]);
            else
                addch(level >= 8 ? '#' : level >= 4 ? '+' : '.');
        }
    }
    set_color(u, C_SPARK, false);
}

static void view_throughput(const struct ui *u, int y, int bottom)
{
    int rows = bottom - y;
    int chart = rows - (NM_P_COUNT + 2);

    if (chart >= 4) {
        draw_chart(u, y, chart);
        y += chart + 1;
    }
    draw_protocols(u, y, bottom - y - 1, true);
}

static void view_latency(const struct ui *u, int y, int bottom)
{
    const struct nm_summary *m = &u->snap->sum;
    const struct nm_summary_latency_avg *avgs[] = {
        &m->latency_tcp, &m->latency_udp, &m->latency_icmp, &m->latency_icmpv6,
        &m->latency_all,
    };
    static const char *const names[] = { "TCP", "UDP", "ICMP", "ICMPv6", "all" };

    y = draw_latency_table(u, y, 0, bottom - y, true) + 1;
    if (bottom - y < 3)
        return;
    put_attr(u, y++, 0, C_TITLE, A_BOLD,
             "connection latency per protocol    samples  mean (ms)");
    for (size_t i = 0; i < sizeof avgs / sizeof avgs[0] && y < bottom; i++) {
        char mean[24] = "-";
        if (avgs[i]->samples > 0)
            fmt_ms(mean, sizeof mean, avgs[i]->mean_us);
        put(y++, 0, "%-32s %9llu  %9s", names[i], (unsigned long long)avgs[i]->samples, mean);
    }
    if (y + 1 < bottom)
        put(y + 1, 0, "percentiles: nearest rank, from the latency histograms (latency_stats); "
                      "kinds: README \"Latency\"");
}

static void view_talkers(const struct ui *u, int y, int bottom)
{
    int rows = bottom - y;

    if (COLS >= 2 * 92 + 2) {
        draw_talkers(u, y, 0, rows, false, true);
        draw_talkers(u, y, 94, rows, true, true);
    } else {
        int ip_rows = rows * 2 / 3;
        int next = draw_talkers(u, y, 0, ip_rows, false, true);
        draw_talkers(u, next + 1, 0, bottom - next - 1, true, true);
    }
}

static void draw(const struct ui *u)
{
    erase();
    if (COLS < MIN_COLS || LINES < MIN_LINES) {
        char m[96];
        snprintf(m, sizeof m, "terminal too small (%dx%d, need %dx%d); q quits", COLS, LINES,
                 MIN_COLS, MIN_LINES);
        mvaddnstr(LINES / 2, 0, m, COLS);
        refresh();
        return;
    }
    draw_header(u);
    if (!u->have_snap) {
        put_attr(u, LINES / 2, 2, C_WARN, A_BOLD, u->msg[0] ? u->msg : "reading...");
    } else {
        int y = 3, bottom = LINES - 2;
        switch (u->view) {
        case VIEW_OVERVIEW: view_overview(u, y, bottom); break;
        case VIEW_THROUGHPUT: view_throughput(u, y, bottom); break;
        case VIEW_LATENCY: view_latency(u, y, bottom); break;
        case VIEW_TALKERS: view_talkers(u, y, bottom); break;
        case VIEW_COUNT: break;
        }
    }
    draw_status(u);
    refresh();
}

/* ---------------------------------------------------------------- loop -- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void do_refresh(struct ui *u, struct nm_live_source *src)
{
    u->status = nm_live_source_refresh(src, NM_LIVE_HISTORY_MAX, u->snap, u->msg,
                                       sizeof u->msg);
    if (u->status == NM_LIVE_ST_OK) {
        u->have_snap = true;
        u->refreshed = time(NULL);
        if (u->sel_proto < 0 || u->sel_proto >= NM_P_COUNT)
            u->sel_proto = NM_P_ETHERNET;
    } else if (u->status == NM_LIVE_ST_NO_SESSION || u->status == NM_LIVE_ST_WAITING) {
        /* What was shown belongs to a session or file that is gone. */
        u->have_snap = false;
    }
}

static void init_colors(struct ui *u)
{
    u->color = has_colors() && start_color() == OK;
    if (!u->color)
        return;
    use_default_colors();
    init_pair(C_HEADER, COLOR_CYAN, -1);
    init_pair(C_GOOD, COLOR_GREEN, -1);
    init_pair(C_WARN, COLOR_YELLOW, -1);
    init_pair(C_BAD, COLOR_RED, -1);
    init_pair(C_TITLE, COLOR_CYAN, -1);
    init_pair(C_SPARK, COLOR_GREEN, -1);
}

/* Returns false when the key asks to quit. */
static bool handle_key(struct ui *u, struct nm_live_source *src, int ch, int64_t *next)
{
    switch (ch) {
    case 'q': case 'Q':
        return false;
    case '\t':
        u->view = (enum view)(((int)u->view + 1) % VIEW_COUNT);
        break;
    case KEY_BTAB:
        u->view = (enum view)(((int)u->view + VIEW_COUNT - 1) % VIEW_COUNT);
        break;
    case '1': case '2': case '3': case '4':
        u->view = (enum view)(ch - '1');
        break;
    case 'p': case 'P': case ' ':
        u->paused = !u->paused;
        break;
    case 's': case 'S':
        nm_live_source_older(src);
        *next = 0;
        break;
    case 'f': case 'F':
        nm_live_source_follow(src);
        *next = 0;
        break;
    case 'r': case 'R':
        *next = 0;
        break;
    case KEY_UP: case 'k':
        u->sel_proto = (u->sel_proto + NM_P_COUNT - 1) % NM_P_COUNT;
        break;
    case KEY_DOWN: case 'j':
        u->sel_proto = (u->sel_proto + 1) % NM_P_COUNT;
        break;
    default:
        break;
    }
    return true;
}

int nm_dashboard_run(const struct nm_dashboard_opts *o, char *errbuf, size_t errlen)
{
    struct ui u;
    struct nm_live_source *src;
    struct sigaction sa, old_int, old_term;
    SCREEN *scr;
    int64_t next;
    bool dirty = true;
    int ret = 0;

    memset(&u, 0, sizeof u);
    u.db_path = o->db_path;
    u.interval_ms = o->interval_ms;
    u.snap = calloc(1, sizeof *u.snap);
    src = nm_live_source_new(o->db_path, o->session_id);
    if (u.snap == NULL || src == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        free(u.snap);
        nm_live_source_free(src);
        return -1;
    }
    /* The first read decides before the screen is taken: a database that
     * exists but cannot be read (not netmon, newer schema, no such
     * session) is an error on stderr, as in text mode.  A missing file is
     * waited for on screen. */
    do_refresh(&u, src);
    if (u.status == NM_LIVE_ST_FAILED) {
        snprintf(errbuf, errlen, "%s", u.msg);
        free(u.snap);
        nm_live_source_free(src);
        return -1;
    }

    /* Our handlers before ncurses starts: it then leaves SIGINT and
     * SIGTERM alone, and the loop below restores the terminal itself.  No
     * SA_RESTART, so a signal cuts the key wait short. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    /* Only the character type: the numbers stay in the C locale's format. */
    setlocale(LC_CTYPE, "");
    u.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    scr = newterm(NULL, stdout, stdin);
    if (scr == NULL) {
        const char *term = getenv("TERM");
        snprintf(errbuf, errlen, "cannot drive terminal type '%s'; use --plain",
                 term ? term : "");
        ret = -1;
        goto out;
    }
    set_term(scr);
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(KEY_POLL_MS);
    init_colors(&u);

    next = now_ms() + o->interval_ms;
    while (!stop_requested) {
        if (next == 0 || (!u.paused && now_ms() >= next)) {
            do_refresh(&u, src);
            next = now_ms() + o->interval_ms;
            dirty = true;
        }
        if (dirty)
            draw(&u);
        dirty = false;
        int ch = getch();
        if (ch == ERR)
            continue;
        dirty = true;   /* any key, KEY_RESIZE included: redraw to fit */
        if (!handle_key(&u, src, ch, &next))
            break;
    }
    endwin();
    delscreen(scr);
out:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(u.snap);
    nm_live_source_free(src);
    return ret;
}
