/*
 * lathist.c - see lathist.h.  Bucket i holds values v with
 * LO * R^i <= v < LO * R^(i+1), R = 1.01; its estimate is the geometric
 * middle LO * R^(i+0.5), at most 0.5% from any value in the bucket.
 */
#include "lathist.h"

#include <math.h>
#include <string.h>

#define LATHIST_LO_US 0.1
#define LATHIST_RATIO 1.01

void nm_lathist_clear(struct nm_lathist *h)
{
    memset(h, 0, sizeof *h);
}

static int bucket_of(double v)
{
    if (!(v > LATHIST_LO_US))   /* also NaN */
        return 0;
    double i = floor(log(v / LATHIST_LO_US) / log(LATHIST_RATIO));
    if (i >= NM_LATHIST_BUCKETS - 1)
        return NM_LATHIST_BUCKETS - 1;
    return (int)i;
}

void nm_lathist_add(struct nm_lathist *h, double v)
{
    if (isnan(v))
        return;
    if (h->count == 0 || v < h->min_us)
        h->min_us = v;
    if (h->count == 0 || v > h->max_us)
        h->max_us = v;
    h->count++;
    h->sum_us += v;
    uint32_t *b = &h->bucket[bucket_of(v)];
    if (*b < UINT32_MAX)
        (*b)++;
}

double nm_lathist_mean(const struct nm_lathist *h)
{
    return h->count ? h->sum_us / (double)h->count : 0;
}

double nm_lathist_percentile(const struct nm_lathist *h, double pct)
{
    if (h->count == 0)
        return 0;
    /* Nearest rank: the smallest r with r >= pct% of n (at least 1). */
    double rank = ceil((double)h->count * pct / 100.0 - 1e-9);
    uint64_t r = rank < 1 ? 1 : (uint64_t)rank, seen = 0;
    int i = 0;

    /* The first and last ranks are known exactly. */
    if (r <= 1)
        return h->min_us;
    if (r >= h->count)
        return h->max_us;
    for (; i < NM_LATHIST_BUCKETS - 1; i++) {
        seen += h->bucket[i];
        if (seen >= r)
            break;
    }
    double est = LATHIST_LO_US * pow(LATHIST_RATIO, (double)i + 0.5);
    if (est < h->min_us)
        est = h->min_us;
    if (est > h->max_us)
        est = h->max_us;
    return est;
}
