/*
 * dashboard.h - nm-live's ncurses dashboard: throughput per protocol over
 * the last minutes, latency percentiles, top talkers, counters and drops,
 * refreshed every interval.  The only file that includes <ncurses.h>; the
 * numbers come from live_data.h.  Keys: q quit, tab / 1-4 views, p pause,
 * s older session, f follow the newest, r refresh now, up/down protocol.
 */
#ifndef NM_DASHBOARD_H
#define NM_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nm_dashboard_opts {
    const char *db_path;
    int64_t session_id;      /* <= 0: follow the newest session */
    int interval_ms;         /* refresh period */
};

/* True when standard output is a terminal that ncurses can drive (TERM set,
 * not "dumb", known to terminfo). */
bool nm_dashboard_usable(void);

/* Runs until q, SIGINT or SIGTERM; the terminal is restored on every exit
 * path.  Returns 0, or -1 with a one-line message in errbuf when the
 * database cannot be read at the start (missing files are waited for). */
int nm_dashboard_run(const struct nm_dashboard_opts *o, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

#endif /* NM_DASHBOARD_H */
