/*
 * test_db.c - schema/db.c and schema/summary.c: creation, migration and
 * refusal, sessions, every write function read back with plain SQL through
 * a second connection, the aggregate views, the summary, and error
 * messages that name the file.  Ends by measuring (not asserting) the
 * insert rate of nm_db_insert_packet() in batches of 5000.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../schema/db.h"
#include "../../schema/db_internal.h"
#include "../../schema/summary.h"
#include "check.h"

/* A failed expectation with a message (no condition to show). */
#define FAIL(msg)                                                  \
    do {                                                           \
        fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, (msg)); \
        CHECK(false);                                              \
    } while (0)

#ifndef NM_VERSION
#define NM_VERSION "unknown"
#endif

static char dir[] = "/tmp/nm-test-db-XXXXXX";
static char errbuf[1024];

/* dir/name into a static rotating buffer. */
static const char *tpath(const char *name)
{
    static char bufs[8][256];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

/* Checks that message `m` is "PATH: ..." and contains `needle`. */
#define CHECK_MSG(m, path, needle)                                        \
    do {                                                                  \
        char want_prefix_[300];                                           \
        snprintf(want_prefix_, sizeof want_prefix_, "%s: ", (path));      \
        CHECK(starts_with((m), want_prefix_));                            \
        CHECK(contains((m), (needle)));                                   \
        if (!starts_with((m), want_prefix_) || !contains((m), (needle)))  \
            fprintf(stderr, "    message was: \"%s\"\n", (m));            \
    } while (0)

/* ------------------------------------------------- plain SQL helpers -- */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *c = NULL;
    if (sqlite3_open(path, &c) != SQLITE_OK) {
        FAIL("sqlite3_open");
        return c;
    }
    sqlite3_busy_timeout(c, 2000);
    return c;
}

static void raw_exec(sqlite3 *c, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(c, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "raw_exec(%s): %s\n", sql, err ? err : "?");
        FAIL("raw_exec");
    }
    sqlite3_free(err);
}

/* First column of the first row as int64 (-999 if none / NULL). */
static int64_t q_int(sqlite3 *c, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -999;
    if (sqlite3_prepare_v2(c, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "q_int(%s): %s\n", sql, sqlite3_errmsg(c));
        FAIL("q_int prepare");
        return v;
    }
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static double q_real(sqlite3 *c, const char *sql)
{
    sqlite3_stmt *s = NULL;
    double v = -999.0;
    if (sqlite3_prepare_v2(c, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "q_real(%s): %s\n", sql, sqlite3_errmsg(c));
        FAIL("q_real prepare");
        return v;
    }
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* First column as text; "(null)" for NULL, "(none)" for no row. */
static const char *q_text(sqlite3 *c, const char *sql)
{
    static char out[4][1100];
    static int k;
    char *o = out[k++ % 4];
    sqlite3_stmt *s = NULL;
    snprintf(o, sizeof out[0], "(none)");
    if (sqlite3_prepare_v2(c, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "q_text(%s): %s\n", sql, sqlite3_errmsg(c));
        FAIL("q_text prepare");
        return o;
    }
    if (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(o, sizeof out[0], "%s", t ? (const char *)t : "(null)");
    }
    sqlite3_finalize(s);
    return o;
}

static struct nm_db *open_ok(const char *path, enum nm_db_mode mode)
{
    struct nm_db *db = NULL;
    if (nm_db_open(path, mode, &db, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "open %s: %s\n", path, errbuf);
        FAIL("nm_db_open");
    }
    return db;
}

static const struct nm_session_info test_info = {
    .source = "trace.pcap", .live = false, .link_type = 1, .link_type_name = "EN10MB",
    .filter = "tcp port 80", .command_line = "nm-capture -r trace.pcap -d x.db",
    .ts_precision = 6, .snaplen = 262144, .aggregate_only = false,
    .start_wall_ns = 1700000000123456789,
};

/* A database open for writing with one session begun (its id in *sid);
 * NULL, and the test failed, if either went wrong. */
static struct nm_db *open_session(const char *path, int64_t *sid)
{
    struct nm_db *db = open_ok(path, NM_DB_WRITE);
    if (db != NULL && nm_db_session_begin(db, &test_info, sid) != 0) {
        FAIL("nm_db_session_begin");
        nm_db_close(db);
        db = NULL;
    }
    return db;
}

static void remove_db(const char *path)
{
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    unlink(p);
}

/* ------------------------------------------------ open and migrate -- */

static void test_create(void)
{
    const char *p = tpath("create.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    nm_db_close(db);

    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "PRAGMA user_version"), NM_SCHEMA_VERSION);
    CHECK_EQ_U(q_int(c, "PRAGMA application_id"), 0x4e4d4f4e);
    CHECK_EQ_S(q_text(c, "PRAGMA journal_mode"), "wal");
    CHECK_EQ_U(q_int(c, "PRAGMA page_size"), 16384);
    static const char *const tables[] = { "sessions", "packets", "flows", "addresses",
                                          "proto_seconds", "seconds", "malformed", "log",
                                          "protocols", "layer_bits" };
    static const char *const views[] = { "packets_v", "event_log", "event_log_utc",
                                         "event_log_body", "throughput_10s", "protocol_usage",
                                         "avg_packet_size", "top_talkers",
                                         "connections_per_protocol", "new_connections_rate" };
    char sql[200];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        CHECK_EQ_U(q_int(c, sql), 1);
    }
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = '%s'",
                 views[i]);
        CHECK_EQ_U(q_int(c, sql), 1);
        /* every view compiles and runs on an empty database */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", views[i]);
        CHECK_EQ_U(q_int(c, sql), 0);
    }
    /* no secondary index on packets (insert speed) */
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                        "tbl_name = 'packets'"), 0);
    /* the protocol names stored are analyze/proto.h's */
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM protocols"), NM_P_COUNT);
    for (int i = 0; i < NM_P_COUNT; i++) {
        snprintf(sql, sizeof sql, "SELECT name FROM protocols WHERE id = %d", i);
        CHECK_EQ_S(q_text(c, sql), nm_proto_name((enum nm_proto)i));
    }
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM layer_bits"), 17);
    CHECK_EQ_U(q_int(c, "SELECT bit FROM layer_bits WHERE name = 'dns'"), NM_L_DNS);
    CHECK_EQ_U(q_int(c, "SELECT bit FROM layer_bits WHERE name = 'icmp_quote'"),
               NM_L_ICMP_QUOTE);
    sqlite3_close(c);

    /* reopening is a no-op, in both modes */
    db = open_ok(p, NM_DB_WRITE);
    nm_db_close(db);
    db = open_ok(p, NM_DB_READ);
    nm_db_close(db);
    remove_db(p);
}

static void test_upgrade_from_v0(void)
{
    /* a zero-length file and an empty SQLite database are version 0 */
    const char *p = tpath("empty.db");
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    nm_db_close(db);
    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "PRAGMA user_version"), NM_SCHEMA_VERSION);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM protocols"), NM_P_COUNT);
    sqlite3_close(c);
    remove_db(p);

    p = tpath("v0.db");
    c = raw_open(p);
    raw_exec(c, "CREATE TABLE t (x); DROP TABLE t;");
    CHECK_EQ_U(q_int(c, "PRAGMA user_version"), 0);
    sqlite3_close(c);
    /* read mode does not migrate: refused */
    db = NULL;
    CHECK(nm_db_open(p, NM_DB_READ, &db, errbuf, sizeof errbuf) != 0);
    CHECK(db == NULL);
    CHECK_MSG(errbuf, p, "not a netmon database");
    db = open_ok(p, NM_DB_WRITE);
    nm_db_close(db);
    c = raw_open(p);
    CHECK_EQ_U(q_int(c, "PRAGMA user_version"), NM_SCHEMA_VERSION);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'packets'"), 1);
    sqlite3_close(c);
    remove_db(p);
}

/* A version 1 database with latency samples: the migration to version 2
 * builds its histograms from the samples (one bucket per distinct value),
 * so its statistics are the exact nearest-rank ones it had. */
extern const char nm_schema_sql[];
static void test_upgrade_from_v1(void)
{
    const char *p = tpath("v1.db");
    sqlite3 *c = raw_open(p);
    raw_exec(c, nm_schema_sql);
    raw_exec(c, "PRAGMA user_version = 1;"
                "INSERT INTO sessions (id, source, live, start_wall_ns, netmon_version)"
                " VALUES (1, 'x.pcap', 0, 0, '0.1.0');"
                "INSERT INTO latency_samples (session_id, ts_ns, kind, ip_proto, client, server,"
                " answered_by, value_us) VALUES"
                " (1, 1, 'dns', 17, 'a', 'b', 'server', 10.0),"
                " (1, 2, 'dns', 17, 'a', 'b', 'server', 30.5),"
                " (1, 3, 'dns', 6, 'a', 'b', 'server', 20.0),"
                " (1, 4, 'dns', 17, 'a', 'b', 'server', 30.5),"
                " (1, 5, 'icmp_echo', 1, 'a', 'b', 'server', 7.25);"
                "UPDATE latency_samples SET client_port = 7, answered_by = 'client' WHERE id = 5;"
                "INSERT INTO flows VALUES (1, 9, 'TCP', 4, 6, 0, '10.0.0.1', 40000, '10.0.0.2', 80,"
                " 5, 6, 3, 300, 2, 200, 1, 0, 'closed', 'fin', 1),"
                " (1, 4, 'UDP', 6, 17, 7, '::1', 53, '::2', 5353, 1, 2, 1, 90, 0, 0, 0, 0, 'none',"
                " 'idle', 1);");
    sqlite3_close(c);
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    nm_db_close(db);
    c = raw_open(p);
    CHECK_EQ_U(q_int(c, "PRAGMA user_version"), NM_SCHEMA_VERSION);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_hist"), 4);
    CHECK_EQ_U(q_int(c, "SELECT samples FROM latency_stats WHERE kind = 'dns'"), 4);
    /* sorted: 10, 20, 30.5, 30.5: p50 = rank 2, p90 = p99 = rank 4 */
    CHECK(q_real(c, "SELECT p50_us FROM latency_stats WHERE kind = 'dns'") == 20.0);
    CHECK(q_real(c, "SELECT p90_us FROM latency_stats WHERE kind = 'dns'") == 30.5);
    CHECK(q_real(c, "SELECT max_us FROM latency_stats WHERE kind = 'dns'") == 30.5);
    CHECK(q_real(c, "SELECT mean_us FROM latency_stats WHERE kind = 'dns'") == 22.75);
    CHECK(q_real(c, "SELECT p50_us FROM latency_stats WHERE kind = 'icmp_echo'") == 7.25);
    CHECK(q_real(c, "SELECT mean_us FROM latency_per_protocol WHERE proto = 'UDP'") ==
          (10.0 + 30.5 + 30.5) / 3);
    CHECK_EQ_U(q_int(c, "SELECT samples FROM latency_per_protocol WHERE proto = 'all'"), 5);
    /* version 3 keeps the rows, with the addresses they were stored with;
     * version 5 numbers a row's samples from 8 * its id */
    CHECK_EQ_S(q_text(c, "SELECT group_concat(id || ts_ns || kind || ip_proto || client"
                         " || coalesce(client_port, '-') || server || coalesce(server_port, '-')"
                         " || answered_by || value_us, ' ') FROM latency_samples"),
               "81dns17a-b-server10.0 162dns17a-b-server30.5 243dns6a-b-server20.0"
               " 324dns17a-b-server30.5 405icmp_echo1a7b-client7.25");
    /* version 6 keeps the flows, their columns and their key, in a rowid
     * table (the key unique through its index) */
    CHECK_EQ_S(q_text(c, "SELECT group_concat(session_id || '|' || flow_id || '|' || proto"
                         " || '|' || ip_version || '|' || ip_proto || '|' || vlan || '|' ||"
                         " client_ip || '|' || client_port || '|' || server_ip || '|' ||"
                         " server_port || '|' || first_ns || '|' || last_ns || '|' || pkts_c2s"
                         " || '|' || bytes_c2s || '|' || pkts_s2c || '|' || bytes_s2c || '|' ||"
                         " tcp_retransmissions || '|' || tcp_resets || '|' || tcp_state || '|'"
                         " || end_reason || '|' || is_connection, ' ')"
                         " FROM (SELECT * FROM flows ORDER BY flow_id)"),
               "1|4|UDP|6|17|7|::1|53|::2|5353|1|2|1|90|0|0|0|0|none|idle|1"
               " 1|9|TCP|4|6|0|10.0.0.1|40000|10.0.0.2|80|5|6|3|300|2|200|1|0|closed|fin|1");
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM sqlite_master WHERE name = 'flows'"
                        " AND sql NOT LIKE '%WITHOUT ROWID%'"), 1);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM pragma_index_list('flows') WHERE \"unique\""), 1);
    CHECK(sqlite3_exec(c, "INSERT INTO flows SELECT * FROM flows WHERE flow_id = 9", NULL, NULL,
                       NULL) == SQLITE_CONSTRAINT);
    sqlite3_close(c);
    remove_db(p);
}

static void test_refuse(void)
{
    struct nm_db *db = NULL;

    /* a newer schema: refused in both modes, file untouched */
    const char *p = tpath("newer.db");
    sqlite3 *c = raw_open(p);
    raw_exec(c, "CREATE TABLE future (x); PRAGMA user_version = 99;");
    sqlite3_close(c);
    CHECK(nm_db_open(p, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0);
    CHECK(db == NULL);
    CHECK_MSG(errbuf, p, "schema version 99 is newer");
    CHECK(contains(errbuf, "use a newer netmon"));
    CHECK(nm_db_open(p, NM_DB_READ, &db, errbuf, sizeof errbuf) != 0);
    CHECK_MSG(errbuf, p, "schema version 99 is newer");
    c = raw_open(p);
    CHECK_EQ_U(q_int(c, "PRAGMA user_version"), 99);
    CHECK_EQ_S(q_text(c, "PRAGMA journal_mode"), "delete");  /* not switched to WAL */
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'sessions'"), 0);
    sqlite3_close(c);
    remove_db(p);

    /* another program's database: our tables are not added to it */
    p = tpath("foreign.db");
    c = raw_open(p);
    raw_exec(c, "CREATE TABLE customers (name TEXT);");
    sqlite3_close(c);
    CHECK(nm_db_open(p, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0);
    CHECK_MSG(errbuf, p, "not a netmon database (it holds other tables)");
    c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'sessions'"), 0);
    sqlite3_close(c);
    remove_db(p);

    p = tpath("otherapp.db");
    c = raw_open(p);
    raw_exec(c, "PRAGMA application_id = 1234;");
    sqlite3_close(c);
    CHECK(nm_db_open(p, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0);
    CHECK_MSG(errbuf, p, "not a netmon database (application_id 0x000004d2)");
    remove_db(p);

    /* not SQLite at all */
    p = tpath("text.db");
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("this is a text file, long enough to have a header of sorts..........\n"
              "......................................................................\n", f);
        fclose(f);
    }
    CHECK(nm_db_open(p, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0);
    CHECK_MSG(errbuf, p, "file is not a database");
    CHECK(nm_db_open(p, NM_DB_READ, &db, errbuf, sizeof errbuf) != 0);
    CHECK_MSG(errbuf, p, "file is not a database");
    remove_db(p);
}

static void test_open_errors(void)
{
    struct nm_db *db = NULL;

    /* directory does not exist */
    const char *p = tpath("no/such/dir/x.db");
    CHECK(nm_db_open(p, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0);
    CHECK(db == NULL);
    CHECK_MSG(errbuf, p, "unable to open database file");

    /* a path component is a regular file */
    const char *file = tpath("plainfile");
    FILE *f = fopen(file, "w");
    if (f)
        fclose(f);
    p = tpath("plainfile/x.db");
    CHECK(nm_db_open(p, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0);
    CHECK_MSG(errbuf, p, "unable to open database file");
    unlink(file);

    /* read mode never creates */
    p = tpath("missing.db");
    CHECK(nm_db_open(p, NM_DB_READ, &db, errbuf, sizeof errbuf) != 0);
    CHECK_MSG(errbuf, p, "unable to open database file");
    CHECK(access(p, F_OK) != 0);

    /* a directory nobody can create files in, not even root */
    p = "/proc/netmon-test.db";
    CHECK(nm_db_open(p, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0);
    CHECK_MSG(errbuf, p, "unable to open database file");

    /* an unwritable directory (root ignores permissions: skipped then) */
    const char *ro = tpath("rodir");
    CHECK(mkdir(ro, 0555) == 0);
    p = tpath("rodir/x.db");
    if (geteuid() != 0) {
        CHECK(nm_db_open(p, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0);
        CHECK_MSG(errbuf, p, "unable to open database file");
    } else {
        printf("note: running as root, unwritable-directory case not testable\n");
    }
    remove_db(p);
    rmdir(ro);
}

/* ------------------------------------------------------------ writes -- */

static void fill_tcp_packet(struct nm_packet *p, int64_t ts)
{
    memset(p, 0, sizeof *p);
    p->ts_ns = ts;
    p->wire_len = 1514;
    p->cap_len = 1500;
    p->layers = NM_L_ETH | NM_L_VLAN | NM_L_IPV4 | NM_L_TCP;
    static const uint8_t s[6] = { 0xe8, 0x2a, 0x44, 0xd5, 0xc7, 0x97 };
    static const uint8_t d[6] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 };
    memcpy(p->src_mac, s, 6);
    memcpy(p->dst_mac, d, 6);
    p->vlan_count = 2;
    p->vlan_ids[0] = 100;
    p->vlan_ids[1] = 200;
    p->ethertype = 0x0800;
    p->ip_version = 4;
    p->ip_proto = 6;
    p->src_ip.b[0] = 192;
    p->src_ip.b[1] = 168;
    p->src_ip.b[3] = 7;
    p->dst_ip.b[0] = 10;
    p->dst_ip.b[3] = 1;
    p->src_port = 40000;
    p->dst_port = 80;
    p->tcp_flags = NM_TCP_SYN | NM_TCP_ACK;
}

static void test_session_and_packets(void)
{
    const char *p = tpath("rows.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0, sid2 = 0;
    char sql[300];

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    CHECK(sid == 1);
    CHECK_EQ_S(nm_db_errmsg(db), "");

    sqlite3 *c = raw_open(p);
    CHECK_EQ_S(q_text(c, "SELECT source || '|' || live || '|' || link_type || '|' || "
                         "link_type_name || '|' || filter || '|' || command_line || '|' || "
                         "ts_precision || '|' || snaplen || '|' || aggregate_only || '|' || "
                         "start_wall_ns || '|' || end_reason FROM sessions WHERE id = 1"),
               "trace.pcap|0|1|EN10MB|tcp port 80|nm-capture -r trace.pcap -d x.db|6|262144|0|"
               "1700000000123456789|running");
    CHECK_EQ_S(q_text(c, "SELECT netmon_version FROM sessions WHERE id = 1"), NM_VERSION);
    CHECK_EQ_S(q_text(c, "SELECT first_packet_ns FROM sessions WHERE id = 1"), "(null)");

    struct nm_session_final fin = {
        .end_reason = NM_SESS_COMPLETE, .end_message = NULL, .end_wall_ns = 1700000005000000000,
        .first_packet_ns = 1000000000000000001, .last_packet_ns = 1000000009000000002,
        .packets = 12, .bytes = 3456, .captured_bytes = 3000, .drops_kernel = 1,
        .drops_ifdrop = 2, .drops_queue = 3, .malformed = 4, .flows_evicted = 5,
        .addresses_evicted = 6, .latency_evictions = 7,
    };
    CHECK(nm_db_session_update(db, sid, &fin) == 0);
    CHECK_EQ_S(q_text(c, "SELECT end_reason || '|' || coalesce(end_message, 'NULL') || '|' || "
                         "end_wall_ns || '|' || first_packet_ns || '|' || last_packet_ns || '|'"
                         " || packets || '|' || bytes || '|' || captured_bytes || '|' || "
                         "drops_kernel || '|' || drops_ifdrop || '|' || drops_queue || '|' || "
                         "malformed || '|' || flows_evicted || '|' || addresses_evicted || '|' || "
                         "latency_evictions FROM sessions WHERE id = 1"),
               "complete|NULL|1700000005000000000|1000000000000000001|1000000009000000002|12|"
               "3456|3000|1|2|3|4|5|6|7");
    fin.end_reason = NM_SESS_READ_ERROR;
    fin.end_message = "trace.pcap: truncated dump file";
    fin.packets = 0;
    CHECK(nm_db_session_update(db, sid, &fin) == 0);
    CHECK_EQ_S(q_text(c, "SELECT end_reason || '|' || end_message || '|' || "
                         "coalesce(first_packet_ns, 'NULL') FROM sessions WHERE id = 1"),
               "read_error|trace.pcap: truncated dump file|NULL");
    CHECK(nm_db_session_update(db, 999, &fin) != 0);
    CHECK_MSG(nm_db_errmsg(db), p, "no session 999");
    CHECK(nm_db_session_begin(db, &test_info, &sid2) == 0);
    CHECK(sid2 == 2);

    /* every end reason has its documented name */
    CHECK_EQ_S(nm_session_end_name(NM_SESS_RUNNING), "running");
    CHECK_EQ_S(nm_session_end_name(NM_SESS_COMPLETE), "complete");
    CHECK_EQ_S(nm_session_end_name(NM_SESS_COUNT_LIMIT), "count");
    CHECK_EQ_S(nm_session_end_name(NM_SESS_TIME_LIMIT), "duration");
    CHECK_EQ_S(nm_session_end_name(NM_SESS_SIGNAL), "signal");
    CHECK_EQ_S(nm_session_end_name(NM_SESS_TRUNCATED), "truncated");
    CHECK_EQ_S(nm_session_end_name(NM_SESS_READ_ERROR), "read_error");
    CHECK_EQ_S(nm_session_end_name(NM_SESS_DB_ERROR), "db_error");

    /* packets: a full TCP row, an IPv6 DNS row, an ARP row, a bare malformed row */
    struct nm_packet pk;
    CHECK(nm_db_begin(db) == 0);
    fill_tcp_packet(&pk, 1731416310112349123);
    CHECK(nm_db_insert_packet(db, sid, &pk, 77) == 0);

    memset(&pk, 0, sizeof pk);
    pk.ts_ns = 5;
    pk.wire_len = 90;
    pk.cap_len = 90;
    pk.layers = NM_L_SLL | NM_L_IPV6 | NM_L_UDP | NM_L_DNS;
    pk.ethertype = 0x86dd;
    pk.ip_version = 6;
    pk.ip_proto = 17;
    pk.src_ip.b[0] = 0xfe;
    pk.src_ip.b[1] = 0x80;
    pk.src_ip.b[15] = 0x01;
    pk.dst_ip.b[10] = 0xff;
    pk.dst_ip.b[11] = 0xff;
    pk.dst_ip.b[12] = 192;
    pk.dst_ip.b[13] = 0;
    pk.dst_ip.b[14] = 2;
    pk.dst_ip.b[15] = 1;
    pk.src_port = 53;
    pk.dst_port = 33333;
    pk.dns_id = 0xbeef;
    pk.dns_flags = 0x8183;
    memcpy(pk.dns_qname, "we ird.example", 15);
    CHECK(nm_db_insert_packet(db, sid, &pk, 0) == 0);

    memset(&pk, 0, sizeof pk);
    pk.ts_ns = 6;
    pk.wire_len = 42;
    pk.cap_len = 42;
    pk.layers = NM_L_ETH | NM_L_ARP;
    pk.arp_op = 2;
    pk.arp_spa[0] = 10;
    pk.arp_spa[3] = 9;
    pk.arp_tpa[0] = 10;
    pk.arp_tpa[3] = 8;
    CHECK(nm_db_insert_packet(db, sid, &pk, 0) == 0);

    memset(&pk, 0, sizeof pk);
    pk.ts_ns = 7;
    pk.wire_len = 20;
    pk.cap_len = 10;
    pk.layers = NM_L_ETH;
    pk.malformed = NM_MAL_ETH_TRUNCATED;
    CHECK(nm_db_insert_packet(db, sid, &pk, 0) == 0);
    CHECK(nm_db_commit(db) == 0);

    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM packets"), 4);
    CHECK_EQ_S(q_text(c, "SELECT session_id || '|' || ts_ns || '|' || wire_len || '|' || "
                         "cap_len || '|' || layers || '|' || src_mac || '|' || dst_mac || '|' "
                         "|| vlan_outer || '|' || vlan_inner || '|' || ethertype || '|' || "
                         "ip_version || '|' || src_ip || '|' || dst_ip || '|' || ip_proto || "
                         "'|' || src_port || '|' || dst_port || '|' || tcp_flags || '|' || "
                         "flow_id FROM packets WHERE id = 1"),
               "1|1731416310112349123|1514|1500|643|e8:2a:44:d5:c7:97|00:11:22:33:44:55|100|200"
               "|2048|4|192.168.0.7|10.0.0.1|6|40000|80|18|77");
    /* absent layers are NULL */
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM packets WHERE id = 1 AND icmp_type IS NULL AND "
                        "icmp_code IS NULL AND arp_op IS NULL AND arp_spa IS NULL AND dns_id "
                        "IS NULL AND dns_qname IS NULL AND malformed IS NULL"), 1);
    CHECK_EQ_S(q_text(c, "SELECT tcp_flags_text || ' ' || layer_names || ' ' || time_utc "
                         "FROM packets_v WHERE id = 1"),
               "SA eth,vlan,ipv4,tcp 2024-11-12T12:58:30.112349123Z");
    CHECK_EQ_S(q_text(c, "SELECT src_ip || ' ' || dst_ip || ' ' || src_port || ' ' || dst_port"
                         " || ' ' || dns_id || ' ' || dns_flags || ' ' || dns_qname || ' ' || "
                         "coalesce(src_mac, 'NULL') || ' ' || coalesce(flow_id, 'NULL') || ' ' "
                         "|| coalesce(tcp_flags, 'NULL') FROM packets WHERE id = 2"),
               "fe80::1 ::ffff:192.0.2.1 53 33333 48879 33155 we\\032ird.example NULL NULL "
               "NULL");
    CHECK_EQ_S(q_text(c, "SELECT arp_op || ' ' || arp_spa || ' ' || arp_tpa || ' ' || "
                         "coalesce(src_ip, 'NULL') || ' ' || coalesce(ip_version, 'NULL') "
                         "FROM packets WHERE id = 3"), "2 10.0.0.9 10.0.0.8 NULL NULL");
    CHECK_EQ_S(q_text(c, "SELECT malformed FROM packets WHERE id = 4"), "eth.truncated");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM packets WHERE malformed = '%s'",
             nm_malformed_name(NM_MAL_ETH_TRUNCATED));
    CHECK_EQ_U(q_int(c, sql), 1);

    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

static void test_aggregates(void)
{
    const char *p = tpath("agg.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    sqlite3 *c = raw_open(p);

    /* flows: a re-put replaces */
    struct nm_flow_rec f = { .flow_id = 1, .ip_version = 4, .ip_proto = 6, .vlan = 0,
                             .client_port = 40000, .server_port = 80, .first_ns = 100,
                             .last_ns = 200, .pkts_c2s = 1, .bytes_c2s = 60,
                             .tcp_state = NM_TCPS_SYN_SENT, .end_reason = NM_FEND_ACTIVE,
                             .is_connection = true };
    f.client.b[0] = 10;
    f.client.b[3] = 1;
    f.server.b[0] = 10;
    f.server.b[3] = 2;
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    f.last_ns = 900;
    f.pkts_c2s = 5;
    f.bytes_c2s = 700;
    f.pkts_s2c = 4;
    f.bytes_s2c = 4000;
    f.tcp_retransmissions = 2;
    f.tcp_resets = 1;
    f.tcp_state = NM_TCPS_CLOSED;
    f.end_reason = NM_FEND_RST;
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM flows"), 1);
    CHECK_EQ_S(q_text(c, "SELECT proto || '|' || client_ip || ':' || client_port || '|' || "
                         "server_ip || ':' || server_port || '|' || first_ns || '|' || last_ns "
                         "|| '|' || pkts_c2s || '|' || bytes_c2s || '|' || pkts_s2c || '|' || "
                         "bytes_s2c || '|' || tcp_retransmissions || '|' || tcp_resets || '|' "
                         "|| tcp_state || '|' || end_reason || '|' || is_connection FROM flows"),
               "TCP|10.0.0.1:40000|10.0.0.2:80|100|900|5|700|4|4000|2|1|closed|rst|1");
    struct nm_flow_rec g = f;
    static const struct { uint8_t ver, proto; const char *name; } kinds[] = {
        { 4, 17, "UDP" }, { 4, 1, "ICMP" }, { 6, 58, "ICMPv6" }, { 6, 6, "TCP" },
        { 4, 47, "Other" }, { 6, 1, "Other" }, { 0, 0, "Other" },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char sql[128];
        g.flow_id = 10 + i;
        g.ip_version = kinds[i].ver;
        g.ip_proto = kinds[i].proto;
        CHECK(nm_db_put_flow(db, sid, &g) == 0);
        snprintf(sql, sizeof sql, "SELECT proto FROM flows WHERE flow_id = %zu", 10 + i);
        CHECK_EQ_S(q_text(c, sql), kinds[i].name);
    }
    CHECK_EQ_S(q_text(c, "SELECT server_ip FROM flows WHERE flow_id = 13"), "a00:2::");
    CHECK_EQ_S(q_text(c, "SELECT coalesce(client_ip, 'NULL') FROM flows WHERE flow_id = 16"),
               "NULL");

    /* addresses: deltas add up, first is the min and last the max */
    struct nm_addr_rec a = { .kind = NM_ADDR_IPV4, .first_ns = 100, .last_ns = 200,
                             .pkts_sent = 1, .bytes_sent = 60 };
    a.addr[0] = 10;
    a.addr[3] = 1;
    CHECK(nm_db_add_address(db, sid, &a) == 0);
    a.first_ns = 50;
    a.last_ns = 150;
    a.pkts_sent = 2;
    a.bytes_sent = 120;
    a.pkts_recv = 3;
    a.bytes_recv = 180;
    CHECK(nm_db_add_address(db, sid, &a) == 0);
    CHECK_EQ_S(q_text(c, "SELECT kind || '|' || address || '|' || first_ns || '|' || last_ns "
                         "|| '|' || pkts_sent || '|' || bytes_sent || '|' || pkts_recv || '|' "
                         "|| bytes_recv FROM addresses"),
               "ipv4|10.0.0.1|50|200|3|180|3|180");
    a.addr[3] = 2;
    a.bytes_sent = 10000;
    CHECK(nm_db_add_address(db, sid, &a) == 0);
    struct nm_addr_rec m = { .kind = NM_ADDR_MAC, .first_ns = 1, .last_ns = 2, .pkts_sent = 1,
                             .bytes_sent = 42 };
    static const uint8_t mac[6] = { 0xe8, 0x2a, 0x44, 0xd5, 0xc7, 0x97 };
    memcpy(m.addr, mac, 6);
    CHECK(nm_db_add_address(db, sid, &m) == 0);
    struct nm_addr_rec v6 = { .kind = NM_ADDR_IPV6, .first_ns = 1, .last_ns = 2,
                              .pkts_recv = 1, .bytes_recv = 100 };
    v6.addr[0] = 0x20;
    v6.addr[1] = 0x01;
    v6.addr[2] = 0x0d;
    v6.addr[3] = 0xb8;
    v6.addr[15] = 1;
    CHECK(nm_db_add_address(db, sid, &v6) == 0);
    CHECK_EQ_S(q_text(c, "SELECT address FROM addresses WHERE kind = 'mac'"),
               "e8:2a:44:d5:c7:97");
    CHECK_EQ_S(q_text(c, "SELECT address FROM addresses WHERE kind = 'ipv6'"), "2001:db8::1");
    CHECK_EQ_S(q_text(c, "SELECT address || ' ' || bytes FROM top_talkers WHERE kind = 'ipv4' "
                         "AND rank = 1"), "10.0.0.2 10180");
    CHECK_EQ_S(q_text(c, "SELECT address || ' ' || bytes FROM top_talkers WHERE kind = 'ipv4' "
                         "AND rank = 2"), "10.0.0.1 360");
    struct nm_addr_rec bad = a;
    bad.kind = 9;
    CHECK(nm_db_add_address(db, sid, &bad) != 0);
    CHECK_MSG(nm_db_errmsg(db), p, "invalid address kind 9");

    /* seconds: deltas add up; proto_seconds only for protocols seen */
    struct nm_second_rec s = { .second = 1000003, .packets = 3, .bytes = 300, .malformed = 1,
                               .tcp_resets = 1, .tcp_retransmissions = 2 };
    s.proto_packets[NM_P_ETHERNET] = 3;
    s.proto_bytes[NM_P_ETHERNET] = 300;
    s.proto_packets[NM_P_IPV4] = 2;
    s.proto_bytes[NM_P_IPV4] = 200;
    s.proto_packets[NM_P_TCP] = 2;
    s.proto_bytes[NM_P_TCP] = 200;
    s.proto_new_connections[NM_P_TCP] = 1;
    s.proto_packets[NM_P_OTHER] = 1;
    s.proto_bytes[NM_P_OTHER] = 100;
    CHECK(nm_db_add_second(db, sid, &s) == 0);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM proto_seconds"), 4);
    /* the same second again, from a later flush */
    struct nm_second_rec s2 = { .second = 1000003, .packets = 1, .bytes = 60,
                                .tcp_retransmissions = 1 };
    s2.proto_packets[NM_P_ETHERNET] = 1;
    s2.proto_bytes[NM_P_ETHERNET] = 60;
    s2.proto_packets[NM_P_IPV4] = 1;
    s2.proto_bytes[NM_P_IPV4] = 60;
    s2.proto_packets[NM_P_TCP] = 1;
    s2.proto_bytes[NM_P_TCP] = 60;
    s2.proto_new_connections[NM_P_TCP] = 1;
    CHECK(nm_db_begin(db) == 0);  /* inside a transaction too */
    CHECK(nm_db_add_second(db, sid, &s2) == 0);
    CHECK(nm_db_commit(db) == 0);
    CHECK_EQ_S(q_text(c, "SELECT packets || '|' || bytes || '|' || malformed || '|' || "
                         "tcp_resets || '|' || tcp_retransmissions || '|' || drops_kernel "
                         "FROM seconds WHERE second = 1000003"), "4|360|1|1|3|0");
    CHECK_EQ_S(q_text(c, "SELECT packets || '|' || bytes || '|' || new_connections FROM "
                         "proto_seconds WHERE proto = 'TCP' AND second = 1000003"), "3|260|2");
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM proto_seconds"), 4);
    /* drops: deltas add up in their second and leave the traffic columns */
    struct nm_drops_rec d1 = { .second = 1000003, .kernel = 7, .ifdrop = 1, .queue = 20 };
    struct nm_drops_rec d2 = { .second = 1000003, .kernel = 3, .queue = 5 };
    CHECK(nm_db_add_drops(db, sid, &d1) == 0);
    CHECK(nm_db_add_drops(db, sid, &d2) == 0);
    CHECK_EQ_S(q_text(c, "SELECT packets || '|' || bytes || '|' || drops_kernel || '|' || "
                         "drops_ifdrop || '|' || drops_queue FROM seconds "
                         "WHERE second = 1000003"), "4|360|10|1|25");
    /* a second whose drops arrive before its counters: the row is created,
     * and the counters then add to it */
    struct nm_drops_rec d3 = { .second = 1000031, .queue = 2 };
    CHECK(nm_db_add_drops(db, sid, &d3) == 0);
    CHECK_EQ_S(q_text(c, "SELECT packets || '|' || drops_queue FROM seconds "
                         "WHERE second = 1000031"), "0|2");
    /* 28 s later: UDP only; and a new ICMP connection in the same second */
    struct nm_second_rec s3 = { .second = 1000031, .packets = 1, .bytes = 100 };
    s3.proto_packets[NM_P_ETHERNET] = 1;
    s3.proto_bytes[NM_P_ETHERNET] = 100;
    s3.proto_packets[NM_P_IPV6] = 1;
    s3.proto_bytes[NM_P_IPV6] = 100;
    s3.proto_packets[NM_P_UDP] = 1;
    s3.proto_bytes[NM_P_UDP] = 100;
    s3.proto_new_connections[NM_P_UDP] = 1;
    CHECK(nm_db_add_second(db, sid, &s3) == 0);
    CHECK_EQ_S(q_text(c, "SELECT packets || '|' || bytes || '|' || drops_queue FROM seconds "
                         "WHERE second = 1000031"), "1|100|2");

    /* malformed: put replaces */
    CHECK(nm_db_put_malformed(db, sid, NM_MAL_IPV4_TRUNCATED, 2) == 0);
    CHECK(nm_db_put_malformed(db, sid, NM_MAL_IPV4_TRUNCATED, 5) == 0);
    CHECK(nm_db_put_malformed(db, sid, NM_MAL_DNS_POINTER_LOOP, 1) == 0);
    CHECK_EQ_U(q_int(c, "SELECT count FROM malformed WHERE reason = 'ipv4.truncated'"), 5);
    CHECK(nm_db_put_malformed(db, sid, NM_MAL_NONE, 1) != 0);
    CHECK_MSG(nm_db_errmsg(db), p, "invalid malformed reason");

    CHECK(nm_db_log(db, sid, NM_LOG_WARNING, 42, "queue full: 3 packets dropped") == 0);
    CHECK_EQ_S(q_text(c, "SELECT level || '|' || wall_ns || '|' || message FROM log"),
               "warning|42|queue full: 3 packets dropped");

    /* throughput_10s: intervals 1000000..1000030, every protocol, zeros included */
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM throughput_10s"), 4 * NM_P_COUNT);
    CHECK_EQ_U(q_int(c, "SELECT count(DISTINCT interval_start) FROM throughput_10s"), 4);
    CHECK_EQ_U(q_int(c, "SELECT min(interval_start) FROM throughput_10s"), 1000000);
    CHECK_EQ_U(q_int(c, "SELECT max(interval_start) FROM throughput_10s"), 1000030);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM throughput_10s WHERE interval_start IN "
                        "(1000010, 1000020) AND packets = 0 AND bytes = 0 AND "
                        "bits_per_second = 0"), 2 * NM_P_COUNT);
    /* TCP: 260 bytes in [1000000, 1000010): 260 * 8 / 10 = 208 bit/s */
    CHECK(q_real(c, "SELECT bits_per_second FROM throughput_10s WHERE proto = 'TCP' AND "
                    "interval_start = 1000000") == 208.0);
    CHECK(q_real(c, "SELECT bits_per_second FROM throughput_10s WHERE proto = 'UDP' AND "
                    "interval_start = 1000030") == 80.0);
    CHECK(q_real(c, "SELECT bits_per_second FROM throughput_10s WHERE proto = 'Ethernet' AND "
                    "interval_start = 1000000") == 288.0);
    CHECK_EQ_U(q_int(c, "SELECT sum(bytes) FROM throughput_10s WHERE proto = 'Ethernet'"), 460);

    /* protocol_usage, avg_packet_size, connections, new_connections_rate */
    CHECK_EQ_S(q_text(c, "SELECT packets || '|' || bytes || '|' || pct_packets FROM "
                         "protocol_usage WHERE proto = 'TCP'"), "3|260|60.0");
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM protocol_usage"), NM_P_COUNT);
    CHECK(q_real(c, "SELECT avg_bytes FROM avg_packet_size WHERE proto = 'All'") == 92.0);
    CHECK(q_real(c, "SELECT avg_bytes FROM avg_packet_size WHERE proto = 'IPv4'") == 260.0 / 3);
    CHECK_EQ_S(q_text(c, "SELECT coalesce(avg_bytes, 'NULL') FROM avg_packet_size WHERE "
                         "proto = 'ARP'"), "NULL");
    CHECK_EQ_S(q_text(c, "SELECT group_concat(proto || '=' || connections, ' ') FROM (SELECT * "
                         "FROM connections_per_protocol ORDER BY proto_id)"),
               "TCP=2 UDP=1 ICMP=0 ICMPv6=0 Other=0");
    /* the last 30 s end at 1000031 and start at 1000003 (the first second) */
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM new_connections_rate"), 29);
    CHECK_EQ_U(q_int(c, "SELECT sum(new_connections) FROM new_connections_rate"), 3);
    CHECK_EQ_S(q_text(c, "SELECT new_connections || '|' || tcp || '|' || udp FROM "
                         "new_connections_rate WHERE second = 1000003"), "2|2|0");
    CHECK_EQ_S(q_text(c, "SELECT new_connections || '|' || tcp || '|' || udp FROM "
                         "new_connections_rate WHERE second = 1000031"), "1|0|1");
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM new_connections_rate WHERE new_connections = 0"),
               27);

    /* ---- the summary: a still running session (row not updated) ---- */
    struct nm_summary sum;
    CHECK(nm_db_read_summary(db, 0, &sum) == 0);
    CHECK_EQ_U(sum.session_id, sid);
    CHECK_EQ_U(sum.packets, 5);
    CHECK_EQ_U(sum.bytes, 460);
    CHECK_EQ_S(sum.end_reason, "running");
    CHECK_EQ_U(sum.first_packet_ns, 1000003000000000);
    CHECK_EQ_U(sum.last_packet_ns, 1000031999999999);

    /* ---- and once the session row is final ---- */
    struct nm_session_final fin = {
        .end_reason = NM_SESS_COMPLETE, .end_wall_ns = test_info.start_wall_ns + 2500000000,
        .first_packet_ns = 1000003100000000, .last_packet_ns = 1000031600000000,
        .packets = 5, .bytes = 460, .captured_bytes = 400, .drops_kernel = 7,
        .drops_ifdrop = 8, .drops_queue = 9, .malformed = 6, .flows_evicted = 1,
        .addresses_evicted = 2, .latency_evictions = 3,
    };
    CHECK(nm_db_session_update(db, sid, &fin) == 0);
    CHECK(nm_db_read_summary(db, sid, &sum) == 0);
    CHECK_EQ_U(sum.session_id, sid);
    CHECK_EQ_S(sum.source, "trace.pcap");
    CHECK_EQ_S(sum.link_type_name, "EN10MB");
    CHECK_EQ_S(sum.end_reason, "complete");
    CHECK_EQ_U(sum.first_packet_ns, 1000003100000000);
    CHECK_EQ_U(sum.last_packet_ns, 1000031600000000);
    CHECK_EQ_U(sum.start_wall_ns, test_info.start_wall_ns);
    CHECK_EQ_U(sum.end_wall_ns, test_info.start_wall_ns + 2500000000);
    CHECK_EQ_U(sum.packets, 5);
    CHECK_EQ_U(sum.bytes, 460);
    CHECK_EQ_U(sum.captured_bytes, 400);
    CHECK_EQ_U(sum.proto_packets[NM_P_ETHERNET], 5);
    CHECK_EQ_U(sum.proto_bytes[NM_P_ETHERNET], 460);
    CHECK_EQ_U(sum.proto_packets[NM_P_TCP], 3);
    CHECK_EQ_U(sum.proto_bytes[NM_P_TCP], 260);
    CHECK_EQ_U(sum.proto_packets[NM_P_UDP], 1);
    CHECK_EQ_U(sum.proto_packets[NM_P_OTHER], 1);
    CHECK_EQ_U(sum.proto_packets[NM_P_ARP], 0);
    CHECK_EQ_U(sum.connections[NM_P_TCP], 2);
    CHECK_EQ_U(sum.connections[NM_P_UDP], 1);
    CHECK_EQ_U(sum.connections[NM_P_ICMP], 0);
    CHECK_EQ_U(sum.unique_ipv4, 2);
    CHECK_EQ_U(sum.unique_ipv6, 1);
    CHECK_EQ_U(sum.unique_macs, 1);
    CHECK_EQ_U(sum.malformed_total, 6);
    CHECK_EQ_U(sum.malformed[NM_MAL_IPV4_TRUNCATED], 5);
    CHECK_EQ_U(sum.malformed[NM_MAL_DNS_POINTER_LOOP], 1);
    CHECK_EQ_U(sum.malformed[NM_MAL_TCP_TRUNCATED], 0);
    CHECK_EQ_U(sum.tcp_resets, 1);
    CHECK_EQ_U(sum.tcp_retransmissions, 3);
    CHECK_EQ_U(sum.flows, 8);
    CHECK_EQ_U(sum.flows_evicted, 1);
    CHECK_EQ_U(sum.addresses_evicted, 2);
    CHECK_EQ_U(sum.latency_evictions, 3);
    CHECK_EQ_U(sum.drops_kernel, 7);
    CHECK_EQ_U(sum.drops_ifdrop, 8);
    CHECK_EQ_U(sum.drops_queue, 9);
    CHECK(nm_db_read_summary(db, 42, &sum) != 0);
    CHECK_MSG(nm_db_errmsg(db), p, "no session 42");

    /* the printed block */
    CHECK(nm_db_read_summary(db, sid, &sum) == 0);
    char *text = NULL;
    size_t tlen = 0;
    FILE *mf = open_memstream(&text, &tlen);
    CHECK(mf != NULL);
    if (mf) {
        nm_summary_print(mf, &sum);
        fclose(mf);
        static const char *const want[] = {
            "Final statistics\n",
            "  Session:            1 (trace.pcap, EN10MB), end: complete\n",
            "  Packets:            5\n",
            "  Bytes:              460 on the wire, 400 captured\n",
            "  Average size:       92.00 bytes\n",
            ("  Capture time span:  28.500000 s (1970-01-12 13:46:43.100000 to "
             "1970-01-12 13:47:11.600000 UTC)\n"),
            "  Run time:           2.500000 s (2 packets/s)\n",
            "  Latency:            no request/response pairs seen\n",
            "  Ethernet                5              460      92.00            -\n",
            "  TCP                     3              260      86.67            2\n",
            "  ARP                     0                0          -            -\n",
            "  Other                   1              100     100.00            0\n",
            "  Unique addresses:   IPv4 2, IPv6 1, MAC 1\n",
            "  TCP:                1 resets, 3 retransmissions\n",
            "  Flows:              8 (1 evicted from the flow table), addresses evicted: 2\n",
            "  Malformed frames:   6\n",
            "    ipv4.truncated                   5\n",
            "    dns.pointer_loop                 1\n",
            "  Drops:              kernel 7, interface 8, queue 9\n",
        };
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            CHECK(contains(text, want[i]));
            if (!contains(text, want[i]))
                fprintf(stderr, "    missing: %s", want[i]);
        }
        free(text);
    }

    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

/* ---------------------------------------------- locks, read-only, full -- */

static void test_read_only(void)
{
    const char *p = tpath("ro.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid;
    struct stat before, after;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    nm_db_close(db);
    CHECK(stat(p, &before) == 0);

    db = open_ok(p, NM_DB_READ);
    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) != 0);
    CHECK_MSG(nm_db_errmsg(db), p, "readonly");
    struct nm_packet pk;
    fill_tcp_packet(&pk, 1);
    CHECK(nm_db_insert_packet(db, 1, &pk, 0) != 0);
    CHECK_MSG(nm_db_errmsg(db), p, "readonly");
    CHECK(nm_db_begin(db) != 0 || nm_db_rollback(db) == 0);
    struct nm_summary sum;
    CHECK(nm_db_read_summary(db, 0, &sum) == 0);  /* reading works */
    CHECK_EQ_U(sum.session_id, 1);
    nm_db_close(db);
    CHECK(stat(p, &after) == 0);
    CHECK(before.st_size == after.st_size);
    CHECK(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
          before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM sessions"), 1);
    sqlite3_close(c);
    remove_db(p);
}

/* ------------------------------------------------- latency sample rows -- */

/* The TCP flow of the sample row tests: flow 5, 10.0.0.1:40000 ->
 * 10.0.0.80:80. */
static struct nm_flow_rec web_flow(void)
{
    struct nm_flow_rec f = { .flow_id = 5, .ip_version = 4, .ip_proto = 6,
                             .client_port = 40000, .server_port = 80,
                             .tcp_state = NM_TCPS_ESTABLISHED, .end_reason = NM_FEND_ACTIVE };
    f.client.b[0] = 10, f.client.b[3] = 1;
    f.server.b[0] = 10, f.server.b[3] = 80;
    return f;
}

/* A tcp_handshake row that joins its handshake's tcp_syn_synack and
 * tcp_synack_ack (schema v4) reads back as three samples, each with its
 * own kind, time, value and answering side, and the connection's
 * addresses; a row without parts is one sample. */
static void test_handshake_rows(void)
{
    const char *p = tpath("hsrows.db");
    int64_t sid = 0;
    struct nm_db *db = open_session(p, &sid);
    if (db == NULL)
        return;
    const struct nm_flow_rec f = web_flow();
    CHECK(nm_db_begin(db) == 0);
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    struct nm_db_latency_row x = { .ts_ns = 2000000, .flow_id = 5, .value_ns = 12000,
                                   .kind = NM_LAT_TCP_HANDSHAKE, .ip_proto = 6,
                                   .has_parts = true, .syn_synack_ns = 10000,
                                   .synack_ack_ns = 2000 };
    CHECK(nm_db_add_latency(db, sid, &x) == 0);
    /* the same connection seen from its flow's other side */
    x.ts_ns = 3000000, x.flags = NM_DB_LAT_CLIENT_IS_FLOW_SERVER;
    CHECK(nm_db_add_latency(db, sid, &x) == 0);
    x = (struct nm_db_latency_row){ .ts_ns = 4000000, .flow_id = 5, .value_ns = 9000,
                                    .kind = NM_LAT_TCP_HANDSHAKE, .ip_proto = 6 };
    CHECK(nm_db_add_latency(db, sid, &x) == 0);
    CHECK(nm_db_commit(db) == 0);
    nm_db_close(db);

    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_sample_rows"), 3);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_samples"), 7);
    CHECK_EQ_S(q_text(c, "SELECT group_concat(id || ' ' || kind || ' ' || ts_ns || ' '"
                         " || client || ':' || client_port || ' ' || server || ':' || server_port"
                         " || ' ' || answered_by || ' ' || value_us, '; ')"
                         " FROM (SELECT * FROM latency_samples ORDER BY id)"),
               "8 tcp_handshake 2000000 10.0.0.1:40000 10.0.0.80:80 client 12.0; "
               "9 tcp_syn_synack 1998000 10.0.0.1:40000 10.0.0.80:80 server 10.0; "
               "10 tcp_synack_ack 2000000 10.0.0.1:40000 10.0.0.80:80 client 2.0; "
               "16 tcp_handshake 3000000 10.0.0.80:80 10.0.0.1:40000 client 12.0; "
               "17 tcp_syn_synack 2998000 10.0.0.80:80 10.0.0.1:40000 server 10.0; "
               "18 tcp_synack_ack 3000000 10.0.0.80:80 10.0.0.1:40000 client 2.0; "
               "24 tcp_handshake 4000000 10.0.0.1:40000 10.0.0.80:80 client 9.0");
    CHECK_EQ_S(q_text(c, "SELECT group_concat(kind || '=' || samples, ' ') FROM"
                         " (SELECT kind, samples FROM latency_by_server"
                         "  WHERE server = '10.0.0.80' ORDER BY kind)"),
               "tcp_handshake=2 tcp_syn_synack=1 tcp_synack_ack=1");
    sqlite3_close(c);
    remove_db(p);
}

/* A tcp_data_ack sample goes into the waiting row of its flow when that
 * row has its place free (schema v5: one answered by the server, one by
 * the client) and the same client; the view gives it back with its own
 * time, value and answering side.  Otherwise it takes a row, which the
 * flow's next sample may go into.  No sample goes into a row that was
 * written or rolled back. */
static void test_data_ack_rows(void)
{
    const char *p = tpath("ackrows.db");
    int64_t sid = 0;
    struct nm_db *db = open_session(p, &sid);
    if (db == NULL)
        return;
    const struct nm_flow_rec f = web_flow();
    const struct nm_db_latency_row hs = { .ts_ns = 2000000, .flow_id = 5, .value_ns = 12000,
                                          .kind = NM_LAT_TCP_HANDSHAKE, .ip_proto = 6,
                                          .has_parts = true, .syn_synack_ns = 10000,
                                          .synack_ack_ns = 2000 };
    struct nm_db_latency_row srv = { .ts_ns = 2100000, .flow_id = 5, .value_ns = 50000,
                                     .kind = NM_LAT_TCP_DATA_ACK, .ip_proto = 6,
                                     .flags = NM_DB_LAT_BY_SERVER };
    struct nm_db_latency_row cli = { .ts_ns = 2300000, .flow_id = 5, .value_ns = 70000,
                                     .kind = NM_LAT_TCP_DATA_ACK, .ip_proto = 6 };
    CHECK(nm_db_begin(db) == 0);
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    CHECK(nm_db_add_latency(db, sid, &hs) == 0);        /* row 1 */
    CHECK(nm_db_add_latency(db, sid, &srv) == 0);       /* into row 1 */
    CHECK(nm_db_add_latency(db, sid, &cli) == 0);       /* into row 1 */
    srv.ts_ns = 2400000, srv.value_ns = 40000;
    CHECK(nm_db_add_latency(db, sid, &srv) == 0);       /* row 1 has one: row 2 */
    cli.ts_ns = 2600000, cli.value_ns = 60000;
    CHECK(nm_db_add_latency(db, sid, &cli) == 0);       /* into row 2 */
    srv.ts_ns = 2700000, srv.value_ns = 30000;
    srv.flags |= NM_DB_LAT_CLIENT_IS_FLOW_SERVER;
    CHECK(nm_db_add_latency(db, sid, &srv) == 0);       /* the other client: row 3 */
    srv.flags = NM_DB_LAT_BY_SERVER;
    srv.ts_ns = 2800000, srv.value_ns = 20000, srv.flow_id = 6;
    CHECK(nm_db_add_latency(db, sid, &srv) == 0);       /* another flow: row 4 */
    CHECK(nm_db_commit(db) == 0);
    CHECK(nm_db_begin(db) == 0);
    cli.ts_ns = 2900000, cli.value_ns = 10000;
    CHECK(nm_db_add_latency(db, sid, &cli) == 0);       /* rows 1-4 written: row 5 */
    CHECK(nm_db_commit(db) == 0);
    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_sample_rows"), 5);
    CHECK_EQ_S(q_text(c, "SELECT group_concat(id || ' ' || kind || ' ' || ts_ns || ' '"
                         " || coalesce(client || ':' || client_port, '-') || ' '"
                         " || answered_by || ' ' || value_us, '; ')"
                         " FROM (SELECT * FROM latency_samples ORDER BY id)"),
               "8 tcp_handshake 2000000 10.0.0.1:40000 client 12.0; "
               "9 tcp_syn_synack 1998000 10.0.0.1:40000 server 10.0; "
               "10 tcp_synack_ack 2000000 10.0.0.1:40000 client 2.0; "
               "11 tcp_data_ack 2100000 10.0.0.1:40000 server 50.0; "
               "12 tcp_data_ack 2300000 10.0.0.1:40000 client 70.0; "
               "16 tcp_data_ack 2400000 10.0.0.1:40000 server 40.0; "
               "20 tcp_data_ack 2600000 10.0.0.1:40000 client 60.0; "
               "24 tcp_data_ack 2700000 10.0.0.80:80 server 30.0; "
               "32 tcp_data_ack 2800000 - server 20.0; "
               "40 tcp_data_ack 2900000 10.0.0.1:40000 client 10.0");
    CHECK_EQ_S(q_text(c, "SELECT group_concat(answered_by || '=' || samples, ' ') FROM"
                         " (SELECT answered_by, samples FROM latency_by_server"
                         "  WHERE server = '10.0.0.80' AND kind = 'tcp_data_ack'"
                         "  ORDER BY answered_by)"),
               "client=3 server=2");
    sqlite3_close(c);

    /* A rolled-back row takes nothing: the sample after it has its own. */
    CHECK(nm_db_begin(db) == 0);
    CHECK(nm_db_add_latency(db, sid, &hs) == 0);
    CHECK(nm_db_rollback(db) == 0);
    CHECK(nm_db_begin(db) == 0);
    cli.ts_ns = 3000000;
    CHECK(nm_db_add_latency(db, sid, &cli) == 0);
    CHECK(nm_db_commit(db) == 0);
    /* Nor does a row written because the waiting rows were full (4,096). */
    CHECK(nm_db_begin(db) == 0);
    struct nm_db_latency_row dns = { .ts_ns = 4000000, .flow_id = 9, .value_ns = 1000,
                                     .kind = NM_LAT_DNS, .ip_proto = 17,
                                     .flags = NM_DB_LAT_BY_SERVER };
    for (int i = 0; i < 4095; i++)
        CHECK(nm_db_add_latency(db, sid, &dns) == 0);
    CHECK(nm_db_add_latency(db, sid, &hs) == 0);        /* the 4,096th: all written */
    cli.ts_ns = 3100000;
    CHECK(nm_db_add_latency(db, sid, &cli) == 0);
    CHECK(nm_db_commit(db) == 0);
    nm_db_close(db);
    c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_sample_rows"), 5 + 1 + 4097);
    CHECK_EQ_S(q_text(c, "SELECT group_concat(ts_ns, ' ') FROM (SELECT ts_ns FROM latency_samples"
                         " WHERE kind = 'tcp_data_ack' AND ts_ns >= 3000000 ORDER BY ts_ns)"),
               "3000000 3100000");
    sqlite3_close(c);
    remove_db(p);
}

/* A random stream of samples of every kind over a few TCP and UDP flows,
 * with either client, commits, rollbacks and transactions longer than the
 * 4,096 waiting rows: the view gives back exactly the committed samples
 * (each with its own time, kind, flow, answering side, client and value),
 * however they were joined into rows. */
struct want_sample {
    int64_t ts_ns, value_ns;
    uint64_t flow_id;
    const char *kind;
    bool by_server, cfs;
};

static int want_order(const void *x, const void *y)
{
    const struct want_sample *a = x, *b = y;
    if (a->ts_ns != b->ts_ns)
        return a->ts_ns < b->ts_ns ? -1 : 1;
    return strcmp(a->kind, b->kind);
}

static void want(struct want_sample *w, size_t *n, int64_t ts, uint64_t flow, int kind,
                 bool by_server, bool cfs, int64_t value)
{
    w[(*n)++] = (struct want_sample){ .ts_ns = ts, .value_ns = value, .flow_id = flow,
                                      .kind = nm_latency_kind_name((enum nm_latency_kind)kind),
                                      .by_server = by_server, .cfs = cfs };
}

static void test_sample_rows_random(void)
{
    enum { OPS = 30000, TCP_FLOWS = 12, FLOWS = 16 };
    const char *p = tpath("latrandom.db");
    int64_t sid = 0;
    struct nm_db *db = open_session(p, &sid);
    if (db == NULL)
        return;
    /* done: samples committed; pending: samples of the open transaction */
    struct want_sample *done = malloc(3 * OPS * sizeof *done);
    struct want_sample *pending = malloc(3 * OPS * sizeof *pending);
    size_t ndone = 0, npending = 0;
    CHECK(done != NULL && pending != NULL);
    if (done == NULL || pending == NULL) {
        free(done);
        free(pending);
        nm_db_close(db);
        return;
    }
    CHECK(nm_db_begin(db) == 0);
    for (uint64_t id = 1; id <= FLOWS; id++) {
        struct nm_flow_rec f = { .flow_id = id, .ip_version = 4,
                                 .ip_proto = id <= TCP_FLOWS ? 6 : 17,
                                 .client_port = (uint16_t)(40000 + id),
                                 .server_port = id <= TCP_FLOWS ? 80 : 53,
                                 .tcp_state = NM_TCPS_NONE, .end_reason = NM_FEND_ACTIVE };
        f.client.b[0] = 10, f.client.b[3] = (uint8_t)id;
        f.server.b[0] = 10, f.server.b[2] = 1, f.server.b[3] = (uint8_t)id;
        CHECK(nm_db_put_flow(db, sid, &f) == 0);
    }
    CHECK(nm_db_commit(db) == 0);
    CHECK(nm_db_begin(db) == 0);
    uint64_t seed = 20261127;
    for (int i = 1; i <= OPS; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t r = (uint32_t)(seed >> 33);
        if (r % 4000 == 0) {            /* transactions of ~4,000 samples: some pass 4,096 */
            CHECK(nm_db_commit(db) == 0);
            memcpy(done + ndone, pending, npending * sizeof *pending);
            ndone += npending, npending = 0;
            CHECK(nm_db_begin(db) == 0);
            continue;
        }
        if (r % 4000 == 1) {
            CHECK(nm_db_rollback(db) == 0);
            npending = 0;
            CHECK(nm_db_begin(db) == 0);
            continue;
        }
        uint64_t flow = 1 + (r >> 2) % FLOWS;
        bool tcp = flow <= TCP_FLOWS;
        struct nm_db_latency_row x = { .ts_ns = (int64_t)i * 1000, .flow_id = flow,
                                       .value_ns = 1 + (int64_t)(r >> 6) % 1000000,
                                       .ip_proto = tcp ? 6 : 17 };
        bool by_server = (r >> 8) & 1, cfs = (r >> 9) % 8 == 0;
        x.flags = (uint8_t)((by_server ? NM_DB_LAT_BY_SERVER : 0) |
                            (cfs ? NM_DB_LAT_CLIENT_IS_FLOW_SERVER : 0));
        unsigned pick = (r >> 12) % 20;
        if (!tcp)
            x.kind = pick < 15 ? NM_LAT_DNS : NM_LAT_UDP_FIRST_RESPONSE;
        else if (pick < 12)
            x.kind = NM_LAT_TCP_DATA_ACK;
        else if (pick < 16)
            x.kind = NM_LAT_TCP_HANDSHAKE, x.has_parts = pick < 15;
        else
            x.kind = (uint8_t)(pick == 16 ? NM_LAT_DNS : pick == 17 ? NM_LAT_TCP_SYN_SYNACK
                                                                    : NM_LAT_TCP_SYNACK_ACK);
        want(pending, &npending, x.ts_ns, flow, x.kind, by_server, cfs, x.value_ns);
        if (x.has_parts) {
            x.syn_synack_ns = 1 + (int64_t)(r >> 3) % 5000;
            x.synack_ack_ns = 1 + (int64_t)(r >> 5) % 999;      /* no multiple of 1,000 */
            want(pending, &npending, x.ts_ns - x.synack_ack_ns, flow, NM_LAT_TCP_SYN_SYNACK, true,
                 cfs, x.syn_synack_ns);
            want(pending, &npending, x.ts_ns, flow, NM_LAT_TCP_SYNACK_ACK, false, cfs,
                 x.synack_ack_ns);
        }
        CHECK(nm_db_add_latency(db, sid, &x) == 0);
    }
    CHECK(nm_db_commit(db) == 0);
    memcpy(done + ndone, pending, npending * sizeof *pending);
    ndone += npending;
    qsort(done, ndone, sizeof *done, want_order);

    sqlite3 *c = raw_open(p);
    sqlite3_stmt *s = NULL;
    CHECK(sqlite3_prepare_v2(c, "SELECT ts_ns, kind, flow_id, answered_by, client_port, value_us"
                                " FROM latency_samples ORDER BY ts_ns, kind", -1, &s, NULL) == SQLITE_OK);
    size_t k = 0, bad = 0;
    while (s != NULL && sqlite3_step(s) == SQLITE_ROW) {
        if (k >= ndone) {
            k++;
            continue;
        }
        const struct want_sample *w = &done[k++];
        bool tcp = w->flow_id <= TCP_FLOWS;
        int64_t client_port = w->cfs ? (tcp ? 80 : 53) : 40000 + (int64_t)w->flow_id;
        const char *kind = (const char *)sqlite3_column_text(s, 1);
        const char *side = (const char *)sqlite3_column_text(s, 3);
        if (sqlite3_column_int64(s, 0) != w->ts_ns || kind == NULL || strcmp(kind, w->kind) != 0 ||
            (uint64_t)sqlite3_column_int64(s, 2) != w->flow_id || side == NULL ||
            strcmp(side, w->by_server ? "server" : "client") != 0 ||
            sqlite3_column_int64(s, 4) != client_port ||
            sqlite3_column_double(s, 5) != (double)w->value_ns / 1000.0) {
            if (bad++ == 0)
                fprintf(stderr, "sample %zu: want %lld %s flow %llu %s, got %lld %s\n", k - 1,
                        (long long)w->ts_ns, w->kind, (unsigned long long)w->flow_id,
                        w->by_server ? "server" : "client",
                        (long long)sqlite3_column_int64(s, 0), kind ? kind : "?");
        }
    }
    sqlite3_finalize(s);
    CHECK_EQ_U(k, ndone);
    CHECK_EQ_U(bad, 0);
    /* every row gives its own sample (part 0), and the stream did join
     * data -> ACK samples into rows (parts 3 and 4) */
    int64_t rows = q_int(c, "SELECT count(*) FROM latency_sample_rows");
    int64_t own = q_int(c, "SELECT count(*) FROM latency_samples WHERE id % 8 = 0");
    CHECK(rows > 0 && rows == own);
    CHECK(q_int(c, "SELECT count(*) FROM latency_samples WHERE id % 8 >= 3") > 1000);
    sqlite3_close(c);
    free(done);
    free(pending);
    nm_db_close(db);
    remove_db(p);
}

/* Samples wait in nm_db until 4,096 wait or the transaction commits, and
 * go 32 to an INSERT: 70 samples (two full statements and 6 single rows)
 * come back in order with every column; samples of a rolled-back
 * transaction are gone, also the ones not yet inserted.  A row holds
 * numbers: latency_samples takes the addresses and ports from the sample's
 * flow, the flow's client or server side as the flags say. */
static void test_latency_rows(void)
{
    const char *p = tpath("latrows.db");
    int64_t sid = 0;
    struct nm_db *db = open_session(p, &sid);
    if (db == NULL)
        return;
    struct nm_flow_rec f = { .ip_version = 4, .ip_proto = 17, .server_port = 53,
                             .tcp_state = NM_TCPS_NONE, .end_reason = NM_FEND_ACTIVE };
    f.client.b[0] = 10, f.client.b[3] = 1;
    f.server.b[0] = 10, f.server.b[3] = 53;
    struct nm_db_latency_row x = { .kind = NM_LAT_DNS, .ip_proto = 17,
                                   .flags = NM_DB_LAT_BY_SERVER };
    CHECK(nm_db_begin(db) == 0);
    for (int i = 0; i < 70; i++) {
        f.flow_id = (uint64_t)i + 1;
        f.client_port = (uint16_t)(40000 + i);
        CHECK(nm_db_put_flow(db, sid, &f) == 0);
        x.ts_ns = 1000 + i;
        x.flow_id = f.flow_id;
        x.value_ns = 1500 * (int64_t)(i + 1);
        CHECK(nm_db_add_latency(db, sid, &x) == 0);
    }
    CHECK(nm_db_commit(db) == 0);
    /* 4,100 more, rolled back: 4,096 went in, 4 were waiting */
    CHECK(nm_db_begin(db) == 0);
    for (int i = 0; i < 4100; i++)
        CHECK(nm_db_add_latency(db, sid, &x) == 0);
    CHECK(nm_db_rollback(db) == 0);
    CHECK(nm_db_begin(db) == 0);
    CHECK(nm_db_commit(db) == 0);

    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_samples"), 70);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_samples WHERE id % 8 = 0"
                        " AND ts_ns = 1000 + id / 8 - 1 AND flow_id = id / 8"
                        " AND client_port = 39999 + id / 8 AND value_us = 1.5 * (id / 8)"), 70);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_samples WHERE session_id = 1"
                        " AND kind = 'dns' AND ip_proto = 17 AND client = '10.0.0.1'"
                        " AND server = '10.0.0.53' AND server_port = 53"
                        " AND answered_by = 'server'"), 70);
    sqlite3_close(c);

    /* The sample's client is the flow's server (a query from the side that
     * did not send the flow's first packet), answered by the client; an
     * ICMP echo shows no ports (the flow holds its identifier there); a
     * sample whose flow has no row yet shows no addresses. */
    CHECK(nm_db_begin(db) == 0);
    x = (struct nm_db_latency_row){ .ts_ns = 5000, .flow_id = 3, .value_ns = 7,
                                    .kind = NM_LAT_DNS, .ip_proto = 17,
                                    .flags = NM_DB_LAT_CLIENT_IS_FLOW_SERVER };
    CHECK(nm_db_add_latency(db, sid, &x) == 0);
    f = (struct nm_flow_rec){ .flow_id = 100, .ip_version = 6, .ip_proto = 58,
                              .client_port = 777, .server_port = 777,
                              .tcp_state = NM_TCPS_NONE, .end_reason = NM_FEND_IDLE };
    f.client.b[0] = 0xfe, f.client.b[1] = 0x80, f.client.b[15] = 1;
    f.server.b[0] = 0xfe, f.server.b[1] = 0x80, f.server.b[15] = 2;
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    x = (struct nm_db_latency_row){ .ts_ns = 6000, .flow_id = 100, .value_ns = 1,
                                    .kind = NM_LAT_ICMPV6_ECHO, .ip_proto = 58,
                                    .flags = NM_DB_LAT_BY_SERVER };
    CHECK(nm_db_add_latency(db, sid, &x) == 0);
    x.ts_ns = 7000, x.flow_id = 101;
    CHECK(nm_db_add_latency(db, sid, &x) == 0);
    CHECK(nm_db_commit(db) == 0);
    c = raw_open(p);
    CHECK_EQ_S(q_text(c, "SELECT kind || ' ' || client || ':' || client_port || ' '"
                         " || server || ':' || server_port || ' ' || answered_by || ' '"
                         " || value_us FROM latency_samples WHERE ts_ns = 5000"),
               "dns 10.0.0.53:53 10.0.0.1:40002 client 0.007");
    CHECK_EQ_S(q_text(c, "SELECT kind || ' ' || client || ' ' || server || ' '"
                         " || coalesce(client_port, 'null') || coalesce(server_port, 'null')"
                         " FROM latency_samples WHERE ts_ns = 6000"),
               "icmpv6_echo fe80::1 fe80::2 nullnull");
    CHECK_EQ_S(q_text(c, "SELECT coalesce(client, 'null') || coalesce(server, 'null')"
                         " || ' ' || kind FROM latency_samples WHERE ts_ns = 7000"),
               "nullnull icmpv6_echo");
    sqlite3_close(c);

    /* Every kind code reads back as its name, in the view and in
     * latency_kinds.code (the one place the schema lists the codes). */
    CHECK(nm_db_begin(db) == 0);
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        x = (struct nm_db_latency_row){ .ts_ns = 10000 + k, .flow_id = 1, .value_ns = 1,
                                        .kind = (uint8_t)k, .ip_proto = 6 };
        CHECK(nm_db_add_latency(db, sid, &x) == 0);
    }
    CHECK(nm_db_commit(db) == 0);
    c = raw_open(p);
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        char sql[160];
        const char *name = nm_latency_kind_name((enum nm_latency_kind)k);
        snprintf(sql, sizeof sql, "SELECT kind FROM latency_samples WHERE ts_ns = %d", 10000 + k);
        CHECK_EQ_S(q_text(c, sql), name);
        snprintf(sql, sizeof sql, "SELECT kind FROM latency_kinds WHERE code = %d", k);
        CHECK_EQ_S(q_text(c, sql), name);
    }
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_kinds"), NM_LAT_KIND_COUNT);
    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

/* ---------------------------------------- summary latency == the view -- */

/* nm_db_read_summary computes latency_stats' values itself (the view is
 * slow on big histograms): on buckets of every shape (one sample, one
 * value, spread, DNS over two protocols sharing buckets, ranks at bucket
 * edges) and timeouts alone, it gives the view's doubles exactly. */
static void test_summary_latency_view(void)
{
    const char *p = tpath("sumlat.db");
    int64_t sid = 0;
    struct nm_db *db = open_session(p, &sid);
    if (db == NULL)
        return;
    CHECK(nm_db_begin(db) == 0);
    uint64_t seed = 12345;
    for (int k = 0; k < NM_LAT_KIND_COUNT - 1; k++) {      /* the last kind: timeouts only */
        int nb = 1 + k * 37;
        for (int b = 0; b < nb; b++) {
            for (int proto = 0; proto < (k == NM_LAT_DNS ? 2 : 1); proto++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                uint64_t count = 1 + (seed >> 33) % (b % 3 == 0 ? 1 : 50);
                int64_t low = nm_lathist_bucket_low(600 + b * 5);
                int64_t width = nm_lathist_bucket_low(601 + b * 5) - low;
                int64_t mn = low + (int64_t)((seed >> 20) % (uint64_t)width);
                int64_t mx = b % 4 == 1 ? mn : mn + (int64_t)((seed >> 40) % (uint64_t)(low + width - mn));
                struct nm_lathist_rec r = { .kind = (uint8_t)k, .ip_proto = proto ? 6 : 17,
                                            .bucket = 600 + b * 5, .count = count,
                                            .sum_ns = (int64_t)count * mn + (mx - mn),
                                            .min_ns = mn, .max_ns = mx };
                if (count == 1)
                    r.max_ns = mx = mn, r.sum_ns = mn;
                CHECK(nm_db_put_latency_bucket(db, sid, &r) == 0);
            }
        }
    }
    struct nm_latency_timeout t = { .kind = NM_LAT_KIND_COUNT - 1, .ip_version = 4,
                                    .ip_proto = 17, .server_port = 123 };
    CHECK(nm_db_add_latency_timeout(db, sid, &t) == 0);
    t.kind = NM_LAT_DNS;
    t.server_port = 53;
    CHECK(nm_db_add_latency_timeout(db, sid, &t) == 0);
    CHECK(nm_db_add_latency_timeout(db, sid, &t) == 0);
    CHECK(nm_db_commit(db) == 0);

    struct nm_summary sum;
    CHECK(nm_db_read_summary(db, sid, &sum) == 0);
    sqlite3 *c = raw_open(p);
    char sql[300];
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        const char *name = nm_latency_kind_name((enum nm_latency_kind)k);
        const struct nm_summary_latency *l = &sum.latency[k];
        snprintf(sql, sizeof sql, "SELECT samples FROM latency_stats WHERE kind = '%s'", name);
        CHECK_EQ_U(l->samples, (uint64_t)q_int(c, sql));
        snprintf(sql, sizeof sql, "SELECT timeouts FROM latency_stats WHERE kind = '%s'", name);
        CHECK_EQ_U(l->timeouts, (uint64_t)q_int(c, sql));
        if (l->samples == 0)
            continue;
        static const char *const cols[] = { "mean_us", "p50_us", "p90_us", "p99_us", "max_us" };
        const double got[] = { l->mean_us, l->p50_us, l->p90_us, l->p99_us, l->max_us };
        for (int i = 0; i < 5; i++) {
            snprintf(sql, sizeof sql, "SELECT %s FROM latency_stats WHERE kind = '%s'", cols[i],
                     name);
            double want = q_real(c, sql);
            if (got[i] != want)
                fprintf(stderr, "%s %s: summary %.17g, view %.17g\n", name, cols[i], got[i], want);
            CHECK(got[i] == want);
        }
    }
    CHECK_EQ_U(sum.latency[NM_LAT_DNS].timeouts, 2);
    CHECK_EQ_U(sum.latency[NM_LAT_KIND_COUNT - 1].samples, 0);
    CHECK_EQ_U(sum.latency[NM_LAT_KIND_COUNT - 1].timeouts, 1);
    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

/* ------------------------------------------------------ the log's size -- */

static long long wal_bytes(const char *path)
{
    char p[300];
    struct stat st;
    snprintf(p, sizeof p, "%s-wal", path);
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

/* Commits of 64 pages each; the checkpointer copies what is committed
 * while the next transaction is open, as nm-capture's threads do when the
 * writer always has rows waiting.  Without nm_db_bound_wal SQLite never
 * starts the log again (each transaction begins before the last commit is
 * copied) and the file holds every page written; with it, the file stops
 * growing at the restart size plus a commit or two. */
static void wal_rounds(const char *p, bool bound, long long *max_wal, long long *written)
{
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    struct nm_db *ck = NULL;
    if (db == NULL)
        return;
    CHECK(nm_db_open_checkpointer(db, &ck, errbuf, sizeof errbuf) == 0);
    nm_db_hand_over_checkpoints(db);
    sqlite3 *c = nm_db_conn(db);
    CHECK(sqlite3_exec(c, "CREATE TABLE fill (b BLOB)", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *ins = NULL;
    CHECK(sqlite3_prepare_v2(c, "INSERT INTO fill VALUES (zeroblob(16000))", -1, &ins,
                             NULL) == SQLITE_OK);
    *max_wal = *written = 0;
    /* 3 times the restart size */
    for (int round = 0; round < 3 * NM_DB_WAL_RESTART_FRAMES / 64 && ins; round++) {
        CHECK(nm_db_begin(db) == 0);
        for (int i = 0; i < 64; i++) {
            CHECK(sqlite3_step(ins) == SQLITE_DONE);
            sqlite3_reset(ins);
            if (i == 32 && ck)  /* copies up to the last commit */
                CHECK(nm_db_checkpoint(ck) == 0);
        }
        CHECK(nm_db_commit(db) == 0);
        *written += 64 * 16384;
        if (bound)
            CHECK(nm_db_bound_wal(db, true) == 0);
        else  /* a busy writer: the log may reach 1 GiB first */
            CHECK(nm_db_bound_wal(db, false) == 0);
        long long w = wal_bytes(p);
        if (w > *max_wal)
            *max_wal = w;
    }
    sqlite3_finalize(ins);
    nm_db_close(ck);
    nm_db_close(db);
    remove_db(p);
}

static void test_wal_bounded(void)
{
    const char *p = tpath("wal.db");
    long long max_wal, written;
    /* one frame: a 24-byte header and a page; the page of the table's
     * b-tree that each commit also rewrites makes 66 frames a commit */
    const long long frame = 16384 + 24;
    wal_rounds(p, true, &max_wal, &written);
    CHECK(written >= 3LL * NM_DB_WAL_RESTART_FRAMES * 16384);
    CHECK(max_wal > (long long)NM_DB_WAL_RESTART_FRAMES * frame);
    CHECK(max_wal <= (long long)(NM_DB_WAL_RESTART_FRAMES + 2 * 66) * frame + 32);
    /* and the same writes without it keep everything in the log */
    wal_rounds(p, false, &max_wal, &written);
    CHECK(max_wal >= written);
}

static void test_locked(void)
{
    const char *p = tpath("lock.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    CHECK(nm_db_set_busy_timeout(db, 50) == 0);

    /* a second connection holds the write lock */
    sqlite3 *c = raw_open(p);
    raw_exec(c, "BEGIN EXCLUSIVE; INSERT INTO log (session_id, wall_ns, level, message) "
                "VALUES (1, 1, 'info', 'holding the lock');");
    CHECK(nm_db_begin(db) != 0);
    char want[300];
    snprintf(want, sizeof want, "%s: database is locked", p);
    CHECK_EQ_S(nm_db_errmsg(db), want);
    CHECK(!nm_db_error_is_full(db));
    CHECK(nm_db_log(db, sid, NM_LOG_INFO, 2, "x") != 0);
    CHECK_EQ_S(nm_db_errmsg(db), want);
    /* readers still work under WAL */
    struct nm_db *rd = open_ok(p, NM_DB_READ);
    struct nm_summary sum;
    if (rd) {
        CHECK(nm_db_read_summary(rd, sid, &sum) == 0);
        nm_db_close(rd);
    }

    raw_exec(c, "COMMIT");
    CHECK(nm_db_begin(db) == 0);
    CHECK_EQ_S(nm_db_errmsg(db), "");
    CHECK(nm_db_log(db, sid, NM_LOG_INFO, 3, "after") == 0);
    CHECK(nm_db_commit(db) == 0);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM log"), 2);
    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

static void test_disk_full(void)
{
    const char *p = tpath("full.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0;
    struct nm_packet pk;
    int i, rc = 0;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    /* cap the file a few pages above its size: SQLite then reports
     * SQLITE_FULL exactly as for a full disk */
    sqlite3 *conn = nm_db_conn(db);
    char sql[64];
    int64_t pages = 0;
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(conn, "PRAGMA page_count", -1, &s, NULL);
    if (sqlite3_step(s) == SQLITE_ROW)
        pages = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 4);
    CHECK(sqlite3_exec(conn, sql, NULL, NULL, NULL) == SQLITE_OK);

    fill_tcp_packet(&pk, 1);
    CHECK(nm_db_begin(db) == 0);
    for (i = 0; i < 100000; i++)
        if ((rc = nm_db_insert_packet(db, sid, &pk, 0)) != 0)
            break;
    CHECK(rc != 0);
    char want[300];
    snprintf(want, sizeof want, "%s: disk full (database or disk is full)", p);
    CHECK_EQ_S(nm_db_errmsg(db), want);
    CHECK(nm_db_error_is_full(db));
    CHECK(nm_db_rollback(db) == 0);
    CHECK(!nm_db_error_is_full(db));
    nm_db_close(db);

    /* what was committed before is intact */
    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM sessions"), 1);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM packets"), 0);
    CHECK_EQ_S(q_text(c, "PRAGMA integrity_check"), "ok");
    sqlite3_close(c);
    remove_db(p);
}

/* A second's rows go in all together or not at all. */
static void test_second_atomic(void)
{
    const char *p = tpath("atomic.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    /* make the DNS row of proto_seconds fail, after the seconds row and the
     * rows of the protocols before DNS went in */
    CHECK(sqlite3_exec(nm_db_conn(db),
                       "CREATE TRIGGER no_dns BEFORE INSERT ON proto_seconds "
                       "WHEN NEW.proto = 'DNS' BEGIN SELECT RAISE(ABORT, 'no DNS today'); END",
                       NULL, NULL, NULL) == SQLITE_OK);
    struct nm_second_rec ok_rec = { .second = 10, .packets = 1, .bytes = 60 };
    ok_rec.proto_packets[NM_P_ETHERNET] = 1;
    ok_rec.proto_bytes[NM_P_ETHERNET] = 60;
    struct nm_second_rec bad = { .second = 11, .packets = 2, .bytes = 200 };
    bad.proto_packets[NM_P_ETHERNET] = 2;
    bad.proto_bytes[NM_P_ETHERNET] = 200;
    bad.proto_packets[NM_P_DNS] = 1;
    bad.proto_bytes[NM_P_DNS] = 100;

    for (int in_txn = 0; in_txn < 2; in_txn++) {
        if (in_txn)
            CHECK(nm_db_begin(db) == 0);
        CHECK(nm_db_add_second(db, sid, &bad) != 0);
        CHECK_MSG(nm_db_errmsg(db), p, "no DNS today");
        /* the caller's transaction goes on */
        CHECK(nm_db_add_second(db, sid, &ok_rec) == 0);
        if (in_txn)
            CHECK(nm_db_commit(db) == 0);
    }
    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM seconds WHERE second = 11"), 0);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM proto_seconds WHERE second = 11"), 0);
    CHECK_EQ_U(q_int(c, "SELECT packets FROM seconds WHERE second = 10"), 2);
    CHECK_EQ_U(q_int(c, "SELECT packets FROM proto_seconds WHERE second = 10"), 2);
    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

/* ----------------------------------------------------- measurement -- */

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void measure_insert_rate(void)
{
    enum { BATCH = 5000, BATCHES = 60 };
    const char *p = tpath("speed.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0;
    struct nm_packet pk;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    fill_tcp_packet(&pk, 1731416310000000000);
    /* wall time, and CPU time of this process: on a shared machine the
     * latter shows the cost of the code when other jobs take the cores */
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int b = 0; b < BATCHES; b++) {
        CHECK(nm_db_begin(db) == 0);
        for (int i = 0; i < BATCH; i++) {
            pk.ts_ns += 1000;
            pk.src_port = (uint16_t)(i * 7);
            if (nm_db_insert_packet(db, sid, &pk, (uint64_t)i + 1) != 0) {
                FAIL("insert");
                break;
            }
        }
        CHECK(nm_db_commit(db) == 0);
    }
    double t = clock_s(CLOCK_MONOTONIC) - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    nm_db_close(db);
    printf("insert rate: %d packet rows in batches of %d: %.3f s wall = %.0f rows/s; "
           "%.3f s CPU = %.0f rows per CPU second\n",
           BATCH * BATCHES, BATCH, t, BATCH * BATCHES / t, cpu, BATCH * BATCHES / cpu);
    remove_db(p);
}

/* Packet rows go 32 to a statement: 70 rows in a transaction (two full
 * batches and six left for the commit), each with its own text, keep their
 * order and values; a transaction rolled back with a full batch already run
 * and 8 rows still waiting leaves nothing, and its waiting rows do not leak
 * into the next transaction. */
static void test_packet_batches(void)
{
    const char *p = tpath("pktbatch.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0;
    struct nm_packet pk;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    CHECK(nm_db_begin(db) == 0);
    for (int i = 0; i < 70; i++) {
        memset(&pk, 0, sizeof pk);
        pk.ts_ns = 1000 + i;
        pk.wire_len = pk.cap_len = (uint32_t)(60 + i);
        pk.layers = NM_L_ETH | NM_L_IPV4 | NM_L_UDP | (i % 2 ? 0 : NM_L_DNS);
        pk.ethertype = 0x0800;
        pk.src_mac[5] = (uint8_t)i;
        pk.ip_version = 4;
        pk.ip_proto = 17;
        pk.src_ip.b[0] = 10, pk.src_ip.b[3] = (uint8_t)(i + 1);
        pk.dst_ip.b[0] = 10, pk.dst_ip.b[3] = 200;
        pk.src_port = (uint16_t)(40000 + i);
        pk.dst_port = 53;
        if (!(i % 2))
            snprintf((char *)pk.dns_qname, sizeof pk.dns_qname, "h%d.example", i + 1);
        CHECK(nm_db_insert_packet(db, sid, &pk, (uint64_t)i + 1) == 0);
    }
    CHECK(nm_db_commit(db) == 0);
    CHECK(nm_db_begin(db) == 0);
    for (int i = 0; i < 40; i++)
        CHECK(nm_db_insert_packet(db, sid, &pk, 1) == 0);
    CHECK(nm_db_rollback(db) == 0);
    CHECK(nm_db_begin(db) == 0);
    pk.ts_ns = 5000;
    CHECK(nm_db_insert_packet(db, sid, &pk, 1) == 0);
    CHECK(nm_db_commit(db) == 0);

    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM packets"), 71);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM packets WHERE id <= 70 AND ts_ns = 999 + id"
                        " AND wire_len = 59 + id AND flow_id = id AND src_port = 39999 + id"
                        " AND src_ip = '10.0.0.' || id AND dst_ip = '10.0.0.200'"
                        " AND src_mac = printf('00:00:00:00:00:%02x', id - 1)"
                        " AND dns_qname IS (CASE id % 2 WHEN 1 THEN 'h' || id || '.example'"
                        " END)"), 70);
    CHECK_EQ_U(q_int(c, "SELECT ts_ns FROM packets WHERE id = 71"), 5000);
    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

/* Flow rows wait in batches of 32 (db.c, FLOW_BATCH): every row of a
 * transaction lands, whether it filled a batch or not; a flow put again
 * in the same batch or a later one keeps its last values; a rollback
 * drops the rows waiting with it. */
static void test_flow_batches(void)
{
    const char *p = tpath("flowbatch.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    struct nm_flow_rec f = { .ip_version = 4, .ip_proto = 17, .client_port = 40000,
                             .server_port = 53, .tcp_state = NM_TCPS_NONE,
                             .end_reason = NM_FEND_ACTIVE, .is_connection = true };
    f.client.b[0] = 10;
    f.server.b[0] = 10, f.server.b[3] = 200;
    CHECK(nm_db_begin(db) == 0);
    /* flows 1..70 (two full batches and 6 waiting), then flow 65 again
     * (its first put still waits in the same batch) and flow 5 again (its
     * first put went out with the first batch) */
    for (int i = 1; i <= 70; i++) {
        f.flow_id = (uint64_t)i;
        f.client.b[3] = (uint8_t)i;
        f.first_ns = f.last_ns = 1000 + i;
        f.pkts_c2s = (uint64_t)i;
        f.bytes_c2s = 100u * (uint64_t)i;
        CHECK(nm_db_put_flow(db, sid, &f) == 0);
    }
    f.flow_id = 65;
    f.client.b[3] = 65;
    f.first_ns = 1065;
    f.last_ns = 9065;
    f.pkts_c2s = 650;
    f.bytes_c2s = 6500;
    f.end_reason = NM_FEND_IDLE;
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    f.flow_id = 5;
    f.client.b[3] = 5;
    f.first_ns = 1005;
    f.last_ns = 9005;
    f.pkts_c2s = 50;
    f.bytes_c2s = 500;
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    CHECK(nm_db_commit(db) == 0);
    /* rolled back: neither the new flow 100 nor flow 1's new totals */
    CHECK(nm_db_begin(db) == 0);
    for (int i = 0; i < 40; i++) {
        f.flow_id = i ? 100 : 1;
        f.pkts_c2s = 77777;
        CHECK(nm_db_put_flow(db, sid, &f) == 0);
    }
    CHECK(nm_db_rollback(db) == 0);
    /* and the next transaction does not write them either */
    CHECK(nm_db_begin(db) == 0);
    f.flow_id = 71;
    f.pkts_c2s = 71;
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    CHECK(nm_db_commit(db) == 0);
    /* More rows than wait to be sorted (8192), in descending key order;
     * flow 9999 again after the first 8192 went out, flow 2000 again
     * before: the last put wins either way. */
    CHECK(nm_db_begin(db) == 0);
    f.end_reason = NM_FEND_FIN;
    for (int i = 10000; i > 1000; i--) {
        f.flow_id = (uint64_t)i;
        f.pkts_c2s = (uint64_t)i;
        CHECK(nm_db_put_flow(db, sid, &f) == 0);
        if (i == 1500) {
            f.flow_id = 2000;
            f.pkts_c2s = 2;
            CHECK(nm_db_put_flow(db, sid, &f) == 0);
        }
    }
    f.flow_id = 9999;
    f.pkts_c2s = 9;
    CHECK(nm_db_put_flow(db, sid, &f) == 0);
    CHECK(nm_db_commit(db) == 0);

    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM flows"), 71 + 9000);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM flows WHERE flow_id > 1000"
                        " AND end_reason = 'fin' AND pkts_c2s = flow_id"), 8998);
    CHECK_EQ_U(q_int(c, "SELECT pkts_c2s FROM flows WHERE flow_id = 9999"), 9);
    CHECK_EQ_U(q_int(c, "SELECT pkts_c2s FROM flows WHERE flow_id = 2000"), 2);
    CHECK_EQ_U(q_int(c, "SELECT pkts_c2s FROM flows WHERE flow_id = 71"), 71);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM flows WHERE flow_id NOT IN (5, 65)"
                        " AND client_ip = '10.0.0.' || flow_id AND server_ip = '10.0.0.200'"
                        " AND first_ns = 1000 + flow_id AND last_ns = first_ns"
                        " AND pkts_c2s = flow_id AND bytes_c2s = 100 * flow_id"
                        " AND end_reason = 'active' AND proto = 'UDP'"), 68);
    CHECK_EQ_S(q_text(c, "SELECT client_ip || '|' || first_ns || '|' || last_ns || '|' ||"
                         " pkts_c2s || '|' || bytes_c2s || '|' || end_reason FROM flows"
                         " WHERE flow_id = 5"), "10.0.0.5|1005|9005|50|500|idle");
    CHECK_EQ_S(q_text(c, "SELECT client_ip || '|' || first_ns || '|' || last_ns || '|' ||"
                         " pkts_c2s || '|' || bytes_c2s || '|' || end_reason FROM flows"
                         " WHERE flow_id = 65"), "10.0.0.65|1065|9065|650|6500|idle");
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM flows WHERE pkts_c2s = 77777 OR flow_id = 100"), 0);
    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

/* Histogram buckets wait in batches of 32 as well (db.c): a bucket put
 * again keeps its last values, and a rollback drops what waits with it.
 * Address deltas go a statement each; the same transaction shows they add
 * up, whether the address came again soon or later. */
static void test_delta_batches(void)
{
    const char *p = tpath("deltabatch.db");
    struct nm_db *db = open_ok(p, NM_DB_WRITE);
    int64_t sid = 0;

    if (db == NULL)
        return;
    CHECK(nm_db_session_begin(db, &test_info, &sid) == 0);
    CHECK(nm_db_begin(db) == 0);
    /* addresses 10.0.0.1..50, then 10.0.0.3 (long after its first delta)
     * and 10.0.0.45 (soon after) again; the MAC form of 7 is a different key */
    for (int i = 1; i <= 50; i++) {
        struct nm_addr_rec a = { .kind = NM_ADDR_IPV4, .first_ns = 100 + i, .last_ns = 200 + i,
                                 .pkts_sent = (uint64_t)i, .bytes_sent = 10u * (uint64_t)i };
        a.addr[0] = 10;
        a.addr[3] = (uint8_t)i;
        CHECK(nm_db_add_address(db, sid, &a) == 0);
    }
    for (int k = 0; k < 2; k++) {
        int i = k ? 45 : 3;
        struct nm_addr_rec a = { .kind = NM_ADDR_IPV4, .first_ns = 50, .last_ns = 900,
                                 .pkts_sent = 1, .bytes_sent = 1, .pkts_recv = 2,
                                 .bytes_recv = 20 };
        a.addr[0] = 10;
        a.addr[3] = (uint8_t)i;
        CHECK(nm_db_add_address(db, sid, &a) == 0);
    }
    struct nm_addr_rec m = { .kind = NM_ADDR_MAC, .first_ns = 1, .last_ns = 2, .pkts_recv = 3,
                             .bytes_recv = 4 };
    m.addr[5] = 7;
    CHECK(nm_db_add_address(db, sid, &m) == 0);
    /* 40 buckets of one histogram, then bucket 2 again */
    struct nm_lathist_rec r = { .kind = NM_LAT_DNS, .ip_proto = 17 };
    for (int b = 0; b < 40; b++) {
        r.bucket = b;
        r.count = (uint64_t)b + 1;
        r.sum_ns = r.min_ns = r.max_ns = b;
        CHECK(nm_db_put_latency_bucket(db, sid, &r) == 0);
    }
    r.bucket = 2;
    r.count = 99;
    CHECK(nm_db_put_latency_bucket(db, sid, &r) == 0);
    CHECK(nm_db_commit(db) == 0);
    /* rolled back, full batches and waiting rows alike */
    CHECK(nm_db_begin(db) == 0);
    for (int i = 0; i < 40; i++) {
        struct nm_addr_rec a = { .kind = NM_ADDR_IPV4, .first_ns = 1, .last_ns = 1,
                                 .pkts_sent = 1000 };
        a.addr[0] = 10;
        a.addr[3] = 1;
        CHECK(nm_db_add_address(db, sid, &a) == 0);
        r.bucket = 100 + i;
        CHECK(nm_db_put_latency_bucket(db, sid, &r) == 0);
    }
    CHECK(nm_db_rollback(db) == 0);
    CHECK(nm_db_begin(db) == 0);
    CHECK(nm_db_commit(db) == 0);

    sqlite3 *c = raw_open(p);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM addresses"), 51);
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM addresses WHERE kind = 'ipv4'"
                        " AND address NOT IN ('10.0.0.3', '10.0.0.45')"
                        " AND first_ns = 100 + substr(address, 8)"
                        " AND last_ns = 200 + substr(address, 8)"
                        " AND pkts_sent = 0 + substr(address, 8)"
                        " AND bytes_sent = 10 * substr(address, 8)"
                        " AND pkts_recv = 0 AND bytes_recv = 0"), 48);
    CHECK_EQ_S(q_text(c, "SELECT group_concat(address || ' ' || first_ns || ' ' || last_ns"
                         " || ' ' || pkts_sent || ' ' || bytes_sent || ' ' || pkts_recv || ' '"
                         " || bytes_recv, '; ') FROM (SELECT * FROM addresses"
                         " WHERE address IN ('10.0.0.3', '10.0.0.45') ORDER BY address)"),
               "10.0.0.3 50 900 4 31 2 20; 10.0.0.45 50 900 46 451 2 20");
    CHECK_EQ_S(q_text(c, "SELECT kind || ' ' || address || ' ' || pkts_recv FROM addresses"
                         " WHERE kind = 'mac'"), "mac 00:00:00:00:00:07 3");
    CHECK_EQ_U(q_int(c, "SELECT count(*) FROM latency_hist"), 40);
    CHECK_EQ_U(q_int(c, "SELECT sum(count) FROM latency_hist"), 40 * 41 / 2 - 3 + 99);
    CHECK_EQ_U(q_int(c, "SELECT count FROM latency_hist WHERE low_ns = 2"), 99);
    sqlite3_close(c);
    nm_db_close(db);
    remove_db(p);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_create();
    test_upgrade_from_v0();
    test_upgrade_from_v1();
    test_refuse();
    test_open_errors();
    test_session_and_packets();
    test_packet_batches();
    test_flow_batches();
    test_delta_batches();
    test_aggregates();
    test_read_only();
    test_locked();
    test_disk_full();
    test_second_atomic();
    test_wal_bounded();
    test_summary_latency_view();
    test_latency_rows();
    test_handshake_rows();
    test_data_ack_rows();
    test_sample_rows_random();
    measure_insert_rate();
    rmdir(dir);
    return check_report(argv[0]);
}
