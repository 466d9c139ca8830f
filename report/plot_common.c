/*
 * plot_common.c - the PLplot device, colours, layout and text helpers that
 * every graph shares (see plot_int.h).
 *
 * Why PLplot is driven so carefully here: it keeps one global stream, calls
 * exit() when it cannot open its output file (plexit), prints warnings to
 * stderr when given an empty axis range, and treats '#' in text as an escape.
 * So the path is opened by us first, ranges are never empty, and every
 * caller-supplied string goes through nm_plot_text().
 */
#include "plot_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <plplot/plplot.h>

/* Largest value drawn; see nm_plot_clean(). */
#define NM_PLOT_VALUE_CAP 1e21
/* Characters of the capture source kept in the subtitle. */
#define NM_PLOT_SOURCE_CHARS 44

/* tests/tools/pngcheck.py reads the hex values between the two markers to
 * count series by their exact colour: keep one colour per line. */
const unsigned char nm_plot_series_rgb[][3] = {
    /* series-palette-begin */
    {0x1f, 0x77, 0xb4}, /* 1f77b4 blue */
    {0xff, 0x7f, 0x0e}, /* ff7f0e orange */
    {0x2c, 0xa0, 0x2c}, /* 2ca02c green */
    {0xd6, 0x27, 0x28}, /* d62728 red */
    {0x94, 0x67, 0xbd}, /* 9467bd purple */
    {0x8c, 0x56, 0x4b}, /* 8c564b brown */
    {0xe3, 0x77, 0xc2}, /* e377c2 pink */
    {0x17, 0xbe, 0xcf}, /* 17becf cyan */
    {0xbc, 0xbd, 0x22}, /* bcbd22 olive */
    {0x39, 0x3b, 0x79}, /* 393b79 navy */
    {0x00, 0x6d, 0x5b}, /* 006d5b teal */
    {0xa5, 0x51, 0x94}, /* a55194 plum */
    /* series-palette-end */
};
const size_t nm_plot_nseries_colours = sizeof nm_plot_series_rgb / sizeof nm_plot_series_rgb[0];

/* Protocols keep their colour from graph to graph (TCP is blue in the
 * throughput and the new-connections graphs alike): index into the
 * palette above.  Names not listed take the first colour still free. */
static const struct {
    const char *name;
    unsigned char colour;
} named_colours[] = {
    {"TCP", 0},  {"UDP", 1},  {"ICMP", 2},     {"ICMPv6", 3}, {"DNS", 4},   {"ARP", 5},
    {"VLAN", 9}, {"IPv4", 7}, {"IPv6", 8}, {"Ethernet", 11}, {"Other", 10},
};

/* Colours before the series ones, in the order of the NM_COL_* enum. */
static const unsigned char fixed_rgb[NM_COL_SERIES][3] = {
    {0xff, 0xff, 0xff}, /* background */
    {0x20, 0x20, 0x20}, /* axes, text */
    {0xe4, 0xe4, 0xe4}, /* grid */
    {0x80, 0x80, 0x80}, /* notes */
    {0xfa, 0xd4, 0xd0}, /* drop band */
    {0xff, 0xff, 0xff}, /* translucent fill, set before each use */
    {0x4c, 0x72, 0xb0}, /* bars */
};

int nm_plot_check_args(const char *path, const void *meta, const void *data, char *errbuf,
                       size_t errlen)
{
    if (path == NULL || path[0] == '\0') {
        snprintf(errbuf, errlen, "graph: no output file name");
        return -1;
    }
    if (meta == NULL || data == NULL) {
        snprintf(errbuf, errlen, "%s: no data given to draw", path);
        return -1;
    }
    return 0;
}

void nm_plot_colours(const char *const *names, size_t n, PLINT *col, PLINT *style)
{
    size_t ncol = nm_plot_nseries_colours;
    unsigned char used[16] = {0};
    size_t overflow = 0;
    for (size_t i = 0; i < n; i++) {
        col[i] = -1;
        for (size_t k = 0; names[i] != NULL && k < sizeof named_colours / sizeof named_colours[0];
             k++) {
            unsigned char c = named_colours[k].colour;
            if (strcmp(names[i], named_colours[k].name) == 0 && c < ncol && !used[c]) {
                used[c] = 1;
                col[i] = NM_COL_SERIES + c;
                style[i] = 1;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (col[i] >= 0)
            continue;
        size_t c = 0;
        while (c < ncol && c < sizeof used && used[c])
            c++;
        if (c < ncol && c < sizeof used) {
            used[c] = 1;
            col[i] = (PLINT)(NM_COL_SERIES + c);
            style[i] = 1;
        } else {
            /* Palette exhausted: colours again, with dashes. */
            col[i] = (PLINT)(NM_COL_SERIES + overflow % ncol);
            style[i] = (PLINT)(2 + (overflow / ncol) % 7);
            overflow++;
        }
    }
}

static void install_colours(void)
{
    PLINT r[NM_COL_SERIES + 16], g[NM_COL_SERIES + 16], b[NM_COL_SERIES + 16];
    PLINT n = 0;
    for (size_t i = 0; i < NM_COL_SERIES; i++, n++) {
        r[n] = fixed_rgb[i][0];
        g[n] = fixed_rgb[i][1];
        b[n] = fixed_rgb[i][2];
    }
    for (size_t i = 0; i < nm_plot_nseries_colours && i < 16; i++, n++) {
        r[n] = nm_plot_series_rgb[i][0];
        g[n] = nm_plot_series_rgb[i][1];
        b[n] = nm_plot_series_rgb[i][2];
    }
    plscmap0n(n);
    plscmap0(r, g, b, n);
}

int nm_plot_open(const char *path, char *errbuf, size_t errlen)
{
    /* PLplot would exit() on an unwritable path: find out first. */
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        snprintf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    fclose(fp);

    plsdev("pngcairo");
    plsfnam(path);
    plspage(0.0, 0.0, NM_PLOT_WIDTH, NM_PLOT_HEIGHT, 0, 0);
    install_colours();
    plinit();
    pladv(0);
    plcol0(NM_COL_FG);
    plwidth(1.0);
    pllsty(1);
    return 0;
}

int nm_plot_close(const char *path, char *errbuf, size_t errlen)
{
    /* plend() (not plend1()) frees the whole library state, so the next
     * graph in this process starts from PLplot's defaults again. */
    plend();
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(errbuf, errlen, "%s: not written: %s", path, strerror(errno));
        return -1;
    }
    if (st.st_size < 8) {
        snprintf(errbuf, errlen, "%s: PLplot wrote an empty file (disk full?)", path);
        return -1;
    }
    return 0;
}

void nm_plot_viewport(double left, double right)
{
    plvpor(left, right, 0.11, 0.85);
}

enum utc_part { UTC_DATE_TIME, UTC_DATE, UTC_TIME };

/* "2023-11-14 22:13:20", "2023-11-14" or "22:13:20"; "?" when the time
 * does not fit a struct tm. */
static void fmt_utc(char *dst, size_t len, int64_t ns, enum utc_part part)
{
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;
    size_t n = 0;
    if (gmtime_r(&s, &tm) != NULL) {
        switch (part) {
        case UTC_DATE_TIME:
            n = strftime(dst, len, "%Y-%m-%d %H:%M:%S", &tm);
            break;
        case UTC_DATE:
            n = strftime(dst, len, "%Y-%m-%d", &tm);
            break;
        case UTC_TIME:
            n = strftime(dst, len, "%H:%M:%S", &tm);
            break;
        }
    }
    if (n == 0)
        snprintf(dst, len, "?");
}

void nm_plot_titles(const char *title, const struct nm_plot_meta *meta)
{
    char src[NM_PLOT_SOURCE_CHARS * 4 + 16], range[96], sub[sizeof src + sizeof range + 64];
    nm_plot_text(src, sizeof src, meta->source, NM_PLOT_SOURCE_CHARS);
    if (meta->to_ns < meta->from_ns || (meta->from_ns == 0 && meta->to_ns == 0)) {
        snprintf(range, sizeof range, "no packets");
    } else {
        char a[40], b[40], da[16], db[16];
        fmt_utc(a, sizeof a, meta->from_ns, UTC_DATE_TIME);
        fmt_utc(da, sizeof da, meta->from_ns, UTC_DATE);
        fmt_utc(db, sizeof db, meta->to_ns, UTC_DATE);
        /* The end's date only when it differs from the start's. */
        fmt_utc(b, sizeof b, meta->to_ns, strcmp(da, db) == 0 ? UTC_TIME : UTC_DATE_TIME);
        snprintf(range, sizeof range, "%s to %s UTC", a, b);
    }
    snprintf(sub, sizeof sub, "%s    session %lld    %s", src[0] ? src : "(unknown source)",
             (long long)meta->session_id, range);

    /* Centred on the page, not on the plot box (whose left edge moves with
     * the labels): a page-wide viewport with the plot box's top. */
    plvpor(0.02, 0.98, 0.11, 0.85);
    plwind(0.0, 1.0, 0.0, 1.0);
    plcol0(NM_COL_FG);
    plschr(0.0, 1.35);
    plmtex("t", 2.6, 0.5, 0.5, title);
    plschr(0.0, 0.85);
    plcol0(NM_COL_MUTED);
    plmtex("t", 1.6, 0.5, 0.5, sub);
    plcol0(NM_COL_FG);
    plschr(0.0, 1.0);
}

void nm_plot_note(const char *text)
{
    plcol0(NM_COL_MUTED);
    plmtex("t", -3.0, 0.5, 0.5, text);
    plcol0(NM_COL_FG);
}

double nm_plot_clean(double v)
{
    if (!isfinite(v) || v < 0.0)
        return 0.0;
    return v > NM_PLOT_VALUE_CAP ? NM_PLOT_VALUE_CAP : v;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;   /* also stops at the terminating NUL */
    return n;
}

void nm_plot_text(char *dst, size_t dstlen, const char *src, size_t maxchars)
{
    static const char ellipsis[] = "...";
    if (dstlen == 0)
        return;
    dst[0] = '\0';
    if (src == NULL)
        return;
    /* Leave room for "...", its NUL, and one doubled '#'. */
    if (dstlen < sizeof ellipsis + 2)
        return;
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, chars = 0, limit = dstlen - sizeof ellipsis - 1;
    while (*s != '\0') {
        if (chars == maxchars || o + 4 > limit) {
            memcpy(dst + o, ellipsis, sizeof ellipsis);
            return;
        }
        size_t n = utf8_len(s);
        if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f))) {
            dst[o++] = '?';
            s++;
        } else if (*s == '#') {
            dst[o++] = '#';
            dst[o++] = '#';
            s++;
        } else {
            memcpy(dst + o, s, n);
            o += n;
            s += n;
        }
        chars++;
    }
    dst[o] = '\0';
}

double nm_plot_si(double maxv, const char **prefix)
{
    static const char *const prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
    size_t i = 0;
    double div = 1.0;
    while (i + 1 < sizeof prefixes / sizeof prefixes[0] && maxv >= div * 1000.0) {
        div *= 1000.0;
        i++;
    }
    *prefix = prefixes[i];
    return div;
}

const char *nm_plot_si_word(const char *prefix)
{
    static const char *const words[][2] = {
        {"k", "thousands"}, {"M", "millions"},    {"G", "billions"},
        {"T", "trillions"}, {"P", "quadrillions"}, {"E", "quintillions"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(prefix, words[i][0]) == 0)
            return words[i][1];
    return NULL;
}

void nm_plot_fmt(char *dst, size_t dstlen, double v)
{
    int decimals = v >= 100.0 ? 0 : v >= 10.0 ? 1 : 2;
    snprintf(dst, dstlen, "%.*f", decimals, v);
    /* "12.50" -> "12.5", "7.00" -> "7" */
    if (strchr(dst, '.') != NULL) {
        size_t n = strlen(dst);
        while (n > 0 && dst[n - 1] == '0')
            dst[--n] = '\0';
        if (n > 0 && dst[n - 1] == '.')
            dst[--n] = '\0';
    }
}

double nm_plot_ymax(double maxv)
{
    return maxv > 0.0 ? maxv * 1.12 : 1.0;
}

/* Room for one legend text (already cut by the caller). */
#define NAME_BUF 256

void nm_plot_legend_free(struct nm_plot_legend *lg)
{
    free(lg->opt);
    free(lg->text_col);
    free(lg->box_col);
    free(lg->box_pat);
    free(lg->line_col);
    free(lg->line_sty);
    free(lg->box_scale);
    free(lg->box_width);
    free(lg->line_width);
    free(lg->text);
    free(lg->names);
}

int nm_plot_legend_alloc(struct nm_plot_legend *lg, size_t n)
{
    memset(lg, 0, sizeof *lg);
    lg->text_scale = 0.85;
    if (n == 0)
        n = 1;
    lg->opt = calloc(n, sizeof *lg->opt);
    lg->text_col = calloc(n, sizeof *lg->text_col);
    lg->box_col = calloc(n, sizeof *lg->box_col);
    lg->box_pat = calloc(n, sizeof *lg->box_pat);
    lg->line_col = calloc(n, sizeof *lg->line_col);
    lg->line_sty = calloc(n, sizeof *lg->line_sty);
    lg->box_scale = calloc(n, sizeof *lg->box_scale);
    lg->box_width = calloc(n, sizeof *lg->box_width);
    lg->line_width = calloc(n, sizeof *lg->line_width);
    lg->text = calloc(n, sizeof *lg->text);
    lg->names = calloc(n, NAME_BUF);
    if (!lg->opt || !lg->text_col || !lg->box_col || !lg->box_pat || !lg->line_col ||
        !lg->line_sty || !lg->box_scale || !lg->box_width || !lg->line_width || !lg->text ||
        !lg->names) {
        nm_plot_legend_free(lg);
        return -1;
    }
    return 0;
}

void nm_plot_legend_line(struct nm_plot_legend *lg, const char *name, PLINT col, PLINT style)
{
    PLINT i = lg->n++;
    char *buf = lg->names + (size_t)i * NAME_BUF;
    snprintf(buf, NAME_BUF, "%s", name);
    lg->opt[i] = PL_LEGEND_LINE;
    lg->text_col[i] = NM_COL_FG;
    lg->line_col[i] = col;
    lg->line_sty[i] = style;
    lg->line_width[i] = 2.5;
    lg->text[i] = buf;
}

void nm_plot_legend_box(struct nm_plot_legend *lg, const char *name, PLINT col)
{
    PLINT i = lg->n++;
    char *buf = lg->names + (size_t)i * NAME_BUF;
    snprintf(buf, NAME_BUF, "%s", name);
    lg->opt[i] = PL_LEGEND_COLOR_BOX;
    lg->text_col[i] = NM_COL_FG;
    lg->box_col[i] = col;
    lg->box_pat[i] = 0;
    lg->box_scale[i] = 0.8;
    lg->box_width[i] = 1.0;
    lg->text[i] = buf;
}

void nm_plot_legend_text(struct nm_plot_legend *lg, const char *text)
{
    PLINT i = lg->n++;
    char *buf = lg->names + (size_t)i * NAME_BUF;
    snprintf(buf, NAME_BUF, "%s", text);
    lg->opt[i] = PL_LEGEND_NONE;
    lg->text_col[i] = NM_COL_MUTED;
    lg->text[i] = buf;
}

void nm_plot_legend_draw(const struct nm_plot_legend *lg, PLINT position, PLINT ncolumn)
{
    if (lg->n == 0)
        return;
    PLFLT w, h;
    PLINT nrow = (lg->n + ncolumn - 1) / ncolumn;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND, position, 0.015, 0.0, 0.05, NM_COL_BG, NM_COL_FG, 1,
             nrow, ncolumn, lg->n, lg->opt, 0.8, lg->text_scale, 2.0, 0.0,
             lg->text_col, lg->text, lg->box_col, lg->box_pat, lg->box_scale, lg->box_width,
             lg->line_col, lg->line_sty, lg->line_width, NULL, NULL, NULL, NULL);
}

