/*
 * live_data.c - nm-live's dashboard data (see live_data.h).  One refresh is
 * one read transaction of a few small queries: the summary (latency from
 * the histogram table), two windows, the history and the top talkers.
 */
#include "live_data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../schema/db.h"

/* A lock held longer than this skips one refresh instead of freezing the
 * display (a writer's commit takes far less). */
#define LIVE_BUSY_TIMEOUT_MS 200

struct nm_live_source {
    char *path;
    int64_t pinned;                /* 0: follow the newest session */
    struct nm_db *db;
    dev_t dev;                     /* the file opened, to notice a replaced one */
    ino_t ino;
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
static int read_all(const struct nm_live_source *src, int bins, struct nm_live_snapshot *n)
{
    struct nm_db *db = src->db;
    int rc;

    if ((rc = nm_db_read_summary(db, n->session_id, &n->sum)) != 0)
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
