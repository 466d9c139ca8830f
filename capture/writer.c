/*
 * writer.c - the writer threads: a single-producer ring of fixed-size
 * records, drained by the database thread into batched SQLite
 * transactions and, when there is an event log, read a second time by the
 * event-log thread, which formats the lines of the packets the database
 * thread has committed.  See writer.h for the queueing rules.
 *
 * Why a lock-free ring: the capture thread must never block on a mutex
 * the writer holds during a slow commit.  head is written only by the
 * producer, each tail only by its consumer; release/acquire pairs publish
 * the slot contents.  A slot is free again once both consumers are past it.
 *
 * Why a thread of its own for the event log: formatting and writing some
 * 220 bytes of text per packet was a fifth of the database thread's time,
 * and the database thread is what limits per-packet mode.  The event-log
 * thread only reads slots below `committed` (the database thread's
 * position at its last successful commit), so the log holds exactly the
 * lines of the rows in the database, as when one thread did both.
 */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../analyze/eventline.h"

#define NM_DEFAULT_QUEUE_SLOTS 16384u
#define NM_DEFAULT_BATCH_ROWS  10000u
#define NM_DEFAULT_COMMIT_MS   500u
/* Enough for every line of one packet (Ethernet, IP, transport, DNS with
 * a 255-byte name): about 6 lines of at most 340 bytes. */
#define NM_EVENTLINE_BUF 4096
#define NM_LOG_MSG_MAX 256
/* How often the checkpointer looks whether the write-ahead log holds
 * enough to checkpoint (see nm_db_checkpoint()). */
#define NM_CHECKPOINT_INTERVAL_MS 250
/* Nice value of the helper threads (see lower_priority()). */
#define NM_HELPER_NICE 10

enum nm_wrec_type {
    NM_WREC_PACKET = 1,
    NM_WREC_FLOW,
    NM_WREC_ADDR,
    NM_WREC_SECOND,
    NM_WREC_MALFORMED,
    NM_WREC_SESSION,
    NM_WREC_LOG,
    NM_WREC_LATENCY,
    NM_WREC_LATENCY_TIMEOUT,
    NM_WREC_LATENCY_BUCKET,
    NM_WREC_DROPS,
};

struct nm_wrec {
    enum nm_wrec_type type;
    union {
        struct {
            struct nm_packet pkt;
            uint64_t flow_id;
        } packet;
        struct nm_flow_rec flow;
        struct nm_addr_rec addr;
        struct nm_second_rec second;
        struct nm_drops_rec drops;
        struct nm_db_latency_row latency;
        struct nm_latency_timeout latency_timeout;
        struct nm_lathist_rec latency_bucket;
        struct {
            enum nm_malformed reason;
            uint64_t count;
        } malformed;
        struct {
            struct nm_session_final fin;
            char message[NM_LOG_MSG_MAX];
        } session;
        struct {
            enum nm_log_level level;
            int64_t wall_ns;
            char message[NM_LOG_MSG_MAX];
        } log;
    } u;
};

struct nm_writer {
    /* configuration (read-only after start) */
    struct nm_db *db;
    int64_t session_id;
    FILE *eventlog;
    char eventlog_path[512];
    bool utc;
    bool lossy;
    bool packets_enabled;
    uint32_t slots, mask, batch_rows;
    int64_t commit_ns;

    struct nm_wrec *ring;
    struct nm_packet scratch;          /* target of rejected reservations */
    /* Producer-only state.  While a packet slot is reserved (at index
     * `next`), records put by the engine for that same packet go into the
     * slots after it and are published together with it on commit, so a
     * reservation is never overwritten. */
    bool reserved_in_ring;
    uint64_t next;                     /* first unpublished slot */
    uint32_t extra;                    /* records staged behind a reserved slot */

    _Alignas(64) atomic_uint_fast64_t head;   /* producer */
    _Alignas(64) atomic_uint_fast64_t tail;   /* database thread */
    _Alignas(64) atomic_uint_fast64_t log_tail;  /* event-log thread (== tail without one) */
    _Alignas(64) atomic_uint_fast64_t committed; /* every record below is committed */
    atomic_bool db_done;                      /* the database thread has finished */
    atomic_bool fail_claimed;                 /* one thread writes `error` */
    _Alignas(64) atomic_bool stop;            /* producer asks the writer to drain and stop */
    atomic_bool abort_now;
    atomic_bool failed;
    atomic_bool failed_full;
    atomic_uint_fast64_t queue_drops;
    atomic_uint_fast64_t rows_written;

    char error[512];                   /* written by the writer before `failed` is set */
    pthread_t thread, log_thread, ckpt_thread;
    bool thread_started, log_thread_started, ckpt_thread_started;
    struct nm_db *ckpt_db;             /* the checkpointer's own connection */
    atomic_bool ckpt_stop;

    /* writer-thread state */
    bool in_txn;
    bool db_failed;            /* the database (not the event log) failed */
    uint32_t txn_rows;
    int64_t txn_start_ns;
    uint64_t applied;          /* records before this index have been applied */

    /* event-log thread state */
    char line_buf[NM_EVENTLINE_BUF];
};

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_us(long us)
{
    struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };
    nanosleep(&ts, NULL);
}

static uint32_t round_up_pow2(uint32_t v)
{
    uint32_t p = 64;
    while (p < v && p < (1u << 24))
        p <<= 1;
    return p;
}

/* ---- writer thread ----------------------------------------------------- */

/* Either thread may fail; the first one's message is kept. */
static void writer_fail(struct nm_writer *w, const char *msg, bool full)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&w->fail_claimed, &expected, true))
        return;
    snprintf(w->error, sizeof w->error, "%s", msg);
    atomic_store(&w->failed_full, full);
    atomic_store(&w->failed, true);
}

static void db_fail(struct nm_writer *w)
{
    w->db_failed = true;
    writer_fail(w, nm_db_errmsg(w->db), nm_db_error_is_full(w->db));
}

static void txn_commit(struct nm_writer *w)
{
    if (!w->in_txn)
        return;
    w->in_txn = false;
    /* After a database error the open transaction is suspect: roll it back
     * so the connection is clean for the final session update.  After an
     * event-log error the database is fine: what the transaction holds was
     * captured and is committed (nothing captured is lost). */
    if (w->db_failed) {
        (void)nm_db_rollback(w->db);
        return;
    }
    if (nm_db_commit(w->db) != 0) {
        db_fail(w);
        (void)nm_db_rollback(w->db);
        return;
    }
    /* The event-log thread may now write these packets' lines. */
    atomic_store_explicit(&w->committed, w->applied, memory_order_release);
    /* Starting the log again pauses this thread (it syncs the log and the
     * database: 60-150 ms measured), so only when the queue is nearly
     * empty: a live capture at a rate the writer keeps up with, where the
     * log would otherwise grow for as long as the capture runs.  And at
     * 64 MiB of log only when this transaction was committed by the clock
     * with fewer than half a batch of rows (a light load); a busy writer
     * lets it reach 1 GiB first (in live tests at 245,000 packets/s a pause
     * every 64 MiB cost 4-20 % of the rows).  A file keeps the queue full:
     * its log goes when the run ends. */
    uint64_t waiting = atomic_load_explicit(&w->head, memory_order_acquire) - w->applied;
    if (waiting <= w->slots / 8 && nm_db_bound_wal(w->db, w->txn_rows < w->batch_rows / 2) != 0)
        db_fail(w);
}

static void txn_ensure(struct nm_writer *w)
{
    if (w->in_txn)
        return;
    if (nm_db_begin(w->db) != 0) {
        db_fail(w);
        return;
    }
    w->in_txn = true;
    w->txn_rows = 0;
    w->txn_start_ns = monotonic_ns();
}

static void apply_record(struct nm_writer *w, const struct nm_wrec *r)
{
    int rc = 0;

    if (atomic_load(&w->failed))
        return;  /* keep draining so the producer never blocks, but write nothing */
    txn_ensure(w);
    if (!w->in_txn)
        return;
    switch (r->type) {
    case NM_WREC_PACKET:
        rc = nm_db_insert_packet(w->db, w->session_id, &r->u.packet.pkt, r->u.packet.flow_id);
        if (rc == 0)
            atomic_fetch_add_explicit(&w->rows_written, 1, memory_order_relaxed);
        break;
    case NM_WREC_FLOW:
        rc = nm_db_put_flow(w->db, w->session_id, &r->u.flow);
        break;
    case NM_WREC_ADDR:
        rc = nm_db_add_address(w->db, w->session_id, &r->u.addr);
        break;
    case NM_WREC_SECOND:
        rc = nm_db_add_second(w->db, w->session_id, &r->u.second);
        break;
    case NM_WREC_DROPS:
        rc = nm_db_add_drops(w->db, w->session_id, &r->u.drops);
        break;
    case NM_WREC_MALFORMED:
        rc = nm_db_put_malformed(w->db, w->session_id, r->u.malformed.reason,
                                 r->u.malformed.count);
        break;
    case NM_WREC_SESSION: {
        struct nm_session_final fin = r->u.session.fin;
        fin.end_message = r->u.session.message[0] ? r->u.session.message : NULL;
        rc = nm_db_session_update(w->db, w->session_id, &fin);
        break;
    }
    case NM_WREC_LATENCY:
        rc = nm_db_add_latency(w->db, w->session_id, &r->u.latency);
        break;
    case NM_WREC_LATENCY_TIMEOUT:
        rc = nm_db_add_latency_timeout(w->db, w->session_id, &r->u.latency_timeout);
        break;
    case NM_WREC_LATENCY_BUCKET:
        rc = nm_db_put_latency_bucket(w->db, w->session_id, &r->u.latency_bucket);
        break;
    case NM_WREC_LOG:
        rc = nm_db_log(w->db, w->session_id, r->u.log.level, r->u.log.wall_ns,
                       r->u.log.message);
        break;
    }
    if (rc != 0) {
        db_fail(w);
        return;
    }
    w->txn_rows++;
    if (w->txn_rows >= w->batch_rows)
        txn_commit(w);
}

static void *writer_main(void *arg)
{
    struct nm_writer *w = arg;
    uint64_t tail = atomic_load_explicit(&w->tail, memory_order_relaxed);

    for (;;) {
        if (atomic_load_explicit(&w->abort_now, memory_order_relaxed))
            break;
        uint64_t head = atomic_load_explicit(&w->head, memory_order_acquire);
        if (head == tail) {
            if (atomic_load_explicit(&w->stop, memory_order_acquire)) {
                /* The producer stopped before our last look at head: re-check
                 * so that records published just before `stop` are not lost. */
                if (atomic_load_explicit(&w->head, memory_order_acquire) == tail)
                    break;
                continue;
            }
            if (w->in_txn && monotonic_ns() - w->txn_start_ns >= w->commit_ns)
                txn_commit(w);
            sleep_us(500);
            continue;
        }
        /* Process what is there, releasing slots in small groups so the
         * producer sees space early. */
        while (tail != head) {
            /* Before: a commit inside apply_record() covers this record. */
            w->applied = tail + 1;
            apply_record(w, &w->ring[tail & w->mask]);
            tail++;
            if ((tail & 63) == 0) {
                atomic_store_explicit(&w->tail, tail, memory_order_release);
                if (w->in_txn && monotonic_ns() - w->txn_start_ns >= w->commit_ns)
                    txn_commit(w);
            }
        }
        atomic_store_explicit(&w->tail, tail, memory_order_release);
    }
    if (atomic_load(&w->abort_now)) {
        if (w->in_txn)
            (void)nm_db_rollback(w->db);
        w->in_txn = false;
    } else {
        txn_commit(w);
    }
    atomic_store_explicit(&w->db_done, true, memory_order_release);
    return NULL;
}

/* ---- event-log thread -------------------------------------------------- */

/*
 * The event-log and checkpointer threads may lag (the ring and the log
 * absorb it), the database thread may not: on 2 cores, four busy threads
 * made it wait for a CPU for a quarter of a per-packet run (schedstat).
 * Linux applies a nice value to a single thread; failing to set it only
 * costs speed.
 */
static void lower_priority(void)
{
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), NM_HELPER_NICE);
}

static void eventlog_fail(struct nm_writer *w)
{
    char msg[700];
    int err = errno;
    snprintf(msg, sizeof msg, "%s: cannot write event log: %s", w->eventlog_path, strerror(err));
    writer_fail(w, msg, err == ENOSPC);
}

static void *eventlog_main(void *arg)
{
    struct nm_writer *w = arg;
    uint64_t tail = 0;
    bool unflushed = false;

    lower_priority();
    for (;;) {
        if (atomic_load_explicit(&w->abort_now, memory_order_relaxed))
            break;
        /* db_done before committed: once the database thread is done,
         * committed is final. */
        bool done = atomic_load_explicit(&w->db_done, memory_order_acquire);
        if (atomic_load_explicit(&w->failed, memory_order_acquire)) {
            /* Nothing more is committed: free the slots so the producer
             * never blocks, and write nothing. */
            tail = atomic_load_explicit(&w->head, memory_order_acquire);
            atomic_store_explicit(&w->log_tail, tail, memory_order_release);
            if (done && tail == atomic_load_explicit(&w->head, memory_order_acquire))
                break;
            sleep_us(500);
            continue;
        }
        uint64_t upto = atomic_load_explicit(&w->committed, memory_order_acquire);
        if (tail == upto) {
            if (unflushed) {
                /* Caught up with the database: make the file as fresh. */
                if (fflush(w->eventlog) != 0)
                    eventlog_fail(w);
                unflushed = false;
                continue;
            }
            if (done)
                break;
            sleep_us(500);
            continue;
        }
        while (tail != upto) {
            const struct nm_wrec *r = &w->ring[tail & w->mask];
            if (r->type == NM_WREC_PACKET) {
                size_t n = nm_eventline_format(&r->u.packet.pkt, w->utc, w->line_buf,
                                               sizeof w->line_buf);
                if (n > 0 && fwrite(w->line_buf, 1, n, w->eventlog) != n) {
                    eventlog_fail(w);
                    break;
                }
            }
            tail++;
            if ((tail & 63) == 0)
                atomic_store_explicit(&w->log_tail, tail, memory_order_release);
        }
        atomic_store_explicit(&w->log_tail, tail, memory_order_release);
        unflushed = true;
    }
    return NULL;
}

/* ---- checkpointer thread ---------------------------------------------- */

/* Passive checkpoints while the database thread writes.  Errors are not
 * fatal: what was committed stays in the log, the next checkpoint (or the
 * one SQLite makes when the database is closed) copies it, and a disk that
 * is full also fails the database thread's own writes, which report it. */
static void *checkpoint_main(void *arg)
{
    struct nm_writer *w = arg;

    lower_priority();
    while (!atomic_load_explicit(&w->ckpt_stop, memory_order_acquire)) {
        (void)nm_db_checkpoint(w->ckpt_db);
        for (int i = 0; i < NM_CHECKPOINT_INTERVAL_MS / 10; i++) {
            if (atomic_load_explicit(&w->ckpt_stop, memory_order_acquire))
                break;
            sleep_us(10000);
        }
    }
    return NULL;
}

/* Started before the database thread; without it SQLite checkpoints on
 * the database thread as usual. */
static void start_checkpointer(struct nm_writer *w)
{
    char errbuf[256];
    if (nm_db_open_checkpointer(w->db, &w->ckpt_db, errbuf, sizeof errbuf) != 0)
        return;
    if (pthread_create(&w->ckpt_thread, NULL, checkpoint_main, w) != 0) {
        nm_db_close(w->ckpt_db);
        w->ckpt_db = NULL;
        return;
    }
    nm_db_hand_over_checkpoints(w->db);
    w->ckpt_thread_started = true;
}

/* After the database thread has finished: the last commits are in the
 * log, and closing the database checkpoints them. */
static void stop_checkpointer(struct nm_writer *w)
{
    if (w->ckpt_thread_started) {
        atomic_store_explicit(&w->ckpt_stop, true, memory_order_release);
        pthread_join(w->ckpt_thread, NULL);
        w->ckpt_thread_started = false;
    }
    nm_db_close(w->ckpt_db);
    w->ckpt_db = NULL;
}

/* ---- producer side ----------------------------------------------------- */

static uint64_t ring_used(const struct nm_writer *w, uint64_t head)
{
    uint64_t tail = atomic_load_explicit(&w->tail, memory_order_acquire);
    uint64_t log_tail = atomic_load_explicit(&w->log_tail, memory_order_acquire);
    return head - (log_tail < tail ? log_tail : tail);
}

/*
 * The producer waits for space.  Reading a file, until a quarter of the
 * ring is free, in steps of a millisecond: waking every few microseconds to
 * take the next free slot cost far more than the wait, as on 2 cores each
 * wake-up could preempt the database thread (which spent a quarter of a
 * per-packet run waiting for a CPU, schedstat).  In a live capture (lossy)
 * only records that must not be lost wait, and only for the first free
 * slot: every moment not reading lets the kernel's buffer fill.  Returns
 * false if the writer is aborting or has failed (when `give_up_on_fail`).
 */
static bool wait_for_space(struct nm_writer *w, uint64_t idx, uint64_t limit,
                           bool give_up_on_fail)
{
    if (ring_used(w, idx) < limit)
        return true;
    uint64_t resume = w->lossy ? limit - 1 : limit - w->slots / 4;
    while (ring_used(w, idx) > resume) {
        if (atomic_load(&w->abort_now) || (give_up_on_fail && atomic_load(&w->failed)))
            return false;
        sleep_us(w->lossy ? 50 : 1000);
    }
    return true;
}

/* A slot for a record that must not be lost: waits for space. */
static struct nm_wrec *slot_wait(struct nm_writer *w)
{
    uint64_t idx = w->next + (w->reserved_in_ring ? 1u + w->extra : 0u);
    if (!wait_for_space(w, idx, w->slots, false))
        return NULL;
    return &w->ring[idx & w->mask];
}

static void slot_publish(struct nm_writer *w)
{
    if (w->reserved_in_ring) {
        w->extra++;            /* published with the packet in nm_writer_commit_packet() */
        return;
    }
    w->next++;
    atomic_store_explicit(&w->head, w->next, memory_order_release);
}

struct nm_packet *nm_writer_reserve_packet(struct nm_writer *w)
{
    w->reserved_in_ring = false;
    w->extra = 0;
    if (!w->packets_enabled || atomic_load_explicit(&w->failed, memory_order_relaxed))
        return &w->scratch;
    /* Lossy writers keep the last eighth of the ring for aggregate records
     * (including those staged behind this packet). */
    uint64_t limit = w->lossy ? w->slots - w->slots / 8 : w->slots;
    if (ring_used(w, w->next) >= limit) {
        if (w->lossy)
            return &w->scratch;
        if (!wait_for_space(w, w->next, limit, true))
            return &w->scratch;
    }
    w->reserved_in_ring = true;
    struct nm_wrec *r = &w->ring[w->next & w->mask];
    r->type = NM_WREC_PACKET;
    return &r->u.packet.pkt;
}

bool nm_writer_commit_packet(struct nm_writer *w, uint64_t flow_id)
{
    if (!w->reserved_in_ring) {
        if (w->packets_enabled && !atomic_load_explicit(&w->failed, memory_order_relaxed))
            atomic_fetch_add_explicit(&w->queue_drops, 1, memory_order_relaxed);
        return false;
    }
    w->ring[w->next & w->mask].u.packet.flow_id = flow_id;
    w->next += 1u + w->extra;
    w->extra = 0;
    w->reserved_in_ring = false;
    atomic_store_explicit(&w->head, w->next, memory_order_release);
    return true;
}

void nm_writer_disable_packets(struct nm_writer *w)
{
    w->packets_enabled = false;
}

#define PUT_RECORD(w, TYPE, field, value)              \
    do {                                               \
        struct nm_wrec *r_ = slot_wait(w);             \
        if (!r_)                                       \
            return;                                    \
        r_->type = (TYPE);                             \
        r_->u.field = *(value);                        \
        slot_publish(w);                               \
    } while (0)

void nm_writer_put_flow(struct nm_writer *w, const struct nm_flow_rec *rec)
{
    PUT_RECORD(w, NM_WREC_FLOW, flow, rec);
}

void nm_writer_put_address(struct nm_writer *w, const struct nm_addr_rec *rec)
{
    PUT_RECORD(w, NM_WREC_ADDR, addr, rec);
}

void nm_writer_put_second(struct nm_writer *w, const struct nm_second_rec *rec)
{
    PUT_RECORD(w, NM_WREC_SECOND, second, rec);
}

void nm_writer_put_drops(struct nm_writer *w, const struct nm_drops_rec *rec)
{
    PUT_RECORD(w, NM_WREC_DROPS, drops, rec);
}

void nm_writer_put_latency(struct nm_writer *w, const struct nm_db_latency_row *r)
{
    PUT_RECORD(w, NM_WREC_LATENCY, latency, r);
}

void nm_writer_put_latency_timeout(struct nm_writer *w, const struct nm_latency_timeout *t)
{
    PUT_RECORD(w, NM_WREC_LATENCY_TIMEOUT, latency_timeout, t);
}

void nm_writer_put_latency_bucket(struct nm_writer *w, const struct nm_lathist_rec *r)
{
    PUT_RECORD(w, NM_WREC_LATENCY_BUCKET, latency_bucket, r);
}

void nm_writer_put_malformed(struct nm_writer *w, enum nm_malformed reason, uint64_t count)
{
    struct nm_wrec *r = slot_wait(w);
    if (!r)
        return;
    r->type = NM_WREC_MALFORMED;
    r->u.malformed.reason = reason;
    r->u.malformed.count = count;
    slot_publish(w);
}

void nm_writer_put_session(struct nm_writer *w, const struct nm_session_final *fin)
{
    struct nm_wrec *r = slot_wait(w);
    if (!r)
        return;
    r->type = NM_WREC_SESSION;
    r->u.session.fin = *fin;
    r->u.session.fin.end_message = NULL;
    snprintf(r->u.session.message, sizeof r->u.session.message, "%s",
             fin->end_message ? fin->end_message : "");
    slot_publish(w);
}

void nm_writer_put_log(struct nm_writer *w, enum nm_log_level level, const char *message)
{
    struct nm_wrec *r = slot_wait(w);
    if (!r)
        return;
    r->type = NM_WREC_LOG;
    r->u.log.level = level;
    r->u.log.wall_ns = wall_ns();
    snprintf(r->u.log.message, sizeof r->u.log.message, "%s", message);
    slot_publish(w);
}

bool nm_writer_failed(const struct nm_writer *w)
{
    return atomic_load(&w->failed);
}

const char *nm_writer_error(const struct nm_writer *w)
{
    return atomic_load(&w->failed) ? w->error : "";
}

bool nm_writer_error_is_full(const struct nm_writer *w)
{
    return atomic_load(&w->failed_full);
}

uint64_t nm_writer_queue_drops(const struct nm_writer *w)
{
    return atomic_load(&w->queue_drops);
}

uint64_t nm_writer_rows_written(const struct nm_writer *w)
{
    return atomic_load(&w->rows_written);
}

int nm_writer_start(const struct nm_writer_config *cfg, struct nm_writer **out, char *errbuf,
                    size_t errlen)
{
    *out = NULL;
    struct nm_writer *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    w->db = cfg->db;
    w->session_id = cfg->session_id;
    w->eventlog = cfg->eventlog;
    snprintf(w->eventlog_path, sizeof w->eventlog_path, "%s",
             cfg->eventlog_path ? cfg->eventlog_path : "event log");
    w->utc = cfg->utc;
    w->lossy = cfg->lossy;
    w->packets_enabled = true;
    w->slots = round_up_pow2(cfg->queue_slots ? cfg->queue_slots : NM_DEFAULT_QUEUE_SLOTS);
    w->mask = w->slots - 1;
    w->batch_rows = cfg->batch_rows ? cfg->batch_rows : NM_DEFAULT_BATCH_ROWS;
    w->commit_ns = (int64_t)(cfg->commit_ms ? cfg->commit_ms : NM_DEFAULT_COMMIT_MS) * 1000000;
    w->ring = calloc(w->slots, sizeof *w->ring);
    if (!w->ring) {
        snprintf(errbuf, errlen, "out of memory for a writer queue of %u records", w->slots);
        free(w);
        return -1;
    }
    /* Touch every page now.  Otherwise the capture thread takes the page
     * faults of the first pass through the ring while it copies records in:
     * on a virtual machine here that was 40-80 ms per once-a-second flush
     * (some 8 MB of flow and histogram records), long enough for the
     * kernel's capture buffer to overflow at 50,000 packets/s.  A write
     * through a volatile pointer, because a compiler may drop a memset()
     * after calloc(). */
    for (size_t off = 0; off < (size_t)w->slots * sizeof *w->ring; off += 4096)
        ((volatile unsigned char *)w->ring)[off] = 0;
    atomic_init(&w->head, 0);
    atomic_init(&w->tail, 0);
    /* Without an event-log thread, log_tail never holds a slot back. */
    atomic_init(&w->log_tail, w->eventlog ? 0 : UINT64_MAX);
    atomic_init(&w->committed, 0);
    atomic_init(&w->db_done, false);
    atomic_init(&w->fail_claimed, false);
    atomic_init(&w->ckpt_stop, false);
    atomic_init(&w->stop, false);
    atomic_init(&w->abort_now, false);
    atomic_init(&w->failed, false);
    atomic_init(&w->failed_full, false);
    atomic_init(&w->queue_drops, 0);
    atomic_init(&w->rows_written, 0);
    /* The checkpointer first: it changes a setting of the database
     * thread's connection, which must not be in use yet. */
    start_checkpointer(w);
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    if (rc != 0) {
        stop_checkpointer(w);
        snprintf(errbuf, errlen, "cannot start the writer thread: %s", strerror(rc));
        free(w->ring);
        free(w);
        return -1;
    }
    w->thread_started = true;
    if (w->eventlog) {
        rc = pthread_create(&w->log_thread, NULL, eventlog_main, w);
        if (rc != 0) {
            snprintf(errbuf, errlen, "cannot start the event-log thread: %s", strerror(rc));
            nm_writer_abort(w);
            return -1;
        }
        w->log_thread_started = true;
    }
    *out = w;
    return 0;
}

int nm_writer_stop(struct nm_writer *w, char *errbuf, size_t errlen)
{
    atomic_store_explicit(&w->stop, true, memory_order_release);
    if (w->thread_started)
        pthread_join(w->thread, NULL);
    if (w->log_thread_started)
        pthread_join(w->log_thread, NULL);
    stop_checkpointer(w);
    int rc = 0;
    if (atomic_load(&w->failed)) {
        snprintf(errbuf, errlen, "%s", w->error);
        rc = -1;
    }
    free(w->ring);
    free(w);
    return rc;
}

void nm_writer_abort(struct nm_writer *w)
{
    atomic_store(&w->abort_now, true);
    atomic_store_explicit(&w->stop, true, memory_order_release);
    if (w->thread_started)
        pthread_join(w->thread, NULL);
    if (w->log_thread_started)
        pthread_join(w->log_thread, NULL);
    stop_checkpointer(w);
    free(w->ring);
    free(w);
}
