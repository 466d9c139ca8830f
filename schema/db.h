/*
 * db.h - netmon's database: the only module that speaks SQL or includes
 * <sqlite3.h>.  See schema/schema.sql for the tables and docs/schema.md for
 * what each column means.
 *
 * A struct nm_db is used by one thread at a time.  Functions return 0 on
 * success and -1 on error; the message (naming the database file and the
 * cause) is then in nm_db_errmsg().  Errors are sticky per call, not per
 * handle: a later call may succeed.
 */
#ifndef NM_DB_H
#define NM_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyze/lathist.h"
#include "../analyze/latency.h"
#include "../analyze/records.h"
#include "../capture/decode/decode.h"

#define NM_SCHEMA_VERSION 6

struct nm_db;

enum nm_db_mode {
    NM_DB_WRITE,      /* create if missing, migrate to NM_SCHEMA_VERSION, WAL */
    NM_DB_READ,       /* read-only; fails if missing or of a newer schema */
};

/* Opens `path`.  On failure *out is NULL and errbuf holds a one-line message. */
int nm_db_open(const char *path, enum nm_db_mode mode, struct nm_db **out,
               char *errbuf, size_t errlen) __attribute__((warn_unused_result));
void nm_db_close(struct nm_db *db);
const char *nm_db_errmsg(const struct nm_db *db);
/* Nonzero when the last error was "disk full" (SQLITE_FULL / IOERR). */
bool nm_db_error_is_full(const struct nm_db *db);
/* How long a statement waits for another connection's lock before failing
 * with "database is locked" (default 5000 ms; 0: fail at once). */
int nm_db_set_busy_timeout(struct nm_db *db, int ms);

/*
 * Checkpoints off the writer's thread.  A WAL checkpoint copies committed
 * pages into the database file and syncs it twice; done by the writing
 * connection (SQLite's default, every 1000 pages), it stalled the writer
 * 13 ms each time, 17 % of per-packet mode's time on mixed.pcap (56 syncs
 * per million packets, measured with strace -T).  So nm-capture's writer
 * turns its own off and a second connection, on a thread of its own,
 * checkpoints while the writer goes on writing: passive checkpoints, once
 * the log holds 1000 pages, as SQLite's automatic ones.
 */
int nm_db_open_checkpointer(struct nm_db *writer, struct nm_db **out, char *errbuf,
                            size_t errlen) __attribute__((warn_unused_result));
/* A passive checkpoint: never waits for the writer or readers; a busy
 * database is not an error (the next one catches up).  On the
 * checkpointer's connection it does nothing until the writer's log holds
 * 1000 pages. */
int nm_db_checkpoint(struct nm_db *db);
/* The writer's connection stops checkpointing by itself and records its
 * log's size for the checkpointer instead. */
void nm_db_hand_over_checkpoints(struct nm_db *db);
/* On the writer's connection, between transactions: once its log holds
 * NM_DB_WAL_RESTART_FRAMES pages (NM_DB_WAL_RESTART_FRAMES_BUSY unless
 * the caller says the load is light) and the checkpointer has at most
 * NM_DB_WAL_RESTART_LEFT of them left to copy, a passive checkpoint of
 * those, so that the next transaction starts the log again from its
 * beginning.  SQLite starts it again only when a transaction begins with
 * the whole log copied, which a writer that always has rows waiting never
 * sees: its log grew as long as the capture ran (60 MB for 35 MB of
 * database after 12 s of a live capture at 20,000 packets/s).  The pause
 * is the two syncs of a checkpoint, about 60 ms here. */
int nm_db_bound_wal(struct nm_db *db, bool light_load);
#define NM_DB_WAL_RESTART_FRAMES 4096         /* 64 MiB of 16 KiB pages */
#define NM_DB_WAL_RESTART_FRAMES_BUSY 65536   /* 1 GiB */
#define NM_DB_WAL_RESTART_LEFT 512

/* How a session ended (sessions.end_reason). */
enum nm_session_end {
    NM_SESS_RUNNING = 0,   /* "running" (or the process was killed) */
    NM_SESS_COMPLETE,      /* "complete": end of file */
    NM_SESS_COUNT_LIMIT,   /* "count": -c reached */
    NM_SESS_TIME_LIMIT,    /* "duration": time limit reached */
    NM_SESS_SIGNAL,        /* "signal": SIGINT / SIGTERM */
    NM_SESS_TRUNCATED,     /* "truncated": input cut short */
    NM_SESS_READ_ERROR,    /* "read_error": other read error */
    NM_SESS_DB_ERROR,      /* "db_error": database write failed (disk full...) */
};
const char *nm_session_end_name(enum nm_session_end e);

struct nm_session_info {
    const char *source;      /* file path, "-" or interface name */
    bool live;
    int link_type;
    const char *link_type_name;
    const char *filter;      /* BPF expression or NULL */
    const char *command_line;
    int ts_precision;        /* 6 or 9: decimal digits the source gives */
    uint32_t snaplen;
    bool aggregate_only;     /* no per-packet rows */
    int64_t start_wall_ns;   /* wall clock when the run started */
};

struct nm_session_final {
    enum nm_session_end end_reason;
    const char *end_message;  /* e.g. the libpcap error, or NULL */
    int64_t end_wall_ns;
    int64_t first_packet_ns, last_packet_ns;
    uint64_t packets, bytes, captured_bytes;
    uint64_t drops_kernel, drops_ifdrop, drops_queue;
    uint64_t malformed;
    uint64_t flows_evicted, addresses_evicted;
    uint64_t latency_evictions;   /* entries of the full latency tables forgotten */
};

int nm_db_session_begin(struct nm_db *db, const struct nm_session_info *info,
                        int64_t *session_id);
/* Also usable mid-run to keep the row fresh (end_reason NM_SESS_RUNNING). */
int nm_db_session_update(struct nm_db *db, int64_t session_id,
                         const struct nm_session_final *fin);

/* Batching: the writer wraps many inserts in one transaction. */
int nm_db_begin(struct nm_db *db);
int nm_db_commit(struct nm_db *db);
int nm_db_rollback(struct nm_db *db);

int nm_db_insert_packet(struct nm_db *db, int64_t session_id, const struct nm_packet *pkt,
                        uint64_t flow_id);
int nm_db_put_flow(struct nm_db *db, int64_t session_id, const struct nm_flow_rec *rec);
int nm_db_add_address(struct nm_db *db, int64_t session_id, const struct nm_addr_rec *rec);
int nm_db_add_second(struct nm_db *db, int64_t session_id, const struct nm_second_rec *rec);
/* Drops noticed in one second (deltas, added to seconds.drops_*): kernel
 * (pcap_stats ps_drop), interface (ps_ifdrop) and writer-queue drops.  The
 * row of that second is created (with zero packets) if it does not exist. */
struct nm_drops_rec {
    int64_t second;
    uint64_t kernel, ifdrop, queue;
};
int nm_db_add_drops(struct nm_db *db, int64_t session_id, const struct nm_drops_rec *rec);

/* Malformed counts by reason for the whole session (replaces previous values). */
int nm_db_put_malformed(struct nm_db *db, int64_t session_id, enum nm_malformed reason,
                        uint64_t count);

/* A latency sample as stored (latency_sample_rows): numbers only.  Its
 * addresses and ports are its flow's (the flows row with this flow_id), so
 * `flags` says which side of the flow is the sample's client. */
enum {
    NM_DB_LAT_BY_SERVER = 1,            /* the server sent the packet that stopped the clock */
    NM_DB_LAT_CLIENT_IS_FLOW_SERVER = 2 /* the sample's client is flows.server_ip */
};
struct nm_db_latency_row {
    int64_t ts_ns;                      /* of the packet that stopped the clock */
    uint64_t flow_id;                   /* that packet's flow (0: none, stored as NULL) */
    int64_t value_ns;
    uint8_t kind;                       /* enum nm_latency_kind */
    uint8_t ip_proto;
    uint8_t flags;                      /* NM_DB_LAT_* */
    /* A tcp_handshake row can also hold its connection's tcp_syn_synack
     * and tcp_synack_ack samples (analyze/latency.h, "Joined samples"):
     * their values; the view latency_samples makes them rows again. */
    bool has_parts;
    int64_t syn_synack_ns, synack_ack_ns;
};

/* Latency: one sample (inside a transaction it may wait, with up to 4,095
 * other rows, until nm_db_commit(); a rollback drops it with the rest).
 * A tcp_data_ack sample goes into the waiting row of its flow when that
 * row can hold it (schema v5), else into a row of its own.  A timeout
 * adds 1 to its server's count. */
int nm_db_add_latency(struct nm_db *db, int64_t session_id, const struct nm_db_latency_row *r);
int nm_db_add_latency_timeout(struct nm_db *db, int64_t session_id,
                              const struct nm_latency_timeout *t);
/* One latency histogram bucket's totals so far (replaces the previous row). */
int nm_db_put_latency_bucket(struct nm_db *db, int64_t session_id,
                             const struct nm_lathist_rec *r);

enum nm_log_level { NM_LOG_INFO, NM_LOG_WARNING, NM_LOG_ERROR };
int nm_db_log(struct nm_db *db, int64_t session_id, enum nm_log_level level,
              int64_t wall_ns, const char *message);

#endif /* NM_DB_H */
