/*
 * live.c - nm-live's loop and text output (see live.h).  The database is
 * opened read-only; in WAL mode a reader never blocks nm-capture's writer,
 * and a short busy timeout means a refresh that does meet a lock (e.g. a
 * checkpoint or a non-WAL database mid-write) is skipped, not waited on.
 */
#include "live.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../analyze/proto.h"
#include "../schema/db.h"
#include "../schema/live_queries.h"
#include "../schema/summary.h"

#define LIVE_THROUGHPUT_S 10   /* the issue: throughput every 10 s, over 10 s */
#define LIVE_METRICS_S 30      /* metrics and statistics every 30 s, over 30 s */
/* Long enough to ride out a writer's commit, short enough that a stuck lock
 * costs one skipped refresh rather than a frozen display. */
#define LIVE_BUSY_TIMEOUT_MS 200
/* Looks at a database that just appeared before its schema counts as
 * missing (see nm_live_run()). */
#define LIVE_NEW_DB_TRIES 5

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* The protocols whose flows count as connections (schema table
 * `protocols`, has_connections). */
static const enum nm_proto conn_protos[] = {
    NM_P_TCP, NM_P_UDP, NM_P_ICMP, NM_P_ICMPV6, NM_P_OTHER,
};

/* "2024-05-01 12:00:09" in UTC; "?" if the time cannot be shown. */
static void fmt_second(int64_t sec, char *buf, size_t len)
{
    time_t t = (time_t)sec;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "?");
}

/* bits/s over 10 s = 8 * bytes / 10, printed exactly (one decimal). */
static void print_bps(FILE *fp, uint64_t bytes)
{
    uint64_t tenths = bytes * 8;
    fprintf(fp, "%llu.%llu", (unsigned long long)(tenths / 10),
            (unsigned long long)(tenths % 10));
}

static void print_window_header(FILE *fp, const char *title, int64_t session_id,
                                const struct nm_live_window *w)
{
    char a[32], b[32];

    if (!w->has_data) {
        fprintf(fp, "== %s, session %lld: no packets yet ==\n", title, (long long)session_id);
        return;
    }
    fmt_second(w->first_second, a, sizeof a);
    fmt_second(w->last_second, b, sizeof b);
    fprintf(fp, "== %s, session %lld, packet time %s .. %s UTC ==\n", title,
            (long long)session_id, a, b);
}

void nm_live_print_throughput(FILE *fp, int64_t session_id, const struct nm_live_window *w)
{
    print_window_header(fp, "throughput over the last 10 s", session_id, w);
    for (int p = 0; p < NM_P_COUNT; p++) {
        fprintf(fp, "throughput %-8s ", nm_proto_name((enum nm_proto)p));
        print_bps(fp, w->proto_bytes[p]);
        fprintf(fp, " bit/s\n");
    }
}

/* "123.45" bytes per packet, or "-" when there was no packet. */
static void print_avg(FILE *fp, uint64_t bytes, uint64_t packets)
{
    if (packets == 0)
        fprintf(fp, "-");
    else
        fprintf(fp, "%.2f", (double)bytes / (double)packets);
}

static void print_latency(FILE *fp, const char *name, const struct nm_summary_latency_avg *l)
{
    fprintf(fp, "latency %-8s ", name);
    if (l->samples == 0)
        fprintf(fp, "- ms (0 samples)\n");
    else
        fprintf(fp, "%.3f ms (%llu samples)\n", l->mean_us / 1000.0,
                (unsigned long long)l->samples);
}

void nm_live_print_metrics(FILE *fp, const struct nm_live_window *w,
                           const struct nm_summary *s)
{
    print_window_header(fp, "network metrics over the last 30 s", s->session_id, w);
    fprintf(fp, "avg_packet_size All      ");
    print_avg(fp, w->bytes, w->packets);
    fprintf(fp, " bytes (%llu packets, %llu bytes)\n", (unsigned long long)w->packets,
            (unsigned long long)w->bytes);
    for (int p = 0; p < NM_P_COUNT; p++) {
        fprintf(fp, "protocol %-8s packets %llu bytes %llu avg_size ",
                nm_proto_name((enum nm_proto)p), (unsigned long long)w->proto_packets[p],
                (unsigned long long)w->proto_bytes[p]);
        print_avg(fp, w->proto_bytes[p], w->proto_packets[p]);
        fprintf(fp, "\n");
    }
    fprintf(fp, "new_connections_per_second %.3f (%llu in %d s)\n",
            (double)w->new_connections / LIVE_METRICS_S,
            (unsigned long long)w->new_connections, LIVE_METRICS_S);

    fprintf(fp, "== real-time statistics, session %lld (%s, %s) ==\n",
            (long long)s->session_id, s->source, s->end_reason);
    for (size_t i = 0; i < sizeof conn_protos / sizeof conn_protos[0]; i++)
        fprintf(fp, "connections %-8s %llu\n", nm_proto_name(conn_protos[i]),
                (unsigned long long)s->connections[conn_protos[i]]);
    for (int p = 0; p < NM_P_COUNT; p++) {
        fprintf(fp, "session_avg_size %-8s ", nm_proto_name((enum nm_proto)p));
        print_avg(fp, s->proto_bytes[p], s->proto_packets[p]);
        fprintf(fp, "\n");
    }
    fprintf(fp, "unique ipv4 %llu ipv6 %llu mac %llu\n", (unsigned long long)s->unique_ipv4,
            (unsigned long long)s->unique_ipv6, (unsigned long long)s->unique_macs);
    print_latency(fp, "TCP", &s->latency_tcp);
    print_latency(fp, "UDP", &s->latency_udp);
    print_latency(fp, "ICMP", &s->latency_icmp);
    print_latency(fp, "ICMPv6", &s->latency_icmpv6);
    print_latency(fp, "all", &s->latency_all);
    fprintf(fp, "drops kernel %llu ifdrop %llu queue %llu\n",
            (unsigned long long)s->drops_kernel, (unsigned long long)s->drops_ifdrop,
            (unsigned long long)s->drops_queue);
    fprintf(fp, "drops_last_%ds kernel %llu ifdrop %llu queue %llu\n", LIVE_METRICS_S,
            (unsigned long long)w->drops_kernel, (unsigned long long)w->drops_ifdrop,
            (unsigned long long)w->drops_queue);
}

enum refresh_result { REFRESH_OK, REFRESH_SKIPPED, REFRESH_FAILED };

static void note_busy(FILE *out)
{
    fprintf(out, "note: database busy (locked by another process); refresh skipped\n");
}

/* One refresh: the throughput block, and with `metrics` the 30 s block. */
static enum refresh_result refresh(struct nm_db *db, const struct nm_live_opts *o, FILE *out,
                                   bool metrics, char *errbuf, size_t errlen)
{
    struct nm_live_window w;
    struct nm_summary s;
    int64_t session_id = o->session_id;
    int rc;

    if (session_id <= 0 && nm_live_newest_session(db, &session_id) != 0) {
        if (nm_live_error_is_busy(db)) {
            note_busy(out);
            return REFRESH_SKIPPED;
        }
        if (!o->once) {
            /* nm-live may be started before nm-capture creates a session. */
            fprintf(out, "note: no capture session yet; waiting\n");
            return REFRESH_SKIPPED;
        }
        snprintf(errbuf, errlen, "%s", nm_db_errmsg(db));
        return REFRESH_FAILED;
    }
    /* The summary first: it also checks that a session given with -s exists. */
    if (metrics && nm_db_read_summary(db, session_id, &s) != 0) {
        if (nm_live_error_is_busy(db)) {
            note_busy(out);
            return REFRESH_SKIPPED;
        }
        snprintf(errbuf, errlen, "%s", nm_db_errmsg(db));
        return REFRESH_FAILED;
    }
    rc = nm_live_read_window(db, session_id, LIVE_THROUGHPUT_S, &w);
    if (rc == 0) {
        nm_live_print_throughput(out, session_id, &w);
        if (metrics)
            rc = nm_live_read_window(db, session_id, LIVE_METRICS_S, &w);
        if (metrics && rc == 0)
            nm_live_print_metrics(out, &w, &s);
    }
    fflush(out);
    if (rc == NM_LIVE_BUSY) {
        note_busy(out);
        return REFRESH_SKIPPED;
    }
    if (rc != 0) {
        snprintf(errbuf, errlen, "%s", nm_db_errmsg(db));
        return REFRESH_FAILED;
    }
    return REFRESH_OK;
}

static void install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the signal must cut the sleep short. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int nm_live_run(const struct nm_live_opts *o, FILE *out, char *errbuf, size_t errlen)
{
    struct nm_db *db = NULL;
    enum refresh_result r = REFRESH_OK;

    if (errlen > 0)
        errbuf[0] = '\0';
    install_handlers();
    /* Following: nm-live may be started before nm-capture creates the
     * database.  Wait for the file, once said; --once reports it missing. */
    if (!o->once && access(o->db_path, F_OK) != 0 && errno == ENOENT) {
        fprintf(out, "note: waiting for database %s to appear\n", o->db_path);
        fflush(out);
        while (!stop_requested && access(o->db_path, F_OK) != 0 && errno == ENOENT) {
            struct timespec one = { 1, 0 };
            nanosleep(&one, NULL);
        }
        if (stop_requested)
            return 0;
        /* nm-capture creates the file, then its schema in a transaction:
         * a first look may find it empty.  A few more looks, a second
         * apart, before calling it not a netmon database. */
        for (int tries = 0; tries < LIVE_NEW_DB_TRIES && !stop_requested; tries++) {
            if (nm_db_open(o->db_path, NM_DB_READ, &db, errbuf, errlen) == 0)
                break;
            struct timespec one = { 1, 0 };
            nanosleep(&one, NULL);
        }
        if (db == NULL && stop_requested)
            return 0;
    }
    if (db == NULL && nm_db_open(o->db_path, NM_DB_READ, &db, errbuf, errlen) != 0)
        return -1;
    if (nm_db_set_busy_timeout(db, LIVE_BUSY_TIMEOUT_MS) != 0) {
        snprintf(errbuf, errlen, "%s", nm_db_errmsg(db));
        nm_db_close(db);
        return -1;
    }
    if (o->once) {
        r = refresh(db, o, out, true, errbuf, errlen);
        nm_db_close(db);
        return r == REFRESH_FAILED ? -1 : 0;
    }
    /* Runs until a signal: one tick per second of wall time, a throughput
     * block every 10 ticks and the metrics every 30.  The sleep is cut
     * short by SIGINT/SIGTERM, so stopping takes at most one refresh. */
    for (uint64_t tick = 0; !stop_requested; tick++) {
        if (tick % LIVE_THROUGHPUT_S == 0) {
            r = refresh(db, o, out, tick % LIVE_METRICS_S == 0, errbuf, errlen);
            if (r == REFRESH_FAILED)
                break;
        }
        struct timespec one = { 1, 0 };
        if (nanosleep(&one, NULL) != 0 && errno != EINTR)
            break;
    }
    nm_db_close(db);
    return r == REFRESH_FAILED ? -1 : 0;
}
