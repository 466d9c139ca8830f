/*
 * pcapfile.c - classic pcap files read in large blocks (pcapfile.h).
 *
 * The rules follow libpcap 1.10's sf-pcap.c, so that a file gives the same
 * packets whichever reader opens it: a record longer than 262144 bytes is
 * an error; one longer than the file's snapshot length (but not than
 * 262144) is cut to it; a record cut short by the end of the file is a
 * truncation with libpcap's message; the timestamp fields are signed
 * 32-bit numbers; microseconds are scaled to nanoseconds.
 */
#include "pcapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC_USEC        0xa1b2c3d4u
#define MAGIC_NSEC        0xa1b23c4du
#define FILE_HEADER_LEN   24u
#define RECORD_HEADER_LEN 16u
/* libpcap's MAXIMUM_SNAPLEN: the largest record it accepts for the link
 * types read here. */
#define MAX_RECORD_LEN    262144u
/* Twice the largest record, so one always fits after the rest of the
 * buffer is moved to its start; small enough to stay in the L2 cache, where
 * the decoder then finds the bytes. */
#define BUFFER_LEN        (2u * (MAX_RECORD_LEN + RECORD_HEADER_LEN))

struct nm_pcapfile {
    int fd;
    bool nsec;
    bool eof;                 /* read() returned 0 */
    int read_errno;           /* a read() failed: the next record reports it */
    uint32_t snaplen;
    uint8_t *buf;
    size_t pos, end;          /* unread bytes are buf[pos, end) */
};

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);  /* the file is in this machine's byte order */
    return v;
}

/* Link types whose LINKTYPE_ value is also the DLT_ value libpcap reports
 * and the decoder takes (Ethernet, Linux cooked v1 and v2); files of other
 * link types are rare enough to leave to libpcap and its mapping. */
static bool linktype_handled(uint32_t lt)
{
    return lt == 1 || lt == 113 || lt == 276;
}

struct nm_pcapfile *nm_pcapfile_open(const char *path, struct nm_pcapfile_info *info,
                                     bool *mine, char *errbuf, size_t errlen)
{
    uint8_t h[FILE_HEADER_LEN];
    struct stat sb;

    *mine = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    /* The records follow the header: reading it leaves the file there. */
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        read(fd, h, sizeof h) != (ssize_t)sizeof h) {
        close(fd);
        return NULL;
    }
    uint32_t magic = get32(h);
    uint16_t major, minor;
    memcpy(&major, h + 4, sizeof major);
    memcpy(&minor, h + 6, sizeof minor);
    uint32_t snaplen = get32(h + 16), linktype = get32(h + 20);
    if ((magic != MAGIC_USEC && magic != MAGIC_NSEC) || major != 2 || minor != 4 ||
        !linktype_handled(linktype)) {
        close(fd);
        return NULL;
    }
    *mine = true;
    struct nm_pcapfile *f = calloc(1, sizeof *f);
    uint8_t *buf = malloc(BUFFER_LEN);
    if (!f || !buf) {
        free(f);
        free(buf);
        close(fd);
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    f->fd = fd;
    f->nsec = magic == MAGIC_NSEC;
    /* As libpcap 1.10 takes it (t-pcapfile checks): only a length that is
     * no length (0, or negative as its int) becomes the maximum. */
    f->snaplen = snaplen == 0 || snaplen > INT32_MAX ? MAX_RECORD_LEN : snaplen;
    f->buf = buf;
    info->linktype = (int)linktype;
    info->snaplen = f->snaplen;
    info->ts_precision = f->nsec ? 9 : 6;
    return f;
}

void nm_pcapfile_close(struct nm_pcapfile *f)
{
    if (!f)
        return;
    close(f->fd);
    free(f->buf);
    free(f);
}

/* At least n unread bytes in the buffer (n <= BUFFER_LEN / 2), unless the
 * file ends or a read fails first.  Returns how many there are, up to n. */
static size_t ensure(struct nm_pcapfile *f, size_t n)
{
    if (f->end - f->pos >= n)
        return n;
    if (f->pos > 0) {
        memmove(f->buf, f->buf + f->pos, f->end - f->pos);
        f->end -= f->pos;
        f->pos = 0;
    }
    while (f->end < n && !f->eof && !f->read_errno) {
        ssize_t got = read(f->fd, f->buf + f->end, BUFFER_LEN - f->end);
        if (got > 0)
            f->end += (size_t)got;
        else if (got == 0)
            f->eof = true;
        else if (errno != EINTR)
            f->read_errno = errno;
    }
    return f->end - f->pos < n ? f->end - f->pos : n;
}

static enum nm_pcapfile_status read_failed(const struct nm_pcapfile *f, char *errbuf,
                                           size_t errlen)
{
    snprintf(errbuf, errlen, "error reading dump file: %s", strerror(f->read_errno));
    return NM_PCAPFILE_ERROR;
}

enum nm_pcapfile_status nm_pcapfile_next(struct nm_pcapfile *f, int64_t *ts_ns,
                                         uint32_t *cap_len, uint32_t *wire_len,
                                         const uint8_t **data, char *errbuf, size_t errlen)
{
    size_t have = ensure(f, RECORD_HEADER_LEN);
    if (have < RECORD_HEADER_LEN) {
        if (f->read_errno)
            return read_failed(f, errbuf, errlen);
        if (have == 0)
            return NM_PCAPFILE_EOF;
        snprintf(errbuf, errlen, "truncated dump file; tried to read %u header bytes, only got %zu",
                 RECORD_HEADER_LEN, have);
        f->pos = f->end;
        return NM_PCAPFILE_TRUNCATED;
    }
    const uint8_t *h = f->buf + f->pos;
    int32_t sec = (int32_t)get32(h), frac = (int32_t)get32(h + 4);
    uint32_t caplen = get32(h + 8), len = get32(h + 12);
    if (caplen > MAX_RECORD_LEN) {
        if (caplen > f->snaplen)
            snprintf(errbuf, errlen,
                     "invalid packet capture length %u, bigger than snaplen of %u", caplen,
                     f->snaplen);
        else
            snprintf(errbuf, errlen, "invalid packet capture length %u, bigger than maximum of %u",
                     caplen, MAX_RECORD_LEN);
        return NM_PCAPFILE_ERROR;
    }
    f->pos += RECORD_HEADER_LEN;
    have = ensure(f, caplen);
    if (have < caplen) {
        if (f->read_errno)
            return read_failed(f, errbuf, errlen);
        /* libpcap reads the snapshot length first when the record is
         * longer, and names that when even it is not there. */
        uint32_t tried = caplen > f->snaplen && have < f->snaplen ? f->snaplen : caplen;
        snprintf(errbuf, errlen, "truncated dump file; tried to read %u captured bytes, only got %zu",
                 tried, have);
        f->pos = f->end;
        return NM_PCAPFILE_TRUNCATED;
    }
    *data = f->buf + f->pos;
    f->pos += caplen;
    *cap_len = caplen > f->snaplen ? f->snaplen : caplen;
    *wire_len = len;
    *ts_ns = (int64_t)sec * 1000000000 + (f->nsec ? (int64_t)frac : (int64_t)frac * 1000);
    return NM_PCAPFILE_PACKET;
}
