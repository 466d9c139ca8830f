/*
 * latency_hist.c - see latency_hist.h.
 */
#include "latency_hist.h"
#include "../analyze/lathist.h"

#include <math.h>
#include <string.h>

/* The smallest "nice" step (1, 2 or 5 times a power of ten) >= x > 0. */
static double nice_step(double x)
{
    double p = pow(10.0, floor(log10(x)));
    if (x <= p)
        return p;
    if (x <= 2 * p)
        return 2 * p;
    if (x <= 5 * p)
        return 5 * p;
    return 10 * p;
}

static void init_linear(struct nm_hist *h, double lo, double hi)
{
    double span = hi - lo;
    /* All samples equal (or nearly): a window of +-5% around them, at
     * least 1 us wide, so the bar has a width. */
    if (!(span > 1e-9 * fabs(hi)) || span < 1e-6)
        span = fmax(fabs(hi) * 0.1, 1.0);
    double step = nice_step(span / NM_HIST_LINEAR_BINS);
    /* One empty bin of margin on each side (not below zero) so the
     * outermost bars do not sit on the axes. */
    double start = fmax(floor(lo / step) * step - step, 0);
    size_t n = (size_t)floor((hi - start) / step) + 2;

    if (n > NM_HIST_MAX_BINS)
        n = NM_HIST_MAX_BINS;
    if (n < 1)
        n = 1;
    h->log_x = 0;
    h->nbins = n;
    for (size_t i = 0; i <= n; i++)
        h->edges[i] = start + (double)i * step;
}

static void init_log(struct nm_hist *h, double lo, double hi)
{
    /* Zero or tiny samples would stretch the axis over many empty decades:
     * the axis starts at most 6 decades below the largest sample, and
     * smaller values are counted in the first bin. */
    double floor_us = fmax(hi * 1e-6, 1e-3);
    int e_lo = (int)floor(log10(fmax(lo, floor_us)));
    /* A largest sample of exactly 10^k closes the last decade (clamped
     * into the last bin) rather than opening an empty one. */
    int e_hi = (int)ceil(log10(hi));
    int decades = e_hi - e_lo;
    int per = decades > 10 ? 5 : 10;

    if (decades < 1)
        decades = 1;
    if ((size_t)(decades * per) > NM_HIST_MAX_BINS)
        decades = NM_HIST_MAX_BINS / per;
    h->log_x = 1;
    h->nbins = (size_t)(decades * per);
    for (size_t i = 0; i <= h->nbins; i++)
        h->edges[i] = pow(10.0, e_lo + (double)i / per);
}

void nm_hist_init(struct nm_hist *h, double lo_us, double hi_us, uint64_t samples,
                  size_t ngroups)
{
    memset(h, 0, sizeof *h);
    h->ngroups = ngroups < NM_HIST_MAX_GROUPS ? ngroups : NM_HIST_MAX_GROUPS;
    if (samples == 0 || !isfinite(lo_us) || !isfinite(hi_us))
        return;
    if (lo_us < 0)
        lo_us = 0;
    if (hi_us < lo_us)
        hi_us = lo_us;
    if (hi_us > 0 && (lo_us <= 0 ? hi_us > NM_HIST_WIDE_RATIO * 1e-3
                                 : hi_us / lo_us >= NM_HIST_WIDE_RATIO))
        init_log(h, lo_us, hi_us);
    else
        init_linear(h, lo_us, hi_us);
}

static size_t bin_index(const struct nm_hist *h, double v)
{
    double x;

    if (h->log_x)
        x = v > 0 ? log10(v / h->edges[0]) * (double)h->nbins /
                        log10(h->edges[h->nbins] / h->edges[0])
                  : -1;
    else
        x = (v - h->edges[0]) / (h->edges[1] - h->edges[0]);
    if (!(x >= 0))
        return 0;
    if (x >= (double)h->nbins)
        return h->nbins - 1;
    return (size_t)x;
}

static size_t fine_index(double v)
{
    if (!(v > 0))
        return 0;
    double x = (log10(v) - NM_HIST_FINE_LO_EXP) * NM_HIST_FINE_PER_DECADE;
    if (x < 0)
        return 0;
    if (x >= NM_HIST_FINE_DECADES * NM_HIST_FINE_PER_DECADE)
        return NM_HIST_FINE_BINS - 1;
    return (size_t)x + 1;
}

void nm_hist_add(struct nm_hist *h, size_t g, double value_us)
{
    nm_hist_add_n(h, g, value_us, 1);
}

void nm_hist_add_n(struct nm_hist *h, size_t g, double value_us, uint64_t count)
{
    if (g >= h->ngroups || h->nbins == 0 || !isfinite(value_us) || count == 0)
        return;
    struct nm_hist_group *gr = &h->groups[g];
    if (gr->samples == 0 || value_us < gr->min_us)
        gr->min_us = value_us;
    if (gr->samples == 0 || value_us > gr->max_us)
        gr->max_us = value_us;
    gr->samples += count;
    gr->counts[bin_index(h, value_us)] += count;
    gr->fine[fine_index(value_us)] += count;
}

double nm_hist_percentile(const struct nm_hist *h, size_t g, unsigned pct)
{
    if (g >= h->ngroups || h->groups[g].samples == 0)
        return 0;
    const struct nm_hist_group *gr = &h->groups[g];
    uint64_t rank = nm_lathist_nearest_rank(gr->samples, pct), seen = 0;
    size_t i = 0;

    if (rank == 0)
        rank = 1;
    for (; i < NM_HIST_FINE_BINS; i++) {
        seen += gr->fine[i];
        if (seen >= rank)
            break;
    }
    double v;
    if (i == 0)
        v = gr->min_us;
    else if (i >= NM_HIST_FINE_BINS - 1)
        v = gr->max_us;
    else
        v = pow(10.0, NM_HIST_FINE_LO_EXP + ((double)i - 0.5) / NM_HIST_FINE_PER_DECADE);
    return fmin(fmax(v, gr->min_us), gr->max_us);
}
