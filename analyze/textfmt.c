/*
 * textfmt.c - see textfmt.h.
 *
 * Why not snprintf/inet_ntop: the event log formats several addresses and
 * a timestamp for every packet (millions per second in the target), and
 * printf-style parsing of a format string per field costs more than the
 * digits themselves.  Each formatter writes into a local scratch buffer of
 * known maximal size and copies it out only if it fits, so a short caller
 * buffer can never receive a partial address.
 */
#include "textfmt.h"

#include <string.h>
#include <time.h>

#define NS_PER_SEC  1000000000
#define NS_PER_USEC 1000
#define SEC_PER_DAY 86400

static const char hex_digits[] = "0123456789abcdef";

/* Copies scratch[0..n) plus a NUL if it fits; otherwise writes "". */
static size_t emit(const char *scratch, size_t n, char *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (n + 1 > len) {
        buf[0] = '\0';
        return 0;
    }
    memcpy(buf, scratch, n);
    buf[n] = '\0';
    return n;
}

/* Exactly `width` decimal digits of v (leading zeros), v < 10^width. */
static void put_fixed(char *out, uint32_t v, size_t width)
{
    for (size_t i = width; i > 0; i--) {
        out[i - 1] = (char)('0' + v % 10u);
        v /= 10u;
    }
}

size_t nm_fmt_mac(const uint8_t mac[6], char *buf, size_t len)
{
    char s[NM_FMT_MAC_LEN];

    /* "xx:" six times; the last colon is not copied out. */
    for (size_t i = 0; i < 6; i++) {
        s[3 * i] = hex_digits[mac[i] >> 4];
        s[3 * i + 1] = hex_digits[mac[i] & 0xfu];
        s[3 * i + 2] = ':';
    }
    return emit(s, NM_FMT_MAC_LEN - 1, buf, len);
}

/* Decimal digits of one byte (1 to 3) at out; returns how many: four per
 * IPv4 address, two addresses per packet of the event log and its row. */
static size_t put_u8(char *out, unsigned v)
{
    if (v >= 100) {
        out[0] = (char)('0' + v / 100);
        out[1] = (char)('0' + v / 10 % 10);
        out[2] = (char)('0' + v % 10);
        return 3;
    }
    if (v >= 10) {
        out[0] = (char)('0' + v / 10);
        out[1] = (char)('0' + v % 10);
        return 2;
    }
    out[0] = (char)('0' + v);
    return 1;
}

/* Dotted quad into s (room for 15 characters); returns the length. */
static size_t put_ipv4(char *s, const uint8_t a[4])
{
    size_t n = put_u8(s, a[0]);

    for (size_t i = 1; i < 4; i++) {
        s[n++] = '.';
        n += put_u8(s + n, a[i]);
    }
    return n;
}

size_t nm_fmt_ipv4(const uint8_t a[4], char *buf, size_t len)
{
    char s[NM_FMT_IPV4_LEN];
    return emit(s, put_ipv4(s, a), buf, len);
}

/*
 * The algorithm of inet_ntop6() in glibc (from BIND): the longest run of two
 * or more zero words (the first one on a tie) becomes "::"; hex words
 * without leading zeros; "::ffff:a.b.c.d" for IPv4-mapped and "::a.b.c.d"
 * for IPv4-compatible addresses.  Keeping its exact output means the text
 * matches what other tools built on libc print.
 */
size_t nm_fmt_ipv6(const uint8_t a[16], char *buf, size_t len)
{
    char s[NM_FMT_IPV6_LEN];
    uint16_t w[8];
    int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
    size_t n = 0;

    for (int i = 0; i < 8; i++)
        w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
    for (int i = 0; i < 8; i++) {
        if (w[i] == 0) {
            if (cur_base < 0) {
                cur_base = i;
                cur_len = 1;
            } else {
                cur_len++;
            }
        } else if (cur_base >= 0) {
            if (best_base < 0 || cur_len > best_len) {
                best_base = cur_base;
                best_len = cur_len;
            }
            cur_base = -1;
        }
    }
    if (cur_base >= 0 && (best_base < 0 || cur_len > best_len)) {
        best_base = cur_base;
        best_len = cur_len;
    }
    if (best_base >= 0 && best_len < 2)
        best_base = -1;

    for (int i = 0; i < 8; i++) {
        if (best_base >= 0 && i >= best_base && i < best_base + best_len) {
            if (i == best_base)
                s[n++] = ':';
            continue;
        }
        if (i != 0)
            s[n++] = ':';
        if (i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
            n += put_ipv4(s + n, a + 12);
            break;
        }
        /* hex without leading zeros: at most 4 digits */
        unsigned word = w[i], digits = 4;
        while (digits > 1 && (word >> (4 * (digits - 1))) == 0)
            digits--;
        for (; digits > 0; digits--)
            s[n++] = hex_digits[(word >> (4 * (digits - 1))) & 0xfu];
    }
    if (best_base >= 0 && best_base + best_len == 8)
        s[n++] = ':';
    return emit(s, n, buf, len);
}

/*
 * Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * civil_from_days); exact for every int64 second count we can meet.
 */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                   /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                 /* [0, 11] */
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DD HH:MM:SS" (19 characters) into s. */
static void put_datetime(char *s, int64_t year, unsigned mon, unsigned day, unsigned hour,
                         unsigned min, unsigned sec)
{
    /* int64 nanoseconds only reach years 1677..2262: four digits suffice */
    put_fixed(s, (uint32_t)(year < 0 ? 0 : year > 9999 ? 9999 : year), 4);
    s[4] = '-';
    put_fixed(s + 5, mon, 2);
    s[7] = '-';
    put_fixed(s + 8, day, 2);
    s[10] = ' ';
    put_fixed(s + 11, hour, 2);
    s[13] = ':';
    put_fixed(s + 14, min, 2);
    s[16] = ':';
    put_fixed(s + 17, sec, 2);
}

static void utc_datetime(int64_t sec, char s[19])
{
    int64_t days = sec / SEC_PER_DAY, rem = sec % SEC_PER_DAY;
    if (rem < 0) {
        rem += SEC_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    put_datetime(s, y, m, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
                 (unsigned)(rem % 60));
}

/*
 * Local time changes its offset only at zone transitions, which fall on
 * whole seconds, so the text of one second can be reused for every packet
 * within it.  Per thread, so the writer thread and a report never race.
 */
static _Thread_local struct {
    bool valid;
    int64_t sec;
    char text[19];
} local_cache;

static void local_datetime(int64_t sec, char s[19])
{
    if (local_cache.valid && local_cache.sec == sec) {
        memcpy(s, local_cache.text, sizeof local_cache.text);
        return;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL) {
        utc_datetime(sec, s);  /* cannot happen for the int64 ns range; stay defined */
        return;
    }
    put_datetime(s, (int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday,
                 (unsigned)tm.tm_hour, (unsigned)tm.tm_min, (unsigned)tm.tm_sec);
    local_cache.valid = true;
    local_cache.sec = sec;
    memcpy(local_cache.text, s, sizeof local_cache.text);
}

void nm_fmt_ts_reset_cache(void)
{
    local_cache.valid = false;
    tzset();
}

size_t nm_fmt_ts(int64_t ts_ns, bool utc, char *buf, size_t len)
{
    char s[NM_FMT_TS_LEN];
    int64_t sec = ts_ns / NS_PER_SEC, frac = ts_ns % NS_PER_SEC;

    if (frac < 0) {  /* floor, not truncation toward zero */
        frac += NS_PER_SEC;
        sec--;
    }
    if (utc)
        utc_datetime(sec, s);
    else
        local_datetime(sec, s);
    s[19] = '.';
    put_fixed(s + 20, (uint32_t)(frac / NS_PER_USEC), 6);
    return emit(s, 26, buf, len);
}

size_t nm_fmt_tcp_flags(uint16_t flags, char *buf, size_t len)
{
    static const char letters[] = "FSRPAUECN";  /* bit 0 (FIN) .. bit 8 (NS) */
    char s[NM_FMT_TCP_FLAGS_LEN];
    size_t n = 0;

    for (unsigned bit = 0; bit < 9; bit++)
        if (flags & (1u << bit))
            s[n++] = letters[bit];
    if (n == 0)
        s[n++] = '-';
    return emit(s, n, buf, len);
}

size_t nm_fmt_dns_name(const char *name, char *buf, size_t len)
{
    size_t n = 0;

    if (len == 0)
        return 0;
    for (size_t i = 0; i < 255 && name[i] != '\0'; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c > 0x20 && c < 0x7f) {
            if (n + 2 > len)
                break;
            buf[n++] = (char)c;
        } else {
            if (n + 5 > len)
                break;
            buf[n++] = '\\';
            put_fixed(buf + n, c, 3);
            n += 3;
        }
    }
    buf[n] = '\0';
    return n;
}
