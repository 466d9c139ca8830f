/*
 * plot_sample.c - draws every graph of report/plot.h from fixed synthetic
 * data, and the degenerate cases, into a folder.
 *
 *   plot_sample DIR
 *
 * Prints one line per PNG written: "FILE SERIES", where SERIES is how many
 * distinct series colours the image must show (tests/t-plot.sh counts them
 * with tests/tools/pngcheck.py), or "-" when not counted (bar graphs).
 * Exit status 1 when a call fails (the message goes to stderr).  The data
 * come from formulas and a fixed xorshift seed, so two runs write
 * byte-identical files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../report/plot.h"

#define NB 90           /* 15 minutes of 10 s bins */
#define T0 1700000000   /* 2023-11-14 22:13:20 UTC */

static const char *dir;
static int failures;

static uint64_t rng = 0x2545f4914f6cdd1du;
static double rnd01(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static const char *out(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static void done(const char *name, int rc, const char *err, const char *series)
{
    if (rc != 0) {
        fprintf(stderr, "plot_sample: %s\n", err);
        failures++;
        return;
    }
    printf("%s %s\n", name, series);
}

static const struct nm_plot_meta meta = {
    "sample-pcaps/mixed-lab.pcap", 1, (int64_t)T0 * 1000000000, (int64_t)(T0 + NB * 10) * 1000000000,
};

static void throughput(void)
{
    static const char *const names[11] = {"Ethernet", "IPv4", "IPv6", "ARP", "TCP", "UDP",
                                          "ICMP", "ICMPv6", "DNS", "HTTP", "Other"};
    static double y[11][NB];
    static uint64_t drops[NB];
    struct nm_plot_series s[11];
    /* Five protocols with traffic; the other six are all zero. */
    for (int b = 0; b < NB; b++) {
        double t = b / 10.0;
        y[0][b] = 8e6 * (1.0 + 0.5 * sin(t)) + 1e6 * rnd01();
        y[1][b] = 6e6 * (1.0 + 0.5 * sin(t)) + 8e5 * rnd01();
        y[4][b] = 4.5e6 * (1.0 + 0.6 * sin(t + 0.5)) + 5e5 * rnd01();
        y[5][b] = b >= 40 && b < 50 ? 0.0 : 1.2e6 + 3e5 * rnd01();   /* a gap drawn as 0 */
        y[8][b] = 2e5 + 1e5 * rnd01();
        drops[b] = b >= 60 && b < 64 ? 120 : b == 75 ? 3 : 0;
    }
    for (int i = 0; i < 11; i++)
        s[i] = (struct nm_plot_series){names[i], y[i]};
    struct nm_plot_timeseries ts = {T0, 10, NB, 11, s, drops};
    char err[256];
    done("throughput.png", nm_plot_throughput(out("throughput.png"), &meta, &ts, err, sizeof err),
         err, "5");

    /* Degenerate inputs: each must still draw a clean graph. */
    struct nm_plot_timeseries none = {T0, 10, 0, 11, s, NULL};
    done("thr_nbins0.png", nm_plot_throughput(out("thr_nbins0.png"), &meta, &none, err, sizeof err),
         err, "0");
    struct nm_plot_timeseries one = {T0, 10, 1, 11, s, drops};
    done("thr_nbins1.png", nm_plot_throughput(out("thr_nbins1.png"), &meta, &one, err, sizeof err),
         err, "5");
    static const double zeros[NB];
    struct nm_plot_series zs[2] = {{"TCP", zeros}, {"UDP", NULL}};
    struct nm_plot_timeseries z = {T0, 10, NB, 2, zs, NULL};
    done("thr_zeros.png", nm_plot_throughput(out("thr_zeros.png"), &meta, &z, err, sizeof err),
         err, "0");
    static double bad[NB], huge[NB];
    for (int b = 0; b < NB; b++) {
        bad[b] = b % 3 == 0 ? (double)NAN : b % 3 == 1 ? HUGE_VAL : -5.0;
        huge[b] = b == 7 ? 1e300 : 1.8e19;
    }
    struct nm_plot_series hs[2] = {{"NaN # and inf", bad}, {"huge", huge}};
    struct nm_plot_timeseries h = {T0, 10, NB, 2, hs, NULL};
    struct nm_plot_meta longsrc = meta;
    static char name[600];
    memset(name, 'x', sizeof name - 1);
    memcpy(name, "/very/long/#path\n\xff", 18);
    longsrc.source = name;
    done("thr_degenerate.png",
         nm_plot_throughput(out("thr_degenerate.png"), &longsrc, &h, err, sizeof err), err, "1");
}

static void connections(void)
{
    static const char *const names[5] = {"TCP", "UDP", "ICMP", "ICMPv6", "Other"};
    static double y[5][NB];
    struct nm_plot_series s[5];
    for (int b = 0; b < NB; b++) {
        y[0][b] = 12.0 + 6.0 * sin(b / 7.0) + 3.0 * rnd01();
        y[1][b] = 4.0 + 2.0 * rnd01();
        y[2][b] = b % 9 == 0 ? 0.3 : 0.0;
    }
    for (int i = 0; i < 5; i++)
        s[i] = (struct nm_plot_series){names[i], y[i]};
    struct nm_plot_timeseries ts = {T0, 10, NB, 5, s, NULL};
    char err[256];
    done("new_connections.png",
         nm_plot_new_connections(out("new_connections.png"), &meta, &ts, err, sizeof err), err, "3");
}

static void latency(void)
{
    /* Log bins: 10 per decade from 10 us to 10 s. */
    enum { LB = 60 };
    static double edges[LB + 1];
    for (int i = 0; i <= LB; i++)
        edges[i] = 10.0 * pow(10.0, i / 10.0);
    static uint64_t c[3][LB];
    /* Three log-normal-ish humps around 0.3 ms, 20 ms and 80 ms. */
    static const double centre[3] = {2.5, 4.3, 4.9}, width[3] = {0.25, 0.35, 0.15};
    static const double total[3] = {52000, 1400, 37};
    for (int g = 0; g < 3; g++)
        for (int i = 0; i < LB; i++) {
            double x = log10((edges[i] + edges[i + 1]) / 2.0);
            double d = (x - centre[g]) / width[g];
            c[g][i] = (uint64_t)(total[g] * 0.1 / (width[g] * 2.5066) * exp(-d * d / 2.0));
        }
    uint64_t n[3] = {0, 0, 0};
    for (int g = 0; g < 3; g++)
        for (int i = 0; i < LB; i++)
            n[g] += c[g][i];
    struct nm_plot_hist_group groups[3] = {
        {"TCP handshake", c[0], n[0], 310.0, 640.0, 1150.0},
        {"DNS", c[1], n[1], 19800.0, 40100.0, 71000.0},
        {"ICMP echo", c[2], n[2], 80100.0, 90500.0, 98000.0},
    };
    struct nm_plot_histogram hl = {1, LB, edges, 3, groups};
    char err[256];
    done("latency_distribution.png",
         nm_plot_latency(out("latency_distribution.png"), &meta, &hl, err, sizeof err), err, "3");

    /* Linear bins, one group. */
    enum { UB = 25 };
    static double ue[UB + 1];
    static uint64_t uc[UB];
    for (int i = 0; i <= UB; i++)
        ue[i] = 2000.0 * i;
    for (int i = 0; i < UB; i++)
        uc[i] = (uint64_t)(400.0 * exp(-(i - 8) * (i - 8) / 18.0));
    struct nm_plot_hist_group one = {"DNS", uc, 0, 15500.0, 23000.0, 29000.0};
    for (int i = 0; i < UB; i++)
        one.samples += uc[i];
    struct nm_plot_histogram hu = {0, UB, ue, 1, &one};
    done("lat_linear.png", nm_plot_latency(out("lat_linear.png"), &meta, &hu, err, sizeof err),
         err, "1");

    /* Degenerate: no groups; one bin; counts all zero; NaN percentiles. */
    struct nm_plot_histogram h0 = {1, LB, edges, 0, NULL};
    done("lat_nogroups.png", nm_plot_latency(out("lat_nogroups.png"), &meta, &h0, err, sizeof err),
         err, "0");
    static const uint64_t zc[LB];
    struct nm_plot_hist_group zg = {"zero", zc, 0, (double)NAN, HUGE_VAL, -1.0};
    struct nm_plot_histogram hz = {1, LB, edges, 1, &zg};
    done("lat_zeros.png", nm_plot_latency(out("lat_zeros.png"), &meta, &hz, err, sizeof err),
         err, "0");
    static const double e1[2] = {100.0, 200.0};
    static const uint64_t c1[1] = {5};
    struct nm_plot_hist_group g1 = {"one bin", c1, 5, 150.0, 190.0, 199.0};
    struct nm_plot_histogram h1 = {1, 1, e1, 1, &g1};
    done("lat_nbins1.png", nm_plot_latency(out("lat_nbins1.png"), &meta, &h1, err, sizeof err),
         err, "1");
}

static void bars(void)
{
    static const char *const names[11] = {"Ethernet", "IPv4", "IPv6", "ARP", "TCP", "UDP",
                                          "ICMP", "ICMPv6", "DNS", "HTTP", "Other"};
    static const double pk[11] = {3100045, 2900012, 180033, 1204, 2650200,
                                  420100,  3055,    870,    98012, 61000, 0};
    struct nm_plot_bars pb = {11, names, pk};
    char err[256];
    done("protocol_usage.png",
         nm_plot_protocol_usage(out("protocol_usage.png"), &meta, &pb, 1834, 27, err, sizeof err),
         err, "-");

    static const char *const addrs[10] = {
        "192.168.1.10", "2001:db8:85a3:1234:5678:8a2e:370:7334", "10.0.0.1", "8.8.8.8",
        "fe80::1c2b:3dff:fe4e:5f60", "192.168.1.254", "172.16.31.200", "1.1.1.1",
        "2606:4700:4700::1111", "224.0.0.251",
    };
    static const double by[10] = {9.1e9, 4.2e9, 2.5e9, 7.7e8, 3.1e8, 1.2e8, 5.5e7, 1.9e7, 4.4e6, 2.1e5};
    struct nm_plot_bars tb = {10, addrs, by};
    done("top_talkers.png", nm_plot_top_talkers(out("top_talkers.png"), &meta, &tb, err, sizeof err),
         err, "-");

    /* Degenerate: no bars, NaN/huge values, NULL labels. */
    struct nm_plot_bars empty = {0, NULL, NULL};
    done("bars_empty.png",
         nm_plot_protocol_usage(out("bars_empty.png"), &meta, &empty, 0, 0, err, sizeof err), err,
         "-");
    static const double odd[3] = {(double)NAN, 1e300, -4.0};
    struct nm_plot_bars ob = {3, NULL, odd};
    done("talkers_odd.png", nm_plot_top_talkers(out("talkers_odd.png"), &meta, &ob, err, sizeof err),
         err, "-");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: plot_sample DIR\n");
        return 2;
    }
    dir = argv[1];
    throughput();
    connections();
    latency();
    bars();
    return failures ? 1 : 0;
}
