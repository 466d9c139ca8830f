/*
 * lathist.h - latency histograms: constant-memory distributions of the
 * latency samples, per kind and transport protocol.
 *
 * The final statistics, the latency_stats and latency_per_protocol views,
 * nm-live and nm-report read latency from these histograms (table
 * latency_hist), never by sorting samples: the cost is the same for ten
 * samples and for ten million, and aggregate mode (-A), which stores no
 * sample rows, still has its distribution.
 *
 * Buckets are log-linear, as in HdrHistogram: values below 512 ns have a
 * bucket each; above, every power of two is cut into 256 equal buckets, so
 * a bucket is at most 1/256 (0.39 %) of its values wide.  Each bucket keeps
 * its count, sum, smallest and largest value, so counts, means and maxima
 * are exact and a percentile is exact whenever its bucket holds one
 * distinct value (see nm_lathist_rank_value()).
 *
 * Pure: no I/O, no clock.  Memory: one array of buckets per (kind,
 * protocol) pair that has samples, at most NM_LATHIST_BUCKETS each.
 */
#ifndef NM_LATHIST_H
#define NM_LATHIST_H

#include <stdbool.h>
#include <stdint.h>

#define NM_LATHIST_SUB_BITS 8
/* Values from 2^40 ns (18 minutes) up share the last bucket. */
#define NM_LATHIST_MAX_EXP 40
#define NM_LATHIST_BUCKETS ((NM_LATHIST_MAX_EXP - NM_LATHIST_SUB_BITS + 1) << NM_LATHIST_SUB_BITS)

/* Bucket index of a value in nanoseconds (negative values count as 0). */
int32_t nm_lathist_bucket(int64_t value_ns);
/* Smallest value (ns) that falls into bucket b. */
int64_t nm_lathist_bucket_low(int32_t b);

/* One bucket's totals so far: handed to the database (an upsert that
 * replaces the row), so a flush can be repeated or lost without
 * double-counting. */
struct nm_lathist_rec {
    uint8_t kind;        /* enum nm_latency_kind */
    uint8_t ip_proto;    /* 6, 17, 1 or 58 */
    int32_t bucket;
    uint64_t count;
    int64_t sum_ns, min_ns, max_ns;
};

/* Nearest rank of percentile pct among n samples: ceil(pct% of n), the
 * 1-based rank latency_stats and every report use (0 when n is 0). */
static inline uint64_t nm_lathist_nearest_rank(uint64_t n, unsigned pct)
{
    return (n * pct + 99) / 100;
}

/*
 * Value of rank r (1-based, nearest-rank order) inside a bucket whose
 * samples have ranks first_rank .. first_rank + count - 1: the bucket's min
 * for its first rank, its max for its last, linear in between.  Exact when
 * the bucket holds one sample or one distinct value; otherwise within the
 * bucket's width of the true sample.
 */
double nm_lathist_rank_value(uint64_t r, uint64_t first_rank, uint64_t count, double min_v,
                             double max_v);

struct nm_lathist;

struct nm_lathist *nm_lathist_new(void) __attribute__((warn_unused_result));
void nm_lathist_free(struct nm_lathist *h);

/* Adds one sample.  Returns -1 (sample not counted) only when memory for a
 * new (kind, protocol) pair cannot be allocated. */
int nm_lathist_add(struct nm_lathist *h, uint8_t kind, uint8_t ip_proto, int64_t value_ns);

/* Calls emit() for every bucket changed since the previous flush. */
void nm_lathist_flush(struct nm_lathist *h, void (*emit)(void *ctx, const struct nm_lathist_rec *r),
                      void *ctx);

#endif /* NM_LATHIST_H */
