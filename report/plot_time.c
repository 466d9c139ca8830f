/*
 * plot_time.c - the two graphs over packet time: throughput per protocol
 * (bits/s) and new connections per second per protocol.
 *
 * One line per series through the bin centres, on a UTC clock axis; bins
 * without traffic are 0 (the caller passes them).  Series that are 0 in
 * every bin are neither drawn nor listed in the legend: a flat line on the
 * axis says nothing and hides the others' colours, so the number of series
 * colours in the image is the number of series with traffic.  Bins with
 * dropped packets are shaded pale red behind the lines, with a legend entry.
 */
#include "plot_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <plplot/plplot.h>

/* More bins than this are averaged in groups of k consecutive bins: the
 * plot box is about 1000 pixels wide, so more points only cost time.  The
 * mean keeps the unit's meaning (a rate over the longer interval). */
#define MAX_POINTS 2000
/* The x axis stays within 1970..2100: PLplot's calendar code is not meant
 * for arbitrary doubles, and a corrupt timestamp must still draw. */
#define MAX_UNIX_S 4102444800.0
/* Characters of a series name kept in the legend. */
#define NAME_CHARS 24

struct time_style {
    const char *title;
    const char *quantity;   /* y label before the unit: "throughput" */
    const char *unit;       /* after the SI prefix: "b/s"; NULL: "per second" */
    const char *empty_note; /* shown when every series is 0 */
};

/* The strftime-like format PLplot prints the time ticks with. */
static const char *time_format(double span_s)
{
    if (span_s <= 20.0 * 60.0)
        return "%H:%M:%S";
    if (span_s <= 2.0 * 86400.0)
        return "%H:%M";
    return "%m-%d %H:%M";
}

static double clamp_time(double t)
{
    return t < 0.0 ? 0.0 : t > MAX_UNIX_S ? MAX_UNIX_S : t;
}

/* Shades every run of points whose bins saw drops, full height. */
static void draw_drop_bands(const double *x, const unsigned char *dropped, size_t npts,
                            double half, double ymax)
{
    plcol0(NM_COL_DROP);
    for (size_t i = 0; i < npts;) {
        if (!dropped[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < npts && dropped[j + 1])
            j++;
        PLFLT bx[4] = {x[i] - half, x[j] + half, x[j] + half, x[i] - half};
        PLFLT by[4] = {0.0, 0.0, ymax, ymax};
        plfill(4, bx, by);
        i = j + 1;
    }
}

/* What is drawn, computed before PLplot starts.  Owns every array. */
struct ts_data {
    size_t npts, group;         /* points drawn; bins averaged per point */
    double bin_s, x0, x1;       /* x range in Unix seconds */
    double *x;                  /* npts point centres */
    double *y;                  /* nseries * npts values, divided by `div` */
    unsigned char *dropped;     /* npts flags */
    size_t nvisible;            /* series with a value > 0 */
    size_t *vindex;             /* their indexes in ts->series */
    const char **vname;
    PLINT *vcol, *vsty;         /* their colours and line styles */
    int any_drop;
    double div, ytop;           /* SI divisor, top of the y axis */
    const char *prefix;
};

static void ts_data_free(struct ts_data *d)
{
    free(d->x);
    free(d->y);
    free(d->dropped);
    free(d->vindex);
    free(d->vname);
    free(d->vcol);
    free(d->vsty);
}

/* Fills d from ts (values cleaned, averaged when there are more bins than
 * MAX_POINTS, scaled to an SI unit).  Returns 0, or -1 when out of memory. */
static int ts_data_make(struct ts_data *d, const struct nm_plot_meta *meta,
                        const struct nm_plot_timeseries *ts)
{
    memset(d, 0, sizeof *d);
    size_t nbins = ts->nbins, ns = ts->nseries;
    d->bin_s = ts->bin_s > 0 ? (double)ts->bin_s : 1.0;
    d->group = nbins > MAX_POINTS ? (nbins + MAX_POINTS - 1) / MAX_POINTS : 1;
    d->npts = (nbins + d->group - 1) / d->group;
    size_t np1 = d->npts ? d->npts : 1, ns1 = ns ? ns : 1;
    d->x = calloc(np1, sizeof *d->x);
    d->y = calloc(np1 * ns1, sizeof *d->y);
    d->dropped = calloc(np1, 1);
    d->vindex = calloc(ns1, sizeof *d->vindex);
    d->vname = calloc(ns1, sizeof *d->vname);
    d->vcol = calloc(ns1, sizeof *d->vcol);
    d->vsty = calloc(ns1, sizeof *d->vsty);
    if (!d->x || !d->y || !d->dropped || !d->vindex || !d->vname || !d->vcol || !d->vsty) {
        ts_data_free(d);
        return -1;
    }

    double t0 = clamp_time((double)ts->t0_s);
    if (nbins > 0) {
        d->x0 = t0;
        d->x1 = clamp_time(t0 + (double)nbins * d->bin_s);
    } else {
        d->x0 = clamp_time((double)(meta->from_ns / 1000000000));
        d->x1 = clamp_time((double)(meta->to_ns / 1000000000));
    }
    if (!(d->x1 > d->x0)) {
        d->x0 = d->x0 >= MAX_UNIX_S ? MAX_UNIX_S - 1.0 : d->x0;
        d->x1 = d->x0 + 1.0;
    }

    double ymax = 0.0;
    for (size_t p = 0; p < d->npts; p++) {
        size_t b0 = p * d->group, b1 = b0 + d->group < nbins ? b0 + d->group : nbins;
        d->x[p] = t0 + ((double)b0 + (double)(b1 - b0) / 2.0) * d->bin_s;
        for (size_t b = b0; b < b1 && ts->drops != NULL; b++)
            if (ts->drops[b] > 0)
                d->dropped[p] = 1;
        d->any_drop |= d->dropped[p];
        for (size_t s = 0; s < ns; s++) {
            const double *src = ts->series[s].y;
            double sum = 0.0;
            for (size_t b = b0; b < b1 && src != NULL; b++)
                sum += nm_plot_clean(src[b]);
            double v = sum / (double)(b1 - b0);
            d->y[s * d->npts + p] = v;
            ymax = v > ymax ? v : ymax;
        }
    }
    for (size_t s = 0; s < ns; s++) {
        for (size_t p = 0; p < d->npts; p++) {
            if (d->y[s * d->npts + p] > 0.0) {
                d->vindex[d->nvisible] = s;
                d->vname[d->nvisible++] = ts->series[s].name;
                break;
            }
        }
    }
    nm_plot_colours(d->vname, d->nvisible, d->vcol, d->vsty);

    d->div = nm_plot_si(ymax, &d->prefix);
    for (size_t i = 0; i < d->npts * ns; i++)
        d->y[i] /= d->div;
    d->ytop = nm_plot_ymax(ymax / d->div);
    return 0;
}

/* Draws the prepared graph; PLplot is open. */
static void ts_render(const struct ts_data *d, const struct nm_plot_meta *meta,
                      const struct time_style *st, struct nm_plot_legend *lg)
{
    int legend = d->nvisible > 0 || d->any_drop;
    nm_plot_viewport(0.085, legend ? 0.78 : 0.96);
    plwind(d->x0, d->x1, 0.0, d->ytop);
    pltimefmt(time_format(d->x1 - d->x0));

    plcol0(NM_COL_GRID);
    /* "d": the grid follows the time ticks, not plain numeric ones. */
    plbox("gd", 0.0, 0, "g", 0.0, 0);
    double half = (double)d->group * d->bin_s / 2.0;
    if (d->any_drop)
        draw_drop_bands(d->x, d->dropped, d->npts, half, d->ytop);

    plwidth(2.0);
    for (size_t k = 0; k < d->nvisible; k++) {
        plcol0(d->vcol[k]);
        pllsty(d->vsty[k]);
        const double *ys = d->y + d->vindex[k] * d->npts;
        if (d->npts == 1) {
            /* One bin: a level segment across it rather than a lone point. */
            PLFLT sx[2] = {d->x[0] - half, d->x[0] + half}, sy[2] = {ys[0], ys[0]};
            plline(2, sx, sy);
        } else {
            plline((PLINT)d->npts, d->x, ys);
        }
        char name[NAME_CHARS * 4 + 8];
        nm_plot_text(name, sizeof name, d->vname[k], NAME_CHARS);
        nm_plot_legend_line(lg, name, d->vcol[k], d->vsty[k]);
    }
    pllsty(1);
    plwidth(1.0);
    if (d->any_drop)
        nm_plot_legend_box(lg, "bins with drops", NM_COL_DROP);

    plcol0(NM_COL_FG);
    plschr(0.0, 0.9);
    plbox("bcnstd", 0.0, 0, "bcnstv", 0.0, 0);
    char ylabel[96], xlabel[64], day[16];
    const char *word = nm_plot_si_word(d->prefix);
    if (st->unit == NULL && word != NULL)   /* a count per second: no unit to prefix */
        snprintf(ylabel, sizeof ylabel, "%s per second (%s)", st->quantity, word);
    else if (st->unit == NULL)
        snprintf(ylabel, sizeof ylabel, "%s per second", st->quantity);
    else
        snprintf(ylabel, sizeof ylabel, "%s (%s%s)", st->quantity, d->prefix, st->unit);
    time_t s0 = (time_t)d->x0;
    struct tm tm;
    if (gmtime_r(&s0, &tm) == NULL || strftime(day, sizeof day, "%Y-%m-%d", &tm) == 0)
        snprintf(day, sizeof day, "?");
    snprintf(xlabel, sizeof xlabel, "time (UTC, from %s; %g s bins)", day,
             (double)d->group * d->bin_s);
    plmtex("b", 3.2, 0.5, 0.5, xlabel);
    plmtex("l", 5.2, 0.5, 0.5, ylabel);
    plschr(0.0, 1.0);
    if (d->nvisible == 0)
        nm_plot_note(st->empty_note);
    nm_plot_legend_draw(lg, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 1);
    nm_plot_titles(st->title, meta);
}

static int draw_time(const char *path, const struct nm_plot_meta *meta,
                     const struct nm_plot_timeseries *ts, const struct time_style *st,
                     char *errbuf, size_t errlen)
{
    if (nm_plot_check_args(path, meta, ts, errbuf, errlen) != 0)
        return -1;
    if (ts->nseries > 0 && ts->series == NULL) {
        snprintf(errbuf, errlen, "%s: %zu series but no series array", path, ts->nseries);
        return -1;
    }
    struct ts_data d;
    struct nm_plot_legend lg;
    if (ts_data_make(&d, meta, ts) != 0) {
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return -1;
    }
    if (nm_plot_legend_alloc(&lg, d.nvisible + 1) != 0) {
        ts_data_free(&d);
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = nm_plot_open(path, errbuf, errlen);
    if (rc == 0) {
        ts_render(&d, meta, st, &lg);
        rc = nm_plot_close(path, errbuf, errlen);
    }
    nm_plot_legend_free(&lg);
    ts_data_free(&d);
    return rc;
}

int nm_plot_throughput(const char *path, const struct nm_plot_meta *meta,
                       const struct nm_plot_timeseries *ts, char *errbuf, size_t errlen)
{
    static const struct time_style st = {
        "Throughput per protocol", "throughput", "b/s", "no traffic in this time range",
    };
    return draw_time(path, meta, ts, &st, errbuf, errlen);
}

int nm_plot_new_connections(const char *path, const struct nm_plot_meta *meta,
                            const struct nm_plot_timeseries *ts, char *errbuf, size_t errlen)
{
    static const struct time_style st = {
        "New connections per second", "new connections", NULL,
        "no new connections in this time range",
    };
    return draw_time(path, meta, ts, &st, errbuf, errlen);
}
