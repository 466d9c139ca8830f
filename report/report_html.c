/*
 * report_html.c - DIR/report.html: one self-contained file (inline style,
 * the PNGs embedded as base64 data URIs) with the final statistics, the
 * per-protocol, latency and top-talker tables and the graphs.  Nothing in
 * it depends on the clock, so the same database gives the same bytes.
 * Written to a temporary name and renamed: a reader never sees half a file.
 */
#include "report_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Text with &, <, >, " escaped. */
static void html_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

/* Copies `path` into fp as base64; 0, or -1 with errno. */
static int base64_file(FILE *fp, const char *path)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char in[3 * 1024];
    FILE *src = fopen(path, "rb");
    size_t n;

    if (src == NULL)
        return -1;
    /* Reads are multiples of 3 bytes, so only the file's last read pads. */
    while ((n = fread(in, 1, sizeof in, src)) > 0) {
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = (unsigned)in[i] << 16;
            if (i + 1 < n)
                v |= (unsigned)in[i + 1] << 8;
            if (i + 2 < n)
                v |= in[i + 2];
            fputc(b64[(v >> 18) & 63], fp);
            fputc(b64[(v >> 12) & 63], fp);
            fputc(i + 1 < n ? b64[(v >> 6) & 63] : '=', fp);
            fputc(i + 2 < n ? b64[v & 63] : '=', fp);
        }
    }
    int err = ferror(src);
    fclose(src);
    if (err) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static void summary_block(FILE *fp, const struct nm_summary *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);

    if (mem == NULL)
        return;
    nm_summary_print(mem, s);
    if (fclose(mem) == 0 && text) {
        fputs("<h2>Final statistics</h2>\n<pre>", fp);
        html_text(fp, text);
        fputs("</pre>\n", fp);
    }
    free(text);
}

static void protocol_table(FILE *fp, const struct nm_report_data *d)
{
    fputs("<h2>Protocols in the range shown</h2>\n<table>\n<tr><th>Protocol</th><th>Packets</th>"
          "<th>Bytes</th><th>Avg size (bytes)</th><th>New connections</th></tr>\n", fp);
    for (int p = 0; p < NM_P_COUNT; p++) {
        fprintf(fp, "<tr><td>%s</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td>",
                nm_proto_name((enum nm_proto)p), d->win_packets[p], d->win_bytes[p]);
        if (d->win_packets[p])
            fprintf(fp, "<td>%.2f</td>", (double)d->win_bytes[p] / (double)d->win_packets[p]);
        else
            fputs("<td>-</td>", fp);
        fprintf(fp, "<td>%" PRIu64 "</td></tr>\n", d->win_newconn[p]);
    }
    fputs("</table>\n", fp);
}

static void latency_table(FILE *fp, const struct nm_report_data *d)
{
    if (d->lat_drawn == 0 || d->hist == NULL)
        return;
    fprintf(fp, "<h2>Connection latency in the range shown (ms)</h2>\n<p>Percentiles: %s.</p>\n<table>\n"
                "<tr><th>Kind</th><th>Samples</th><th>Min</th><th>p50</th><th>p90</th>"
                "<th>p99</th><th>Max</th></tr>\n",
            d->ranged ? "estimated from fine logarithmic bins (within 1.2%)"
                      : "as in the final statistics (nearest rank, from the database's "
                        "latency histogram)");
    for (int k = 0; k < NM_LAT_KIND_COUNT; k++) {
        const struct nm_hist_group *g = &d->hist->groups[k];
        if (g->samples == 0)
            continue;
        fprintf(fp, "<tr><td>%s</td><td>%" PRIu64 "</td><td>%.3f</td><td>%.3f</td>"
                    "<td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>\n",
                nm_report_kind_label((enum nm_latency_kind)k), g->samples, g->min_us / 1000.0,
                d->lat_p50[k] / 1000.0, d->lat_p90[k] / 1000.0, d->lat_p99[k] / 1000.0,
                (d->ranged ? g->max_us : d->sum.latency[k].max_us) / 1000.0);
    }
    fputs("</table>\n", fp);
}

static void talker_table(FILE *fp, const struct nm_report_data *d)
{
    if (d->ntalkers == 0)
        return;
    fputs("<h2>Top talkers (whole session)</h2>\n<table>\n<tr><th>#</th><th>Address</th>"
          "<th>Bytes</th><th>Sent</th><th>Received</th><th>Packets</th></tr>\n", fp);
    for (size_t i = 0; i < d->ntalkers; i++) {
        const struct nm_rq_talker *t = &d->talkers[i];
        fprintf(fp, "<tr><td>%zu</td><td>", i + 1);
        html_text(fp, t->address);
        fprintf(fp, "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%"
                    PRIu64 "</td></tr>\n", t->bytes, t->bytes_sent, t->bytes_recv, t->packets);
    }
    fputs("</table>\n", fp);
}

static int graphs(FILE *fp, const char *dir, const struct nm_report_data *d)
{
    char path[PATH_MAX];

    for (int g = 0; g < NM_G_COUNT; g++) {
        const char *file = nm_report_graph_file((enum nm_report_graph)g);
        fprintf(fp, "<h2>%s</h2>\n", nm_report_graph_title((enum nm_report_graph)g));
        if (!d->graph_written[g]) {
            fputs("<p class=\"note\">Not drawn: ", fp);
            html_text(fp, d->graph_note[g]);
            fputs(".</p>\n", fp);
            continue;
        }
        if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) {
            errno = ENAMETOOLONG;
            return -1;
        }
        fprintf(fp, "<p><img alt=\"%s\" src=\"data:image/png;base64,", file);
        if (base64_file(fp, path) != 0)
            return -1;
        fputs("\"></p>\n", fp);
    }
    return 0;
}

int nm_report_write_html(const char *dir, const struct nm_report_data *d, char *errbuf,
                         size_t errlen)
{
    char path[PATH_MAX], tmp[PATH_MAX], t1[40], t2[40];
    FILE *fp;

    if (snprintf(path, sizeof path, "%s/report.html", dir) >= (int)sizeof path ||
        /* pid in the name: two runs writing one folder do not share it */
        snprintf(tmp, sizeof tmp, "%s/.report.html.%ld.tmp", dir, (long)getpid()) >=
            (int)sizeof tmp) {
        snprintf(errbuf, errlen, "%s: folder name too long", dir);
        return -1;
    }
    fp = fopen(tmp, "w");
    if (fp == NULL) {
        snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    nm_report_iso_time(d->from_ns, t1, sizeof t1);
    nm_report_iso_time(d->to_ns, t2, sizeof t2);
    fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<title>netmon report: session %" PRId64 "</title>\n<style>\n"
                "body{font-family:sans-serif;max-width:1250px;margin:1em auto;padding:0 1em}\n"
                "table{border-collapse:collapse;margin:0.5em 0}\n"
                "td,th{border:1px solid #bbb;padding:2px 8px;text-align:right}\n"
                "td:first-child,th:first-child{text-align:left}\n"
                "th{background:#eee}\nimg{max-width:100%%;border:1px solid #ddd}\n"
                ".note{color:#666}\npre{background:#f6f6f6;padding:0.5em}\n"
                "</style>\n</head>\n<body>\n<h1>netmon report: session %" PRId64 "</h1>\n<p>",
            d->sum.session_id, d->sum.session_id);
    html_text(fp, d->sum.source);
    fprintf(fp, " &mdash; %s to %s (UTC), bins of %" PRId64 " s</p>\n", t1, t2, d->bins.bin_s);
    summary_block(fp, &d->sum);
    protocol_table(fp, d);
    latency_table(fp, d);
    talker_table(fp, d);
    int rc = graphs(fp, dir, d);
    int saved = errno;
    fputs("</body>\n</html>\n", fp);
    if (fclose(fp) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(saved));
        (void)remove(tmp);
    }
    return rc;
}
