/*
 * test_textfmt.c - the text formatters against hand-computed values and
 * against libc (inet_ntop, gmtime_r/localtime_r + strftime) as an
 * independent oracle.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <time.h>

#include "../../analyze/textfmt.h"
#include "check.h"

/* Deterministic xorshift so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_mac(void)
{
    const uint8_t mac[6] = { 0xe8, 0x2a, 0x44, 0xd5, 0xc7, 0x97 };
    const uint8_t zero[6] = { 0 };
    char buf[NM_FMT_MAC_LEN];

    CHECK_EQ_U(nm_fmt_mac(mac, buf, sizeof buf), 17);
    CHECK_EQ_S(buf, "e8:2a:44:d5:c7:97");
    nm_fmt_mac(zero, buf, sizeof buf);
    CHECK_EQ_S(buf, "00:00:00:00:00:00");
    /* too short: empty, never a partial address */
    CHECK_EQ_U(nm_fmt_mac(mac, buf, 17), 0);
    CHECK_EQ_S(buf, "");
}

static void test_ipv4(void)
{
    const uint8_t a[4] = { 192, 168, 0, 1 }, b[4] = { 255, 255, 255, 255 }, z[4] = { 0 };
    const uint8_t c[4] = { 10, 0, 100, 9 };
    char buf[NM_FMT_IPV4_LEN];

    CHECK_EQ_U(nm_fmt_ipv4(a, buf, sizeof buf), 11);
    CHECK_EQ_S(buf, "192.168.0.1");
    nm_fmt_ipv4(b, buf, sizeof buf);
    CHECK_EQ_S(buf, "255.255.255.255");
    nm_fmt_ipv4(z, buf, sizeof buf);
    CHECK_EQ_S(buf, "0.0.0.0");
    nm_fmt_ipv4(c, buf, sizeof buf);
    CHECK_EQ_S(buf, "10.0.100.9");
    CHECK_EQ_U(nm_fmt_ipv4(b, buf, 15), 0);
    CHECK_EQ_S(buf, "");

    for (int i = 0; i < 10000; i++) {
        uint8_t r[4];
        char want[INET_ADDRSTRLEN];
        uint64_t v = rnd();
        memcpy(r, &v, 4);
        inet_ntop(AF_INET, r, want, sizeof want);
        nm_fmt_ipv4(r, buf, sizeof buf);
        if (strcmp(buf, want) != 0) {
            CHECK_EQ_S(buf, want);
            break;
        }
    }
}

static void check_v6(const char *text)
{
    uint8_t a[16];
    char buf[NM_FMT_IPV6_LEN];

    CHECK(inet_pton(AF_INET6, text, a) == 1);
    nm_fmt_ipv6(a, buf, sizeof buf);
    CHECK_EQ_S(buf, text);
}

static void test_ipv6(void)
{
    char buf[NM_FMT_IPV6_LEN], want[INET6_ADDRSTRLEN];

    /* RFC 5952 examples and corner cases, written out by hand */
    check_v6("::");
    check_v6("::1");
    check_v6("1::");
    check_v6("2001:db8::1");
    check_v6("2001:db8:0:1:1:1:1:1");        /* a single zero word is not "::" */
    check_v6("2001:db8::1:0:0:1");           /* first of two equal runs */
    check_v6("2001:0:0:1::1");               /* longest run wins */
    check_v6("fe80::e82a:44ff:fed5:c797");
    check_v6("::ffff:192.0.2.1");            /* IPv4-mapped */
    check_v6("::192.0.2.1");                 /* IPv4-compatible, as glibc writes it */
    check_v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    check_v6("ff02::1:ff00:1");

    /* short buffer */
    const uint8_t full[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                               0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    CHECK_EQ_U(nm_fmt_ipv6(full, buf, 39), 0);
    CHECK_EQ_S(buf, "");
    CHECK_EQ_U(nm_fmt_ipv6(full, buf, 40), 39);

    /* random addresses, with zero words sprinkled in, against glibc */
    for (int i = 0; i < 200000; i++) {
        uint8_t a[16];
        uint64_t r1 = rnd(), r2 = rnd(), mask = rnd();
        memcpy(a, &r1, 8);
        memcpy(a + 8, &r2, 8);
        for (int w = 0; w < 8; w++)
            if ((mask >> w) & (mask >> (w + 8)) & 1u)  /* ~1/4 of the words zero */
                a[2 * w] = a[2 * w + 1] = 0;
        if ((mask >> 20) % 8 == 0) {  /* sometimes a mapped / compatible prefix */
            memset(a, 0, 10);
            a[10] = a[11] = (mask >> 24) & 1 ? 0xff : 0;
        }
        inet_ntop(AF_INET6, a, want, sizeof want);
        nm_fmt_ipv6(a, buf, sizeof buf);
        if (strcmp(buf, want) != 0) {
            CHECK_EQ_S(buf, want);
            break;
        }
    }
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    nm_fmt_ts_reset_cache();
}

/* libc's text for second `sec` plus our fraction, as the oracle. */
static void libc_ts(int64_t sec, long usec, bool utc, char *out, size_t len)
{
    time_t t = (time_t)sec;
    struct tm tm;
    char d[32];
    if (utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, len, "%s.%06ld", d, usec);
}

static void test_ts(void)
{
    char buf[NM_FMT_TS_LEN], want[64];

    set_tz("UTC");
    CHECK_EQ_U(nm_fmt_ts(1731416310112349000, true, buf, sizeof buf), 26);
    CHECK_EQ_S(buf, "2024-11-12 12:58:30.112349");
    /* truncated, not rounded: 999 ns stay in the same microsecond */
    nm_fmt_ts(1731416310112349999, true, buf, sizeof buf);
    CHECK_EQ_S(buf, "2024-11-12 12:58:30.112349");
    nm_fmt_ts(0, true, buf, sizeof buf);
    CHECK_EQ_S(buf, "1970-01-01 00:00:00.000000");
    /* toward negative infinity */
    nm_fmt_ts(-1, true, buf, sizeof buf);
    CHECK_EQ_S(buf, "1969-12-31 23:59:59.999999");
    nm_fmt_ts(-1000, true, buf, sizeof buf);
    CHECK_EQ_S(buf, "1969-12-31 23:59:59.999999");
    nm_fmt_ts(-1001, true, buf, sizeof buf);
    CHECK_EQ_S(buf, "1969-12-31 23:59:59.999998");
    nm_fmt_ts(951782400000000000, true, buf, sizeof buf);   /* leap day 2000 */
    CHECK_EQ_S(buf, "2000-02-29 00:00:00.000000");
    nm_fmt_ts(INT64_MAX, true, buf, sizeof buf);
    CHECK_EQ_S(buf, "2262-04-11 23:47:16.854775");
    nm_fmt_ts(INT64_MIN, true, buf, sizeof buf);
    CHECK_EQ_S(buf, "1677-09-21 00:12:43.145224");
    /* local time with TZ=UTC equals UTC */
    nm_fmt_ts(1731416310112349000, false, buf, sizeof buf);
    CHECK_EQ_S(buf, "2024-11-12 12:58:30.112349");
    CHECK_EQ_U(nm_fmt_ts(0, true, buf, 26), 0);
    CHECK_EQ_S(buf, "");

    set_tz("America/New_York");
    nm_fmt_ts(1731416310112349000, false, buf, sizeof buf);
    CHECK_EQ_S(buf, "2024-11-12 07:58:30.112349");
    nm_fmt_ts(1731416310112349000, true, buf, sizeof buf);
    CHECK_EQ_S(buf, "2024-11-12 12:58:30.112349");

    /* Daylight saving starts: 01:59:59 CET is followed by 03:00:00 CEST.
     * The per-second cache must not carry one second's offset over. */
    set_tz("Europe/Berlin");
    nm_fmt_ts(1711846799999999999, false, buf, sizeof buf);
    CHECK_EQ_S(buf, "2024-03-31 01:59:59.999999");
    nm_fmt_ts(1711846800000000000, false, buf, sizeof buf);
    CHECK_EQ_S(buf, "2024-03-31 03:00:00.000000");
    nm_fmt_ts(1711846799000000000, false, buf, sizeof buf);
    CHECK_EQ_S(buf, "2024-03-31 01:59:59.000000");

    /* random instants over the whole int64 range (UTC) and 1900..2100
     * (local, in zones with odd offsets) against libc */
    static const char *const zones[] = { "UTC", "Asia/Kolkata", "America/St_Johns",
                                         "Australia/Lord_Howe", "Europe/Berlin" };
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        set_tz(zones[z]);
        for (int i = 0; i < 20000; i++) {
            int64_t ns = (int64_t)rnd();
            bool utc = i % 2 == 0;
            if (!utc)
                ns = (int64_t)(rnd() % 6311390400u) - 2208988800; /* 1900..2100, seconds */
            if (!utc)
                ns = ns * 1000000000 + (int64_t)(rnd() % 1000000000u);
            int64_t sec = ns / 1000000000, frac = ns % 1000000000;
            if (frac < 0) {
                frac += 1000000000;
                sec--;
            }
            libc_ts(sec, (long)(frac / 1000), utc, want, sizeof want);
            nm_fmt_ts(ns, utc, buf, sizeof buf);
            if (strcmp(buf, want) != 0) {
                fprintf(stderr, "TZ=%s ns=%lld utc=%d\n", zones[z], (long long)ns, utc);
                CHECK_EQ_S(buf, want);
                break;
            }
        }
    }
    set_tz("UTC");
}

static void test_tcp_flags(void)
{
    char buf[NM_FMT_TCP_FLAGS_LEN];

    nm_fmt_tcp_flags(0x02, buf, sizeof buf);
    CHECK_EQ_S(buf, "S");
    nm_fmt_tcp_flags(0x12, buf, sizeof buf);
    CHECK_EQ_S(buf, "SA");
    nm_fmt_tcp_flags(0x18, buf, sizeof buf);
    CHECK_EQ_S(buf, "PA");
    nm_fmt_tcp_flags(0x11, buf, sizeof buf);
    CHECK_EQ_S(buf, "FA");
    nm_fmt_tcp_flags(0x04, buf, sizeof buf);
    CHECK_EQ_S(buf, "R");
    nm_fmt_tcp_flags(0x14, buf, sizeof buf);
    CHECK_EQ_S(buf, "RA");
    nm_fmt_tcp_flags(0xc2, buf, sizeof buf);
    CHECK_EQ_S(buf, "SEC");
    CHECK_EQ_U(nm_fmt_tcp_flags(0, buf, sizeof buf), 1);
    CHECK_EQ_S(buf, "-");
    CHECK_EQ_U(nm_fmt_tcp_flags(0x1ff, buf, sizeof buf), 9);
    CHECK_EQ_S(buf, "FSRPAUECN");
    nm_fmt_tcp_flags(0xfe00, buf, sizeof buf);  /* bits above NS are ignored */
    CHECK_EQ_S(buf, "-");
}

static void test_dns_name(void)
{
    char buf[NM_FMT_DNS_NAME_LEN], small[8], name[400];

    CHECK_EQ_U(nm_fmt_dns_name("example.com", buf, sizeof buf), 11);
    CHECK_EQ_S(buf, "example.com");
    nm_fmt_dns_name("", buf, sizeof buf);
    CHECK_EQ_S(buf, "");
    nm_fmt_dns_name("a b", buf, sizeof buf);
    CHECK_EQ_S(buf, "a\\032b");
    nm_fmt_dns_name("x\ny\x7f\xff", buf, sizeof buf);
    CHECK_EQ_S(buf, "x\\010y\\127\\255");
    /* already escaped presentation text is unchanged */
    nm_fmt_dns_name("a\\.b\\032c", buf, sizeof buf);
    CHECK_EQ_S(buf, "a\\.b\\032c");
    /* cut before the first escape that does not fit */
    CHECK_EQ_U(nm_fmt_dns_name("abcd efg", small, sizeof small), 4);
    CHECK_EQ_S(small, "abcd");
    CHECK_EQ_U(nm_fmt_dns_name("abcdefghij", small, sizeof small), 7);
    CHECK_EQ_S(small, "abcdefg");
    /* at most 255 input bytes, all escaped: 1020 characters */
    memset(name, ' ', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    CHECK_EQ_U(nm_fmt_dns_name(name, buf, sizeof buf), 1020);
    CHECK_EQ_U(strlen(buf), 1020);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_mac();
    test_ipv4();
    test_ipv6();
    test_ts();
    test_tcp_flags();
    test_dns_name();
    return check_report(argv[0]);
}
