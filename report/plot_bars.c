/*
 * plot_bars.c - the two bar graphs: packets per protocol (vertical bars,
 * with the unique IP and MAC counts written in the plot box) and the top
 * talkers by bytes (horizontal bars, so IPv6 addresses fit as labels).
 *
 * Every bar carries its value as text: the scale alone cannot show a
 * protocol with 20 packets beside one with 3 million.
 */
#include "plot_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* More bars than this are not drawn (a note says how many were left out):
 * the caller sends 11 protocols and its top-N talkers. */
#define MAX_BARS 40
/* Characters of a bar label: 39 is the longest IPv6 address text. */
#define LABEL_CHARS 40
#define LABEL_BUF (LABEL_CHARS * 4 + 8)

/* Exact counts up to 9 digits ("3100045"), above that SI ("12.3 G"). */
static void fmt_count(char *dst, size_t len, double v)
{
    if (v < 1e9) {
        snprintf(dst, len, "%.0f", v);
        return;
    }
    const char *prefix;
    double div = nm_plot_si(v, &prefix);
    char num[32];
    nm_plot_fmt(num, sizeof num, v / div);
    snprintf(dst, len, "%s %s", num, prefix);
}

/* "1.23 MB" */
static void fmt_bytes(char *dst, size_t len, double v)
{
    const char *prefix;
    double div = nm_plot_si(v, &prefix);
    char num[32];
    nm_plot_fmt(num, sizeof num, v / div);
    snprintf(dst, len, "%s %sB", num, prefix);
}

static int check_bars(const char *path, const struct nm_plot_bars *bars, char *errbuf,
                      size_t errlen)
{
    if (bars->n > 0 && bars->values == NULL) {
        snprintf(errbuf, errlen, "%s: %zu bars but no values", path, bars->n);
        return -1;
    }
    return 0;
}

static double bar_value(const struct nm_plot_bars *bars, size_t i)
{
    return nm_plot_clean(bars->values[i]);
}

static void bar_label(char *dst, size_t len, const struct nm_plot_bars *bars, size_t i)
{
    nm_plot_text(dst, len, bars->labels != NULL ? bars->labels[i] : NULL, LABEL_CHARS);
    if (dst[0] == '\0')
        snprintf(dst, len, "?");
}

static void fill_box(double xa, double xb, double ya, double yb)
{
    PLFLT x[4] = {xa, xb, xb, xa}, y[4] = {ya, ya, yb, yb};
    plfill(4, x, y);
}

int nm_plot_protocol_usage(const char *path, const struct nm_plot_meta *meta,
                           const struct nm_plot_bars *packets, uint64_t unique_ips,
                           uint64_t unique_macs, char *errbuf, size_t errlen)
{
    if (nm_plot_check_args(path, meta, packets, errbuf, errlen) != 0 ||
        check_bars(path, packets, errbuf, errlen) != 0)
        return -1;
    size_t n = packets->n < MAX_BARS ? packets->n : MAX_BARS;
    double vmax = 0.0;
    for (size_t i = 0; i < n; i++)
        if (bar_value(packets, i) > vmax)
            vmax = bar_value(packets, i);
    const char *prefix;
    double div = nm_plot_si(vmax, &prefix);
    /* Headroom for the value labels and the address counts line. */
    double ytop = vmax > 0.0 ? vmax / div * 1.3 : 1.0;

    if (nm_plot_open(path, errbuf, errlen) != 0)
        return -1;
    nm_plot_viewport(0.085, 0.97);
    plwind(0.0, n > 0 ? (double)n : 1.0, 0.0, ytop);
    plcol0(NM_COL_GRID);
    plbox("", 0.0, 0, "g", 0.0, 0);

    /* Long or many labels are written vertically. */
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        char label[LABEL_BUF];
        bar_label(label, sizeof label, packets, i);
        longest = strlen(label) > longest ? strlen(label) : longest;
    }
    int vertical = n > 14 || (n > 0 && longest * n > 120);

    plschr(0.0, 0.85);
    for (size_t i = 0; i < n; i++) {
        double v = bar_value(packets, i);
        plcol0(NM_COL_BAR);
        if (v > 0.0)
            fill_box((double)i + 0.15, (double)i + 0.85, 0.0, v / div);
        char label[LABEL_BUF], value[48];
        bar_label(label, sizeof label, packets, i);
        fmt_count(value, sizeof value, v);
        plcol0(NM_COL_FG);
        plschr(0.0, 0.75);
        plptex((double)i + 0.5, v / div + ytop * 0.025, 1.0, 0.0, 0.5, value);
        plschr(0.0, 0.85);
        double pos = ((double)i + 0.5) / (double)n;
        if (vertical)
            plmtex("bv", 0.8, pos, 1.0, label);
        else
            plmtex("b", 1.5, pos, 0.5, label);
    }
    plcol0(NM_COL_FG);
    plbox("bc", 0.0, 0, "bcnstv", 0.0, 0);

    char counts[128], ylabel[64];
    snprintf(counts, sizeof counts, "unique IPs: %llu    unique MACs: %llu",
             (unsigned long long)unique_ips, (unsigned long long)unique_macs);
    plmtex("t", -1.6, 0.985, 1.0, counts);
    const char *word = nm_plot_si_word(prefix);
    if (word != NULL)
        snprintf(ylabel, sizeof ylabel, "packets (%s)", word);
    else
        snprintf(ylabel, sizeof ylabel, "packets");
    plmtex("l", 5.2, 0.5, 0.5, ylabel);
    if (!vertical)
        plmtex("b", 3.4, 0.5, 0.5, "protocol");
    plschr(0.0, 1.0);
    if (n == 0 || vmax <= 0.0)
        nm_plot_note("no packets");
    if (packets->n > n) {
        char more[64];
        snprintf(more, sizeof more, "first %d of %zu protocols shown", MAX_BARS, packets->n);
        nm_plot_note(more);
    }
    nm_plot_titles("Packets per protocol", meta);
    return nm_plot_close(path, errbuf, errlen);
}

int nm_plot_top_talkers(const char *path, const struct nm_plot_meta *meta,
                        const struct nm_plot_bars *bytes, char *errbuf, size_t errlen)
{
    if (nm_plot_check_args(path, meta, bytes, errbuf, errlen) != 0 ||
        check_bars(path, bytes, errbuf, errlen) != 0)
        return -1;
    size_t n = bytes->n < MAX_BARS ? bytes->n : MAX_BARS;
    double vmax = 0.0;
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        if (bar_value(bytes, i) > vmax)
            vmax = bar_value(bytes, i);
        char label[LABEL_BUF];
        bar_label(label, sizeof label, bytes, i);
        longest = strlen(label) > longest ? strlen(label) : longest;
    }
    const char *prefix;
    double div = nm_plot_si(vmax, &prefix);
    double xtop = vmax > 0.0 ? vmax / div * 1.15 : 1.0;

    if (nm_plot_open(path, errbuf, errlen) != 0)
        return -1;
    /* Room on the left for the longest address (about 0.0095 of the page
     * width per character at this size). */
    double left = 0.03 + 0.0095 * (double)(longest < 8 ? 8 : longest);
    nm_plot_viewport(left, 0.96);
    double rows = n > 0 ? (double)n : 1.0;
    plwind(0.0, xtop, 0.0, rows);
    plcol0(NM_COL_GRID);
    plbox("g", 0.0, 0, "", 0.0, 0);

    plschr(0.0, 0.85);
    for (size_t i = 0; i < n; i++) {
        /* Largest first, at the top. */
        double v = bar_value(bytes, i), ybar = rows - (double)i - 1.0;
        plcol0(NM_COL_BAR);
        if (v > 0.0)
            fill_box(0.0, v / div, ybar + 0.18, ybar + 0.82);
        char label[LABEL_BUF], value[48];
        bar_label(label, sizeof label, bytes, i);
        fmt_bytes(value, sizeof value, v);
        plcol0(NM_COL_FG);
        plptex(v / div + xtop * 0.008, ybar + 0.5, 1.0, 0.0, 0.0, value);
        plmtex("lv", 0.8, (ybar + 0.5) / rows, 1.0, label);
    }
    plcol0(NM_COL_FG);
    plbox("bcnst", 0.0, 0, "bc", 0.0, 0);
    char xlabel[64];
    snprintf(xlabel, sizeof xlabel, "bytes sent + received (%sB)", prefix);
    plmtex("b", 3.2, 0.5, 0.5, xlabel);
    plschr(0.0, 1.0);
    if (n == 0 || vmax <= 0.0)
        nm_plot_note("no traffic");
    if (bytes->n > n) {
        char more[64];
        snprintf(more, sizeof more, "first %d of %zu addresses shown", MAX_BARS, bytes->n);
        nm_plot_note(more);
    }
    nm_plot_titles("Top talkers by bytes", meta);
    return nm_plot_close(path, errbuf, errlen);
}
