/*
 * pcapfile.h - a reader for the most common capture file format: classic
 * pcap in this machine's byte order, version 2.4, microsecond or
 * nanosecond timestamps.  Every other file (pcapng, the other byte order,
 * old versions, the modified formats, standard input) goes to libpcap.
 *
 * Why our own: libpcap copies every record twice (stdio buffer, then its
 * packet buffer) with two fread() calls per packet; that was a fifth of
 * aggregate mode's capture thread.  This reader reads large blocks with
 * read(2) and hands out pointers into its buffer.  It keeps libpcap's
 * rules for what it reads (the snapshot length, the size limit, records
 * cut short) and its messages, so results do not depend on which reader
 * ran (t-pcapfile compares the two on every capture we have).
 */
#ifndef NM_PCAPFILE_H
#define NM_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nm_pcapfile;

struct nm_pcapfile_info {
    int linktype;
    uint32_t snaplen;        /* as libpcap takes it: 0 -> 262144 */
    int ts_precision;        /* 6 or 9 */
};

/*
 * Opens `path` if this reader handles it.  Returns NULL and sets *mine to
 * false when the file is not one it handles (libpcap then opens it, and
 * words any error); *mine stays true only when memory runs out after the
 * file was recognised (errbuf says so).
 */
struct nm_pcapfile *nm_pcapfile_open(const char *path, struct nm_pcapfile_info *info,
                                     bool *mine, char *errbuf, size_t errlen);
void nm_pcapfile_close(struct nm_pcapfile *f);

enum nm_pcapfile_status {
    NM_PCAPFILE_PACKET = 0,
    NM_PCAPFILE_EOF,
    NM_PCAPFILE_TRUNCATED,   /* a record cut short; errbuf has libpcap's words */
    NM_PCAPFILE_ERROR,       /* read error or an insane record length */
};

/* The next record.  *data stays valid until the next call. */
enum nm_pcapfile_status nm_pcapfile_next(struct nm_pcapfile *f, int64_t *ts_ns,
                                         uint32_t *cap_len, uint32_t *wire_len,
                                         const uint8_t **data, char *errbuf, size_t errlen);

#endif /* NM_PCAPFILE_H */
