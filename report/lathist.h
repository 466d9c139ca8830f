/*
 * lathist.h - a latency distribution in bounded memory, for nm-live's
 * dashboard, which reads latency samples as they arrive and cannot keep
 * them all: count, sum, min and max exact; percentiles from logarithmic
 * buckets 1% wide, so a percentile is within 0.5% of the exact
 * nearest-rank value (the latency_stats view's definition).  Pure: no I/O.
 */
#ifndef NM_LATHIST_H
#define NM_LATHIST_H

#include <stdint.h>

/* Buckets cover 0.1 us .. 1e9 us (over 16 minutes); values outside land
 * in the first or last bucket, and min/max clamp the estimate anyway. */
#define NM_LATHIST_BUCKETS 2316

struct nm_lathist {
    uint64_t count;
    double sum_us, min_us, max_us;
    uint32_t bucket[NM_LATHIST_BUCKETS];   /* 2^32 samples per bucket is plenty */
};

void nm_lathist_clear(struct nm_lathist *h);
void nm_lathist_add(struct nm_lathist *h, double value_us);
/* The nearest-rank percentile pct (0 < pct <= 100) estimated from the
 * buckets, clamped to [min, max]; 0 when empty. */
double nm_lathist_percentile(const struct nm_lathist *h, double pct);
double nm_lathist_mean(const struct nm_lathist *h);

#endif /* NM_LATHIST_H */
