/*
 * live_data.c - nm-live's dashboard data (see live_data.h).  One refresh is
 * one read transaction of a few small queries; latency samples, the one
 * table that grows with the capture, are read incrementally by row id into
 * bounded histograms, so a refresh costs the new samples only.
 */
#include "live_data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../analyze/latency.h"
#include "../schema/db.h"
#include "lathist.h"

/* A lock held longer than this skips one refresh instead of freezing the
 * display (a writer's commit takes far less). */
#define LIVE_BUSY_TIMEOUT_MS 200
/* Latency rows read per refresh: bounds a refresh's time while a big
 * finished session is first read (about 0.1 s per 200k rows here). */
#define LIVE_LATENCY_ROWS 200000

/* Connection-latency averages per transport: TCP, UDP, ICMP, ICMPv6, all. */
enum { AVG_TCP, AVG_UDP, AVG_ICMP, AVG_ICMPV6, AVG_ALL, AVG_COUNT };

struct nm_live_source {
    char *path;
    int64_t pinned;                /* 0: follow the newest session */
    struct nm_db *db;
    dev_t dev;                     /* the file opened, to notice a replaced one */
    ino_t ino;
    /* Latency accumulated for session lat_session up to row lat_after. */
    int64_t lat_session;
    int64_t lat_after;
    struct nm_lathist lat[NM_LAT_KIND_COUNT];
    uint64_t timeouts[NM_LAT_KIND_COUNT];
    bool is_conn[NM_LAT_KIND_COUNT];
    uint64_t avg_n[AVG_COUNT];
    double avg_sum[AVG_COUNT];
    struct nm_live_snapshot next;  /* filled, then copied out on success */
};

struct nm_live_source *nm_live_source_new(const char *db_path, int64_t session_id)
{
    struct nm_live_source *src = calloc(1, sizeof *src);

    if (src == NULL)
        return NULL;
    src->path = strdup(db_path);
    if (src->path == NULL) {
        free(src);
        return NULL;
    }
    src->pinned = session_id > 0 ? session_id : 0;
    return src;
}

static void close_db(struct nm_live_source *src)
{
    nm_db_close(src->db);
    src->db = NULL;
    src->lat_session = 0;   /* a reopened file may hold other rows */
}

void nm_live_source_free(struct nm_live_source *src)
{
    if (src == NULL)
        return;
    close_db(src);
    free(src->path);
    free(src);
}

void nm_live_source_older(struct nm_live_source *src)
{
    int64_t cur = src->pinned > 0 ? src->pinned : src->next.session_id, older = 0;

    if (src->db != NULL && cur > 0 && nm_live_session_before(src->db, cur, &older) != 0)
        return;   /* busy or failed: the key press is simply ignored */
    src->pinned = older;   /* 0 (none older): back to following */
}

void nm_live_source_follow(struct nm_live_source *src)
{
    src->pinned = 0;
}

static int kind_index(const char *kind)
{
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        if (strcmp(kind, nm_latency_kind_name((enum nm_latency_kind)k)) == 0)
            return k;
    return -1;
}

static void on_kind(void *ctx, const char *kind, bool is_connection, uint64_t timeouts)
{
    struct nm_live_source *src = ctx;
    int k = kind_index(kind);

    if (k >= 0) {
        src->is_conn[k] = is_connection;
        src->timeouts[k] = timeouts;
    }
}

static void on_sample(void *ctx, const char *kind, int ip_proto, double value_us)
{
    struct nm_live_source *src = ctx;
    int k = kind_index(kind), slot;

    if (k < 0)
        return;
    nm_lathist_add(&src->lat[k], value_us);
    if (!src->is_conn[k])
        return;
    /* As the latency_per_protocol view: DNS over TCP counts under TCP. */
    switch (ip_proto) {
    case 6: slot = AVG_TCP; break;
    case 17: slot = AVG_UDP; break;
    case 1: slot = AVG_ICMP; break;
    case 58: slot = AVG_ICMPV6; break;
    default: slot = -1; break;
    }
    if (slot >= 0) {
        src->avg_n[slot]++;
        src->avg_sum[slot] += value_us;
    }
    src->avg_n[AVG_ALL]++;
    src->avg_sum[AVG_ALL] += value_us;
}

static void reset_latency(struct nm_live_source *src, int64_t session_id)
{
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++)
        nm_lathist_clear(&src->lat[k]);
    memset(src->timeouts, 0, sizeof src->timeouts);
    memset(src->avg_n, 0, sizeof src->avg_n);
    memset(src->avg_sum, 0, sizeof src->avg_sum);
    src->lat_session = session_id;
    src->lat_after = 0;
}

/* Copies the accumulated latency into the summary's fields. */
static void fill_latency(const struct nm_live_source *src, struct nm_summary *s)
{
    struct nm_summary_latency_avg *avgs[AVG_COUNT] = {
        &s->latency_tcp, &s->latency_udp, &s->latency_icmp, &s->latency_icmpv6,
        &s->latency_all,
    };

    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        const struct nm_lathist *h = &src->lat[k];
        struct nm_summary_latency *l = &s->latency[k];
        l->samples = h->count;
        l->timeouts = src->timeouts[k];
        l->mean_us = nm_lathist_mean(h);
        l->p50_us = nm_lathist_percentile(h, 50);
        l->p90_us = nm_lathist_percentile(h, 90);
        l->p99_us = nm_lathist_percentile(h, 99);
        l->max_us = h->max_us;
    }
    for (int i = 0; i < AVG_COUNT; i++) {
        avgs[i]->samples = src->avg_n[i];
        avgs[i]->mean_us = src->avg_n[i] ? src->avg_sum[i] / (double)src->avg_n[i] : 0;
    }
}

/* Opens the database if it is not open, or reopens it when the file was
 * replaced.  Returns NM_LIVE_ST_OK when src->db is usable. */
static enum nm_live_status open_db(struct nm_live_source *src, char *msg, size_t msglen)
{
    struct stat st;

    if (stat(src->path, &st) != 0) {
        int err = errno;
        close_db(src);
        if (err == ENOENT) {
            snprintf(msg, msglen, "waiting for database %s to appear", src->path);
            return NM_LIVE_ST_WAITING;
        }
        snprintf(msg, msglen, "%s: %s", src->path, strerror(err));
        return NM_LIVE_ST_FAILED;
    }
    if (src->db != NULL && (st.st_dev != src->dev || st.st_ino != src->ino))
        close_db(src);   /* deleted and created again, e.g. a new lab run */
    if (src->db != NULL)
        return NM_LIVE_ST_OK;
    if (nm_db_open(src->path, NM_DB_READ, &src->db, msg, msglen) != 0) {
        /* db.c reports SQLite's "database is locked" for a lock held
         * through its open-time wait: a retry may well succeed. */
        return strstr(msg, "locked") != NULL ? NM_LIVE_ST_BUSY : NM_LIVE_ST_FAILED;
    }
    if (nm_db_set_busy_timeout(src->db, LIVE_BUSY_TIMEOUT_MS) != 0) {
        snprintf(msg, msglen, "%s", nm_db_errmsg(src->db));
        close_db(src);
        return NM_LIVE_ST_FAILED;
    }
    src->dev = st.st_dev;
    src->ino = st.st_ino;
    return NM_LIVE_ST_OK;
}

static enum nm_live_status failed(struct nm_live_source *src, int rc, char *msg, size_t msglen)
{
    snprintf(msg, msglen, "%s", nm_db_errmsg(src->db));
    if (rc == NM_LIVE_BUSY || nm_live_error_is_busy(src->db)) {
        snprintf(msg, msglen, "database busy, retrying");
        return NM_LIVE_ST_BUSY;
    }
    return NM_LIVE_ST_FAILED;
}

/* Everything but the session choice, inside the read snapshot. */
static int read_all(struct nm_live_source *src, int bins, struct nm_live_snapshot *n)
{
    struct nm_db *db = src->db;
    int rc;

    if ((rc = nm_db_read_summary_counts(db, n->session_id, &n->sum)) != 0)
        return nm_live_error_is_busy(db) ? NM_LIVE_BUSY : -1;
    if ((rc = nm_live_read_window(db, n->session_id, NM_LIVE_RATE_S, &n->rate)) != 0)
        return rc;
    if ((rc = nm_live_read_window(db, n->session_id, NM_LIVE_RECENT_S, &n->recent)) != 0)
        return rc;
    n->has_data = n->rate.has_data;
    if (n->has_data) {
        int64_t last = n->rate.last_second;
        /* Floor to a multiple of 10 also for negative seconds. */
        int64_t last_bin = last - ((last % NM_LIVE_BIN_S) + NM_LIVE_BIN_S) % NM_LIVE_BIN_S;
        n->nbins = bins;
        n->hist_first = last_bin - (int64_t)(bins - 1) * NM_LIVE_BIN_S;
        n->last_bin_seconds = (int)(last - last_bin) + 1;
        rc = nm_live_read_history(db, n->session_id, n->hist_first, bins, NM_LIVE_BIN_S,
                                  &n->hist_bytes[0][0]);
        if (rc != 0)
            return rc;
    }
    if ((rc = nm_live_read_talkers(db, n->session_id, false, n->ips, NM_LIVE_TALKERS_MAX,
                                   &n->n_ips)) != 0 ||
        (rc = nm_live_read_talkers(db, n->session_id, true, n->macs, NM_LIVE_TALKERS_MAX,
                                   &n->n_macs)) != 0)
        return rc;

    if (src->lat_session != n->session_id)
        reset_latency(src, n->session_id);
    if ((rc = nm_live_read_latency_kinds(db, n->session_id, on_kind, src)) != 0)
        return rc;
    rc = nm_live_read_latency(db, n->session_id, &src->lat_after, LIVE_LATENCY_ROWS,
                              on_sample, src, &n->latency_partial);
    if (rc != 0)
        return rc;
    fill_latency(src, &n->sum);
    return 0;
}

enum nm_live_status nm_live_source_refresh(struct nm_live_source *src, int bins,
                                           struct nm_live_snapshot *out, char *msg,
                                           size_t msglen)
{
    struct nm_live_snapshot *n = &src->next;
    enum nm_live_status st;
    int64_t id = src->pinned;
    int rc;

    if (msglen > 0)
        msg[0] = '\0';
    if (bins < 1)
        bins = 1;
    if (bins > NM_LIVE_HISTORY_MAX)
        bins = NM_LIVE_HISTORY_MAX;
    if ((st = open_db(src, msg, msglen)) != NM_LIVE_ST_OK) {
        if (st == NM_LIVE_ST_BUSY)
            snprintf(msg, msglen, "database busy, retrying");
        return st;
    }

    rc = nm_live_snapshot_begin(src->db);
    if (rc != 0)
        return failed(src, rc, msg, msglen);
    if (id <= 0 && (rc = nm_live_newest_session(src->db, &id)) != 0) {
        st = nm_live_error_is_busy(src->db) ? failed(src, rc, msg, msglen) : NM_LIVE_ST_NO_SESSION;
        if (st == NM_LIVE_ST_NO_SESSION)
            snprintf(msg, msglen, "%s: no capture session yet; waiting", src->path);
        nm_live_snapshot_end(src->db);
        return st;
    }
    memset(n, 0, sizeof *n);
    n->session_id = id;
    n->following = src->pinned <= 0;
    rc = read_all(src, bins, n);
    if (rc != 0)
        st = failed(src, rc, msg, msglen);
    nm_live_snapshot_end(src->db);
    if (rc != 0)
        return st;
    *out = *n;
    return NM_LIVE_ST_OK;
}
