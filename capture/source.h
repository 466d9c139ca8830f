/*
 * source.h - where packets come from: a capture file (pcap or pcapng, or
 * standard input) or a live interface.  The only file that includes <pcap.h>.
 */
#ifndef NM_SOURCE_H
#define NM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nm_source;

struct nm_source_config {
    const char *file;        /* capture file, "-" for stdin; NULL for live */
    const char *interface;   /* live interface; NULL for file */
    const char *filter;      /* BPF expression or NULL */
    uint32_t snaplen;        /* 0: default (262144) */
    bool promisc;            /* live only */
    bool immediate;          /* live only */
    uint32_t buffer_kib;     /* live only: kernel buffer, 0 = libpcap default */
    int timeout_ms;          /* live only: read timeout (returns to the caller) */
};

/* Why nm_source_next() returned no packet. */
enum nm_source_status {
    NM_SRC_PACKET = 1,       /* *pkt valid */
    NM_SRC_TIMEOUT = 0,      /* live: nothing within the read timeout */
    NM_SRC_EOF = -1,         /* end of file */
    NM_SRC_TRUNCATED = -2,   /* file cut short (message in errbuf) */
    NM_SRC_ERROR = -3,       /* other read error (message in errbuf) */
    NM_SRC_BREAK = -4,       /* nm_source_break() was called */
};

struct nm_source_packet {
    int64_t ts_ns;           /* nanoseconds since the epoch */
    uint32_t cap_len, wire_len;
    const uint8_t *data;     /* valid until the next call */
};

/* Why nm_source_open() failed. */
enum nm_source_open_error {
    NM_SRC_OPEN_FAILED = 0,  /* cannot open or read the file or interface */
    NM_SRC_OPEN_TRUNCATED,   /* file cut short inside its global header */
    NM_SRC_OPEN_BAD_FILTER,  /* the filter expression does not compile: a usage error */
};

/* Opens the source.  On failure returns NULL with a one-line message naming
 * the file or interface and the cause in errbuf, and the kind in *why. */
struct nm_source *nm_source_open(const struct nm_source_config *cfg, char *errbuf, size_t errlen,
                                 enum nm_source_open_error *why)
    __attribute__((warn_unused_result));
void nm_source_close(struct nm_source *src);

enum nm_source_status nm_source_next(struct nm_source *src, struct nm_source_packet *pkt,
                                     char *errbuf, size_t errlen);
/* Async-signal-safe: makes a blocked nm_source_next() return NM_SRC_BREAK. */
void nm_source_break(struct nm_source *src);

int nm_source_linktype(const struct nm_source *src);
const char *nm_source_linktype_name(const struct nm_source *src);
int nm_source_ts_precision(const struct nm_source *src);  /* 6 or 9 */
uint32_t nm_source_snaplen(const struct nm_source *src);
bool nm_source_is_live(const struct nm_source *src);
const char *nm_source_name(const struct nm_source *src);
/* Packets so far whose time was outside the range kept, +-(2^62 - 1) ns from
 * the epoch (1823-11-12 to 2116-02-20; a pcapng file can state any 64-bit
 * time): each was given the nearest limit. */
uint64_t nm_source_ts_clamped(const struct nm_source *src);

/* Live only: kernel drops (pcap_stats ps_drop: the socket's ring buffer
 * was full) and interface drops (ps_ifdrop: the interface's own rx_dropped
 * since the capture opened) so far, as 64-bit totals that survive the
 * 32-bit counters' wrap if called at least once per 2^32 drops.  0 for
 * files.  Not async-signal-safe; from the capture thread only. */
void nm_source_drops(struct nm_source *src, uint64_t *kernel, uint64_t *ifdrop);

/* Prints the interfaces (like tcpdump -D) to stdout; returns 0 or -1 with errbuf. */
int nm_source_list_interfaces(char *errbuf, size_t errlen);
/* First interface that is up, running and not loopback; NULL if none. */
int nm_source_default_interface(char *name, size_t len, char *errbuf, size_t errlen);

#endif /* NM_SOURCE_H */
