/*
 * live_data.h - what nm-live's dashboard shows, gathered from the database
 * into one plain struct per refresh.  No SQL here (schema/live_queries.h
 * and schema/summary.h read) and no drawing (report/dashboard.c draws), so
 * the numbers can be unit-tested without a terminal.
 *
 * Times are packet time: the windows end at the newest second stored for
 * the session, as in the text summaries (live.h), so a finished capture
 * shows its last minutes and a live one its latest.
 */
#ifndef NM_LIVE_DATA_H
#define NM_LIVE_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyze/proto.h"
#include "../schema/live_queries.h"
#include "../schema/summary.h"

#define NM_LIVE_BIN_S 10           /* throughput history: 10 s bins, as throughput_10s */
#define NM_LIVE_HISTORY_MAX 240    /* 40 minutes of bins: more than a terminal row holds */
#define NM_LIVE_TALKERS_MAX 24     /* top talkers kept per list */
#define NM_LIVE_RATE_S 10          /* "now" rates: the last 10 s */
#define NM_LIVE_RECENT_S 30        /* recent metrics and drops: the last 30 s */

enum nm_live_status {
    NM_LIVE_ST_OK,            /* the snapshot is new */
    NM_LIVE_ST_NO_SESSION,    /* the database holds no capture session yet */
    NM_LIVE_ST_WAITING,       /* the database file does not exist (yet) */
    NM_LIVE_ST_BUSY,       /* another process holds a lock: try again later */
    NM_LIVE_ST_FAILED,        /* cannot read it (schema version, not netmon, no such
                              session...): the message says why */
};

struct nm_live_snapshot {
    int64_t session_id;
    bool following;                /* the session is the newest, followed */
    bool has_data;                 /* the session has packets */
    /* Session totals and latency: nm_db_read_summary(), whose latency
     * comes from the histogram table (constant cost per refresh). */
    struct nm_summary sum;
    struct nm_live_window rate;    /* the last NM_LIVE_RATE_S seconds */
    struct nm_live_window recent;  /* the last NM_LIVE_RECENT_S seconds */
    /* Throughput history: nbins bins of NM_LIVE_BIN_S seconds aligned to
     * multiples of 10 s since the epoch, the newest last; the newest bin
     * covers last_bin_seconds (1..10) seconds so far. */
    int nbins;
    int64_t hist_first;            /* start second of bin 0 */
    int last_bin_seconds;
    uint64_t hist_bytes[NM_LIVE_HISTORY_MAX][NM_P_COUNT];
    /* Top talkers by bytes sent + received. */
    int n_ips, n_macs;
    struct nm_live_talker ips[NM_LIVE_TALKERS_MAX], macs[NM_LIVE_TALKERS_MAX];
};

struct nm_live_source;

/* A source for `db_path`, following the newest session (session_id <= 0)
 * or pinned to one.  Opens nothing yet.  NULL when out of memory.  Free
 * with nm_live_source_free(). */
struct nm_live_source *nm_live_source_new(const char *db_path, int64_t session_id);
void nm_live_source_free(struct nm_live_source *src);

/* Pins the session before the current one (older); from the oldest, goes
 * back to following the newest.  Takes effect at the next refresh. */
void nm_live_source_older(struct nm_live_source *src);
/* Follows the newest session again. */
void nm_live_source_follow(struct nm_live_source *src);

/* Reads the database (opening it if needed) in one short read snapshot.
 * `bins` (1..NM_LIVE_HISTORY_MAX) is how much history the caller shows.
 * On NM_LIVE_ST_OK *out is the new snapshot; otherwise *out is unchanged and
 * msg holds a one-line reason naming the database. */
enum nm_live_status nm_live_source_refresh(struct nm_live_source *src, int bins,
                                           struct nm_live_snapshot *out, char *msg,
                                           size_t msglen) __attribute__((warn_unused_result));

#endif /* NM_LIVE_DATA_H */
