/*
 * plot_int.h - what the graph files (report/plot_*.c) share: opening and
 * closing the PLplot cairo PNG device, the colour map, the page layout,
 * the title and subtitle, cleaning values and text, SI units.
 *
 * Only report/plot*.c include <plplot.h>.  PLplot keeps global state and is
 * not thread-safe: one graph at a time, from one thread, each one between
 * nm_plot_open() and nm_plot_close().
 */
#ifndef NM_PLOT_INT_H
#define NM_PLOT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <plplot/plplot.h>

#include "plot.h"

/* Page size in pixels. */
enum { NM_PLOT_WIDTH = 1200, NM_PLOT_HEIGHT = 700 };

/* Colour map 0 indices (nm_plot_open() installs the map). */
enum {
    NM_COL_BG = 0,      /* white */
    NM_COL_FG = 1,      /* near-black: axes, text */
    NM_COL_GRID = 2,    /* light grey grid */
    NM_COL_MUTED = 3,   /* grey: notes */
    NM_COL_DROP = 4,    /* pale red band: bins with drops */
    NM_COL_FILL = 5,    /* translucent fill: plscol0a() sets it before use */
    NM_COL_BAR = 6,     /* bars */
    NM_COL_SERIES = 7   /* first of nm_plot_nseries_colours series colours */
};

/* The series colours, distinct and in a fixed order (series i gets colour
 * i mod this; beyond it the line style changes too). */
extern const unsigned char nm_plot_series_rgb[][3];
extern const size_t nm_plot_nseries_colours;

/* Colour index and line style for n series with these names (NULL allowed):
 * known protocol names get their own colour, the others the first colour
 * still free, so the n colours are distinct up to the palette size; beyond
 * it colours repeat with dashed styles. */
void nm_plot_colours(const char *const *names, size_t n, PLINT *col, PLINT *style);

/* Checks `path` can be written (PLplot exits the process when it cannot
 * open its output file, so this must never reach it), selects the pngcairo
 * device at NM_PLOT_WIDTH x NM_PLOT_HEIGHT on white, and starts PLplot.
 * Returns 0, or -1 with "PATH: cause" in errbuf (PLplot not started). */
int nm_plot_open(const char *path, char *errbuf, size_t errlen);

/* Ends PLplot (the PNG is written here) and checks the file is not empty.
 * Returns 0 or -1 with a message.  Always call it after a successful open. */
int nm_plot_close(const char *path, char *errbuf, size_t errlen);

/* Checks the arguments every graph needs; -1 with a message when absent. */
int nm_plot_check_args(const char *path, const void *meta, const void *data, char *errbuf,
                       size_t errlen);

/* The plot box (normalised page coordinates).  `right` leaves room for an
 * outside legend; `left` for long category labels. */
void nm_plot_viewport(double left, double right);

/* Title above the plot box and, under it, the subtitle: source (truncated),
 * session and UTC time range of `meta`.  Changes the viewport: call last. */
void nm_plot_titles(const char *title, const struct nm_plot_meta *meta);

/* A short grey note centred in the plot box ("no traffic in this range"). */
void nm_plot_note(const char *text);

/* NaN, infinities and negative values become 0; values above 1e21 become
 * 1e21 (larger than any counter netmon stores, and PLplot's axis labels
 * stay printable). */
double nm_plot_clean(double v);

/* Copies `src` into dst for PLplot: '#' (PLplot's escape character) is
 * doubled, control characters and invalid UTF-8 become '?', and more than
 * `maxchars` characters are cut with "...".  NULL becomes "". */
void nm_plot_text(char *dst, size_t dstlen, const char *src, size_t maxchars);

/* Picks the SI (powers of 1000) unit for values up to `maxv`: returns the
 * divisor and sets *prefix to "", "k", "M", "G", "T", "P" or "E". */
double nm_plot_si(double maxv, const char **prefix);

/* "thousands", "millions", ... for an SI prefix; NULL for "". */
const char *nm_plot_si_word(const char *prefix);

/* Formats v (already divided by its unit) with 3 significant digits at most:
 * "0", "7", "12.5", "0.25". */
void nm_plot_fmt(char *dst, size_t dstlen, double v);

/* Upper end of a y axis showing values up to maxv: a little headroom, and
 * 1 when maxv is 0. */
double nm_plot_ymax(double maxv);

/* A legend being filled: nm_plot_legend_alloc() room for n entries, add
 * lines and boxes, draw, free.  Entry texts are copied as given (up to 255
 * bytes): pass them through nm_plot_text() first. */
struct nm_plot_legend {
    PLINT n;
    PLFLT text_scale;       /* 0.85 unless changed */
    PLINT *opt, *text_col, *box_col, *box_pat, *line_col, *line_sty;
    PLFLT *box_scale, *box_width, *line_width;
    const char **text;
    char *names;
};
int nm_plot_legend_alloc(struct nm_plot_legend *lg, size_t n);
void nm_plot_legend_free(struct nm_plot_legend *lg);
void nm_plot_legend_line(struct nm_plot_legend *lg, const char *name, PLINT col, PLINT style);
void nm_plot_legend_box(struct nm_plot_legend *lg, const char *name, PLINT col);
void nm_plot_legend_text(struct nm_plot_legend *lg, const char *text);
/* position: PL_POSITION_* flags relative to the plot box. */
void nm_plot_legend_draw(const struct nm_plot_legend *lg, PLINT position, PLINT ncolumn);

#endif /* NM_PLOT_INT_H */
