/*
 * writer.h - the database writer thread and its bounded queue.
 *
 * Capture never waits for the database: the capture thread puts records
 * into a fixed-size single-producer/single-consumer ring, and one writer
 * thread turns them into batched SQLite transactions and event-log lines.
 * Only this module (writer.c) uses threads.
 *
 * When the ring is nearly full (7/8 of its slots) and the writer is lossy
 * (live capture), per-packet rows are dropped and counted; aggregate
 * records (flows, addresses, per-second counters) use the remaining slots
 * and wait for space rather than being lost, so counters stay exact.  A
 * non-lossy writer (reading a file) makes the capture thread wait instead.
 */
#ifndef NM_WRITER_H
#define NM_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../analyze/latency.h"
#include "../analyze/records.h"
#include "../schema/db.h"

struct nm_writer;

struct nm_writer_config {
    struct nm_db *db;          /* used only by the writer thread until nm_writer_stop() */
    int64_t session_id;
    FILE *eventlog;            /* NULL: no event log */
    const char *eventlog_path; /* for messages */
    bool utc;                  /* event-log times in UTC instead of local time */
    bool lossy;                /* drop packet rows when the ring is nearly full */
    uint32_t queue_slots;      /* ring capacity (default 16384) */
    uint32_t batch_rows;       /* rows per transaction at most (default 10000) */
    uint32_t commit_ms;        /* a transaction is committed at least this often (default 500) */
};

int nm_writer_start(const struct nm_writer_config *cfg, struct nm_writer **out, char *errbuf,
                    size_t errlen) __attribute__((warn_unused_result));

/*
 * Packet rows, zero-copy: reserve a struct nm_packet, decode into it, then
 * commit it.  The reserved struct may be a scratch buffer (ring full in
 * lossy mode, or rows disabled): nm_writer_commit_packet() then counts a
 * queue drop (if rows are enabled) and returns false.
 */
struct nm_packet *nm_writer_reserve_packet(struct nm_writer *w);
bool nm_writer_commit_packet(struct nm_writer *w, uint64_t flow_id);
/* The per-packet rows and event log are off (aggregate mode). */
void nm_writer_disable_packets(struct nm_writer *w);

void nm_writer_put_flow(struct nm_writer *w, const struct nm_flow_rec *rec);
void nm_writer_put_address(struct nm_writer *w, const struct nm_addr_rec *rec);
void nm_writer_put_second(struct nm_writer *w, const struct nm_second_rec *rec);
void nm_writer_put_drops(struct nm_writer *w, const struct nm_drops_rec *rec);
void nm_writer_put_malformed(struct nm_writer *w, enum nm_malformed reason, uint64_t count);
void nm_writer_put_session(struct nm_writer *w, const struct nm_session_final *fin);
void nm_writer_put_latency(struct nm_writer *w, const struct nm_db_latency_row *r);
void nm_writer_put_latency_timeout(struct nm_writer *w, const struct nm_latency_timeout *t);
void nm_writer_put_latency_bucket(struct nm_writer *w, const struct nm_lathist_rec *r);
void nm_writer_put_log(struct nm_writer *w, enum nm_log_level level, const char *message);

/* True once the writer has failed (disk full, locked database, event log
 * write error); the message names the file and the cause. */
bool nm_writer_failed(const struct nm_writer *w);
const char *nm_writer_error(const struct nm_writer *w);
bool nm_writer_error_is_full(const struct nm_writer *w);

/* Packet rows the ring rejected so far (counted in nm_writer_commit_packet,
 * on the capture thread: exact, whatever the writer is doing). */
uint64_t nm_writer_queue_drops(const struct nm_writer *w);
uint64_t nm_writer_rows_written(const struct nm_writer *w);

/* Drains the ring, commits, flushes the event log, joins the thread and
 * frees the writer.  Returns 0, or -1 if anything failed (see the message
 * copied into errbuf). */
int nm_writer_stop(struct nm_writer *w, char *errbuf, size_t errlen);

/* Stops without draining (second Ctrl+C): the open transaction is rolled
 * back, committed ones stay.  Not async-signal-safe; call from main flow. */
void nm_writer_abort(struct nm_writer *w);

#endif /* NM_WRITER_H */
