/*
 * latency_hist.h - nm-report's latency histogram, filled one sample at a
 * time while the rows stream out of the database: fixed-size arrays, so
 * memory does not depend on the number of samples.  Pure: no I/O, no SQL.
 *
 * Bins (README "nm-report"): linear when the samples span less than a
 * factor NM_HIST_WIDE_RATIO, else logarithmic with whole decades and 10
 * bins per decade (5 when the span exceeds 10 decades).
 *
 * Percentiles: when the report covers a whole session they come from
 * nm_db_read_summary() (the latency_hist buckets: nearest rank, exact or
 * within 0.39 %).  For a time range they are
 * estimated here from fine logarithmic bins (NM_HIST_FINE_PER_DECADE per
 * decade, so within 1.2% of the exact value).
 */
#ifndef NM_LATENCY_HIST_H
#define NM_LATENCY_HIST_H

#include <stddef.h>
#include <stdint.h>

#define NM_HIST_MAX_BINS 120
#define NM_HIST_LINEAR_BINS 40
#define NM_HIST_WIDE_RATIO 50.0
/* Fine bins for percentiles: 1 ns (1e-3 us) to 1e9 us (about 17 min),
 * plus one bin below and one above. */
#define NM_HIST_FINE_PER_DECADE 100
#define NM_HIST_FINE_LO_EXP (-3)
#define NM_HIST_FINE_DECADES 12
#define NM_HIST_FINE_BINS (NM_HIST_FINE_DECADES * NM_HIST_FINE_PER_DECADE + 2)
#define NM_HIST_MAX_GROUPS 16

struct nm_hist {
    int log_x;
    size_t nbins;                          /* 0: no samples */
    double edges[NM_HIST_MAX_BINS + 1];    /* microseconds, increasing */
    size_t ngroups;
    struct nm_hist_group {
        uint64_t samples;
        double min_us, max_us;
        uint64_t counts[NM_HIST_MAX_BINS];
        uint64_t fine[NM_HIST_FINE_BINS];
    } groups[NM_HIST_MAX_GROUPS];
};

/* Chooses the bins for samples between lo_us and hi_us (the smallest and
 * largest of all groups) and zeroes ngroups (<= NM_HIST_MAX_GROUPS)
 * groups.  samples == 0 gives nbins 0. */
void nm_hist_init(struct nm_hist *h, double lo_us, double hi_us, uint64_t samples,
                  size_t ngroups);

/* Counts one sample in group g.  Values outside [lo, hi] (a writer that
 * committed between the bounds and the scan cannot: one snapshot) go to
 * the first or last bin. */
void nm_hist_add(struct nm_hist *h, size_t g, double value_us);
/* The same for `count` samples of one value (a database histogram bucket). */
void nm_hist_add_n(struct nm_hist *h, size_t g, double value_us, uint64_t count);

/* The nearest-rank percentile pct (1..100) of group g estimated from the
 * fine bins (the bin's geometric centre, clamped to the group's min and
 * max); 0 when the group is empty. */
double nm_hist_percentile(const struct nm_hist *h, size_t g, unsigned pct);

#endif /* NM_LATENCY_HIST_H */
