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
    const char *unit;       /* after the SI prefix: "b/s" */
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
    double bin_s = ts->bin_s > 0 ? (double)ts->bin_s : 1.0;
    size_t nbins = ts->nbins;
    size_t group = nbins > MAX_POINTS ? (nbins + MAX_POINTS - 1) / MAX_POINTS : 1;
    size_t npts = (nbins + group - 1) / group;

    /* One x array, one y array per series, the drop flags. */
    double *x = calloc(npts ? npts : 1, sizeof *x);
    double *y = calloc((npts ? npts : 1) * (ts->nseries ? ts->nseries : 1), sizeof *y);
    unsigned char *dropped = calloc(npts ? npts : 1, 1);
    unsigned char *visible = calloc(ts->nseries ? ts->nseries : 1, 1);
    struct nm_plot_legend lg;
    int lg_ok = nm_plot_legend_alloc(&lg, ts->nseries + 1) == 0;
    if (!x || !y || !dropped || !visible || !lg_ok) {
        if (lg_ok)
            nm_plot_legend_free(&lg);
        free(x);
        free(y);
        free(dropped);
        free(visible);
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return -1;
    }

    double t0 = clamp_time((double)ts->t0_s);
    double x0, x1;
    if (nbins > 0) {
        x0 = t0;
        x1 = clamp_time(t0 + (double)nbins * bin_s);
    } else {
        x0 = clamp_time((double)(meta->from_ns / 1000000000));
        x1 = clamp_time((double)(meta->to_ns / 1000000000));
    }
    if (!(x1 > x0)) {
        x0 = x0 >= MAX_UNIX_S ? MAX_UNIX_S - 1.0 : x0;
        x1 = x0 + 1.0;
    }

    double ymax = 0.0;
    size_t nvisible = 0;
    int any_drop = 0;
    for (size_t p = 0; p < npts; p++) {
        size_t b0 = p * group, b1 = b0 + group < nbins ? b0 + group : nbins;
        x[p] = t0 + ((double)b0 + (double)(b1 - b0) / 2.0) * bin_s;
        for (size_t b = b0; b < b1 && ts->drops != NULL; b++)
            if (ts->drops[b] > 0)
                dropped[p] = 1;
        any_drop |= dropped[p];
        for (size_t s = 0; s < ts->nseries; s++) {
            const double *src = ts->series[s].y;
            double sum = 0.0;
            for (size_t b = b0; b < b1 && src != NULL; b++)
                sum += nm_plot_clean(src[b]);
            double v = sum / (double)(b1 - b0);
            y[s * npts + p] = v;
            if (v > 0.0)
                visible[s] = 1;
            if (v > ymax)
                ymax = v;
        }
    }
    for (size_t s = 0; s < ts->nseries; s++)
        nvisible += visible[s];

    const char *prefix;
    double div = nm_plot_si(ymax, &prefix);
    for (size_t i = 0; i < npts * ts->nseries; i++)
        y[i] /= div;
    double ytop = nm_plot_ymax(ymax / div);

    if (nm_plot_open(path, errbuf, errlen) != 0) {
        nm_plot_legend_free(&lg);
        free(x);
        free(y);
        free(dropped);
        free(visible);
        return -1;
    }
    int legend = nvisible > 0 || any_drop;
    nm_plot_viewport(0.085, legend ? 0.78 : 0.96);
    plwind(x0, x1, 0.0, ytop);
    pltimefmt(time_format(x1 - x0));

    plcol0(NM_COL_GRID);
    plbox("g", 0.0, 0, "g", 0.0, 0);
    double half = (double)group * bin_s / 2.0;
    if (any_drop)
        draw_drop_bands(x, dropped, npts, half, ytop);

    plwidth(2.0);
    for (size_t s = 0; s < ts->nseries; s++) {
        if (!visible[s])
            continue;
        PLINT col = (PLINT)(NM_COL_SERIES + s % nm_plot_nseries_colours);
        PLINT sty = (PLINT)(1 + (s / nm_plot_nseries_colours) % 8);
        plcol0(col);
        pllsty(sty);
        const double *ys = y + s * npts;
        if (npts == 1) {
            /* One bin: a level segment across it rather than a lone point. */
            PLFLT sx[2] = {x[0] - half, x[0] + half}, sy[2] = {ys[0], ys[0]};
            plline(2, sx, sy);
        } else {
            plline((PLINT)npts, x, ys);
        }
        char name[NAME_CHARS * 4 + 8];
        nm_plot_text(name, sizeof name, ts->series[s].name, NAME_CHARS);
        nm_plot_legend_line(&lg, name, col, sty);
    }
    pllsty(1);
    plwidth(1.0);
    if (any_drop)
        nm_plot_legend_box(&lg, "bins with drops", NM_COL_DROP);

    plcol0(NM_COL_FG);
    plschr(0.0, 0.9);
    plbox("bcnstd", 0.0, 0, "bcnstv", 0.0, 0);
    char ylabel[96], xlabel[64], day[16];
    snprintf(ylabel, sizeof ylabel, "%s (%s%s)", st->quantity, prefix, st->unit);
    time_t s0 = (time_t)x0;
    struct tm tm;
    if (gmtime_r(&s0, &tm) == NULL || strftime(day, sizeof day, "%Y-%m-%d", &tm) == 0)
        snprintf(day, sizeof day, "?");
    snprintf(xlabel, sizeof xlabel, "time (UTC, from %s; %g s bins)", day, (double)group * bin_s);
    plmtex("b", 3.2, 0.5, 0.5, xlabel);
    plmtex("l", 5.2, 0.5, 0.5, ylabel);
    plschr(0.0, 1.0);
    if (nvisible == 0)
        nm_plot_note(st->empty_note);
    nm_plot_legend_draw(&lg, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 1);
    nm_plot_titles(st->title, meta);

    nm_plot_legend_free(&lg);
    free(x);
    free(y);
    free(dropped);
    free(visible);
    return nm_plot_close(path, errbuf, errlen);
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
        "New connections per second", "new connections", "/s",
        "no new connections in this time range",
    };
    return draw_time(path, meta, ts, &st, errbuf, errlen);
}
