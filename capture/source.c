/*
 * source.c - packets from libpcap: capture files (pcap, pcapng, stdin) and
 * live interfaces.  Timestamps are always asked for in nanoseconds, so a
 * nanosecond file keeps its precision and a microsecond one loses nothing.
 */
#include "source.h"
#include "pcapfile.h"
#include "decode/decode.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NM_DEFAULT_SNAPLEN 262144u  /* tcpdump's default since 4.99 */

struct nm_source {
    pcap_t *pcap;            /* with `fast`: a dead handle, for the filter and names */
    struct nm_pcapfile *fast;   /* a classic pcap file read by pcapfile.c */
    struct bpf_program prog; /* with `fast`: the filter, if have_prog */
    bool have_prog;
    /* Set by nm_source_break() (a signal handler).  pcap_breakloop() alone
     * does not stop pcap_next_ex() on a file: a read from a pipe that the
     * signal interrupts fails with EINTR instead, which is a stop, not a
     * read error. */
    volatile sig_atomic_t broken;
    bool live;
    int fd;                  /* live: the selectable descriptor, polled with timeout_ms */
    int timeout_ms;
    /* pcap_stats() counters are 32-bit (u_int) and wrap on a long, busy
     * capture: the last raw values and 64-bit totals built from deltas. */
    uint32_t raw_drop, raw_ifdrop;
    uint64_t total_drop, total_ifdrop;
    int ts_precision;
    uint64_t ts_clamped;     /* packets whose time did not fit (packet_time_ns()) */
    char name[256];
    char *read_buf;          /* stdio buffer of a capture file, or NULL */
};

#define NM_READ_BUFFER (1u << 20)

/* libpcap reports a file cut short with messages that start "truncated"
 * ("truncated dump file; tried to read 16 header bytes, only got 7",
 * "truncated pcapng dump file; ..."); nothing else tells the cases apart. */
static bool is_truncation_message(const char *msg)
{
    return strstr(msg, "truncated") != NULL;
}

/* Native timestamp precision of a capture file, from its magic number:
 * nanosecond pcap (a1b23c4d) and pcapng (whose interfaces may use any
 * resolution, often 9 digits) count as 9, classic pcap as 6. */
static int file_ts_precision(const char *path)
{
    struct stat sb;
    /* Only a regular file can be opened a second time without stealing
     * bytes from libpcap: a FIFO or /dev/stdin would lose its first 4. */
    if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 6;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 6;
    unsigned char m[4];
    size_t got = fread(m, 1, sizeof m, fp);
    fclose(fp);
    if (got != sizeof m)
        return 6;
    uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    if (be == 0xa1b23c4du || be == 0x4d3cb2a1u || be == 0x0a0d0d0au)
        return 9;
    return 6;
}

static int apply_filter(struct nm_source *src, const char *filter, char *errbuf, size_t errlen)
{
    struct bpf_program prog;
    bpf_u_int32 netmask = PCAP_NETMASK_UNKNOWN;

    if (!filter || !*filter)
        return 0;
    if (pcap_compile(src->pcap, &prog, filter, 1, netmask) != 0) {
        snprintf(errbuf, errlen, "bad filter expression '%s': %s", filter,
                 pcap_geterr(src->pcap));
        return -1;
    }
    if (src->fast) {
        src->prog = prog;    /* nm_source_next() runs it */
        src->have_prog = true;
        return 0;
    }
    int rc = pcap_setfilter(src->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(errbuf, errlen, "%s: cannot set filter: %s", src->name, pcap_geterr(src->pcap));
        return -1;
    }
    return 0;
}

static struct nm_source *open_file(const struct nm_source_config *cfg, char *errbuf,
                                   size_t errlen, bool *truncated)
{
    char pe[PCAP_ERRBUF_SIZE] = "";
    struct nm_source *src = calloc(1, sizeof *src);
    if (!src) {
        snprintf(errbuf, errlen, "%s: out of memory", cfg->file);
        return NULL;
    }
    bool from_stdin = strcmp(cfg->file, "-") == 0;
    snprintf(src->name, sizeof src->name, "%s", from_stdin ? "(stdin)" : cfg->file);
    if (!from_stdin) {
        struct nm_pcapfile_info info;
        bool mine;
        char why[256];
        src->fast = nm_pcapfile_open(cfg->file, &info, &mine, why, sizeof why);
        if (src->fast) {
            src->pcap = pcap_open_dead_with_tstamp_precision(info.linktype, (int)info.snaplen,
                                                             PCAP_TSTAMP_PRECISION_NANO);
            if (!src->pcap) {
                nm_pcapfile_close(src->fast);
                snprintf(errbuf, errlen, "%s: out of memory", src->name);
                free(src);
                return NULL;
            }
            src->ts_precision = info.ts_precision;
            return src;
        }
        if (mine) {
            snprintf(errbuf, errlen, "%s: %s", src->name, why);
            free(src);
            return NULL;
        }
    }
    /* Our own FILE with a 1 MiB buffer: libpcap's stdio default reads 4 KiB
     * at a time, and those syscalls cost a quarter of the read loop. */
    FILE *fp = from_stdin ? stdin : fopen(cfg->file, "rb");
    if (!fp) {
        snprintf(errbuf, errlen, "%s: %s", src->name, strerror(errno));
        free(src);
        return NULL;
    }
    /* Not for stdin: it outlives pcap_close(), and so would its buffer. */
    src->read_buf = from_stdin ? NULL : malloc(NM_READ_BUFFER);
    if (src->read_buf)
        setvbuf(fp, src->read_buf, _IOFBF, NM_READ_BUFFER);
    src->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pe);
    if (!src->pcap) {
        if (!from_stdin)
            fclose(fp);
        free(src->read_buf);
        struct stat sb;
        *truncated = is_truncation_message(pe);
        /* libpcap already names the file when it cannot open it; other
         * messages (bad magic, truncation) do not.  Two of its messages
         * puzzle users, so they get plainer words: an empty file is not a
         * capture cut short (nothing was ever written to it), and "unknown
         * file format" does not say which formats are known. */
        if (!from_stdin && stat(cfg->file, &sb) == 0 && S_ISREG(sb.st_mode) &&
            sb.st_size == 0) {
            *truncated = false;
            snprintf(errbuf, errlen, "%s: empty file (0 bytes), not a capture file", src->name);
        } else if (strstr(pe, "unknown file format")) {
            snprintf(errbuf, errlen, "%s: not a pcap or pcapng capture file (unknown file format)",
                     src->name);
        } else if (strstr(pe, cfg->file)) {
            snprintf(errbuf, errlen, "%s", pe);
        } else {
            snprintf(errbuf, errlen, "%s: %s", src->name, pe);
        }
        free(src);
        return NULL;
    }
    src->ts_precision = file_ts_precision(cfg->file);
    return src;
}

static struct nm_source *open_live(const struct nm_source_config *cfg, char *errbuf,
                                   size_t errlen)
{
    char pe[PCAP_ERRBUF_SIZE] = "";
    struct nm_source *src = calloc(1, sizeof *src);
    if (!src) {
        snprintf(errbuf, errlen, "%s: out of memory", cfg->interface);
        return NULL;
    }
    snprintf(src->name, sizeof src->name, "%s", cfg->interface);
    src->live = true;
    src->pcap = pcap_create(cfg->interface, pe);
    if (!src->pcap) {
        snprintf(errbuf, errlen, "%s: %s", cfg->interface, pe);
        free(src);
        return NULL;
    }
    pcap_set_snaplen(src->pcap, (int)(cfg->snaplen ? cfg->snaplen : NM_DEFAULT_SNAPLEN));
    pcap_set_promisc(src->pcap, cfg->promisc ? 1 : 0);
    pcap_set_timeout(src->pcap, cfg->timeout_ms > 0 ? cfg->timeout_ms : 100);
    if (cfg->immediate)
        pcap_set_immediate_mode(src->pcap, 1);
    if (cfg->buffer_kib)
        pcap_set_buffer_size(src->pcap, (int)(cfg->buffer_kib * 1024u));
    src->ts_precision = 6;
    if (pcap_set_tstamp_precision(src->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0)
        src->ts_precision = 9;

    int rc = pcap_activate(src->pcap);
    if (rc < 0) {
        const char *why = pcap_geterr(src->pcap);
        if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED) {
            /* Name the program's real path so the hint can be pasted. */
            char exe[1024];
            ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
            exe[n > 0 ? n : 0] = '\0';
            snprintf(errbuf, errlen,
                     "%s: no permission to capture (%s): capturing needs root or the "
                     "CAP_NET_RAW and CAP_NET_ADMIN capabilities; grant them with: "
                     "setcap cap_net_raw,cap_net_admin=eip %s",
                     cfg->interface, why, n > 0 ? exe : "nm-capture");
        } else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            snprintf(errbuf, errlen, "%s: no such interface (nm-capture -D lists them)",
                     cfg->interface);
        else
            snprintf(errbuf, errlen, "%s: cannot start capture: %s", cfg->interface,
                     *why ? why : pcap_statustostr(rc));
        pcap_close(src->pcap);
        free(src);
        return NULL;
    }
    /* libpcap's own read timeout does not fire on an idle Linux interface
     * (TPACKET_V3 retires no empty block, so its poll() waits forever): the
     * capture loop would never see --duration or flush the database.  So
     * reads are non-blocking and we poll with our own timeout. */
    src->fd = pcap_get_selectable_fd(src->pcap);
    src->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 100;
    if (src->fd < 0 || pcap_setnonblock(src->pcap, 1, pe) != 0) {
        snprintf(errbuf, errlen, "%s: cannot start capture: %s", cfg->interface,
                 src->fd < 0 ? "no selectable descriptor" : pe);
        pcap_close(src->pcap);
        free(src);
        return NULL;
    }
    return src;
}

struct nm_source *nm_source_open(const struct nm_source_config *cfg, char *errbuf, size_t errlen,
                                 enum nm_source_open_error *why)
{
    bool truncated = false;
    *why = NM_SRC_OPEN_FAILED;
    struct nm_source *src = cfg->file ? open_file(cfg, errbuf, errlen, &truncated)
                                      : open_live(cfg, errbuf, errlen);
    if (!src) {
        if (truncated)
            *why = NM_SRC_OPEN_TRUNCATED;
        return NULL;
    }
    if (apply_filter(src, cfg->filter, errbuf, errlen) != 0) {
        *why = NM_SRC_OPEN_BAD_FILTER;
        nm_source_close(src);
        return NULL;
    }
    return src;
}

void nm_source_close(struct nm_source *src)
{
    if (!src)
        return;
    if (src->have_prog)
        pcap_freecode(&src->prog);
    nm_pcapfile_close(src->fast);
    if (src->pcap)
        pcap_close(src->pcap);   /* closes the FILE before its buffer goes */
    free(src->read_buf);
    free(src);
}

/* A libpcap timestamp in nanoseconds, within +-NM_TS_LIMIT_NS (decode.h).
 * A pcapng file can state times far outside that range (64-bit counts of
 * its time unit, which can be a second), and a classic file read by
 * libpcap any microsecond field: such a time becomes the nearest limit,
 * counted (nm_source_ts_clamped()).  pcapfile.c's times, 32-bit seconds,
 * are always inside. */
static int64_t packet_time_ns(struct nm_source *src, const struct timeval *tv)
{
    int64_t ns;

    if (__builtin_mul_overflow((int64_t)tv->tv_sec, (int64_t)1000000000, &ns) ||
        __builtin_add_overflow(ns, (int64_t)tv->tv_usec, &ns) || ns > NM_TS_LIMIT_NS ||
        ns < -NM_TS_LIMIT_NS) {
        src->ts_clamped++;
        return tv->tv_sec < 0 ? -NM_TS_LIMIT_NS : NM_TS_LIMIT_NS;
    }
    return ns;
}

uint64_t nm_source_ts_clamped(const struct nm_source *src)
{
    return src->ts_clamped;
}

/* nm_source_next() on a file pcapfile.c reads: the filter runs here, as
 * libpcap runs it in pcap_next_ex() (on the captured bytes). */
static enum nm_source_status next_fast(struct nm_source *src, struct nm_source_packet *pkt,
                                       char *errbuf, size_t errlen)
{
    char why[256];
    for (;;) {
        if (src->broken)
            return NM_SRC_BREAK;
        switch (nm_pcapfile_next(src->fast, &pkt->ts_ns, &pkt->cap_len, &pkt->wire_len,
                                 &pkt->data, why, sizeof why)) {
        case NM_PCAPFILE_PACKET:
            if (src->have_prog) {
                struct pcap_pkthdr h = { .caplen = pkt->cap_len, .len = pkt->wire_len };
                if (pcap_offline_filter(&src->prog, &h, pkt->data) == 0)
                    continue;
            }
            return NM_SRC_PACKET;
        case NM_PCAPFILE_EOF:
            return NM_SRC_EOF;
        case NM_PCAPFILE_TRUNCATED:
            snprintf(errbuf, errlen, "%s: %s", src->name, why);
            return NM_SRC_TRUNCATED;
        case NM_PCAPFILE_ERROR:
        default:
            snprintf(errbuf, errlen, "%s: %s", src->name, why);
            return NM_SRC_ERROR;
        }
    }
}

enum nm_source_status nm_source_next(struct nm_source *src, struct nm_source_packet *pkt,
                                     char *errbuf, size_t errlen)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;

    if (src->fast)
        return next_fast(src, pkt, errbuf, errlen);
    int rc = pcap_next_ex(src->pcap, &hdr, &data);
    if (rc == 0 && src->live) {
        /* Nothing buffered: wait for the descriptor, at most timeout_ms.  A
         * signal interrupts poll() (the handlers are installed without
         * SA_RESTART). */
        struct pollfd pfd = { .fd = src->fd, .events = POLLIN };
        int n = poll(&pfd, 1, src->timeout_ms);
        if (src->broken)
            return NM_SRC_BREAK;
        if (n <= 0)
            return NM_SRC_TIMEOUT;
        rc = pcap_next_ex(src->pcap, &hdr, &data);
    }
    switch (rc) {
    case 1:
        pkt->ts_ns = packet_time_ns(src, &hdr->ts);
        pkt->cap_len = hdr->caplen;
        pkt->wire_len = hdr->len;
        pkt->data = data;
        return NM_SRC_PACKET;
    case 0:
        return NM_SRC_TIMEOUT;
    case PCAP_ERROR_BREAK:
        return src->live || src->broken ? NM_SRC_BREAK : NM_SRC_EOF;
    default: {
        if (src->broken)
            return NM_SRC_BREAK;
        const char *why = pcap_geterr(src->pcap);
        snprintf(errbuf, errlen, "%s: %s", src->name, why);
        return is_truncation_message(why) ? NM_SRC_TRUNCATED : NM_SRC_ERROR;
    }
    }
}

void nm_source_break(struct nm_source *src)
{
    if (src && src->pcap) {
        src->broken = 1;
        pcap_breakloop(src->pcap);
    }
}

int nm_source_linktype(const struct nm_source *src)
{
    return pcap_datalink(src->pcap);
}

const char *nm_source_linktype_name(const struct nm_source *src)
{
    const char *n = pcap_datalink_val_to_name(pcap_datalink(src->pcap));
    return n ? n : "unknown";
}

int nm_source_ts_precision(const struct nm_source *src)
{
    return src->ts_precision;
}

uint32_t nm_source_snaplen(const struct nm_source *src)
{
    int s = pcap_snapshot(src->pcap);
    return s > 0 ? (uint32_t)s : 0;
}

bool nm_source_is_live(const struct nm_source *src)
{
    return src->live;
}

const char *nm_source_name(const struct nm_source *src)
{
    return src->name;
}

void nm_source_drops(struct nm_source *src, uint64_t *kernel, uint64_t *ifdrop)
{
    struct pcap_stat st;
    if (src->live && pcap_stats(src->pcap, &st) == 0) {
        /* Unsigned 32-bit differences stay right across one wrap between
         * two calls (callers poll once a second). */
        src->total_drop += (uint32_t)(st.ps_drop - src->raw_drop);
        src->total_ifdrop += (uint32_t)(st.ps_ifdrop - src->raw_ifdrop);
        src->raw_drop = st.ps_drop;
        src->raw_ifdrop = st.ps_ifdrop;
    }
    *kernel = src->total_drop;
    *ifdrop = src->total_ifdrop;
}

int nm_source_list_interfaces(char *errbuf, size_t errlen)
{
    pcap_if_t *all = NULL;
    char pe[PCAP_ERRBUF_SIZE] = "";
    if (pcap_findalldevs(&all, pe) != 0) {
        snprintf(errbuf, errlen, "cannot list interfaces: %s", pe);
        return -1;
    }
    int i = 1;
    for (pcap_if_t *d = all; d; d = d->next, i++) {
        printf("%d.%s", i, d->name);
        if (d->description)
            printf(" (%s)", d->description);
        printf(" [%s%s%s]\n", (d->flags & PCAP_IF_UP) ? "Up" : "Down",
               (d->flags & PCAP_IF_RUNNING) ? ", Running" : "",
               (d->flags & PCAP_IF_LOOPBACK) ? ", Loopback" : "");
    }
    pcap_freealldevs(all);
    return 0;
}

int nm_source_default_interface(char *name, size_t len, char *errbuf, size_t errlen)
{
    pcap_if_t *all = NULL;
    char pe[PCAP_ERRBUF_SIZE] = "";
    if (pcap_findalldevs(&all, pe) != 0) {
        snprintf(errbuf, errlen, "cannot list interfaces: %s", pe);
        return -1;
    }
    int rc = -1;
    for (pcap_if_t *d = all; d; d = d->next) {
        /* tcpdump's rule: the first interface that is up and running and
         * is not a loopback; "any" and pseudo devices are skipped. */
        if ((d->flags & PCAP_IF_LOOPBACK) || !(d->flags & PCAP_IF_UP) ||
            !(d->flags & PCAP_IF_RUNNING) || strcmp(d->name, "any") == 0 ||
            strncmp(d->name, "bluetooth", 9) == 0 || strncmp(d->name, "dbus", 4) == 0 ||
            strncmp(d->name, "nflog", 5) == 0 || strncmp(d->name, "nfqueue", 7) == 0)
            continue;
        snprintf(name, len, "%s", d->name);
        rc = 0;
        break;
    }
    pcap_freealldevs(all);
    if (rc != 0)
        snprintf(errbuf, errlen, "no interface is up (use -i IFACE or -r FILE; -D lists interfaces)");
    return rc;
}
