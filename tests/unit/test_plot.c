/*
 * test_plot.c - report/plot*.c: each graph writes a 1200x700 PNG, again
 * byte for byte on a second call, several graphs in one process, errors
 * come back as messages (never PLplot's exit()), and the text, unit and
 * value helpers give the expected strings.  Pixel content (series colours,
 * not blank) is checked by tests/t-plot.sh with tests/tools/pngcheck.py.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../report/plot.h"
#include "../../report/plot_int.h"
#include "check.h"

static char dir[64];

static const char *tmp(const char *name)
{
    static char path[2][128];
    static int k;
    k ^= 1;
    snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
    return path[k];
}

/* The whole file, or NULL; *len its size. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, fp);
        n += got;
    } while (got > 0);
    fclose(fp);
    *len = n;
    return buf;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A PNG of NM_PLOT_WIDTH x NM_PLOT_HEIGHT: signature, then IHDR first. */
static void check_png(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t len = 0;
    unsigned char *b = slurp(path, &len);
    CHECK(b != NULL);
    if (b == NULL)
        return;
    CHECK(len > 1000);
    if (len >= 24) {
        CHECK(memcmp(b, sig, 8) == 0);
        CHECK(memcmp(b + 12, "IHDR", 4) == 0);
        CHECK_EQ_U(be32(b + 16), NM_PLOT_WIDTH);
        CHECK_EQ_U(be32(b + 20), NM_PLOT_HEIGHT);
        /* cairo writes no tIME chunk (it would break reproducibility) */
        int has_time = 0;
        for (size_t i = 0; i + 4 <= len; i++)
            has_time |= memcmp(b + i, "tIME", 4) == 0;
        CHECK(!has_time);
    }
    free(b);
}

static int same_bytes(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    unsigned char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

#define NB 30
static const struct nm_plot_meta meta = {"eth0", 7, 1700000000LL * 1000000000,
                                         1700000300LL * 1000000000};
static double ya[NB], yb[NB];
static uint64_t drops[NB];
static const char *const snames[2] = {"TCP", "UDP"};

static struct nm_plot_timeseries make_ts(struct nm_plot_series *s, size_t nbins)
{
    for (int i = 0; i < NB; i++) {
        ya[i] = 1e6 * (1 + i % 7);
        yb[i] = i % 2 ? 5e5 : 0.0;
        drops[i] = i == 12 ? 4 : 0;
    }
    s[0] = (struct nm_plot_series){snames[0], ya};
    s[1] = (struct nm_plot_series){snames[1], yb};
    return (struct nm_plot_timeseries){1700000000, 10, nbins, 2, s, drops};
}

static void test_time_series(void)
{
    struct nm_plot_series s[2];
    struct nm_plot_timeseries ts = make_ts(s, NB);
    char err[256] = "";
    CHECK_EQ_U(nm_plot_throughput(tmp("t1.png"), &meta, &ts, err, sizeof err), 0);
    CHECK_EQ_U(nm_plot_throughput(tmp("t2.png"), &meta, &ts, err, sizeof err), 0);
    check_png(tmp("t1.png"));
    CHECK(same_bytes(tmp("t1.png"), tmp("t2.png")));
    CHECK_EQ_U(nm_plot_new_connections(tmp("c1.png"), &meta, &ts, err, sizeof err), 0);
    check_png(tmp("c1.png"));
    /* a different graph is a different file */
    CHECK(!same_bytes(tmp("t1.png"), tmp("c1.png")));

    /* nbins 0 and 1, no drops array, bin width 0 */
    for (size_t n = 0; n < 2; n++) {
        struct nm_plot_timeseries d = make_ts(s, n);
        d.drops = NULL;
        d.bin_s = 0;
        CHECK_EQ_U(nm_plot_throughput(tmp("t0.png"), &meta, &d, err, sizeof err), 0);
        check_png(tmp("t0.png"));
    }
    /* a timestamp far outside 1970..2100 still draws */
    struct nm_plot_timeseries far = make_ts(s, NB);
    far.t0_s = INT64_MAX / 2;
    CHECK_EQ_U(nm_plot_throughput(tmp("tf.png"), &meta, &far, err, sizeof err), 0);
    check_png(tmp("tf.png"));
    /* more bins than points drawn: averaged, still a graph */
    static double big[50000];
    for (size_t i = 0; i < 50000; i++)
        big[i] = (double)(i % 100);
    struct nm_plot_series bs = {"TCP", big};
    struct nm_plot_timeseries bt = {1700000000, 1, 50000, 1, &bs, NULL};
    CHECK_EQ_U(nm_plot_throughput(tmp("tb.png"), &meta, &bt, err, sizeof err), 0);
    check_png(tmp("tb.png"));
}

static void test_latency(void)
{
    static const double edges[5] = {10, 100, 1000, 10000, 100000};
    static const uint64_t c1[4] = {1, 10, 5, 0}, c2[4] = {0, 2, 20, 3};
    struct nm_plot_hist_group g[2] = {
        {"DNS", c1, 16, 200, 900, 4000},
        {"TCP handshake", c2, 25, 3000, 8000, 20000},
    };
    struct nm_plot_histogram h = {1, 4, edges, 2, g};
    char err[256] = "";
    CHECK_EQ_U(nm_plot_latency(tmp("l1.png"), &meta, &h, err, sizeof err), 0);
    CHECK_EQ_U(nm_plot_latency(tmp("l2.png"), &meta, &h, err, sizeof err), 0);
    check_png(tmp("l1.png"));
    CHECK(same_bytes(tmp("l1.png"), tmp("l2.png")));
    h.log_x = 0;
    CHECK_EQ_U(nm_plot_latency(tmp("l3.png"), &meta, &h, err, sizeof err), 0);
    check_png(tmp("l3.png"));

    /* edges that do not increase, or 0 on a log axis: an error, no file */
    static const double bad[5] = {10, 100, 100, 1000, 10000};
    struct nm_plot_histogram hb = {0, 4, bad, 2, g};
    unlink(tmp("lb.png"));
    CHECK(nm_plot_latency(tmp("lb.png"), &meta, &hb, err, sizeof err) == -1);
    CHECK(strstr(err, "lb.png: latency bin edges") != NULL);
    static const double zero[5] = {0, 100, 1000, 10000, 100000};
    struct nm_plot_histogram hz = {1, 4, zero, 2, g};
    CHECK(nm_plot_latency(tmp("lb.png"), &meta, &hz, err, sizeof err) == -1);
    hz.log_x = 0;   /* 0 is fine on a linear axis */
    CHECK_EQ_U(nm_plot_latency(tmp("lb.png"), &meta, &hz, err, sizeof err), 0);
}

static void test_bars(void)
{
    static const char *const labels[3] = {"TCP", "UDP", "ARP"};
    static const double v[3] = {1000, 200, 3};
    struct nm_plot_bars b = {3, labels, v};
    char err[256] = "";
    CHECK_EQ_U(nm_plot_protocol_usage(tmp("p1.png"), &meta, &b, 12, 3, err, sizeof err), 0);
    CHECK_EQ_U(nm_plot_protocol_usage(tmp("p2.png"), &meta, &b, 12, 3, err, sizeof err), 0);
    check_png(tmp("p1.png"));
    CHECK(same_bytes(tmp("p1.png"), tmp("p2.png")));
    /* the address counts are drawn: other counts, other pixels */
    CHECK_EQ_U(nm_plot_protocol_usage(tmp("p3.png"), &meta, &b, 13, 3, err, sizeof err), 0);
    CHECK(!same_bytes(tmp("p1.png"), tmp("p3.png")));
    CHECK_EQ_U(nm_plot_top_talkers(tmp("k1.png"), &meta, &b, err, sizeof err), 0);
    check_png(tmp("k1.png"));
    /* more bars than drawn */
    static double many[100];
    struct nm_plot_bars m = {100, NULL, many};
    CHECK_EQ_U(nm_plot_top_talkers(tmp("k2.png"), &meta, &m, err, sizeof err), 0);
    check_png(tmp("k2.png"));
}

static void test_errors(void)
{
    struct nm_plot_series s[2];
    struct nm_plot_timeseries ts = make_ts(s, NB);
    char err[256] = "";
    /* PLplot would exit() here: the open is checked first */
    CHECK(nm_plot_throughput("/nonexistent-dir/x.png", &meta, &ts, err, sizeof err) == -1);
    CHECK(strstr(err, "/nonexistent-dir/x.png: cannot write: ") != NULL);
    CHECK(nm_plot_throughput(dir, &meta, &ts, err, sizeof err) == -1);
    CHECK(strstr(err, "Is a directory") != NULL);
    CHECK(nm_plot_throughput(NULL, &meta, &ts, err, sizeof err) == -1);
    CHECK(nm_plot_throughput(tmp("e.png"), NULL, &ts, err, sizeof err) == -1);
    CHECK(nm_plot_latency(tmp("e.png"), &meta, NULL, err, sizeof err) == -1);
    struct nm_plot_bars nb = {2, NULL, NULL};
    CHECK(nm_plot_top_talkers(tmp("e.png"), &meta, &nb, err, sizeof err) == -1);
    CHECK(strstr(err, "2 bars but no values") != NULL);
    /* and a graph after the failures still works */
    CHECK_EQ_U(nm_plot_throughput(tmp("after.png"), &meta, &ts, err, sizeof err), 0);
    check_png(tmp("after.png"));
}

static void test_helpers(void)
{
    char b[64];
    nm_plot_text(b, sizeof b, "eth0", 10);
    CHECK_EQ_S(b, "eth0");
    nm_plot_text(b, sizeof b, "a#b", 10);   /* PLplot's escape doubled */
    CHECK_EQ_S(b, "a##b");
    nm_plot_text(b, sizeof b, "tab\there\n", 20);
    CHECK_EQ_S(b, "tab?here?");
    nm_plot_text(b, sizeof b, "bad\xff\xc3utf8", 20);
    CHECK_EQ_S(b, "bad??utf8");
    nm_plot_text(b, sizeof b, "caf\xc3\xa9 ok", 20);   /* valid UTF-8 kept */
    CHECK_EQ_S(b, "caf\xc3\xa9 ok");
    nm_plot_text(b, sizeof b, "abcdefghij", 4);
    CHECK_EQ_S(b, "abcd...");
    nm_plot_text(b, sizeof b, NULL, 4);
    CHECK_EQ_S(b, "");
    char small[12];
    nm_plot_text(small, sizeof small, "0123456789abcdef", 100);
    CHECK(strlen(small) < sizeof small);
    CHECK(strstr(small, "...") != NULL);

    const char *p;
    CHECK(nm_plot_si(999.0, &p) == 1.0);
    CHECK_EQ_S(p, "");
    CHECK(nm_plot_si(1000.0, &p) == 1000.0);
    CHECK_EQ_S(p, "k");
    CHECK(nm_plot_si(2.5e9, &p) == 1e9);
    CHECK_EQ_S(p, "G");
    CHECK(nm_plot_si(1e30, &p) == 1e18);
    CHECK_EQ_S(p, "E");

    nm_plot_fmt(b, sizeof b, 0.0);
    CHECK_EQ_S(b, "0");
    nm_plot_fmt(b, sizeof b, 7.0);
    CHECK_EQ_S(b, "7");
    nm_plot_fmt(b, sizeof b, 12.5);
    CHECK_EQ_S(b, "12.5");
    nm_plot_fmt(b, sizeof b, 0.25);
    CHECK_EQ_S(b, "0.25");
    nm_plot_fmt(b, sizeof b, 123.4);
    CHECK_EQ_S(b, "123");

    CHECK(nm_plot_clean((double)NAN) == 0.0);
    CHECK(nm_plot_clean(HUGE_VAL) == 0.0);
    CHECK(nm_plot_clean(-3.0) == 0.0);
    CHECK(nm_plot_clean(1e300) == 1e21);
    CHECK(nm_plot_clean(42.0) == 42.0);
    CHECK(nm_plot_ymax(0.0) == 1.0);
    CHECK(nm_plot_ymax(10.0) > 10.0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/nm-test-plot.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_helpers();
    test_time_series();
    test_latency();
    test_bars();
    test_errors();
    /* remove what was written */
    static const char *const files[] = {"t1.png", "t2.png", "c1.png", "t0.png", "tf.png", "tb.png",
                                        "l1.png", "l2.png", "l3.png", "lb.png", "p1.png", "p2.png",
                                        "p3.png", "k1.png", "k2.png", "e.png", "after.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(tmp(files[i]));
    CHECK(rmdir(dir) == 0);
    return check_report("test_plot");
}
