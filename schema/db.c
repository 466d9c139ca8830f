/*
 * db.c - netmon's database (see db.h; tables in schema.sql, meaning in
 * docs/schema.md).
 *
 * Speed: every statement is prepared once, on first use, and reused; the
 * writer batches thousands of rows per transaction (nm_db_begin/commit).
 * WAL with synchronous=NORMAL makes a commit one sequential append with no
 * fsync of the main file, and lets nm-live read while nm-capture writes.
 *
 * Messages: "PATH: cause", e.g. "lab.db: database is locked" or
 * "lab.db: disk full (database or disk is full)", so a user with several
 * databases knows which one and why.
 */
#include "db_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../analyze/eventline.h"
#include "../analyze/textfmt.h"

#ifndef NM_VERSION
#define NM_VERSION "unknown"
#endif

/* PRAGMA application_id of a netmon database: "NMON" in ASCII.  Lets us
 * refuse to add our tables to some other program's database. */
#define NM_APPLICATION_ID 0x4e4d4f4e

/* How long a write waits for another connection's lock before
 * "database is locked".  Long enough to ride out nm-report's reads and a
 * checkpoint, short enough that a stuck peer is reported. */
#define NM_DB_BUSY_TIMEOUT_MS 5000
/* Pages in the write-ahead log that make a checkpoint worth it: SQLite's
 * default for its automatic checkpoints. */
#define NM_DB_CHECKPOINT_FRAMES 1000

extern const char nm_schema_sql[];  /* schema/schema.sql, built by the Makefile */
extern const char nm_v2_sql[];      /* schema/v2.sql */
extern const char nm_v3_sql[];      /* schema/v3.sql */
extern const char nm_v4_sql[];      /* schema/v4.sql */
extern const char nm_v5_sql[];      /* schema/v5.sql */
extern const char nm_v6_sql[];      /* schema/v6.sql */

/*
 * Migrations: migrations[i] takes a database from version i to i + 1.
 * Each is a .sql file compiled in like schema.sql; entries are never
 * edited once released.
 */
static const char *const migrations[NM_SCHEMA_VERSION] = {
    nm_schema_sql,  /* 0 -> 1 */
    nm_v2_sql,      /* 1 -> 2: latency histograms */
    nm_v3_sql,      /* 2 -> 3: latency samples as numbers, addresses from flows */
    nm_v4_sql,      /* 3 -> 4: a TCP handshake's three samples in one row */
    nm_v5_sql,      /* 4 -> 5: a connection's data -> ACK samples in its rows */
    nm_v6_sql,      /* 5 -> 6: flows in a rowid table, its key in an index */
};

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SESSION_BEGIN,
    ST_SESSION_UPDATE,
    ST_PACKET,
    ST_FLOW,
    ST_ADDRESS,
    ST_SECOND,
    ST_PROTO_SECOND,
    ST_DROPS,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_MALFORMED,
    ST_LOG,
    ST_LATENCY,
    ST_LATENCY_TIMEOUT,
    ST_LATENCY_BUCKET,
    ST_COUNT
};

/* Latency samples go in LATENCY_BATCH rows per statement: 17 % fewer
 * instructions per row than a statement per row (callgrind, mixed-200k:
 * 7.2 k -> 6.0 k when rows held addresses as text; 3.7 k as numbers, schema
 * 3).  The rows wait in struct nm_db, up to LATENCY_WAIT_ROWS, until there
 * are that many or the transaction commits.
 *
 * While they wait, a tcp_data_ack sample goes into the waiting row of its
 * flow when that row's place for it (schema v5: one answered by the
 * server, one by the client) is free, instead of taking a row: on
 * mixed.pcap 866,720 rows -> 406,609 (a simulation of the rule gave
 * 405,869 with 1,024 waiting rows, 400,095 with 4,096 and 398,680 with
 * 16,384: the file's wall-clock commits end some waits early).  A row
 * costs the writer about half a packet row, so in per-packet mode the
 * sample rows were most of latency's cost: 20 % -> 10 % of its rate. */
#define LATENCY_HEAD                                                                    \
    "INSERT INTO latency_sample_rows (session_id, ts_ns, flow_id, kind, ip_proto, flags," \
    " value_ns, syn_synack_ns, synack_ack_ns, ack_by_server_ns, ack_by_server_dt_ns,"     \
    " ack_by_client_ns, ack_by_client_dt_ns) VALUES "
#define LATENCY_COLUMNS 13
#define LATENCY_BATCH 32
#define LATENCY_WAIT_ROWS 4096
#define LATENCY_INDEX_SLOTS (2 * LATENCY_WAIT_ROWS)     /* a power of two */
#define IP_PROTO_TCP 6

/* Packet rows too go PACKET_BATCH per statement (ST_PACKET's VALUES
 * repeated): one sqlite3_step() and one pass through the statement's
 * set-up and halt for 32 rows instead of each; 10-15 % less time per row
 * (sqlite_ceiling alone on mixed.pcap, 27 columns).  The rows wait in
 * struct nm_db, copied, until there are enough or the transaction
 * commits. */
#define PACKET_COLUMNS 27
#define PACKET_BATCH 32

/* Flow rows as well: in aggregate mode (-A) they are nearly all the
 * writer's work (mixed.pcap: 360,000 of 400,000 records, 1.6 of its 1.9 s
 * of CPU), and a statement per row made the writer as slow as the capture
 * thread.  32 per statement: 30-40 % less time per row (a 21-column
 * INSERT OR REPLACE, 360,000 rows, alone).
 *
 * And in key order: a flow's row is written when it ends, but its key is
 * its flow id, given when it began, so rows came in an order far from the
 * key's (flows last from milliseconds to minutes), and each landed in a
 * different page of the B-tree, splitting pages half full.  Up to
 * FLOW_SORT_ROWS rows wait and go in sorted by key (a stable sort: a
 * flow put twice keeps its last values): 360,000 rows 3.4 s -> 2.1 s
 * alone with 16 KiB pages.  Since schema version 6 the rows themselves are
 * appended to a rowid table and only the key's index entries go into the
 * middle (v6.sql): the database thread of mixed.pcap -A 20 % less CPU. */
#define FLOW_COLUMNS 21
#define FLOW_BATCH 32
#define FLOW_SORT_ROWS 8192

/* And histogram buckets, which a flush writes all at once (mixed.pcap:
 * 15,500 after its last packet, which the capture thread waits for at the
 * end of a file).  The rows of an INSERT OR REPLACE go in one after
 * another, so a bucket put twice in a batch keeps its last values.
 * Address deltas stay a statement each: their upsert 32 rows at a time was
 * 20-30 % slower under a flood of new addresses (small-flows.pcap), whose
 * rows land in random pages of a B-tree larger than the cache (a
 * statement of many rows saves the original of every page it changes, in
 * case it fails half-way). */
#define BUCKET_COLUMNS 8
#define BUCKET_BATCH 32

static const char *const stmt_sql[ST_COUNT] = {
    /* IMMEDIATE takes the write lock now (waiting up to the busy timeout)
     * instead of failing later when a deferred read upgrades to a write. */
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SESSION_BEGIN] =
        "INSERT INTO sessions (source, live, link_type, link_type_name, filter, command_line,"
        " ts_precision, snaplen, aggregate_only, start_wall_ns, netmon_version)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_SESSION_UPDATE] =
        "UPDATE sessions SET end_reason = ?2, end_message = ?3, end_wall_ns = ?4,"
        " first_packet_ns = ?5, last_packet_ns = ?6, packets = ?7, bytes = ?8,"
        " captured_bytes = ?9, drops_kernel = ?10, drops_ifdrop = ?11, drops_queue = ?12,"
        " malformed = ?13, flows_evicted = ?14, addresses_evicted = ?15,"
        " latency_evictions = ?16 WHERE id = ?1",
    [ST_PACKET] =
        "INSERT INTO packets (session_id, ts_ns, wire_len, cap_len, layers, src_mac, dst_mac,"
        " vlan_outer, vlan_inner, ethertype, ip_version, src_ip, dst_ip, ip_proto, src_port,"
        " dst_port, tcp_flags, icmp_type, icmp_code, arp_op, arp_spa, arp_tpa, dns_id,"
        " dns_flags, dns_qname, flow_id, malformed)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_FLOW] =
        "INSERT OR REPLACE INTO flows (session_id, flow_id, proto, ip_version, ip_proto, vlan,"
        " client_ip, client_port, server_ip, server_port, first_ns, last_ns, pkts_c2s,"
        " bytes_c2s, pkts_s2c, bytes_s2c, tcp_retransmissions, tcp_resets, tcp_state,"
        " end_reason, is_connection)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_ADDRESS] =
        "INSERT INTO addresses (session_id, kind, address, first_ns, last_ns, pkts_sent,"
        " bytes_sent, pkts_recv, bytes_recv) VALUES (?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (session_id, kind, address) DO UPDATE SET"
        " first_ns = min(first_ns, excluded.first_ns),"
        " last_ns = max(last_ns, excluded.last_ns),"
        " pkts_sent = pkts_sent + excluded.pkts_sent,"
        " bytes_sent = bytes_sent + excluded.bytes_sent,"
        " pkts_recv = pkts_recv + excluded.pkts_recv,"
        " bytes_recv = bytes_recv + excluded.bytes_recv",
    [ST_SECOND] =
        "INSERT INTO seconds (session_id, second, packets, bytes, malformed, tcp_resets,"
        " tcp_retransmissions) VALUES (?,?,?,?,?,?,?)"
        " ON CONFLICT (session_id, second) DO UPDATE SET"
        " packets = packets + excluded.packets,"
        " bytes = bytes + excluded.bytes,"
        " malformed = malformed + excluded.malformed,"
        " tcp_resets = tcp_resets + excluded.tcp_resets,"
        " tcp_retransmissions = tcp_retransmissions + excluded.tcp_retransmissions",
    [ST_PROTO_SECOND] =
        "INSERT INTO proto_seconds (session_id, proto, second, packets, bytes, new_connections)"
        " VALUES (?,?,?,?,?,?)"
        " ON CONFLICT (session_id, proto, second) DO UPDATE SET"
        " packets = packets + excluded.packets,"
        " bytes = bytes + excluded.bytes,"
        " new_connections = new_connections + excluded.new_connections",
    [ST_DROPS] =
        "INSERT INTO seconds (session_id, second, drops_kernel, drops_ifdrop, drops_queue)"
        " VALUES (?,?,?,?,?)"
        " ON CONFLICT (session_id, second) DO UPDATE SET"
        " drops_kernel = drops_kernel + excluded.drops_kernel,"
        " drops_ifdrop = drops_ifdrop + excluded.drops_ifdrop,"
        " drops_queue = drops_queue + excluded.drops_queue",
    [ST_SAVEPOINT] = "SAVEPOINT nm_second",
    [ST_RELEASE] = "RELEASE nm_second",
    [ST_ROLLBACK_TO] = "ROLLBACK TO nm_second",
    [ST_MALFORMED] = "INSERT OR REPLACE INTO malformed (session_id, reason, count) VALUES (?,?,?)",
    [ST_LOG] = "INSERT INTO log (session_id, wall_ns, level, message) VALUES (?,?,?,?)",
    [ST_LATENCY] = LATENCY_HEAD "(?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_LATENCY_TIMEOUT] =
        "INSERT INTO latency_timeouts (session_id, kind, server, server_port, ip_proto, count)"
        " VALUES (?,?,?,?,?,1) ON CONFLICT (session_id, kind, server, server_port, ip_proto)"
        " DO UPDATE SET count = count + 1",
    /* parenthesised: clang warns of two concatenated literals in an array */
    [ST_LATENCY_BUCKET] = ("INSERT OR REPLACE INTO latency_hist (session_id, kind, ip_proto,"
                           " low_ns, count, sum_ns, min_ns, max_ns) VALUES (?,?,?,?,?,?,?,?)"),
};

/* The text of one packet row, bound SQLITE_STATIC: it must live until the
 * row's statement has run. */
struct packet_text {
    char src_mac[NM_FMT_MAC_LEN], dst_mac[NM_FMT_MAC_LEN];
    char src_ip[NM_FMT_IPV6_LEN], dst_ip[NM_FMT_IPV6_LEN];
    char spa[NM_FMT_IPV4_LEN], tpa[NM_FMT_IPV4_LEN];
    char qname[NM_FMT_DNS_NAME_LEN];
};

struct flow_text {
    char client[NM_FMT_IPV6_LEN], server[NM_FMT_IPV6_LEN];
};

/* A latency row waiting to be written: a sample, and up to one
 * tcp_data_ack sample of the same flow per answering side ([0] answered
 * by the client, [1] by the server). */
struct lat_row {
    int64_t session_id;
    struct nm_db_latency_row sample;
    bool has_ack[2];
    int64_t ack_ns[2];
    int64_t ack_dt_ns[2];       /* its ts_ns - sample.ts_ns */
};

/* A waiting flow row's place in key order: these 24-byte keys are sorted,
 * not the rows (about 130 bytes each); `row` (the put order) keeps puts of
 * one flow in order. */
struct flow_key {
    int64_t session_id;
    uint64_t flow_id;
    uint32_t row;
};

struct nm_db {
    sqlite3 *conn;
    sqlite3_stmt *pkt_batch_stmt;
    unsigned pkt_pending;              /* rows waiting in pkt_rows */
    struct nm_packet pkt_rows[PACKET_BATCH];
    uint64_t pkt_flow[PACKET_BATCH];
    int64_t pkt_session[PACKET_BATCH];
    struct packet_text pkt_text[PACKET_BATCH];
    sqlite3_stmt *lat_batch_stmt;
    unsigned lat_pending;              /* rows waiting in lat_rows */
    struct lat_row *lat_rows;          /* [LATENCY_WAIT_ROWS], from the first add */
    /* The waiting row that a flow's next tcp_data_ack may go into (its
     * latest TCP row), by flow id: row index + 1, 0 for none.  Open
     * addressing; emptied whenever lat_pending goes back to 0. */
    uint32_t *lat_index;               /* [LATENCY_INDEX_SLOTS], with lat_rows */
    sqlite3_stmt *flow_batch_stmt;
    unsigned flow_pending;             /* rows waiting in flow_rows */
    struct nm_flow_rec *flow_rows;     /* [FLOW_SORT_ROWS], from the first put */
    struct flow_key *flow_keys;        /* [FLOW_SORT_ROWS], one per waiting row */
    struct flow_text flow_text[FLOW_BATCH];
    sqlite3_stmt *bucket_batch_stmt;
    unsigned bucket_pending;           /* rows waiting in bucket_rows */
    struct nm_lathist_rec bucket_rows[BUCKET_BATCH];
    int64_t bucket_session[BUCKET_BATCH];
    enum nm_db_mode mode;
    /* Frames in the write-ahead log after this connection's last commit,
     * once it hands its checkpoints over; the checkpointer's connection
     * reads the writer's through `watch`. */
    atomic_int wal_frames;
    const atomic_int *watch;
    /* Frames of the log copied into the database by the checkpointer's
     * last checkpoint (the writer's field; the checkpointer writes it
     * through `copied`). */
    atomic_int wal_copied;
    atomic_int *copied;
    bool err_full;
    sqlite3_stmt *stmt[ST_COUNT];
    char err[1024];
    char path[];  /* as given by the caller */
};

/* ------------------------------------------------------------ errors -- */

static bool rc_is_full(int rc)
{
    int prim = rc & 0xff;
    return prim == SQLITE_FULL || prim == SQLITE_IOERR;
}

/* "cause" text for rc, using the connection's message when it has one. */
static void describe(sqlite3 *conn, int rc, char *out, size_t len)
{
    int prim = rc & 0xff;
    const char *msg = conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc);
    int sys = conn ? sqlite3_system_errno(conn) : 0;

    if (prim == SQLITE_FULL)
        snprintf(out, len, "disk full (%s)", msg);
    else if ((prim == SQLITE_IOERR || prim == SQLITE_CANTOPEN) && sys != 0)
        snprintf(out, len, "%s (%s)", msg, strerror(sys));
    else
        snprintf(out, len, "%s", msg);
}

int nm_db_fail_rc(struct nm_db *db, int rc)
{
    char cause[512];

    describe(db->conn, rc, cause, sizeof cause);
    snprintf(db->err, sizeof db->err, "%s: %s", db->path, cause);
    db->err_full = rc_is_full(rc);
    return -1;
}

int nm_db_fail_msg(struct nm_db *db, const char *message)
{
    snprintf(db->err, sizeof db->err, "%s: %s", db->path, message);
    db->err_full = false;
    return -1;
}

void nm_db_clear_error(struct nm_db *db)
{
    db->err[0] = '\0';
    db->err_full = false;
}

static void ok(struct nm_db *db)
{
    nm_db_clear_error(db);
}

const char *nm_db_errmsg(const struct nm_db *db)
{
    return db ? db->err : "no database";
}

bool nm_db_error_is_full(const struct nm_db *db)
{
    return db && db->err_full;
}

struct sqlite3 *nm_db_conn(struct nm_db *db)
{
    return db->conn;
}

const char *nm_db_path(const struct nm_db *db)
{
    return db->path;
}

/* -------------------------------------------------------- statements -- */

/* The prepared statement `id`, prepared on first use; NULL on error. */
static sqlite3_stmt *stmt(struct nm_db *db, enum stmt_id id)
{
    if (db->stmt[id] == NULL) {
        int rc = sqlite3_prepare_v3(db->conn, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &db->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            nm_db_fail_rc(db, rc);
            db->stmt[id] = NULL;
        }
    }
    return db->stmt[id];
}

/* Steps a statement with no result rows, then resets it; 0 or -1. */
static int run(struct nm_db *db, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        nm_db_fail_rc(db, rc);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}

static int run_id(struct nm_db *db, enum stmt_id id)
{
    sqlite3_stmt *s = stmt(db, id);
    return s ? run(db, s) : -1;
}

/* Counters are uint64 in C and int64 in SQLite; 2^63 packets do not
 * happen, but a wrapped negative count would be worse than a clamped one. */
static int64_t clamp_u64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static void bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
    sqlite3_bind_int64(s, i, clamp_u64(v));
}

/* Binds text that lives until the statement has been stepped. */
static void bind_text(sqlite3_stmt *s, int i, const char *text)
{
    if (text)
        sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bind_text_n(sqlite3_stmt *s, int i, const char *text, size_t n)
{
    sqlite3_bind_text(s, i, text, (int)n, SQLITE_STATIC);
}

/* ------------------------------------------------------- open / close -- */

/* Runs a one-row integer query such as "PRAGMA user_version". */
static int query_int(struct nm_db *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db->conn, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return nm_db_fail_rc(db, rc);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *out = 0;
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        nm_db_fail_rc(db, rc);
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : -1;
}

static int exec(struct nm_db *db, const char *sql)
{
    int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : nm_db_fail_rc(db, rc);
}

/* Runs migrations[from .. NM_SCHEMA_VERSION - 1], one transaction each. */
static int migrate(struct nm_db *db)
{
    for (int guard = 0; guard < NM_SCHEMA_VERSION; guard++) {
        int64_t version;
        char sql[96];

        if (exec(db, "BEGIN IMMEDIATE") != 0)
            return -1;
        /* Re-read under the write lock: another process may have migrated
         * between our first look and the lock. */
        if (query_int(db, "PRAGMA user_version", &version) != 0)
            goto fail;
        if (version >= NM_SCHEMA_VERSION) {
            if (exec(db, "COMMIT") != 0)
                goto fail;
            return 0;
        }
        if (version < 0) {
            nm_db_fail_msg(db, "invalid schema version (negative user_version)");
            goto fail;
        }
        int rc = sqlite3_exec(db->conn, migrations[version], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            char cause[512], msg[600];
            describe(db->conn, rc, cause, sizeof cause);
            snprintf(msg, sizeof msg, "cannot upgrade schema to version %lld: %s",
                     (long long)version + 1, cause);
            nm_db_fail_msg(db, msg);
            db->err_full = rc_is_full(rc);
            goto fail;
        }
        snprintf(sql, sizeof sql, "PRAGMA user_version = %lld; PRAGMA application_id = %d",
                 (long long)version + 1, NM_APPLICATION_ID);
        if (exec(db, sql) != 0 || exec(db, "COMMIT") != 0)
            goto fail;
    }
    return 0;

fail:
    sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/*
 * Checks the schema version and that the file is ours, without writing
 * anything: a database we refuse is left exactly as it was.  Sets
 * *migrate_needed in write mode when the schema is older than ours.
 */
static int check_schema(struct nm_db *db, bool *migrate_needed)
{
    int64_t version, app_id, objects;
    char msg[256];

    *migrate_needed = false;
    /* The first read: "file is not a database" shows up here. */
    if (query_int(db, "PRAGMA user_version", &version) != 0)
        return -1;
    if (query_int(db, "PRAGMA application_id", &app_id) != 0)
        return -1;
    if (app_id != 0 && app_id != NM_APPLICATION_ID) {
        snprintf(msg, sizeof msg, "not a netmon database (application_id 0x%08llx)",
                 (unsigned long long)app_id & 0xffffffffu);
        return nm_db_fail_msg(db, msg);
    }
    if (version > NM_SCHEMA_VERSION) {
        snprintf(msg, sizeof msg,
                 "database schema version %lld is newer than this netmon (%s) supports "
                 "(version %d); use a newer netmon",
                 (long long)version, NM_VERSION, NM_SCHEMA_VERSION);
        return nm_db_fail_msg(db, msg);
    }
    if (version == NM_SCHEMA_VERSION)
        return 0;

    if (db->mode == NM_DB_READ) {
        if (version == 0)
            return nm_db_fail_msg(db, "not a netmon database (no netmon schema; "
                                      "nm-capture creates one)");
        snprintf(msg, sizeof msg,
                 "database schema version %lld is older than this netmon's (%d); "
                 "open it once with nm-capture to upgrade it",
                 (long long)version, NM_SCHEMA_VERSION);
        return nm_db_fail_msg(db, msg);
    }
    if (version == 0 && app_id == 0) {
        if (query_int(db, "SELECT count(*) FROM sqlite_schema", &objects) != 0)
            return -1;
        if (objects > 0)
            return nm_db_fail_msg(db, "not a netmon database (it holds other tables)");
    }
    *migrate_needed = true;
    return 0;
}

/*
 * A reader of a database in a folder it cannot write, with no write-ahead
 * log beside it (a finished capture copied to read-only media, or another
 * user's folder), cannot create the netmon.db-shm that SQLite needs to
 * read a WAL database.  Such a file cannot be being written (a writer would
 * need netmon.db-wal there), so it is read as an immutable file instead.
 */
static bool read_as_immutable(const char *path)
{
    char dir[PATH_MAX], wal[PATH_MAX];
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if ((size_t)snprintf(wal, sizeof wal, "%s-wal", path) >= sizeof wal)
        return false;
    return access(dir, W_OK) != 0 && access(wal, F_OK) != 0 && access(path, R_OK) == 0;
}

/* "file:PATH?immutable=1" with PATH percent-encoded where URIs need it. */
static void immutable_uri(const char *path, char *uri, size_t len)
{
    size_t o = 0;
    o += (size_t)snprintf(uri, len, "file:");
    for (const char *p = path; *p && o + 4 < len; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            o += (size_t)snprintf(uri + o, len - o, "%%%02X", (unsigned char)*p);
        else
            uri[o++] = *p;
    }
    snprintf(uri + o, len - o, "?immutable=1");
}

int nm_db_open(const char *path, enum nm_db_mode mode, struct nm_db **out, char *errbuf,
               size_t errlen)
{
    size_t plen = strlen(path);
    struct nm_db *db = calloc(1, sizeof *db + plen + 1);
    bool migrate_needed;
    int flags, rc;

    *out = NULL;
    if (errlen > 0)
        errbuf[0] = '\0';
    if (db == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(db->path, path, plen + 1);
    db->mode = mode;

    /* NOMUTEX: a handle is used by one thread at a time (db.h), so
     * SQLite's per-call mutex is pure cost. */
    flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    /* Readers open read-write when they may (query_only below keeps every
     * statement from writing): only a connection that can write removes
     * netmon.db-wal and -shm when it is the last to close, so a read-only
     * reader left them behind after every nm-report.  A file or folder we
     * may not write falls back to a plain read-only open. */
    flags |= mode == NM_DB_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                 : SQLITE_OPEN_READWRITE;
    if (mode == NM_DB_READ && read_as_immutable(path)) {
        char uri[PATH_MAX * 3 + 32];
        immutable_uri(path, uri, sizeof uri);
        flags = (flags & ~SQLITE_OPEN_READWRITE) | SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
        rc = sqlite3_open_v2(uri, &db->conn, flags, NULL);
    } else {
        rc = sqlite3_open_v2(path, &db->conn, flags, NULL);
    }
    if (rc != SQLITE_OK && mode == NM_DB_READ && !(flags & SQLITE_OPEN_URI)) {
        sqlite3_close(db->conn);
        db->conn = NULL;
        flags = (flags & ~SQLITE_OPEN_READWRITE) | SQLITE_OPEN_READONLY;
        rc = sqlite3_open_v2(path, &db->conn, flags, NULL);
    }
    if (rc != SQLITE_OK) {
        if (db->conn == NULL)
            snprintf(db->err, sizeof db->err, "%s: %s", path, sqlite3_errstr(rc));
        else
            nm_db_fail_rc(db, rc);
        goto fail;
    }
    sqlite3_busy_timeout(db->conn, NM_DB_BUSY_TIMEOUT_MS);
    /* Readers never write: no statement can. */
    if (mode == NM_DB_READ && exec(db, "PRAGMA query_only = 1") != 0)
        goto fail;
    if (check_schema(db, &migrate_needed) != 0)
        goto fail;
    if (mode == NM_DB_WRITE) {
        /* 16 KiB pages for a new database (ignored once it has pages):
         * packet rows are appended, and bigger pages mean fewer B-tree
         * splits and write calls.  Measured (400k rows, batches of 5000,
         * 5 runs each): ~13% less CPU per row and ~35% more rows/s than
         * the 4 KiB default.  Must come before WAL, which fixes the page
         * size. */
        if (migrate_needed && exec(db, "PRAGMA page_size = 16384") != 0)
            goto fail;
        /* WAL lets readers (nm-live) work during a capture; NORMAL syncs
         * only at checkpoints, which is safe in WAL (a power loss may lose
         * the last commits, never corrupt the file). */
        if (exec(db, "PRAGMA journal_mode = WAL") != 0 ||
            exec(db, "PRAGMA synchronous = NORMAL") != 0)
            goto fail;
        /* 64 MiB of page cache (default 2 MiB): the flows, addresses and
         * per-second tables are updated in place all over their B-trees;
         * with the default cache each update re-reads pages (pread showed
         * in profiles).  temp_store in memory for the same reason. */
        if (exec(db, "PRAGMA cache_size = -65536") != 0 ||
            exec(db, "PRAGMA temp_store = MEMORY") != 0)
            goto fail;
        if (migrate_needed && migrate(db) != 0)
            goto fail;
    }
    ok(db);
    *out = db;
    return 0;

fail:
    snprintf(errbuf, errlen, "%s", db->err);
    nm_db_close(db);
    return -1;
}

void nm_db_close(struct nm_db *db)
{
    if (db == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(db->stmt[i]);
    sqlite3_finalize(db->lat_batch_stmt);
    sqlite3_finalize(db->pkt_batch_stmt);
    sqlite3_finalize(db->flow_batch_stmt);
    free(db->flow_rows);
    free(db->flow_keys);
    free(db->lat_rows);
    free(db->lat_index);
    sqlite3_finalize(db->bucket_batch_stmt);
    /* sqlite3_close_v2 never fails for open statements: all are finalized
     * above, so this frees the connection. */
    sqlite3_close_v2(db->conn);
    free(db);
}

/*
 * The checkpointer's connection: no schema work, no statements; WAL and
 * NORMAL as the writer's, so that a checkpoint syncs the log before it
 * copies and the database after, and nothing more.
 */
int nm_db_open_checkpointer(struct nm_db *writer, struct nm_db **out, char *errbuf,
                            size_t errlen)
{
    size_t plen = strlen(writer->path);
    struct nm_db *db = calloc(1, sizeof *db + plen + 1);

    *out = NULL;
    if (db == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory", writer->path);
        return -1;
    }
    memcpy(db->path, writer->path, plen + 1);
    db->mode = NM_DB_WRITE;
    db->watch = &writer->wal_frames;
    db->copied = &writer->wal_copied;
    int rc = sqlite3_open_v2(writer->path, &db->conn, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "%s: %s", writer->path, sqlite3_errstr(rc));
        nm_db_close(db);
        return -1;
    }
    if (exec(db, "PRAGMA synchronous = NORMAL") != 0) {
        snprintf(errbuf, errlen, "%s", db->err);
        nm_db_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

int nm_db_checkpoint(struct nm_db *db)
{
    /* As SQLite's own automatic checkpoints: once the log holds 1000
     * pages.  Checkpointing more often wrote more (a page changed by many
     * commits is copied each time) and, on a nearly full disk, grew the
     * database file with what the log still holds, leaving no room for the
     * session row's last update. */
    if (db->watch && atomic_load_explicit(db->watch, memory_order_relaxed) < NM_DB_CHECKPOINT_FRAMES)
        return 0;
    int frames = -1, copied = -1;
    int rc = sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                       &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        return nm_db_fail_rc(db, rc);
    if (rc == SQLITE_OK && db->copied)
        atomic_store_explicit(db->copied, copied, memory_order_relaxed);
    ok(db);
    return 0;
}

/* SQLite's automatic checkpoints are a WAL hook too: this one replaces
 * them and only records the log's size. */
static int on_wal_commit(void *arg, sqlite3 *conn, const char *name, int frames)
{
    struct nm_db *db = arg;
    (void)conn;
    (void)name;
    /* Fewer frames than after the last commit: the log started again, and
     * what the checkpointer copied was in the old one. */
    if (frames < atomic_load_explicit(&db->wal_frames, memory_order_relaxed))
        atomic_store_explicit(&db->wal_copied, 0, memory_order_relaxed);
    atomic_store_explicit(&db->wal_frames, frames, memory_order_relaxed);
    return SQLITE_OK;
}

int nm_db_bound_wal(struct nm_db *db, bool light_load)
{
    int frames = atomic_load_explicit(&db->wal_frames, memory_order_relaxed);
    int copied = atomic_load_explicit(&db->wal_copied, memory_order_relaxed);
    int limit = light_load ? NM_DB_WAL_RESTART_FRAMES : NM_DB_WAL_RESTART_FRAMES_BUSY;
    if (frames < limit || frames - copied > NM_DB_WAL_RESTART_LEFT)
        return 0;
    int rc = sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        return nm_db_fail_rc(db, rc);
    ok(db);
    return 0;
}

void nm_db_hand_over_checkpoints(struct nm_db *db)
{
    sqlite3_wal_hook(db->conn, on_wal_commit, db);
}

int nm_db_set_busy_timeout(struct nm_db *db, int ms)
{
    int rc = sqlite3_busy_timeout(db->conn, ms < 0 ? 0 : ms);
    if (rc != SQLITE_OK)
        return nm_db_fail_rc(db, rc);
    ok(db);
    return 0;
}

/* -------------------------------------------------------- sessions -- */

const char *nm_session_end_name(enum nm_session_end e)
{
    switch (e) {
    case NM_SESS_RUNNING: return "running";
    case NM_SESS_COMPLETE: return "complete";
    case NM_SESS_COUNT_LIMIT: return "count";
    case NM_SESS_TIME_LIMIT: return "duration";
    case NM_SESS_SIGNAL: return "signal";
    case NM_SESS_TRUNCATED: return "truncated";
    case NM_SESS_READ_ERROR: return "read_error";
    case NM_SESS_DB_ERROR: return "db_error";
    }
    return "unknown";
}

int nm_db_session_begin(struct nm_db *db, const struct nm_session_info *info,
                        int64_t *session_id)
{
    sqlite3_stmt *s = stmt(db, ST_SESSION_BEGIN);
    if (s == NULL)
        return -1;
    bind_text(s, 1, info->source ? info->source : "");
    sqlite3_bind_int(s, 2, info->live);
    sqlite3_bind_int(s, 3, info->link_type);
    bind_text(s, 4, info->link_type_name);
    bind_text(s, 5, info->filter);
    bind_text(s, 6, info->command_line);
    sqlite3_bind_int(s, 7, info->ts_precision);
    sqlite3_bind_int64(s, 8, info->snaplen);
    sqlite3_bind_int(s, 9, info->aggregate_only);
    sqlite3_bind_int64(s, 10, info->start_wall_ns);
    bind_text(s, 11, NM_VERSION);
    if (run(db, s) != 0)
        return -1;
    *session_id = sqlite3_last_insert_rowid(db->conn);
    ok(db);
    return 0;
}

int nm_db_session_update(struct nm_db *db, int64_t session_id,
                         const struct nm_session_final *fin)
{
    sqlite3_stmt *s = stmt(db, ST_SESSION_UPDATE);
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    bind_text(s, 2, nm_session_end_name(fin->end_reason));
    bind_text(s, 3, fin->end_message);
    sqlite3_bind_int64(s, 4, fin->end_wall_ns);
    if (fin->packets > 0) {
        sqlite3_bind_int64(s, 5, fin->first_packet_ns);
        sqlite3_bind_int64(s, 6, fin->last_packet_ns);
    } else {  /* no packet, no packet time */
        sqlite3_bind_null(s, 5);
        sqlite3_bind_null(s, 6);
    }
    bind_u64(s, 7, fin->packets);
    bind_u64(s, 8, fin->bytes);
    bind_u64(s, 9, fin->captured_bytes);
    bind_u64(s, 10, fin->drops_kernel);
    bind_u64(s, 11, fin->drops_ifdrop);
    bind_u64(s, 12, fin->drops_queue);
    bind_u64(s, 13, fin->malformed);
    bind_u64(s, 14, fin->flows_evicted);
    bind_u64(s, 15, fin->addresses_evicted);
    bind_u64(s, 16, fin->latency_evictions);
    if (run(db, s) != 0)
        return -1;
    if (sqlite3_changes(db->conn) != 1) {
        char msg[64];
        snprintf(msg, sizeof msg, "no session %lld", (long long)session_id);
        return nm_db_fail_msg(db, msg);
    }
    ok(db);
    return 0;
}

/* ------------------------------------------------------- transactions -- */

int nm_db_begin(struct nm_db *db)
{
    if (run_id(db, ST_BEGIN) != 0)
        return -1;
    ok(db);
    return 0;
}

static int flush_packets(struct nm_db *db);
static void lat_rows_gone(struct nm_db *db);
static int flush_latency(struct nm_db *db);
static int flush_flows(struct nm_db *db);
static int flush_buckets(struct nm_db *db);

int nm_db_commit(struct nm_db *db)
{
    if (flush_packets(db) != 0 || flush_latency(db) != 0 || flush_flows(db) != 0 ||
        flush_buckets(db) != 0 || run_id(db, ST_COMMIT) != 0)
        return -1;
    ok(db);
    return 0;
}

int nm_db_rollback(struct nm_db *db)
{
    db->pkt_pending = 0;
    lat_rows_gone(db);
    db->flow_pending = 0;
    db->bucket_pending = 0;
    /* SQLite may already have rolled back on its own (e.g. after
     * SQLITE_FULL); then there is nothing left to undo. */
    if (sqlite3_get_autocommit(db->conn)) {
        ok(db);
        return 0;
    }
    if (run_id(db, ST_ROLLBACK) != 0)
        return -1;
    ok(db);
    return 0;
}

/* ----------------------------------------------------------- packets -- */

/* Parameter numbers of ST_PACKET. */
enum {
    P_SESSION = 1, P_TS, P_WIRE, P_CAP, P_LAYERS, P_SRC_MAC, P_DST_MAC, P_VLAN_OUTER,
    P_VLAN_INNER, P_ETHERTYPE, P_IP_VERSION, P_SRC_IP, P_DST_IP, P_IP_PROTO, P_SRC_PORT,
    P_DST_PORT, P_TCP_FLAGS, P_ICMP_TYPE, P_ICMP_CODE, P_ARP_OP, P_ARP_SPA, P_ARP_TPA,
    P_DNS_ID, P_DNS_FLAGS, P_DNS_QNAME, P_FLOW_ID, P_MALFORMED
};
_Static_assert(P_MALFORMED == PACKET_COLUMNS, "a packet row has PACKET_COLUMNS values");

/* Address text of `ip` for family 4 or 6; returns its length, 0 if none. */
static size_t ip_text(int family, const struct nm_ip *ip, char *buf, size_t len)
{
    if (family == 4)
        return nm_fmt_ipv4(ip->b, buf, len);
    if (family == 6)
        return nm_fmt_ipv6(ip->b, buf, len);
    return 0;
}

static void bind_int_if(sqlite3_stmt *s, int i, bool present, int64_t v)
{
    if (present)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

/*
 * Binds one packet row at parameter offset `base`: exactly what the
 * event_log view needs to rebuild nm_eventline_format()'s lines: each
 * layer's fields when its layer bit is set, addresses as text with the same
 * family rule, the DNS name already escaped.  Every parameter is bound on
 * every call (a batch statement's slots hold the previous batch's values);
 * the text goes to `t`, which lives until the statement has run.
 */
static void bind_packet(sqlite3_stmt *s, int base, int64_t session_id,
                        const struct nm_packet *pkt, uint64_t flow_id, struct packet_text *t)
{
    uint32_t l = pkt->layers;
    int fam = nm_eventline_ip_family(pkt);
    size_t n;

    sqlite3_bind_int64(s, base + P_SESSION, session_id);
    sqlite3_bind_int64(s, base + P_TS, pkt->ts_ns);
    sqlite3_bind_int64(s, base + P_WIRE, pkt->wire_len);
    sqlite3_bind_int64(s, base + P_CAP, pkt->cap_len);
    sqlite3_bind_int64(s, base + P_LAYERS, l);

    if (l & NM_L_ETH) {
        bind_text_n(s, base + P_SRC_MAC, t->src_mac,
                    nm_fmt_mac(pkt->src_mac, t->src_mac, sizeof t->src_mac));
        bind_text_n(s, base + P_DST_MAC, t->dst_mac,
                    nm_fmt_mac(pkt->dst_mac, t->dst_mac, sizeof t->dst_mac));
    } else {
        sqlite3_bind_null(s, base + P_SRC_MAC);
        sqlite3_bind_null(s, base + P_DST_MAC);
    }
    bind_int_if(s, base + P_VLAN_OUTER, pkt->vlan_count >= 1, pkt->vlan_ids[0]);
    bind_int_if(s, base + P_VLAN_INNER, pkt->vlan_count >= 2, pkt->vlan_ids[1]);
    bind_int_if(s, base + P_ETHERTYPE, pkt->ethertype != 0, pkt->ethertype);
    bind_int_if(s, base + P_IP_VERSION, pkt->ip_version != 0, pkt->ip_version);

    if ((n = ip_text(fam, &pkt->src_ip, t->src_ip, sizeof t->src_ip)) > 0)
        bind_text_n(s, base + P_SRC_IP, t->src_ip, n);
    else
        sqlite3_bind_null(s, base + P_SRC_IP);
    if ((n = ip_text(fam, &pkt->dst_ip, t->dst_ip, sizeof t->dst_ip)) > 0)
        bind_text_n(s, base + P_DST_IP, t->dst_ip, n);
    else
        sqlite3_bind_null(s, base + P_DST_IP);
    bind_int_if(s, base + P_IP_PROTO, fam != 0, pkt->ip_proto);

    bool ports = (l & (NM_L_TCP | NM_L_UDP | NM_L_DNS)) != 0;
    bind_int_if(s, base + P_SRC_PORT, ports, pkt->src_port);
    bind_int_if(s, base + P_DST_PORT, ports, pkt->dst_port);
    bind_int_if(s, base + P_TCP_FLAGS, (l & NM_L_TCP) != 0, pkt->tcp_flags);
    bool icmp = (l & (NM_L_ICMP | NM_L_ICMPV6)) != 0;
    bind_int_if(s, base + P_ICMP_TYPE, icmp, pkt->icmp_type);
    bind_int_if(s, base + P_ICMP_CODE, icmp, pkt->icmp_code);

    if (l & NM_L_ARP) {
        sqlite3_bind_int64(s, base + P_ARP_OP, pkt->arp_op);
        bind_text_n(s, base + P_ARP_SPA, t->spa, nm_fmt_ipv4(pkt->arp_spa, t->spa, sizeof t->spa));
        bind_text_n(s, base + P_ARP_TPA, t->tpa, nm_fmt_ipv4(pkt->arp_tpa, t->tpa, sizeof t->tpa));
    } else {
        sqlite3_bind_null(s, base + P_ARP_OP);
        sqlite3_bind_null(s, base + P_ARP_SPA);
        sqlite3_bind_null(s, base + P_ARP_TPA);
    }

    if (l & NM_L_DNS) {
        sqlite3_bind_int64(s, base + P_DNS_ID, pkt->dns_id);
        sqlite3_bind_int64(s, base + P_DNS_FLAGS, pkt->dns_flags);
        bind_text_n(s, base + P_DNS_QNAME, t->qname,
                    nm_fmt_dns_name(pkt->dns_qname, t->qname, sizeof t->qname));
    } else {
        sqlite3_bind_null(s, base + P_DNS_ID);
        sqlite3_bind_null(s, base + P_DNS_FLAGS);
        sqlite3_bind_null(s, base + P_DNS_QNAME);
    }
    if (flow_id != 0)
        bind_u64(s, base + P_FLOW_ID, flow_id);
    else
        sqlite3_bind_null(s, base + P_FLOW_ID);
    if (pkt->malformed != NM_MAL_NONE)
        bind_text(s, base + P_MALFORMED, nm_malformed_name(pkt->malformed));
    else
        sqlite3_bind_null(s, base + P_MALFORMED);
}

/* Statement `sql`, an INSERT ending in one row of `columns` values, with
 * that row repeated `rows` times, prepared once into *slot. */
static sqlite3_stmt *batch_stmt(struct nm_db *db, sqlite3_stmt **slot, const char *sql,
                                int columns, int rows)
{
    if (*slot != NULL)
        return *slot;
    size_t head = strlen(sql), each = 2 + 2 * (size_t)columns;     /* ",(?,?,...,?)" */
    char *text = malloc(head + (size_t)(rows - 1) * each + 1);
    if (text == NULL) {
        nm_db_fail_rc(db, SQLITE_NOMEM);
        return NULL;
    }
    memcpy(text, sql, head);
    size_t n = head;
    for (int r = 1; r < rows; r++) {
        text[n++] = ',';
        text[n++] = '(';
        for (int c = 0; c < columns; c++) {
            text[n++] = '?';
            text[n++] = c + 1 < columns ? ',' : ')';
        }
    }
    text[n] = '\0';
    int rc = sqlite3_prepare_v3(db->conn, text, (int)n + 1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
    free(text);
    if (rc != SQLITE_OK) {
        nm_db_fail_rc(db, rc);
        *slot = NULL;
    }
    return *slot;
}

/* Binds row i of the rows waiting in struct nm_db at parameter offset base. */
typedef void (*bind_waiting_fn)(struct nm_db *db, sqlite3_stmt *s, int base, unsigned i);

/* Inserts the *pending rows held back in struct nm_db, in order: `batch`
 * at a time with statement `one`'s VALUES list repeated `batch` times
 * (prepared once into *batch_stmt_slot), the rest row by row with `one`. */
static int flush_waiting(struct nm_db *db, unsigned *pending, enum stmt_id one,
                         sqlite3_stmt **batch_stmt_slot, int columns, unsigned batch,
                         bind_waiting_fn bind)
{
    unsigned n = *pending, i = 0;
    *pending = 0;
    for (; i + batch <= n; i += batch) {
        sqlite3_stmt *s = batch_stmt(db, batch_stmt_slot, stmt_sql[one], columns, (int)batch);
        if (s == NULL)
            return -1;
        for (unsigned k = 0; k < batch; k++)
            bind(db, s, (int)k * columns, i + k);
        if (run(db, s) != 0)
            return -1;
    }
    for (; i < n; i++) {
        sqlite3_stmt *s = stmt(db, one);
        if (s == NULL)
            return -1;
        bind(db, s, 0, i);
        if (run(db, s) != 0)
            return -1;
    }
    return 0;
}

/* After a row was added to rows waiting in struct nm_db (`pending` now, at
 * most `limit`): writes them with `flush` once they are `limit`, and at
 * once outside a transaction, as every other row. */
static int row_added(struct nm_db *db, unsigned pending, unsigned limit,
                     int (*flush)(struct nm_db *db))
{
    if ((pending == limit || sqlite3_get_autocommit(db->conn)) && flush(db) != 0)
        return -1;
    ok(db);
    return 0;
}

static void bind_waiting_packet(struct nm_db *db, sqlite3_stmt *s, int base, unsigned i)
{
    bind_packet(s, base, db->pkt_session[i], &db->pkt_rows[i], db->pkt_flow[i], &db->pkt_text[i]);
}

/* The packet rows held back by nm_db_insert_packet. */
static int flush_packets(struct nm_db *db)
{
    return flush_waiting(db, &db->pkt_pending, ST_PACKET, &db->pkt_batch_stmt, PACKET_COLUMNS,
                         PACKET_BATCH, bind_waiting_packet);
}

int nm_db_insert_packet(struct nm_db *db, int64_t session_id, const struct nm_packet *pkt,
                        uint64_t flow_id)
{
    unsigned i = db->pkt_pending++;
    db->pkt_rows[i] = *pkt;
    db->pkt_flow[i] = flow_id;
    db->pkt_session[i] = session_id;
    return row_added(db, db->pkt_pending, PACKET_BATCH, flush_packets);
}

/* ------------------------------------------------------------- flows -- */

static const char *tcp_state_name(uint8_t st)
{
    switch ((enum nm_tcp_state)st) {
    case NM_TCPS_NONE: return "none";
    case NM_TCPS_SYN_SENT: return "syn_sent";
    case NM_TCPS_SYN_RECEIVED: return "syn_received";
    case NM_TCPS_ESTABLISHED: return "established";
    case NM_TCPS_FIN_WAIT: return "fin_wait";
    case NM_TCPS_CLOSED: return "closed";
    }
    return "unknown";
}

static const char *flow_end_name(uint8_t e)
{
    switch ((enum nm_flow_end)e) {
    case NM_FEND_ACTIVE: return "active";
    case NM_FEND_FIN: return "fin";
    case NM_FEND_RST: return "rst";
    case NM_FEND_IDLE: return "idle";
    case NM_FEND_EVICTED: return "evicted";
    case NM_FEND_CAPTURE_END: return "capture_end";
    }
    return "unknown";
}

/* The protocol (analyze/proto.h name) a flow's connections count in. */
static const char *flow_proto(const struct nm_flow_rec *r)
{
    if (r->ip_version == 4 || r->ip_version == 6) {
        if (r->ip_proto == 6)
            return nm_proto_name(NM_P_TCP);
        if (r->ip_proto == 17)
            return nm_proto_name(NM_P_UDP);
        if (r->ip_proto == 1 && r->ip_version == 4)
            return nm_proto_name(NM_P_ICMP);
        if (r->ip_proto == 58 && r->ip_version == 6)
            return nm_proto_name(NM_P_ICMPV6);
    }
    return nm_proto_name(NM_P_OTHER);
}

/* Binds flow row r to parameters base+1 .. base+FLOW_COLUMNS of s; its
 * addresses' text goes to t, which lives until the statement has run. */
static void bind_flow(sqlite3_stmt *s, int base, int64_t session_id, const struct nm_flow_rec *r,
                      struct flow_text *t)
{
    int fam = r->ip_version;
    size_t n;

    sqlite3_bind_int64(s, base + 1, session_id);
    bind_u64(s, base + 2, r->flow_id);
    bind_text(s, base + 3, flow_proto(r));
    bind_int_if(s, base + 4, r->ip_version != 0, r->ip_version);
    bind_int_if(s, base + 5, r->ip_version != 0, r->ip_proto);
    sqlite3_bind_int64(s, base + 6, r->vlan);
    if ((n = ip_text(fam, &r->client, t->client, sizeof t->client)) > 0)
        bind_text_n(s, base + 7, t->client, n);
    else
        sqlite3_bind_null(s, base + 7);
    bind_int_if(s, base + 8, n > 0, r->client_port);
    if ((n = ip_text(fam, &r->server, t->server, sizeof t->server)) > 0)
        bind_text_n(s, base + 9, t->server, n);
    else
        sqlite3_bind_null(s, base + 9);
    bind_int_if(s, base + 10, n > 0, r->server_port);
    sqlite3_bind_int64(s, base + 11, r->first_ns);
    sqlite3_bind_int64(s, base + 12, r->last_ns);
    bind_u64(s, base + 13, r->pkts_c2s);
    bind_u64(s, base + 14, r->bytes_c2s);
    bind_u64(s, base + 15, r->pkts_s2c);
    bind_u64(s, base + 16, r->bytes_s2c);
    sqlite3_bind_int64(s, base + 17, r->tcp_retransmissions);
    sqlite3_bind_int64(s, base + 18, r->tcp_resets);
    bind_text(s, base + 19, tcp_state_name(r->tcp_state));
    bind_text(s, base + 20, flow_end_name(r->end_reason));
    sqlite3_bind_int(s, base + 21, r->is_connection);
}

static int flow_key_order(const void *x, const void *y)
{
    const struct flow_key *a = x, *b = y;

    if (a->session_id != b->session_id)
        return a->session_id < b->session_id ? -1 : 1;
    if (a->flow_id != b->flow_id)
        return a->flow_id < b->flow_id ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

/* Row i's text goes to the slot of its place in its statement: a batch
 * statement holds FLOW_BATCH rows from a multiple of FLOW_BATCH, a single
 * one runs before the next row is bound. */
static void bind_waiting_flow(struct nm_db *db, sqlite3_stmt *s, int base, unsigned i)
{
    const struct flow_key *k = &db->flow_keys[i];
    bind_flow(s, base, k->session_id, &db->flow_rows[k->row], &db->flow_text[i % FLOW_BATCH]);
}

/* The flow rows held back by nm_db_put_flow, in key order.  A flow put
 * twice comes out in put order, so the later row replaces the earlier, as
 * with a statement each. */
static int flush_flows(struct nm_db *db)
{
    if (db->flow_pending > 1)
        qsort(db->flow_keys, db->flow_pending, sizeof db->flow_keys[0], flow_key_order);
    return flush_waiting(db, &db->flow_pending, ST_FLOW, &db->flow_batch_stmt, FLOW_COLUMNS,
                         FLOW_BATCH, bind_waiting_flow);
}

int nm_db_put_flow(struct nm_db *db, int64_t session_id, const struct nm_flow_rec *rec)
{
    if (db->flow_rows == NULL || db->flow_keys == NULL) {
        free(db->flow_rows);
        free(db->flow_keys);
        db->flow_rows = malloc(FLOW_SORT_ROWS * sizeof db->flow_rows[0]);
        db->flow_keys = malloc(FLOW_SORT_ROWS * sizeof db->flow_keys[0]);
        if (db->flow_rows == NULL || db->flow_keys == NULL)
            return nm_db_fail_rc(db, SQLITE_NOMEM);
    }
    unsigned i = db->flow_pending++;
    db->flow_rows[i] = *rec;
    db->flow_keys[i] = (struct flow_key){ .session_id = session_id, .flow_id = rec->flow_id,
                                          .row = i };
    return row_added(db, db->flow_pending, FLOW_SORT_ROWS, flush_flows);
}

/* --------------------------------------------------------- addresses -- */

int nm_db_add_address(struct nm_db *db, int64_t session_id, const struct nm_addr_rec *rec)
{
    char text[NM_FMT_IPV6_LEN];
    const char *kind;
    size_t n;
    sqlite3_stmt *s;

    /* rec->kind is a plain byte, so a default: catches values outside the
     * enum (a -Wswitch check would not) */
    switch ((enum nm_addr_kind)rec->kind) {
    case NM_ADDR_IPV4:
        kind = "ipv4";
        n = nm_fmt_ipv4(rec->addr, text, sizeof text);
        break;
    case NM_ADDR_IPV6:
        kind = "ipv6";
        n = nm_fmt_ipv6(rec->addr, text, sizeof text);
        break;
    case NM_ADDR_MAC:
        kind = "mac";
        n = nm_fmt_mac(rec->addr, text, sizeof text);
        break;
    default: {
        char msg[64];
        snprintf(msg, sizeof msg, "invalid address kind %u", (unsigned)rec->kind);
        return nm_db_fail_msg(db, msg);
    }
    }
    if ((s = stmt(db, ST_ADDRESS)) == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    bind_text(s, 2, kind);
    bind_text_n(s, 3, text, n);
    sqlite3_bind_int64(s, 4, rec->first_ns);
    sqlite3_bind_int64(s, 5, rec->last_ns);
    bind_u64(s, 6, rec->pkts_sent);
    bind_u64(s, 7, rec->bytes_sent);
    bind_u64(s, 8, rec->pkts_recv);
    bind_u64(s, 9, rec->bytes_recv);
    if (run(db, s) != 0)
        return -1;
    ok(db);
    return 0;
}

/* ----------------------------------------------------------- seconds -- */

/* All of add_second's rows, between SAVEPOINT and RELEASE. */
static int add_second_rows(struct nm_db *db, int64_t session_id, const struct nm_second_rec *rec)
{
    sqlite3_stmt *s = stmt(db, ST_SECOND);
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, rec->second);
    bind_u64(s, 3, rec->packets);
    bind_u64(s, 4, rec->bytes);
    bind_u64(s, 5, rec->malformed);
    bind_u64(s, 6, rec->tcp_resets);
    bind_u64(s, 7, rec->tcp_retransmissions);
    if (run(db, s) != 0)
        return -1;

    if ((s = stmt(db, ST_PROTO_SECOND)) == NULL)
        return -1;
    for (int p = 0; p < NM_P_COUNT; p++) {
        /* sparse: a protocol absent in this second has no row (the views
         * fill in zeros) */
        if (rec->proto_packets[p] == 0 && rec->proto_bytes[p] == 0 &&
            rec->proto_new_connections[p] == 0)
            continue;
        sqlite3_bind_int64(s, 1, session_id);
        bind_text(s, 2, nm_proto_name((enum nm_proto)p));
        sqlite3_bind_int64(s, 3, rec->second);
        bind_u64(s, 4, rec->proto_packets[p]);
        bind_u64(s, 5, rec->proto_bytes[p]);
        bind_u64(s, 6, rec->proto_new_connections[p]);
        if (run(db, s) != 0)
            return -1;
    }
    return 0;
}

/* One second's rows go in all together or not at all, inside or outside
 * the caller's transaction (a savepoint works in both). */
int nm_db_add_second(struct nm_db *db, int64_t session_id, const struct nm_second_rec *rec)
{
    if (run_id(db, ST_SAVEPOINT) != 0)
        return -1;
    if (add_second_rows(db, session_id, rec) != 0) {
        /* keep the first error's message, not the cleanup's */
        char err[sizeof db->err];
        bool full = db->err_full;
        memcpy(err, db->err, sizeof err);
        if (!sqlite3_get_autocommit(db->conn)) {
            sqlite3_stmt *rb = stmt(db, ST_ROLLBACK_TO), *rel = stmt(db, ST_RELEASE);
            if (rb && rel) {
                sqlite3_step(rb);
                sqlite3_reset(rb);
                sqlite3_step(rel);
                sqlite3_reset(rel);
            }
        }
        memcpy(db->err, err, sizeof err);
        db->err_full = full;
        return -1;
    }
    if (run_id(db, ST_RELEASE) != 0)
        return -1;
    ok(db);
    return 0;
}

int nm_db_add_drops(struct nm_db *db, int64_t session_id, const struct nm_drops_rec *rec)
{
    sqlite3_stmt *s = stmt(db, ST_DROPS);
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, rec->second);
    bind_u64(s, 3, rec->kernel);
    bind_u64(s, 4, rec->ifdrop);
    bind_u64(s, 5, rec->queue);
    if (run(db, s) != 0)
        return -1;
    ok(db);
    return 0;
}

/* --------------------------------------------------- malformed, log -- */

int nm_db_put_malformed(struct nm_db *db, int64_t session_id, enum nm_malformed reason,
                        uint64_t count)
{
    sqlite3_stmt *s;

    if (reason <= NM_MAL_NONE || reason >= NM_MAL_COUNT) {
        char msg[64];
        snprintf(msg, sizeof msg, "invalid malformed reason %d", (int)reason);
        return nm_db_fail_msg(db, msg);
    }
    if ((s = stmt(db, ST_MALFORMED)) == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    bind_text(s, 2, nm_malformed_name(reason));
    bind_u64(s, 3, count);
    if (run(db, s) != 0)
        return -1;
    ok(db);
    return 0;
}

static const char *level_name(enum nm_log_level level)
{
    switch (level) {
    case NM_LOG_INFO: return "info";
    case NM_LOG_WARNING: return "warning";
    case NM_LOG_ERROR: return "error";
    }
    return "error";
}

int nm_db_log(struct nm_db *db, int64_t session_id, enum nm_log_level level, int64_t wall_ns,
              const char *message)
{
    sqlite3_stmt *s = stmt(db, ST_LOG);
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, session_id);
    sqlite3_bind_int64(s, 2, wall_ns);
    bind_text(s, 3, level_name(level));
    bind_text(s, 4, message ? message : "");
    if (run(db, s) != 0)
        return -1;
    ok(db);
    return 0;
}

/* ------------------------------------------------------------ latency -- */

/* Binds sample x to parameters base+1 .. base+LATENCY_COLUMNS of s. */
static void bind_latency(sqlite3_stmt *s, int base, int64_t session_id,
                         const struct nm_db_latency_row *x)
{
    sqlite3_bind_int64(s, base + 1, session_id);
    sqlite3_bind_int64(s, base + 2, x->ts_ns);
    bind_int_if(s, base + 3, x->flow_id != 0, (int64_t)x->flow_id);
    sqlite3_bind_int(s, base + 4, x->kind);
    sqlite3_bind_int(s, base + 5, x->ip_proto);
    sqlite3_bind_int(s, base + 6, x->flags);
    sqlite3_bind_int64(s, base + 7, x->value_ns);
    bind_int_if(s, base + 8, x->has_parts, x->syn_synack_ns);
    bind_int_if(s, base + 9, x->has_parts, x->synack_ack_ns);
}

static void bind_waiting_latency(struct nm_db *db, sqlite3_stmt *s, int base, unsigned i)
{
    const struct lat_row *r = &db->lat_rows[i];

    bind_latency(s, base, r->session_id, &r->sample);
    bind_int_if(s, base + 10, r->has_ack[1], r->ack_ns[1]);
    bind_int_if(s, base + 11, r->has_ack[1], r->ack_dt_ns[1]);
    bind_int_if(s, base + 12, r->has_ack[0], r->ack_ns[0]);
    bind_int_if(s, base + 13, r->has_ack[0], r->ack_dt_ns[0]);
}

/* The waiting latency rows are gone (written or rolled back): no row
 * can take a sample any more. */
static void lat_rows_gone(struct nm_db *db)
{
    if (db->lat_pending > 0)
        memset(db->lat_index, 0, LATENCY_INDEX_SLOTS * sizeof db->lat_index[0]);
    db->lat_pending = 0;
}

/* The samples held back by nm_db_add_latency.  flush_waiting() is given
 * a copy of the count (it zeroes what it is given) so that lat_rows_gone()
 * still sees whether the index has entries to empty. */
static int flush_latency(struct nm_db *db)
{
    unsigned n = db->lat_pending;
    int rc = flush_waiting(db, &n, ST_LATENCY, &db->lat_batch_stmt, LATENCY_COLUMNS,
                           LATENCY_BATCH, bind_waiting_latency);
    lat_rows_gone(db);
    return rc;
}

/* The slot of lat_index for a flow: the one naming the flow's row, or the
 * empty one where it would go.  Flow ids are ours (a counter), not chosen
 * by the traffic, so a multiplicative hash spreads them. */
static uint32_t *lat_index_slot(struct nm_db *db, int64_t session_id, uint64_t flow_id)
{
    uint32_t mask = LATENCY_INDEX_SLOTS - 1;
    uint32_t h = (uint32_t)((flow_id * UINT64_C(0x9e3779b97f4a7c15)) >> 40) & mask;

    for (;; h = (h + 1) & mask) {
        uint32_t v = db->lat_index[h];
        if (v == 0 || (db->lat_rows[v - 1].sample.flow_id == flow_id &&
                       db->lat_rows[v - 1].session_id == session_id))
            return &db->lat_index[h];
    }
}

/* Puts tcp_data_ack sample x into the waiting row of its flow, if that
 * row has its place free and the same client; true if it did. */
static bool join_data_ack(struct nm_db *db, const struct nm_db_latency_row *x, const uint32_t *slot)
{
    struct lat_row *r;
    int side = (x->flags & NM_DB_LAT_BY_SERVER) != 0;

    if (*slot == 0)
        return false;
    r = &db->lat_rows[*slot - 1];
    if (r->has_ack[side] ||
        (r->sample.flags & NM_DB_LAT_CLIENT_IS_FLOW_SERVER) != (x->flags & NM_DB_LAT_CLIENT_IS_FLOW_SERVER))
        return false;
    r->has_ack[side] = true;
    r->ack_ns[side] = x->value_ns;
    r->ack_dt_ns[side] = x->ts_ns - r->sample.ts_ns;
    return true;
}

int nm_db_add_latency(struct nm_db *db, int64_t session_id, const struct nm_db_latency_row *x)
{
    uint32_t *slot = NULL;
    struct lat_row *r;

    if (db->lat_rows == NULL) {
        db->lat_rows = malloc(LATENCY_WAIT_ROWS * sizeof db->lat_rows[0]);
        db->lat_index = calloc(LATENCY_INDEX_SLOTS, sizeof db->lat_index[0]);
        if (db->lat_rows == NULL || db->lat_index == NULL) {
            free(db->lat_rows);
            free(db->lat_index);
            db->lat_rows = NULL, db->lat_index = NULL;
            return nm_db_fail_rc(db, SQLITE_NOMEM);
        }
    }
    if (x->ip_proto == IP_PROTO_TCP && x->flow_id != 0) {
        slot = lat_index_slot(db, session_id, x->flow_id);
        if (x->kind == NM_LAT_TCP_DATA_ACK && join_data_ack(db, x, slot)) {
            ok(db);
            return 0;
        }
    }
    r = &db->lat_rows[db->lat_pending];
    memset(r, 0, sizeof *r);
    r->session_id = session_id;
    r->sample = *x;
    db->lat_pending++;
    if (slot != NULL)
        *slot = db->lat_pending;
    return row_added(db, db->lat_pending, LATENCY_WAIT_ROWS, flush_latency);
}

int nm_db_add_latency_timeout(struct nm_db *db, int64_t session_id,
                              const struct nm_latency_timeout *t)
{
    char server[64];
    sqlite3_stmt *s = stmt(db, ST_LATENCY_TIMEOUT);
    if (s == NULL)
        return -1;
    size_t ns = ip_text(t->ip_version == 6 ? 6 : 4, &t->server, server, sizeof server);
    bool ports = t->ip_proto == 6 || t->ip_proto == 17;
    sqlite3_bind_int64(s, 1, session_id);
    bind_text(s, 2, nm_latency_kind_name((enum nm_latency_kind)t->kind));
    bind_text_n(s, 3, server, ns);
    sqlite3_bind_int(s, 4, ports ? t->server_port : 0);
    sqlite3_bind_int(s, 5, t->ip_proto);
    if (run(db, s) != 0)
        return -1;
    ok(db);
    return 0;
}

static void bind_waiting_bucket(struct nm_db *db, sqlite3_stmt *s, int base, unsigned i)
{
    const struct nm_lathist_rec *r = &db->bucket_rows[i];

    sqlite3_bind_int64(s, base + 1, db->bucket_session[i]);
    bind_text(s, base + 2, nm_latency_kind_name((enum nm_latency_kind)r->kind));
    sqlite3_bind_int(s, base + 3, r->ip_proto);
    sqlite3_bind_int64(s, base + 4, nm_lathist_bucket_low(r->bucket));
    sqlite3_bind_int64(s, base + 5, (int64_t)r->count);
    sqlite3_bind_int64(s, base + 6, r->sum_ns);
    sqlite3_bind_int64(s, base + 7, r->min_ns);
    sqlite3_bind_int64(s, base + 8, r->max_ns);
}

/* The histogram buckets held back by nm_db_put_latency_bucket. */
static int flush_buckets(struct nm_db *db)
{
    return flush_waiting(db, &db->bucket_pending, ST_LATENCY_BUCKET, &db->bucket_batch_stmt,
                         BUCKET_COLUMNS, BUCKET_BATCH, bind_waiting_bucket);
}

int nm_db_put_latency_bucket(struct nm_db *db, int64_t session_id,
                             const struct nm_lathist_rec *r)
{
    db->bucket_rows[db->bucket_pending] = *r;
    db->bucket_session[db->bucket_pending] = session_id;
    db->bucket_pending++;
    return row_added(db, db->bucket_pending, BUCKET_BATCH, flush_buckets);
}

/* ------------------------------------------------------- read helpers -- */

sqlite3_stmt *nm_db_prepare(struct nm_db *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db->conn, sql, -1, &s, NULL);

    if (rc != SQLITE_OK) {
        nm_db_fail_rc(db, rc);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

int nm_db_step(struct nm_db *db, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        nm_db_fail_rc(db, rc);
    return rc;
}

uint64_t nm_db_col_u64(sqlite3_stmt *s, int i)
{
    int64_t v = sqlite3_column_int64(s, i);
    return v < 0 ? 0 : (uint64_t)v;
}

static int64_t pin(int64_t v, int64_t limit)
{
    return v > limit ? limit : v < -limit ? -limit : v;
}

int64_t nm_db_col_time_ns(sqlite3_stmt *s, int i)
{
    return pin(sqlite3_column_int64(s, i), NM_TS_LIMIT_NS);
}

int64_t nm_db_col_second(sqlite3_stmt *s, int i)
{
    return pin(sqlite3_column_int64(s, i), NM_TS_LIMIT_NS / 1000000000 - 1);
}

int nm_db_newest_session(struct nm_db *db, int64_t *id)
{
    sqlite3_stmt *s = nm_db_prepare(db, "SELECT max(id) FROM sessions");
    int rc;

    *id = 0;
    if (s == NULL)
        return -1;
    rc = nm_db_step(db, s);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return -1;
    if (*id <= 0)
        return nm_db_fail_msg(db, "no capture session in the database yet");
    return 0;
}
