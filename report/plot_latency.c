/*
 * plot_latency.c - the latency histogram: one step outline per group (a
 * latency kind such as "DNS"), lightly filled, over bins the caller chose.
 *
 * The y axis is each group's share of its own samples per bin, so a kind
 * with 40 samples stays visible beside one with a million; the legend gives
 * every group's sample count and percentiles.  p50, p90 and p99 are
 * vertical lines in the group's colour (solid, dashed, dotted) labelled at
 * the top.  The data arrive binned, so PLplot's plhist (which rebins and,
 * without PL_HIST_IGNORE_OUTLIERS, piles outliers into the end bins) is
 * not used: the outline is drawn from the caller's edges directly.
 */
#include "plot_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Groups named in the legend: more are drawn but not named (the caller
 * sends at most 8). */
#define MAX_LEGEND 10
/* Rows of percentile labels at the top of the plot box. */
#define LABEL_ROWS 6

/* A percentile marker and the row its label goes in. */
struct pmark {
    double x;       /* world x */
    size_t g;
    int k;          /* 0 p50, 1 p90, 2 p99 */
    int row;
};

static int pmark_cmp(const void *a, const void *b)
{
    const struct pmark *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    if (p->g != q->g)
        return p->g < q->g ? -1 : 1;
    return p->k - q->k;
}

/* Gives each label (sorted by x) the first row where it does not overlap
 * the previous label; when every row is taken, the row that frees first.
 * Returns the number of rows used. */
static int place_labels(struct pmark *m, size_t n, double width)
{
    double end[LABEL_ROWS];
    int used = 0;
    for (int r = 0; r < LABEL_ROWS; r++)
        end[r] = -HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        int best = 0;
        for (int r = 0; r < LABEL_ROWS; r++) {
            if (end[r] <= m[i].x) {
                best = r;
                break;
            }
            if (end[r] < end[best])
                best = r;
        }
        m[i].row = best;
        end[best] = m[i].x + width;
        used = best + 1 > used ? best + 1 : used;
    }
    return used;
}

/* "850 µs", "1.2 ms", "3 s" for a latency in microseconds. */
static void fmt_latency(char *dst, size_t len, double us)
{
    char num[32];
    if (us < 1000.0) {
        nm_plot_fmt(num, sizeof num, us);
        snprintf(dst, len, "%s µs", num);
    } else if (us < 1e6) {
        nm_plot_fmt(num, sizeof num, us / 1e3);
        snprintf(dst, len, "%s ms", num);
    } else {
        nm_plot_fmt(num, sizeof num, us / 1e6);
        snprintf(dst, len, "%s s", num);
    }
}

/* x tick labels of the log axis: world x is log10(microseconds). */
static void log_label(PLINT axis, PLFLT value, PLCHAR_NC_VECTOR label, PLINT length,
                      PLPointer data)
{
    (void)axis;
    (void)data;
    fmt_latency(label, length > 0 ? (size_t)length : 0, pow(10.0, value));
}

/* Edges must be finite and increasing (and positive on a log axis). */
static int edges_ok(const struct nm_plot_histogram *h)
{
    if (h->nbins == 0 || h->edges_us == NULL)
        return 0;
    for (size_t i = 0; i <= h->nbins; i++) {
        double e = h->edges_us[i];
        if (!isfinite(e) || e < 0.0 || (h->log_x && e <= 0.0))
            return 0;
        if (i > 0 && !(e > h->edges_us[i - 1]))
            return 0;
    }
    return 1;
}

/* The arrays nm_plot_latency() draws from. */
struct lat_bufs {
    double *sx, *sy;            /* step outline: x, and y per group */
    struct pmark *marks;        /* up to 3 per group */
    unsigned char *drawn;       /* group has samples in some bin */
    const char **gname;         /* names of the drawn groups, for colours */
    PLINT *gcol, *gsty;         /* colour and line style per group */
};

static void lat_bufs_free(struct lat_bufs *b)
{
    free(b->sx);
    free(b->sy);
    free(b->marks);
    free(b->drawn);
    free(b->gname);
    free(b->gcol);
    free(b->gsty);
}

static int lat_bufs_alloc(struct lat_bufs *b, size_t npts, size_t ng)
{
    size_t ng1 = ng ? ng : 1;
    b->sx = calloc(npts, sizeof *b->sx);
    b->sy = calloc(npts * ng1, sizeof *b->sy);
    b->marks = calloc(3 * ng1, sizeof *b->marks);
    b->drawn = calloc(ng1, 1);
    b->gname = calloc(ng1, sizeof *b->gname);
    b->gcol = calloc(ng1, sizeof *b->gcol);
    b->gsty = calloc(ng1, sizeof *b->gsty);
    if (!b->sx || !b->sy || !b->marks || !b->drawn || !b->gname || !b->gcol || !b->gsty) {
        lat_bufs_free(b);
        return -1;
    }
    return 0;
}

int nm_plot_latency(const char *path, const struct nm_plot_meta *meta,
                    const struct nm_plot_histogram *h, char *errbuf, size_t errlen)
{
    if (nm_plot_check_args(path, meta, h, errbuf, errlen) != 0)
        return -1;
    if (h->ngroups > 0 && h->groups == NULL) {
        snprintf(errbuf, errlen, "%s: %zu latency groups but no group array", path, h->ngroups);
        return -1;
    }
    int have_bins = edges_ok(h);
    if (!have_bins && h->nbins > 0) {
        snprintf(errbuf, errlen, "%s: latency bin edges are not increasing%s", path,
                 h->log_x ? " positive numbers" : " numbers");
        return -1;
    }
    size_t nb = have_bins ? h->nbins : 0, ng = h->ngroups;

    /* Step outline of group g: 2 points per bin plus the two ends on 0. */
    size_t npts = 2 * nb + 2;
    struct lat_bufs buf;
    if (lat_bufs_alloc(&buf, npts, ng) != 0) {
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return -1;
    }
    struct nm_plot_legend lg;
    if (nm_plot_legend_alloc(&lg, 2 * (ng < MAX_LEGEND ? ng : MAX_LEGEND)) != 0) {
        lat_bufs_free(&buf);
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return -1;
    }
    double *sx = buf.sx, *sy = buf.sy;
    struct pmark *marks = buf.marks;
    unsigned char *drawn = buf.drawn;

    /* Shares per bin, and the first and last bin with any sample. */
    size_t first = nb, last = 0;
    double ymax = 0.0;
    for (size_t g = 0; g < ng; g++) {
        const struct nm_plot_hist_group *gr = &h->groups[g];
        double total = 0.0;
        for (size_t b = 0; b < nb && gr->counts != NULL; b++)
            total += (double)gr->counts[b];
        drawn[g] = total > 0.0;
        double *y = sy + g * npts;
        for (size_t b = 0; b < nb && gr->counts != NULL && total > 0.0; b++) {
            double share = 100.0 * (double)gr->counts[b] / total;
            y[1 + 2 * b] = y[2 + 2 * b] = share;
            if (gr->counts[b] > 0) {
                first = b < first ? b : first;
                last = b > last ? b : last;
            }
            if (share > ymax)
                ymax = share;
        }
    }


    /* Colours for the drawn groups (DNS keeps the DNS protocol's colour). */
    size_t ndrawn = 0;
    for (size_t g = 0; g < ng; g++)
        if (drawn[g])
            buf.gname[ndrawn++] = h->groups[g].name;
    nm_plot_colours(buf.gname, ndrawn, buf.gcol, buf.gsty);
    for (size_t g = ng, k = ndrawn; g-- > 0;) {
        if (drawn[g]) {
            k--;
            buf.gcol[g] = buf.gcol[k];
            buf.gsty[g] = buf.gsty[k];
        }
    }

    /* The x axis shows the bins with samples and one empty bin either side
     * (on a log axis, whole decades), not the caller's whole bin range. */
    size_t lo = 0, hi = nb;
    if (first < nb) {
        lo = first > 0 ? first - 1 : 0;
        hi = last + 2 < nb ? last + 2 : nb;
    }

    /* x in world units: log10(us) on a log axis, else us / unit. */
    double xunit = 1.0;
    const char *xname = "µs";
    if (nb > 0 && !h->log_x) {
        if (h->edges_us[hi] >= 1e6) {
            xunit = 1e6;
            xname = "s";
        } else if (h->edges_us[hi] >= 1e3) {
            xunit = 1e3;
            xname = "ms";
        }
    }
#define XW(us) (h->log_x ? log10(us) : (us) / xunit)
    double x0 = 0.0, x1 = 1.0;
    if (nb > 0) {
        x0 = XW(h->edges_us[lo]);
        x1 = XW(h->edges_us[hi]);
        if (h->log_x) {
            double d0 = floor(x0), d1 = ceil(x1);
            x0 = d0 > XW(h->edges_us[0]) ? d0 : XW(h->edges_us[0]);
            x1 = d1 < XW(h->edges_us[nb]) ? d1 : XW(h->edges_us[nb]);
        }
        sx[0] = XW(h->edges_us[0]);
        for (size_t b = 0; b < nb; b++) {
            sx[1 + 2 * b] = XW(h->edges_us[b]);
            sx[2 + 2 * b] = XW(h->edges_us[b + 1]);
        }
        sx[npts - 1] = XW(h->edges_us[nb]);
    }
    if (!(x1 > x0))
        x1 = x0 + 1.0;

    /* Percentile markers inside the axis, their label rows, and room above
     * the tallest bin for those rows. */
    size_t nmarks = 0;
    for (size_t g = 0; g < ng && nb > 0; g++) {
        if (!drawn[g])
            continue;
        const struct nm_plot_hist_group *gr = &h->groups[g];
        const double pv[3] = {gr->p50_us, gr->p90_us, gr->p99_us};
        for (int k = 0; k < 3; k++) {
            double v = nm_plot_clean(pv[k]);
            if (v <= 0.0 || XW(v) < x0 || XW(v) > x1)
                continue;   /* nothing to mark on this axis */
            marks[nmarks++] = (struct pmark){XW(v), g, k, 0};
        }
    }
    qsort(marks, nmarks, sizeof *marks, pmark_cmp);
    /* A label ("p99") and a gap: 6.5 % of the plot box width. */
    int label_rows = place_labels(marks, nmarks, (x1 - x0) * 0.065);
    double ytop = ymax > 0.0 ? ymax * (1.08 + 0.065 * (double)label_rows) : 1.0;

    if (nm_plot_open(path, errbuf, errlen) != 0) {
        nm_plot_legend_free(&lg);
        lat_bufs_free(&buf);
        return -1;
    }
    /* Like the time series, a group without samples in any bin is neither
     * drawn nor listed: series colours in the image = groups with data. */
    size_t nlegend = 0;
    for (size_t g = 0; g < ng && nb > 0; g++)
        nlegend += drawn[g] && nlegend < MAX_LEGEND;
    nm_plot_viewport(0.085, nlegend > 0 ? 0.6 : 0.97);
    plwind(x0, x1, 0.0, ytop);
    plcol0(NM_COL_GRID);
    plbox(h->log_x ? "gl" : "g", 0.0, 0, "g", 0.0, 0);

    for (size_t g = 0; g < ng && nb > 0; g++) {
        if (!drawn[g])
            continue;
        /* Translucent fill under the outline (PLplot colour alpha). */
        PLINT r, gg, b;
        PLFLT a;
        plgcol0a(buf.gcol[g], &r, &gg, &b, &a);
        plscol0a(NM_COL_FILL, r, gg, b, 0.12);
        plcol0(NM_COL_FILL);
        plfill((PLINT)npts, sx, sy + g * npts);
        plcol0(buf.gcol[g]);
        pllsty(buf.gsty[g]);
        plwidth(2.0);
        plline((PLINT)npts, sx, sy + g * npts);
        pllsty(1);
    }

    /* Percentile markers: p50 solid, p90 dashed, p99 dotted, labelled. */
    static const char *const pname[3] = {"p50", "p90", "p99"};
    static const PLINT pstyle[3] = {1, 2, 5};
    plschr(0.0, 0.7);
    for (size_t i = 0; i < nmarks; i++) {
        const struct pmark *m = &marks[i];
        PLFLT lx[2] = {m->x, m->x}, ly[2] = {0.0, ytop};
        plcol0(buf.gcol[m->g]);
        pllsty(pstyle[m->k]);
        plwidth(m->k == 0 ? 1.6 : 1.3);
        plline(2, lx, ly);
        pllsty(1);
        double yl = ytop * (0.965 - 0.055 * (double)m->row);
        plptex(m->x + (x1 - x0) * 0.004, yl, 1.0, 0.0, 0.0, pname[m->k]);
    }
    plschr(0.0, 1.0);
    plwidth(1.0);

    plcol0(NM_COL_FG);
    plschr(0.0, 0.9);
    if (h->log_x) {
        plslabelfunc(log_label, NULL);
        plbox("bclnsto", 0.0, 0, "bcnstv", 0.0, 0);
        plslabelfunc(NULL, NULL);
    } else {
        plbox("bcnst", 0.0, 0, "bcnstv", 0.0, 0);
    }
    char xlabel[64];
    if (h->log_x)
        snprintf(xlabel, sizeof xlabel, "latency (logarithmic axis)");
    else
        snprintf(xlabel, sizeof xlabel, "latency (%s)", xname);
    plmtex("b", 3.0, 0.5, 0.5, xlabel);
    plmtex("l", 5.2, 0.5, 0.5, "share of the kind's samples per bin (%)");
    plschr(0.0, 1.0);
    if (ng == 0 || nb == 0 || ymax <= 0.0)
        nm_plot_note("no latency samples");

    /* Two legend lines per group: name and sample count, then percentiles. */
    lg.text_scale = 0.75;
    for (size_t g = 0, named = 0; g < ng && nb > 0 && named < nlegend; g++) {
        if (!drawn[g])
            continue;
        named++;
        const struct nm_plot_hist_group *gr = &h->groups[g];
        char name[64], text[160], p50[24], p90[24], p99[24];
        nm_plot_text(name, sizeof name, gr->name, 20);
        snprintf(text, sizeof text, "%s  (n=%llu)", name[0] ? name : "?",
                 (unsigned long long)gr->samples);
        nm_plot_legend_line(&lg, text, buf.gcol[g], buf.gsty[g]);
        fmt_latency(p50, sizeof p50, nm_plot_clean(gr->p50_us));
        fmt_latency(p90, sizeof p90, nm_plot_clean(gr->p90_us));
        fmt_latency(p99, sizeof p99, nm_plot_clean(gr->p99_us));
        snprintf(text, sizeof text, "p50 %s, p90 %s, p99 %s", p50, p90, p99);
        nm_plot_legend_text(&lg, text);
    }
    nm_plot_legend_draw(&lg, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 1);
    nm_plot_titles("Latency distribution", meta);
#undef XW

    nm_plot_legend_free(&lg);
    lat_bufs_free(&buf);
    return nm_plot_close(path, errbuf, errlen);
}
