/*
 * test_report.c - nm-report's pure parts: --from/--to time parsing and the
 * latency histogram (bins, counts, percentile estimates).
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "../../report/latency_hist.h"
#include "../../report/report.h"

static void test_times(void)
{
    int64_t ns;

    CHECK(nm_report_parse_time("2024-11-12T12:58:30Z", &ns) == 0);
    CHECK_EQ_U(ns, 1731416310LL * 1000000000);
    CHECK(nm_report_parse_time("2024-11-12 12:58:30.25Z", &ns) == 0);
    CHECK_EQ_U(ns, 1731416310LL * 1000000000 + 250000000);
    CHECK(nm_report_parse_time("2024-11-12T13:58:30+01:00", &ns) == 0);
    CHECK_EQ_U(ns, 1731416310LL * 1000000000);
    CHECK(nm_report_parse_time("2024-11-12T11:28:30-01:30", &ns) == 0);
    CHECK_EQ_U(ns, 1731416310LL * 1000000000);
    CHECK(nm_report_parse_time("1731416310", &ns) == 0);
    CHECK_EQ_U(ns, 1731416310LL * 1000000000);
    CHECK(nm_report_parse_time("1731416310.000001", &ns) == 0);
    CHECK_EQ_U(ns, 1731416310LL * 1000000000 + 1000);
    /* Local time: no zone, read in TZ. */
    setenv("TZ", "Europe/Paris", 1);
    tzset();
    CHECK(nm_report_parse_time("2024-11-12T13:58:30", &ns) == 0);
    CHECK_EQ_U(ns, 1731416310LL * 1000000000);
    CHECK(nm_report_parse_time("2024-07-12T14:00:00", &ns) == 0);   /* summer time: UTC+2 */
    CHECK_EQ_U(ns, 1720785600LL * 1000000000);
    setenv("TZ", "UTC", 1);
    tzset();
    /* The last time 64-bit nanoseconds hold, and nothing after it (UBSan
     * caught the multiplication overflowing for 11-digit seconds). */
    CHECK(nm_report_parse_time("9223372036.854775807", &ns) == 0);
    CHECK_EQ_U(ns, INT64_MAX);
    CHECK(nm_report_parse_time("2262-04-11T23:47:16.854775807Z", &ns) == 0);
    CHECK_EQ_U(ns, INT64_MAX);
    CHECK(nm_report_parse_time("2262-04-11T23:47:16", &ns) == 0);
    CHECK_EQ_U(ns, 9223372036LL * 1000000000);
    const char *bad[] = { "", "yesterday", "2024-13-01T00:00:00Z", "2024-02-31T00:00:00Z",
                          "2024-11-12T25:00:00Z", "2024-11-12T12:58:30Q", "2024-11-12",
                          "12.5.3", "-5", "1731416310x", "2024-11-12T12:58:30+1:00",
                          "2024-11-12T12:58:30.Z", "123456789012345", "99999999999",
                          "9223372036.854775808", "9223372037", "2262-04-11T23:47:17Z",
                          "2262-04-11T23:47:16.854775808Z", "9999-12-31T23:59:59Z",
                          "9999-12-31T23:59:59", "2262-04-12T00:47:17+01:00" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = nm_report_parse_time(bad[i], &ns);
        CHECK(rc == -1);
        if (rc != -1)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
    }
}

static void test_hist_linear(void)
{
    struct nm_hist *h = malloc(sizeof *h);
    /* 20..80 ms: narrow, linear bins of a nice width. */
    nm_hist_init(h, 20000, 80000, 4, 2);
    CHECK(h->log_x == 0);
    CHECK(h->nbins >= 20 && h->nbins <= NM_HIST_MAX_BINS);
    CHECK(h->edges[0] <= 20000 && h->edges[h->nbins] > 80000);
    nm_hist_add(h, 0, 20000);
    nm_hist_add(h, 0, 20500);
    nm_hist_add(h, 1, 80000);
    nm_hist_add(h, 1, 80000);
    uint64_t total = 0;
    for (size_t i = 0; i < h->nbins; i++)
        total += h->groups[0].counts[i] + h->groups[1].counts[i];
    CHECK_EQ_U(total, 4);
    CHECK_EQ_U(h->groups[1].counts[h->nbins - 2], 2);   /* the largest value, one margin bin before the end */
    CHECK_EQ_U(h->groups[0].counts[0], 0);             /* the margin bin */
    CHECK_EQ_U(h->groups[0].samples, 2);
    CHECK(h->groups[0].min_us == 20000 && h->groups[0].max_us == 20500);
    /* All samples equal: still one bar with a width. */
    nm_hist_init(h, 500, 500, 3, 1);
    CHECK(h->nbins >= 1 && h->edges[h->nbins] > h->edges[0]);
    nm_hist_add(h, 0, 500);
    CHECK_EQ_U(h->groups[0].samples, 1);
    free(h);
}

static void test_hist_log(void)
{
    struct nm_hist *h = malloc(sizeof *h);
    /* 5 us .. 2 s: wide, decades 1e0 .. 1e7 with 10 bins each. */
    nm_hist_init(h, 5, 2e6, 1000, 1);
    CHECK(h->log_x == 1);
    CHECK(fabs(h->edges[0] - 1) < 1e-9);
    CHECK(fabs(h->edges[h->nbins] - 1e7) < 1e-3);
    CHECK_EQ_U(h->nbins, 70);
    /* 1000 samples 1..1000 ms: p50 500 ms, p90 900 ms, p99 990 ms within 1.2%. */
    for (int i = 1; i <= 1000; i++)
        nm_hist_add(h, 0, i * 1000.0);
    CHECK(fabs(nm_hist_percentile(h, 0, 50) / 500000 - 1) < 0.012);
    CHECK(fabs(nm_hist_percentile(h, 0, 90) / 900000 - 1) < 0.012);
    CHECK(fabs(nm_hist_percentile(h, 0, 99) / 990000 - 1) < 0.012);
    CHECK(nm_hist_percentile(h, 0, 100) <= 1000000);
    /* Value 1 ms lands in the bin [1e3, 10^3.1). */
    CHECK_EQ_U(h->groups[0].counts[30], 1);
    /* Zero and a tiny value with a wide range: the first bin, no empty decades. */
    nm_hist_init(h, 0, 1e6, 2, 1);
    CHECK(h->log_x == 1 && h->edges[0] >= 1 - 1e-9);
    nm_hist_add(h, 0, 0);
    nm_hist_add(h, 0, 1e6);
    CHECK_EQ_U(h->groups[0].counts[0], 1);
    CHECK_EQ_U(h->groups[0].counts[h->nbins - 1], 1);
    /* No samples: no bins; NaN is ignored. */
    nm_hist_init(h, 0, 0, 0, 1);
    CHECK_EQ_U(h->nbins, 0);
    nm_hist_add(h, 0, 5);
    CHECK_EQ_U(h->groups[0].samples, 0);
    CHECK(nm_hist_percentile(h, 0, 50) == 0);
    free(h);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_times();
    test_hist_linear();
    test_hist_log();
    return check_report(argv[0]);
}
