/*
 * run.c - one nm-capture run.  The capture thread reads, decodes straight
 * into a writer-queue slot, runs the analysis engine, and publishes the
 * slot; the writer thread does all database and event-log I/O.
 */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode.h"
#include "privs.h"
#include "source.h"
#include "writer.h"
#include "../analyze/counters.h"
#include "../analyze/engine.h"
#include "../analyze/lathist.h"
#include "../analyze/latency.h"
#include "../schema/db.h"

/* How often (wall clock) deltas are flushed to the writer: readers of the
 * database see data at most this old plus one commit interval. */
#define NM_FLUSH_INTERVAL_NS 1000000000LL
/* The latency histograms less often: every changed bucket is a row
 * rewritten, and reading a file they changed by thousands each second
 * (196,000 bucket rows for mixed.pcap's 1.27 M samples, each costing more
 * than a packet row).  Readers show latency every 30 s. */
#define NM_LATHIST_FLUSH_INTERVAL_NS 5000000000LL
/* Writer queue of a live capture (records of about 430 bytes: 28 MB).  A
 * file waits for the writer, so the writer's default (16384) is enough;
 * live packets cannot wait.  The queue must ride out the writer's pauses:
 * a commit that checkpoints (50-90 ms measured) and, on a busy 2-core
 * machine, the time the writer thread is not scheduled.  16384 slots
 * last 0.29 s at 50,000 packets/s and lost rows in tests/bench/live-bench.sh;
 * 65536 last 1.2 s and lost none. */
#define NM_LIVE_QUEUE_SLOTS 65536u
/* Kernel capture buffer of a live capture unless -B says otherwise: 8 MiB,
 * four times libpcap's default (which tcpdump uses).  nm-capture does more
 * per packet than tcpdump, and once a second it stops reading for a
 * millisecond or two to hand its deltas to the writer; on a shared 2-core
 * machine it can also wait for a CPU.  8 MiB holds about 0.2 s of
 * 100,000 packets/s of 450-byte frames. */
#define NM_LIVE_BUFFER_KIB 8192u
/* The event log's stdio buffer. */
#define NM_EVENTLOG_BUFFER (1u << 20)
/* The wall clock is read once per this many packets (and on timeouts). */
#define NM_CLOCK_CHECK_PACKETS 1024u

static volatile sig_atomic_t stop_signals;
static struct nm_source *volatile signal_source;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_signals++;
    if (stop_signals >= 2) {
        /* Second Ctrl+C while draining: leave now.  SQLite commits are
         * atomic, so the database keeps whole transactions only. */
        static const char msg[] = "nm-capture: interrupted again, exiting without draining\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(NM_EXIT_INTERRUPTED);
    }
    if (signal_source)
        nm_source_break(signal_source);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Appends a line to the result message. */
static void add_message(struct nm_run_result *r, const char *msg)
{
    size_t used = strlen(r->message);
    if (used && used + 1 < sizeof r->message)
        r->message[used++] = '\n';
    snprintf(r->message + used, sizeof r->message - used, "%s", msg);
}

/* ---- engine sink: records go to the writer ----------------------------- */

static void sink_flow(void *ctx, const struct nm_flow_rec *rec)
{
    nm_writer_put_flow(ctx, rec);
}

static void sink_address(void *ctx, const struct nm_addr_rec *rec)
{
    nm_writer_put_address(ctx, rec);
}

static void sink_second(void *ctx, const struct nm_second_rec *rec)
{
    nm_writer_put_second(ctx, rec);
}

struct run_state;
static void sink_latency(void *ctx, const struct nm_latency_sample *s);
static void sink_latency_timeout(void *ctx, const struct nm_latency_timeout *t);

struct run_state {
    const struct nm_options *opt;
    struct nm_source *src;
    struct nm_db *db;
    struct nm_writer *writer;
    struct nm_engine *engine;
    struct nm_latency *latency;
    struct nm_lathist *lathist;   /* every sample, also in aggregate mode */
    bool lathist_failed;          /* out of memory once: said in the log */
    int64_t lathist_flushed_ns;   /* CLOCK_MONOTONIC of its last flush */
    /* A handshake's samples joined for one row (latency.h): the
     * tcp_syn_synack and tcp_synack_ack waiting for their tcp_handshake. */
    struct nm_latency_sample joined[2];
    unsigned n_joined;
    FILE *eventlog;
    char *eventlog_buf;           /* its stdio buffer (setvbuf) */
    int64_t session_id;
    int linktype;
    enum nm_session_end end_reason;
    char end_message[1024];
    int64_t start_wall_ns;
    /* Drops already handed to the writer as per-second records: the
     * session row reports these sums, so it always equals the seconds
     * rows' totals. */
    uint64_t drops_kernel, drops_ifdrop, drops_queue;
};

/* A sample's row borrows its flow's addresses (flags say which side is the
 * sample's client).  `parts`: the tcp_syn_synack and tcp_synack_ack joined
 * to the tcp_handshake s, stored in its row. */
static void put_latency_row(struct run_state *st, const struct nm_latency_sample *s,
                            const struct nm_latency_sample *parts)
{
    struct nm_db_latency_row r = {
        .ts_ns = s->ts_ns,
        .flow_id = s->flow_id,
        .value_ns = s->value_ns,
        .kind = s->kind,
        .ip_proto = s->ip_proto,
        .flags = (uint8_t)((s->by_server ? NM_DB_LAT_BY_SERVER : 0) |
                           (s->client_is_flow_server ? NM_DB_LAT_CLIENT_IS_FLOW_SERVER : 0)),
        .has_parts = parts != NULL,
        .syn_synack_ns = parts ? parts[0].value_ns : 0,
        .synack_ack_ns = parts ? parts[1].value_ns : 0,
    };
    nm_writer_put_latency(st->writer, &r);
}

/* Every sample goes into the histograms, which the statistics read; the
 * sample rows themselves are per-packet detail, not stored with -A. */
static void sink_latency(void *ctx, const struct nm_latency_sample *s)
{
    struct run_state *st = ctx;
    if (nm_lathist_add(st->lathist, s->kind, s->ip_proto, s->value_ns) != 0 &&
        !st->lathist_failed) {
        st->lathist_failed = true;
        nm_writer_put_log(st->writer, NM_LOG_WARNING,
                          "out of memory for a latency histogram: some samples not counted");
    }
    if (st->opt->aggregate)
        return;
    if (s->joined && st->n_joined < 2) {
        st->joined[st->n_joined++] = *s;
        return;
    }
    /* One row for a handshake's three samples, as latency.h lets: checked
     * here, since the row keeps only what the view needs to give the other
     * two back (their values; times, flow and sides follow from the row).
     * Any other sequence (none is expected) is stored a row per sample. */
    const struct nm_latency_sample *a = &st->joined[0], *b = &st->joined[1];
    bool three = st->n_joined == 2 && s->kind == NM_LAT_TCP_HANDSHAKE && !s->by_server &&
                 a->kind == NM_LAT_TCP_SYN_SYNACK && a->by_server &&
                 b->kind == NM_LAT_TCP_SYNACK_ACK && !b->by_server &&
                 b->ts_ns == s->ts_ns && a->ts_ns == s->ts_ns - b->value_ns &&
                 a->flow_id == s->flow_id && b->flow_id == s->flow_id &&
                 a->client_is_flow_server == s->client_is_flow_server &&
                 b->client_is_flow_server == s->client_is_flow_server &&
                 a->ip_proto == s->ip_proto && b->ip_proto == s->ip_proto;
    if (!three)
        for (unsigned i = 0; i < st->n_joined; i++)
            put_latency_row(st, &st->joined[i], NULL);
    put_latency_row(st, s, three ? st->joined : NULL);
    st->n_joined = 0;
}

static void sink_latency_timeout(void *ctx, const struct nm_latency_timeout *t)
{
    struct run_state *st = ctx;
    nm_writer_put_latency_timeout(st->writer, t);
}

static void sink_latency_bucket(void *ctx, const struct nm_lathist_rec *r)
{
    nm_writer_put_latency_bucket(ctx, r);
}

/*
 * Once a second (wall clock) and at the end: the drops since the last poll
 * (libpcap's kernel and interface counters, the writer's rejected rows)
 * become one record for the second of the newest packet read so far, the
 * packet-time second the capture is at.  Before the first packet they wait
 * for it (so no row outside the packets' time range appears), except at
 * the end of a session that saw no packet at all: then the wall-clock
 * second.  See README "Metrics".
 */
static void poll_drops(struct run_state *st, bool final)
{
    struct nm_drops_rec rec;
    uint64_t kernel, ifdrop, queue;

    nm_source_drops(st->src, &kernel, &ifdrop);
    queue = nm_writer_queue_drops(st->writer);
    if (kernel == st->drops_kernel && ifdrop == st->drops_ifdrop && queue == st->drops_queue)
        return;
    const struct nm_engine_totals *t = nm_engine_totals(st->engine);
    if (t->packets)
        rec.second = nm_counters_second(t->last_ns);
    else if (final)
        rec.second = nm_counters_second(now_ns(CLOCK_REALTIME));
    else
        return;
    rec.kernel = kernel - st->drops_kernel;
    rec.ifdrop = ifdrop - st->drops_ifdrop;
    rec.queue = queue - st->drops_queue;
    nm_writer_put_drops(st->writer, &rec);
    st->drops_kernel = kernel;
    st->drops_ifdrop = ifdrop;
    st->drops_queue = queue;
}

static void fill_final(const struct run_state *st, struct nm_session_final *fin, bool final)
{
    const struct nm_engine_totals *t = nm_engine_totals(st->engine);
    memset(fin, 0, sizeof *fin);
    fin->end_reason = final ? st->end_reason : NM_SESS_RUNNING;
    fin->end_message = final && st->end_message[0] ? st->end_message : NULL;
    fin->end_wall_ns = now_ns(CLOCK_REALTIME);
    fin->first_packet_ns = t->packets ? t->first_ns : 0;
    fin->last_packet_ns = t->packets ? t->last_ns : 0;
    fin->packets = t->packets;
    fin->bytes = t->bytes;
    fin->captured_bytes = t->captured_bytes;
    fin->drops_kernel = st->drops_kernel;
    fin->drops_ifdrop = st->drops_ifdrop;
    fin->drops_queue = st->drops_queue;
    for (int i = 1; i < NM_MAL_COUNT; i++)
        fin->malformed += t->malformed[i];
    fin->flows_evicted = t->flows_evicted;
    fin->addresses_evicted = t->addresses_evicted;
    if (st->latency) {
        const struct nm_latency_counters *c = nm_latency_counters(st->latency);
        for (int i = 0; i < NM_LAT_TABLE_COUNT; i++)
            fin->latency_evictions += c->evictions[i];
    }
}

static void flush_progress(struct run_state *st, bool final)
{
    const struct nm_engine_totals *t = nm_engine_totals(st->engine);
    nm_engine_flush(st->engine, t->last_ns, final);
    /* Pending requests younger than their timeout at the last packet stay
     * unanswered without counting as timeouts (see latency.h). */
    if (st->latency)
        nm_latency_flush(st->latency, t->last_ns);
    int64_t mono = now_ns(CLOCK_MONOTONIC);
    if (st->lathist && (final || mono - st->lathist_flushed_ns >= NM_LATHIST_FLUSH_INTERVAL_NS)) {
        nm_lathist_flush(st->lathist, sink_latency_bucket, st->writer);
        st->lathist_flushed_ns = mono;
    }
    for (int i = 1; i < NM_MAL_COUNT; i++)
        if (t->malformed[i])
            nm_writer_put_malformed(st->writer, (enum nm_malformed)i, t->malformed[i]);
    poll_drops(st, final);
    struct nm_session_final fin;
    fill_final(st, &fin, final);
    nm_writer_put_session(st->writer, &fin);
}

/* A warning the user must see: in the log table and on stderr. */
static void warn_user(struct run_state *st, struct nm_run_result *res, const char *msg)
{
    nm_writer_put_log(st->writer, NM_LOG_WARNING, msg);
    add_message(res, msg);
}

/* Packets whose time the source pinned to the range kept (source.h). */
static void note_clamped_times(struct run_state *st, struct nm_run_result *res)
{
    uint64_t n = nm_source_ts_clamped(st->src);
    char msg[512];

    if (n == 0)
        return;
    snprintf(msg, sizeof msg,
             "%s: %" PRIu64 " packet%s stamped outside 1823-11-12 .. 2116-02-20: stored with "
             "the nearest of those times",
             nm_source_name(st->src), n, n == 1 ? "" : "s");
    warn_user(st, res, msg);
}

/* Entries the full latency tables pushed out (latency.h: such a request
 * gives neither a sample nor a timeout, and a connection picked up again
 * lost its handshake state): a warning in the log table and on stderr, so
 * that missing samples are never silent. */
static void note_latency_evictions(struct run_state *st, const struct nm_latency_config *cfg,
                                   struct nm_run_result *res)
{
    static const char *const what[NM_LAT_TABLE_COUNT] = {
        [NM_LAT_TABLE_TCP] = "TCP connections", [NM_LAT_TABLE_DNS] = "DNS queries",
        [NM_LAT_TABLE_ICMP] = "echo requests", [NM_LAT_TABLE_UDP] = "UDP flows",
    };
    const uint32_t cap[NM_LAT_TABLE_COUNT] = {
        [NM_LAT_TABLE_TCP] = cfg->max_tcp, [NM_LAT_TABLE_DNS] = cfg->max_dns,
        [NM_LAT_TABLE_ICMP] = cfg->max_icmp, [NM_LAT_TABLE_UDP] = cfg->max_udp,
    };
    const struct nm_latency_counters *c = nm_latency_counters(st->latency);
    char msg[512];
    size_t used = 0;

    for (int t = 0; t < NM_LAT_TABLE_COUNT; t++) {
        if (c->evictions[t] == 0 || used >= sizeof msg)
            continue;
        used += (size_t)snprintf(msg + used, sizeof msg - used,
                                 "%s%" PRIu64 " %s (table of %" PRIu32 ")",
                                 used ? ", " : "latency: full tables forgot ", c->evictions[t],
                                 what[t], cap[t]);
    }
    if (used == 0 || used >= sizeof msg)
        return;
    snprintf(msg + used, sizeof msg - used,
             " before their idle timeout; any sample or timeout still due on them is lost");
    warn_user(st, res, msg);
}

/* The capture loop.  Returns when the input ends, a limit is reached, a
 * signal arrives or the writer fails; st->end_reason says which. */
static void capture_loop(struct run_state *st, struct nm_run_result *res)
{
    const struct nm_options *opt = st->opt;
    char errbuf[1024];
    struct nm_source_packet sp;
    struct nm_verdict verdict;
    uint64_t packets = 0;
    int64_t last_flush = now_ns(CLOCK_MONOTONIC);
    int64_t deadline = opt->duration_s ? last_flush + (int64_t)opt->duration_s * 1000000000 : 0;

    for (;;) {
        if (stop_signals) {
            st->end_reason = NM_SESS_SIGNAL;
            break;
        }
        enum nm_source_status s = nm_source_next(st->src, &sp, errbuf, sizeof errbuf);
        if (s == NM_SRC_PACKET) {
            struct nm_packet *pkt = nm_writer_reserve_packet(st->writer);
            nm_decode(st->linktype, sp.data, sp.cap_len, sp.wire_len, pkt);
            pkt->ts_ns = sp.ts_ns;
            nm_engine_packet(st->engine, pkt, &verdict);
            if (st->latency)
                nm_latency_packet(st->latency, pkt, verdict.flow_id, verdict.from_client,
                                  verdict.latency_hint);
            nm_writer_commit_packet(st->writer, verdict.flow_id);
            packets++;
            if (opt->count && packets >= opt->count) {
                st->end_reason = NM_SESS_COUNT_LIMIT;
                break;
            }
            if (packets % NM_CLOCK_CHECK_PACKETS != 0)
                continue;
        } else if (s == NM_SRC_EOF) {
            st->end_reason = NM_SESS_COMPLETE;
            break;
        } else if (s == NM_SRC_BREAK) {
            st->end_reason = NM_SESS_SIGNAL;
            break;
        } else if (s == NM_SRC_TRUNCATED || s == NM_SRC_ERROR) {
            st->end_reason = s == NM_SRC_TRUNCATED ? NM_SESS_TRUNCATED : NM_SESS_READ_ERROR;
            snprintf(st->end_message, sizeof st->end_message, "%s", errbuf);
            char msg[1200];
            snprintf(msg, sizeof msg, "%s (after %llu packets; those are saved)", errbuf,
                     (unsigned long long)packets);
            add_message(res, msg);
            res->exit_status = NM_EXIT_INPUT;
            break;
        }
        /* Every NM_CLOCK_CHECK_PACKETS packets, and on live read timeouts. */
        if (nm_writer_failed(st->writer)) {
            st->end_reason = NM_SESS_DB_ERROR;
            break;
        }
        int64_t mono = now_ns(CLOCK_MONOTONIC);
        if (deadline && mono >= deadline) {
            st->end_reason = NM_SESS_TIME_LIMIT;
            break;
        }
        if (mono - last_flush >= NM_FLUSH_INTERVAL_NS) {
            flush_progress(st, false);
            last_flush = mono;
        }
    }
}

static int open_eventlog(struct run_state *st, struct nm_run_result *res)
{
    const struct nm_options *opt = st->opt;
    if (opt->aggregate || opt->no_log || !opt->log_path)
        return 0;
    /* Appended, as the original did: one log can span several sessions,
     * exactly like the database it mirrors. */
    st->eventlog = fopen(opt->log_path, "a");
    if (!st->eventlog) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: cannot open event log: %s", opt->log_path,
                 strerror(errno));
        add_message(res, msg);
        res->exit_status = NM_EXIT_USAGE;
        return -1;
    }
    /* A big buffer: lines are small and many.  glibc ignores the size
     * when setvbuf is given no buffer (it keeps st_blksize, 4 KiB), and
     * 4 KiB writes cost the event-log thread twice the kernel time of
     * 1 MiB writes on ext4 (measured: 1.5 GB of lines, 1.0-2.0 s against
     * 0.2-0.45 s). */
    st->eventlog_buf = malloc(NM_EVENTLOG_BUFFER);
    if (st->eventlog_buf)
        setvbuf(st->eventlog, st->eventlog_buf, _IOFBF, NM_EVENTLOG_BUFFER);
    return 0;
}

/* -Z USER: the capture, the database and the event log are open; from
 * here on nothing needs root.  The files are handed to USER so that the
 * writer, and SQLite when it recreates its -wal and -shm files, can write
 * them.  Before the writer thread exists. */
static int drop_privileges(struct run_state *st, struct nm_run_result *res)
{
    const struct nm_options *opt = st->opt;
    char wal[4200], shm[4200], errbuf[1024];
    snprintf(wal, sizeof wal, "%s-wal", opt->db_path);
    snprintf(shm, sizeof shm, "%s-shm", opt->db_path);
    /* The report folder is written at the very end, as USER: create it now
     * (as root, where USER may not create anything) and hand it over too. */
    const char *report = !opt->no_report && opt->report_dir ? opt->report_dir : NULL;
    if (report && mkdir(report, 0755) != 0 && errno != EEXIST) {
        snprintf(errbuf, sizeof errbuf, "%s: cannot create the report folder: %s", report,
                 strerror(errno));
        add_message(res, errbuf);
        res->exit_status = NM_EXIT_USAGE;
        return -1;
    }
    const char *paths[] = { opt->db_path, wal, shm, st->eventlog ? opt->log_path : NULL, report };
    if (nm_privs_drop(opt->drop_user, paths, sizeof paths / sizeof paths[0], errbuf,
                      sizeof errbuf) != 0) {
        add_message(res, errbuf);
        res->exit_status = NM_EXIT_USAGE;
        return -1;
    }
    return 0;
}

static void record_failed_open(const struct nm_options *opt, const char *source, bool truncated,
                               const char *why)
{
    struct nm_db *db = NULL;
    char errbuf[512];
    if (nm_db_open(opt->db_path, NM_DB_WRITE, &db, errbuf, sizeof errbuf) != 0)
        return;  /* the input error is what the user needs to read */
    struct nm_session_info info = {
        .source = source, .live = opt->interface != NULL, .link_type = -1,
        .link_type_name = "unknown", .filter = opt->filter, .command_line = opt->command_line,
        .ts_precision = 6, .aggregate_only = opt->aggregate,
        .start_wall_ns = now_ns(CLOCK_REALTIME),
    };
    int64_t sid;
    if (nm_db_session_begin(db, &info, &sid) == 0) {
        struct nm_session_final fin = {
            .end_reason = truncated ? NM_SESS_TRUNCATED : NM_SESS_READ_ERROR,
            .end_message = why,
            .end_wall_ns = now_ns(CLOCK_REALTIME),
        };
        (void)nm_db_session_update(db, sid, &fin);
        (void)nm_db_log(db, sid, NM_LOG_ERROR, fin.end_wall_ns, why);
    }
    nm_db_close(db);
}

void nm_capture_run(const struct nm_options *opt, struct nm_run_result *res)
{
    struct run_state st;
    char errbuf[1024];
    char iface[256];
    char note[512];
    struct nm_session_info info;
    struct nm_writer_config wcfg;
    struct nm_engine_config ecfg;
    struct nm_sink sink;
    bool stop_failed;
    struct nm_latency_config lcfg;
    struct nm_latency_sink lsink;

    memset(res, 0, sizeof *res);
    memset(&st, 0, sizeof st);
    st.opt = opt;
    st.start_wall_ns = now_ns(CLOCK_REALTIME);

    struct nm_source_config scfg = {
        .file = opt->read_file, .interface = opt->interface, .filter = opt->filter,
        .snaplen = opt->snaplen, .promisc = opt->promisc, .immediate = opt->immediate,
        .buffer_kib = opt->buffer_kib ? opt->buffer_kib : NM_LIVE_BUFFER_KIB, .timeout_ms = 100,
    };
    if (!scfg.file && !scfg.interface) {
        if (nm_source_default_interface(iface, sizeof iface, errbuf, sizeof errbuf) != 0) {
            add_message(res, errbuf);
            res->exit_status = NM_EXIT_USAGE;
            return;
        }
        scfg.interface = iface;
    }

    enum nm_source_open_error why;
    st.src = nm_source_open(&scfg, errbuf, sizeof errbuf, &why);
    if (!st.src) {
        add_message(res, errbuf);
        bool truncated = why == NM_SRC_OPEN_TRUNCATED;
        res->exit_status = truncated ? NM_EXIT_INPUT : NM_EXIT_USAGE;
        /* A bad filter is a usage error: nothing ran, so no session row. */
        if (why != NM_SRC_OPEN_BAD_FILTER)
            record_failed_open(opt, scfg.file ? scfg.file : scfg.interface, truncated, errbuf);
        return;
    }
    st.linktype = nm_source_linktype(st.src);

    if (nm_db_open(opt->db_path, NM_DB_WRITE, &st.db, errbuf, sizeof errbuf) != 0) {
        add_message(res, errbuf);
        res->exit_status = NM_EXIT_USAGE;
        nm_source_close(st.src);
        return;
    }
    info = (struct nm_session_info){
        .source = scfg.file ? scfg.file : scfg.interface,
        .live = nm_source_is_live(st.src),
        .link_type = st.linktype,
        .link_type_name = nm_source_linktype_name(st.src),
        .filter = opt->filter,
        .command_line = opt->command_line,
        .ts_precision = nm_source_ts_precision(st.src),
        .snaplen = nm_source_snaplen(st.src),
        .aggregate_only = opt->aggregate,
        .start_wall_ns = st.start_wall_ns,
    };
    /* The event log is opened before the session row exists, so failing to
     * open it leaves no session behind that looks like it is still running. */
    if (open_eventlog(&st, res) != 0)
        goto out_db;
    if (opt->drop_user && drop_privileges(&st, res) != 0)
        goto out_log;
    if (nm_db_session_begin(st.db, &info, &st.session_id) != 0) {
        add_message(res, nm_db_errmsg(st.db));
        res->exit_status = NM_EXIT_USAGE;
        goto out_log;
    }
    wcfg = (struct nm_writer_config){
        .db = st.db, .session_id = st.session_id, .eventlog = st.eventlog,
        .eventlog_path = opt->log_path, .utc = opt->utc, .lossy = nm_source_is_live(st.src),
        .queue_slots = opt->queue_slots        ? opt->queue_slots
                       : nm_source_is_live(st.src) ? NM_LIVE_QUEUE_SLOTS
                                                   : 0,
    };
    if (nm_writer_start(&wcfg, &st.writer, errbuf, sizeof errbuf) != 0) {
        add_message(res, errbuf);
        res->exit_status = NM_EXIT_USAGE;
        goto out_log;
    }
    if (opt->aggregate)
        nm_writer_disable_packets(st.writer);

    nm_engine_config_default(&ecfg);
    if (opt->max_flows)
        ecfg.max_flows = opt->max_flows;
    if (opt->max_addresses)
        ecfg.max_addresses = opt->max_addresses;
    ecfg.hash_seed = (uint64_t)now_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
    sink = (struct nm_sink){ .ctx = st.writer, .flow = sink_flow, .address = sink_address,
                             .second = sink_second };
    st.engine = nm_engine_new(&ecfg, &sink);
    nm_latency_config_default(&lcfg);
    lcfg.hash_seed = ecfg.hash_seed * 0x9e3779b97f4a7c15u + 1;
    /* Sample rows take their endpoints from the flow (put_latency_row). */
    lsink = (struct nm_latency_sink){ .ctx = &st, .sample = sink_latency,
                                      .timeout = sink_latency_timeout,
                                      .sample_without_ends = true };
    st.latency = st.engine && !opt->no_latency ? nm_latency_new(&lcfg, &lsink) : NULL;
    st.lathist = st.latency ? nm_lathist_new() : NULL;
    st.lathist_flushed_ns = now_ns(CLOCK_MONOTONIC);
    if (!st.engine || (!st.lathist && !opt->no_latency)) {
        nm_engine_free(st.engine);
        nm_latency_free(st.latency);
        add_message(res, "out of memory for the flow and address tables (try --max-flows)");
        res->exit_status = NM_EXIT_USAGE;
        nm_writer_abort(st.writer);
        goto out_log;
    }

    snprintf(note, sizeof note, "capture started: %s, link type %s (%d)", info.source,
             info.link_type_name, info.link_type);
    nm_writer_put_log(st.writer, NM_LOG_INFO, note);
    if (!nm_decode_linktype_supported(st.linktype)) {
        snprintf(note, sizeof note,
                 "%s: link type %s (%d) is not decoded; its packets are counted as Other",
                 nm_source_name(st.src), info.link_type_name, st.linktype);
        warn_user(&st, res, note);
    }

    signal_source = st.src;
    install_signals();
    capture_loop(&st, res);

    /* Drain: everything captured goes to the database before we report. */
    flush_progress(&st, true);
    if (st.latency)
        note_latency_evictions(&st, &lcfg, res);
    note_clamped_times(&st, res);
    snprintf(note, sizeof note, "capture ended: %s", nm_session_end_name(st.end_reason));
    nm_writer_put_log(st.writer, st.end_reason == NM_SESS_TRUNCATED ||
                                         st.end_reason == NM_SESS_READ_ERROR
                                     ? NM_LOG_ERROR : NM_LOG_INFO,
                      note);
    signal_source = NULL;
    /* nm_writer_stop() frees the writer: flush_progress() above read its
     * last queue-drop count into st.drops_queue. */
    stop_failed = nm_writer_stop(st.writer, errbuf, sizeof errbuf) != 0;
    st.writer = NULL;
    if (stop_failed) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s; the capture stopped, earlier batches are saved", errbuf);
        add_message(res, msg);
        res->exit_status = NM_EXIT_WRITE;
        /* Best effort: say in the session row why it ended. */
        struct nm_session_final fin;
        st.end_reason = NM_SESS_DB_ERROR;
        snprintf(st.end_message, sizeof st.end_message, "%s", errbuf);
        fill_final(&st, &fin, true);
        (void)nm_db_session_update(st.db, st.session_id, &fin);
    }

    /* The final statistics are read for the two that use them, the printout
     * (not with -q) and the report (not with --no-report): with both off, as
     * in scripts and the bench, reading them took 50-60 ms after a 2 s -A run
     * on mixed.pcap (counting its 330,710 flows 27 ms, latency_per_protocol 16). */
    if ((!opt->quiet || !opt->no_report) &&
        nm_db_read_summary(st.db, st.session_id, &res->summary) == 0)
        res->have_summary = true;
    nm_engine_free(st.engine);
    nm_latency_free(st.latency);
    nm_lathist_free(st.lathist);

out_log:
    if (st.eventlog && fclose(st.eventlog) != 0 && res->exit_status == NM_EXIT_OK) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: cannot write event log: %s", opt->log_path,
                 strerror(errno));
        add_message(res, msg);
        res->exit_status = NM_EXIT_WRITE;
    }
    free(st.eventlog_buf);      /* after fclose: the stream used it */
out_db:
    nm_db_close(st.db);
    nm_source_close(st.src);
}
