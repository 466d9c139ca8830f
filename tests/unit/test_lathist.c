/*
 * test_lathist.c - latency histogram buckets, rank values and flushes.
 */
#include "check.h"

#include <stdlib.h>

#include "../../analyze/lathist.h"
#include "../../analyze/latency.h"

struct got {
    struct nm_lathist_rec r[64];
    int n;
};

static void collect(void *ctx, const struct nm_lathist_rec *r)
{
    struct got *g = ctx;
    if (g->n < 64)
        g->r[g->n++] = *r;
}

static void test_buckets(void)
{
    /* Exact below 512 ns (one value per bucket), then 256 per octave. */
    for (int64_t v = 0; v < 512; v++)
        CHECK_EQ_U(nm_lathist_bucket_low(nm_lathist_bucket(v)), v);
    CHECK_EQ_U(nm_lathist_bucket(-5), 0);
    CHECK_EQ_U(nm_lathist_bucket(512), nm_lathist_bucket(513));
    CHECK(nm_lathist_bucket(511) != nm_lathist_bucket(512));
    /* Every value lies in [low(b), low(b + 1)), and a bucket is at most
     * 1/256 of its lower edge wide; buckets increase with the value. */
    int32_t prev = -1;
    for (int64_t v = 1; v < (INT64_C(1) << 40); v = v + 1 + v / 97) {
        int32_t b = nm_lathist_bucket(v);
        CHECK(b >= prev);
        prev = b;
        CHECK(b >= 0 && b < NM_LATHIST_BUCKETS);
        int64_t lo = nm_lathist_bucket_low(b);
        CHECK(lo <= v);
        if (b + 1 < NM_LATHIST_BUCKETS) {
            int64_t hi = nm_lathist_bucket_low(b + 1);
            CHECK(v < hi);
            CHECK(hi - lo <= 1 || (double)(hi - lo) <= (double)lo / 256.0);
        }
    }
    /* Huge values share the last bucket instead of overflowing. */
    CHECK_EQ_U(nm_lathist_bucket(INT64_MAX), NM_LATHIST_BUCKETS - 1);
    CHECK_EQ_U(nm_lathist_bucket(INT64_C(1) << 50), NM_LATHIST_BUCKETS - 1);
}

static void test_rank_value(void)
{
    /* one sample, or the first / last rank: the bucket's min / max */
    CHECK(nm_lathist_rank_value(5, 5, 1, 10.0, 10.0) == 10.0);
    CHECK(nm_lathist_rank_value(5, 5, 3, 10.0, 20.0) == 10.0);
    CHECK(nm_lathist_rank_value(7, 5, 3, 10.0, 20.0) == 20.0);
    /* the middle of three: halfway */
    CHECK(nm_lathist_rank_value(6, 5, 3, 10.0, 20.0) == 15.0);
}

static void test_add_flush(void)
{
    struct nm_lathist *h = nm_lathist_new();
    CHECK(h != NULL);
    if (!h)
        return;
    struct got g = { .n = 0 };
    CHECK_EQ_U(nm_lathist_add(h, NM_LAT_DNS, 17, 20000000), 0);
    CHECK_EQ_U(nm_lathist_add(h, NM_LAT_DNS, 17, 20000001), 0);   /* same bucket */
    CHECK_EQ_U(nm_lathist_add(h, NM_LAT_DNS, 6, 20000000), 0);    /* other protocol */
    CHECK_EQ_U(nm_lathist_add(h, NM_LAT_ICMP_ECHO, 1, -3), 0);    /* counts as 0 */
    CHECK(nm_lathist_add(h, NM_LAT_KIND_COUNT, 1, 5) != 0);       /* no such kind */
    nm_lathist_flush(h, collect, &g);
    CHECK_EQ_U(g.n, 3);
    int dns_udp = -1;
    for (int i = 0; i < g.n; i++)
        if (g.r[i].kind == NM_LAT_DNS && g.r[i].ip_proto == 17)
            dns_udp = i;
    CHECK(dns_udp >= 0);
    if (dns_udp >= 0) {
        CHECK_EQ_U(g.r[dns_udp].count, 2);
        CHECK_EQ_U(g.r[dns_udp].sum_ns, 40000001);
        CHECK_EQ_U(g.r[dns_udp].min_ns, 20000000);
        CHECK_EQ_U(g.r[dns_udp].max_ns, 20000001);
        CHECK_EQ_U(g.r[dns_udp].bucket, nm_lathist_bucket(20000000));
    }
    /* Nothing changed: nothing to flush.  One more sample: that bucket
     * again, with its totals so far (the database row is replaced). */
    g.n = 0;
    nm_lathist_flush(h, collect, &g);
    CHECK_EQ_U(g.n, 0);
    CHECK_EQ_U(nm_lathist_add(h, NM_LAT_DNS, 17, 19999999), 0);
    nm_lathist_flush(h, collect, &g);
    CHECK_EQ_U(g.n, 1);
    CHECK_EQ_U(g.r[0].count, 3);
    CHECK_EQ_U(g.r[0].min_ns, 19999999);
    CHECK_EQ_U(g.r[0].sum_ns, 60000000);
    nm_lathist_free(h);
    nm_lathist_free(NULL);
}

/* A flush gives a kind's changed buckets in bucket order (the table's key
 * order, cheaper to write), whatever order the samples came in. */
static void test_flush_order(void)
{
    struct nm_lathist *h = nm_lathist_new();
    CHECK(h != NULL);
    if (!h)
        return;
    struct got g = { .n = 0 };
    /* 40 buckets, touched first from the largest value down */
    for (int i = 40; i >= 1; i--)
        CHECK_EQ_U(nm_lathist_add(h, NM_LAT_TCP_DATA_ACK, 6, (int64_t)i * 1000000), 0);
    CHECK_EQ_U(nm_lathist_add(h, NM_LAT_TCP_DATA_ACK, 6, 40000000), 0);   /* again */
    nm_lathist_flush(h, collect, &g);
    CHECK_EQ_U(g.n, 40);
    for (int i = 0; i < g.n; i++) {
        CHECK_EQ_U(g.r[i].bucket, nm_lathist_bucket((int64_t)(i + 1) * 1000000));
        CHECK_EQ_U(g.r[i].count, (i == 39 ? 2u : 1u));
    }
    nm_lathist_free(h);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_buckets();
    test_rank_value();
    test_add_flush();
    test_flush_order();
    return check_report(argv[0]);
}
