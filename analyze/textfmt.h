/*
 * textfmt.h - fast, allocation-free text formatters for addresses, times and
 * DNS names.  Used by the event log (eventline.c), the database writer
 * (schema/db.c stores the same text) and the reports.
 *
 * Every function writes into the caller's buffer, always NUL-terminates it
 * when len > 0, and returns the number of characters written (NUL
 * excluded).  A buffer shorter than the documented NM_FMT_*_LEN gets an
 * empty string and 0, never a partial address: a silently shortened address
 * would look like a different, valid one.
 */
#ifndef NM_TEXTFMT_H
#define NM_TEXTFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NM_FMT_MAC_LEN   18   /* "e8:2a:44:d5:c7:97" + NUL */
#define NM_FMT_IPV4_LEN  16   /* "255.255.255.255" + NUL */
#define NM_FMT_IPV6_LEN  46   /* INET6_ADDRSTRLEN: "ffff:...:255.255.255.255" + NUL */
/* "2024-11-12 12:58:30.112349" + NUL.  int64 nanoseconds span the years
 * 1677..2262, so the year always has four digits. */
#define NM_FMT_TS_LEN    27
/* Every byte of a 255-byte name may become a 4-byte "\DDD" escape. */
#define NM_FMT_DNS_NAME_LEN (255 * 4 + 1)
#define NM_FMT_TCP_FLAGS_LEN 10  /* "FSRPAUECN" + NUL */

/* Lower-case hex MAC address, colon separated. */
size_t nm_fmt_mac(const uint8_t mac[6], char *buf, size_t len);

/* Dotted quad of a[0..3]. */
size_t nm_fmt_ipv4(const uint8_t a[4], char *buf, size_t len);

/* RFC 5952 text of a[0..15] (lower case, longest zero run as "::"),
 * exactly as glibc's inet_ntop(AF_INET6) writes it. */
size_t nm_fmt_ipv6(const uint8_t a[16], char *buf, size_t len);

/*
 * "YYYY-MM-DD HH:MM:SS.uuuuuu" for ts_ns nanoseconds since the epoch, in UTC
 * or in the local time zone (TZ).  The microseconds always have six digits
 * and are truncated toward negative infinity, so -1 ns is
 * "1969-12-31 23:59:59.999999" (UTC).
 * Local time: the broken-down time of the last second formatted is cached
 * per thread, so a capture calls localtime_r() about once per second of
 * traffic.  After changing TZ in a running process, call
 * nm_fmt_ts_reset_cache().
 */
size_t nm_fmt_ts(int64_t ts_ns, bool utc, char *buf, size_t len);

/* Forget this thread's cached local time and re-read TZ (tzset()). */
void nm_fmt_ts_reset_cache(void);

/*
 * TCP flag letters in scapy's order F S R P A U E C N (FIN SYN RST PSH ACK
 * URG ECE CWR NS), e.g. "S", "SA", "PA", "FA"; "-" when no flag is set, so
 * the field is never empty.  Only the low 9 bits are looked at.
 */
size_t nm_fmt_tcp_flags(uint16_t flags, char *buf, size_t len);

/*
 * DNS name as one whitespace-free field: bytes outside '!'..'~' (space,
 * control characters, bytes >= 0x7f) become "\DDD" (three decimal digits, as
 * in RFC 1035 master files); everything else is copied, so text that is
 * already in presentation form is unchanged.  Reads at most 255 bytes of
 * `name` (NM_DNS_NAME_MAX).  An empty name gives "".  If the result does not
 * fit, it is cut before the first character (or escape) that does not fit.
 */
size_t nm_fmt_dns_name(const char *name, char *buf, size_t len);

#endif /* NM_TEXTFMT_H */
