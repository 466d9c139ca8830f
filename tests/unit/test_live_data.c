/*
 * test_live_data.c - nm-live's dashboard data (report/live_data.c).  A
 * database is made in-process by
 * nm_capture_run() from two sample captures (session 1 mixed-lab.pcap,
 * session 2 latency-lab.pcap); every number of the snapshot is compared
 * with the same number computed here by plain SQL through a second
 * connection (a different code path).  Then the odd cases: a missing file
 * (waited for), a newer schema, no session yet, a session without
 * packets, a locked database and a file replaced under the reader.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../analyze/latency.h"
#include "../../capture/options.h"
#include "../../capture/run.h"
#include "../../report/live_data.h"
#include "../../schema/db.h"
#include "check.h"

static char dir[] = "/tmp/nm-test-live-XXXXXX";
static char msg[1024];

static const char *tpath(const char *name)
{
    static char bufs[8][256];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static int capture(const char *pcap, const char *db)
{
    /* getopt wants char *: writable copies of the words. */
    char a0[] = "nm-capture", a1[] = "-r", a3[] = "-d", a5[] = "--no-log", a6[] = "-q";
    char a2[256], a4[256];
    char *argv[] = { a0, a1, a2, a3, a4, a5, a6, NULL };
    struct nm_options opt;
    static struct nm_run_result res;
    char err[512];

    snprintf(a2, sizeof a2, "%s", pcap);
    snprintf(a4, sizeof a4, "%s", db);
    if (nm_options_parse(7, argv, &opt, err, sizeof err) != 0) {
        fprintf(stderr, "options: %s\n", err);
        return -1;
    }
    nm_capture_run(&opt, &res);
    nm_options_free(&opt);
    if (res.exit_status != 0)
        fprintf(stderr, "nm_capture_run %s: %d %s\n", pcap, res.exit_status, res.message);
    return res.exit_status;
}

/* One integer from SQL (the oracle); -1 on error. */
static sqlite3 *oracle;
static int64_t q_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t q_int(const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    sqlite3_stmt *s;
    int64_t v = -1;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (sqlite3_prepare_v2(oracle, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "oracle: %s: %s\n", sql, sqlite3_errmsg(oracle));
        return -1;
    }
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static double q_dbl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static double q_dbl(const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    sqlite3_stmt *s;
    double v = (double)NAN;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (sqlite3_prepare_v2(oracle, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "oracle: %s: %s\n", sql, sqlite3_errmsg(oracle));
        return (double)NAN;
    }
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

static bool near(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fabs(b) + 1e-9;
}

/* ----------------------------------------------------------- snapshot -- */

/* Every number of snapshot *s (session sid) against SQL. */
static void check_snapshot(const struct nm_live_snapshot *s, int64_t sid)
{
    CHECK_EQ_U(s->session_id, sid);
    CHECK(s->has_data);
    CHECK_EQ_U(s->sum.packets, q_int("SELECT packets FROM sessions WHERE id = %lld",
                                     (long long)sid));
    CHECK_EQ_U(s->sum.bytes, q_int("SELECT bytes FROM sessions WHERE id = %lld",
                                   (long long)sid));
    CHECK_EQ_U(s->sum.unique_ipv4, q_int("SELECT count(*) FROM addresses WHERE session_id = %lld"
                                         " AND kind = 'ipv4'", (long long)sid));
    CHECK_EQ_U(s->sum.unique_macs, q_int("SELECT count(*) FROM addresses WHERE session_id = %lld"
                                         " AND kind = 'mac'", (long long)sid));
    CHECK_EQ_U(s->sum.connections[NM_P_UDP],
               q_int("SELECT connections FROM connections_per_protocol WHERE session_id = %lld"
                     " AND proto = 'UDP'", (long long)sid));

    /* The windows end at the newest second. */
    int64_t hi = q_int("SELECT max(second) FROM seconds WHERE session_id = %lld", (long long)sid);
    CHECK_EQ_U(s->rate.last_second, hi);
    CHECK_EQ_U(s->rate.first_second, hi - 9);
    CHECK_EQ_U(s->rate.bytes, q_int("SELECT sum(bytes) FROM seconds WHERE session_id = %lld"
                                    " AND second BETWEEN %lld AND %lld", (long long)sid,
                                    (long long)hi - 9, (long long)hi));
    CHECK_EQ_U(s->recent.packets, q_int("SELECT sum(packets) FROM seconds WHERE session_id ="
                                        " %lld AND second BETWEEN %lld AND %lld",
                                        (long long)sid, (long long)hi - 29, (long long)hi));
    CHECK_EQ_U(s->recent.new_connections,
               q_int("SELECT coalesce(sum(new_connections), 0) FROM proto_seconds WHERE"
                     " session_id = %lld AND second BETWEEN %lld AND %lld", (long long)sid,
                     (long long)hi - 29, (long long)hi));
    CHECK_EQ_U(s->recent.drops_kernel,
               q_int("SELECT sum(drops_kernel) FROM seconds WHERE session_id = %lld"
                     " AND second BETWEEN %lld AND %lld", (long long)sid, (long long)hi - 29,
                     (long long)hi));
    CHECK_EQ_U(s->rate.proto_bytes[NM_P_TCP],
               q_int("SELECT coalesce(sum(bytes), 0) FROM proto_seconds WHERE session_id = %lld"
                     " AND proto = 'TCP' AND second BETWEEN %lld AND %lld", (long long)sid,
                     (long long)hi - 9, (long long)hi));

    /* History: 10 s bins aligned to the epoch, the newest holding hi. */
    CHECK_EQ_U(s->nbins, NM_LIVE_HISTORY_MAX);
    int64_t last_bin = hi - hi % 10;
    CHECK_EQ_U(s->hist_first, last_bin - (NM_LIVE_HISTORY_MAX - 1) * 10);
    CHECK_EQ_U(s->last_bin_seconds, hi - last_bin + 1);
    for (int p = 0; p < NM_P_COUNT; p++) {
        const char *name = nm_proto_name((enum nm_proto)p);
        uint64_t total = 0;
        for (int b = 0; b < s->nbins; b++)
            total += s->hist_bytes[b][p];
        /* The sessions are shorter than the history: every byte is in it. */
        CHECK_EQ_U(total, q_int("SELECT coalesce(sum(bytes), 0) FROM proto_seconds WHERE"
                                " session_id = %lld AND proto = '%s'", (long long)sid, name));
        CHECK_EQ_U(s->hist_bytes[s->nbins - 1][p],
                   q_int("SELECT coalesce(sum(bytes), 0) FROM proto_seconds WHERE"
                         " session_id = %lld AND proto = '%s' AND second >= %lld",
                         (long long)sid, name, (long long)last_bin));
        CHECK_EQ_U(s->hist_bytes[s->nbins - 2][p],
                   q_int("SELECT coalesce(sum(bytes), 0) FROM proto_seconds WHERE"
                         " session_id = %lld AND proto = '%s' AND second >= %lld AND"
                         " second < %lld", (long long)sid, name, (long long)last_bin - 10,
                         (long long)last_bin));
    }

    /* Talkers: as the top_talkers view ranks them (IPv4 and IPv6 merged). */
    CHECK_EQ_U(s->n_ips, q_int("SELECT min(count(*), %d) FROM addresses WHERE session_id ="
                               " %lld AND kind IN ('ipv4', 'ipv6')", NM_LIVE_TALKERS_MAX,
                               (long long)sid));
    CHECK_EQ_U(s->n_macs, q_int("SELECT min(count(*), %d) FROM addresses WHERE session_id ="
                                " %lld AND kind = 'mac'", NM_LIVE_TALKERS_MAX, (long long)sid));
    for (int i = 0; i < s->n_ips; i++) {
        const struct nm_live_talker *t = &s->ips[i];
        CHECK_EQ_U(t->bytes_sent + t->bytes_recv,
                   q_int("SELECT bytes_sent + bytes_recv FROM addresses WHERE session_id = %lld"
                         " AND kind IN ('ipv4', 'ipv6') ORDER BY bytes_sent + bytes_recv DESC,"
                         " address LIMIT 1 OFFSET %d", (long long)sid, i));
        CHECK_EQ_U(t->pkts_sent, q_int("SELECT pkts_sent FROM addresses WHERE session_id = %lld"
                                       " AND kind = '%s' AND address = '%s'", (long long)sid,
                                       t->kind, t->address));
    }

    /* Latency: the sample count from the sample rows; the statistics as
     * the latency_stats view gives them. */
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        const char *kind = nm_latency_kind_name((enum nm_latency_kind)k);
        const struct nm_summary_latency *l = &s->sum.latency[k];
        int64_t n = q_int("SELECT count(*) FROM latency_samples WHERE session_id = %lld AND"
                          " kind = '%s'", (long long)sid, kind);
        CHECK_EQ_U(l->samples, n);
        CHECK_EQ_U(l->timeouts, q_int("SELECT coalesce(sum(count), 0) FROM latency_timeouts"
                                      " WHERE session_id = %lld AND kind = '%s'",
                                      (long long)sid, kind));
        if (n == 0)
            continue;
#define STAT(col) q_dbl("SELECT " col " FROM latency_stats WHERE session_id = %lld AND" \
                            " kind = '%s'", (long long)sid, kind)
        CHECK(l->max_us == STAT("max_us"));
        CHECK(near(l->mean_us, STAT("mean_us"), 1e-9));
        CHECK(near(l->p50_us, STAT("p50_us"), 1e-9));
        CHECK(near(l->p90_us, STAT("p90_us"), 1e-9));
        CHECK(near(l->p99_us, STAT("p99_us"), 1e-9));
#undef STAT
    }
    CHECK_EQ_U(s->sum.latency_all.samples,
               q_int("SELECT coalesce((SELECT samples FROM latency_per_protocol WHERE"
                     " session_id = %lld AND proto = 'all'), 0)", (long long)sid));
    CHECK_EQ_U(s->sum.latency_udp.samples,
               q_int("SELECT coalesce((SELECT samples FROM latency_per_protocol WHERE"
                     " session_id = %lld AND proto = 'UDP'), 0)", (long long)sid));
    if (s->sum.latency_tcp.samples > 0)
        CHECK(near(s->sum.latency_tcp.mean_us,
                   q_dbl("SELECT mean_us FROM latency_per_protocol WHERE session_id = %lld"
                         " AND proto = 'TCP'", (long long)sid), 1e-9));
}

static void test_snapshot(void)
{
    static struct nm_live_snapshot snap;
    const char *db = tpath("live.db");
    struct nm_live_source *src = nm_live_source_new(db, 0);
    enum nm_live_status st;

    CHECK(src != NULL);
    st = nm_live_source_refresh(src, NM_LIVE_HISTORY_MAX, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_OK);
    CHECK(snap.following);
    check_snapshot(&snap, 2);
    /* Hand-checked numbers (sample-pcaps/README.md, tshark): the lab has
     * latency samples of every kind, 20 DNS answers among them. */
    CHECK(snap.sum.latency[NM_LAT_DNS].samples == 20);
    CHECK(snap.sum.latency[NM_LAT_ICMP_ECHO].samples > 0);

    /* A second refresh gives the same numbers. */
    st = nm_live_source_refresh(src, NM_LIVE_HISTORY_MAX, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_OK);
    check_snapshot(&snap, 2);

    /* s: the older session, pinned; again: none older, back to following. */
    nm_live_source_older(src);
    st = nm_live_source_refresh(src, NM_LIVE_HISTORY_MAX, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_OK);
    CHECK(!snap.following);
    check_snapshot(&snap, 1);
    /* mixed-lab.pcap: 68 frames, 6424 wire bytes (tshark). */
    CHECK_EQ_U(snap.sum.packets, 68);
    CHECK_EQ_U(snap.sum.proto_bytes[NM_P_ETHERNET], 6424);
    nm_live_source_older(src);
    st = nm_live_source_refresh(src, 30, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_OK);
    CHECK(snap.following);
    CHECK_EQ_U(snap.session_id, 2);
    CHECK_EQ_U(snap.nbins, 30);   /* as asked */

    /* The file replaced under the reader (new inode): reopened.  The
     * replacement holds session 1 only. */
    CHECK(capture("sample-pcaps/mixed-lab.pcap", tpath("one.db")) == 0);
    CHECK(rename(tpath("one.db"), db) == 0);
    unlink(tpath("one.db-wal"));
    unlink(tpath("one.db-shm"));
    st = nm_live_source_refresh(src, NM_LIVE_HISTORY_MAX, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_OK);
    CHECK_EQ_U(snap.session_id, 1);
    CHECK_EQ_U(snap.sum.packets, 68);
    sqlite3_close(oracle);
    CHECK(sqlite3_open(db, &oracle) == SQLITE_OK);
    check_snapshot(&snap, 1);
    nm_live_source_free(src);
}

/* The odd cases, on copies of the two-session database (live2.db). */
static void test_odd_cases(void)
{
    static struct nm_live_snapshot snap;
    struct nm_live_source *src;
    struct nm_db *w;
    int64_t sid;
    enum nm_live_status st;
    char cmd[1024];

    /* Missing: waited for, with the path in the message; then it appears. */
    src = nm_live_source_new(tpath("later.db"), 0);
    memset(&snap, 0, sizeof snap);
    snap.session_id = 77;
    st = nm_live_source_refresh(src, 10, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_WAITING);
    CHECK(strstr(msg, "waiting for database") && strstr(msg, tpath("later.db")));
    CHECK_EQ_U(snap.session_id, 77);   /* untouched */
    CHECK(access(tpath("later.db"), F_OK) != 0);   /* not created by the reader */

    /* It appears with no session: "no capture session yet". */
    CHECK(nm_db_open(tpath("later.db"), NM_DB_WRITE, &w, msg, sizeof msg) == 0);
    st = nm_live_source_refresh(src, 10, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_NO_SESSION);
    CHECK(strstr(msg, "no capture session yet") != NULL);

    /* A session without packets: a snapshot, no data, zero counters. */
    struct nm_session_info info = { "eth9", true, 1, "EN10MB", NULL, "nm-capture -i eth9", 6,
                                    262144, false, 1000000000 };
    CHECK(nm_db_session_begin(w, &info, &sid) == 0);
    st = nm_live_source_refresh(src, 10, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_OK);
    CHECK_EQ_U(snap.session_id, sid);
    CHECK(!snap.has_data);
    CHECK_EQ_U(snap.nbins, 0);
    CHECK_EQ_U(snap.sum.packets, 0);
    CHECK_EQ_U(snap.n_ips, 0);
    CHECK_EQ_S(snap.sum.end_reason, "running");
    CHECK_EQ_S(snap.sum.source, "eth9");
    nm_db_close(w);
    nm_live_source_free(src);

    /* A newer schema: failed, the message says which version. */
    snprintf(cmd, sizeof cmd, "cp %s %s", tpath("live2.db"), tpath("newer.db"));
    CHECK(system(cmd) == 0);
    {
        sqlite3 *c;
        CHECK(sqlite3_open(tpath("newer.db"), &c) == SQLITE_OK);
        CHECK(sqlite3_exec(c, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(c);
    }
    src = nm_live_source_new(tpath("newer.db"), 0);
    st = nm_live_source_refresh(src, 10, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_FAILED);
    CHECK(strstr(msg, "schema version 99") != NULL);
    nm_live_source_free(src);

    /* A session that does not exist (-s 9): failed, named. */
    src = nm_live_source_new(tpath("live2.db"), 9);
    st = nm_live_source_refresh(src, 10, &snap, msg, sizeof msg);
    CHECK_EQ_U(st, NM_LIVE_ST_FAILED);
    CHECK(strstr(msg, "no session 9") != NULL);
    nm_live_source_free(src);

    /* Locked (rollback journal, so an exclusive lock keeps readers out):
     * busy, the snapshot kept, then fine once the lock is gone. */
    {
        sqlite3 *c;
        snprintf(cmd, sizeof cmd, "cp %s %s", tpath("live2.db"), tpath("locked.db"));
        CHECK(system(cmd) == 0);
        CHECK(sqlite3_open(tpath("locked.db"), &c) == SQLITE_OK);
        CHECK(sqlite3_exec(c, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) == SQLITE_OK);
        src = nm_live_source_new(tpath("locked.db"), 0);
        st = nm_live_source_refresh(src, 10, &snap, msg, sizeof msg);
        CHECK_EQ_U(st, NM_LIVE_ST_OK);
        CHECK_EQ_U(snap.session_id, 2);
        CHECK(sqlite3_exec(c, "BEGIN EXCLUSIVE; UPDATE sessions SET packets = packets + 1",
                           NULL, NULL, NULL) == SQLITE_OK);
        snap.session_id = 55;
        st = nm_live_source_refresh(src, 10, &snap, msg, sizeof msg);
        CHECK_EQ_U(st, NM_LIVE_ST_BUSY);
        CHECK_EQ_S(msg, "database busy, retrying");
        CHECK_EQ_U(snap.session_id, 55);   /* untouched */
        CHECK(sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
        st = nm_live_source_refresh(src, 10, &snap, msg, sizeof msg);
        CHECK_EQ_U(st, NM_LIVE_ST_OK);
        CHECK_EQ_U(snap.session_id, 2);
        nm_live_source_free(src);
        sqlite3_close(c);
    }
}

int main(int argc, char **argv)
{
    char cmd[512];
    (void)argc;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (capture("sample-pcaps/mixed-lab.pcap", tpath("live.db")) != 0 ||
        capture("sample-pcaps/latency-lab.pcap", tpath("live.db")) != 0) {
        fprintf(stderr, "cannot build the test database (run from the source tree)\n");
        return 1;
    }
    /* A pristine copy for the odd cases (test_snapshot changes live.db). */
    if (sqlite3_open(tpath("live.db"), &oracle) != SQLITE_OK)
        return 1;
    {
        sqlite3 *dst;
        sqlite3_backup *b;
        CHECK(sqlite3_open(tpath("live2.db"), &dst) == SQLITE_OK);
        b = sqlite3_backup_init(dst, "main", oracle, "main");
        CHECK(b != NULL && sqlite3_backup_step(b, -1) == SQLITE_DONE);
        sqlite3_backup_finish(b);
        sqlite3_close(dst);
    }
    test_snapshot();
    sqlite3_close(oracle);
    test_odd_cases();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report(argv[0]);
}
