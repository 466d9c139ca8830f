/*
 * fuzz_pcapfile.c - libFuzzer harness for capture/pcapfile.c, checked
 * against libpcap.
 *
 * The input is a whole capture file.  When pcapfile.c takes it (classic
 * pcap, this machine's byte order, version 2.4, a link type it reads),
 * libpcap must take it too, with the same link type, snapshot length and
 * timestamp precision, and the two must then give the same records in the
 * same order: time to the nanosecond, captured and original length, the
 * captured bytes, and the same end (end of file, or an error with
 * libpcap's very message).  That is pcapfile.h's promise, which
 * t-pcapfile checks on the captures we have; here on every file a fuzzer
 * can make, and a sanitizer build catches any read past the buffer.
 * Files pcapfile.c declines go to libpcap in nm-capture: nothing to
 * compare.
 *
 * The bytes reach both readers as a file (a memfd, opened by its
 * /proc/self/fd path), as nm-capture gives them a path.
 *
 *   make fuzz && build-fuzz/fuzz_pcapfile tests/fuzz/corpus/pcapfile
 *
 * tests/fuzz/make-pcapfile-seeds.py makes the seeds; `make test` replays
 * them (replay_pcapfile).
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../capture/pcapfile.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const char *detail)
{
    if (!ok) {
        fprintf(stderr, "fuzz_pcapfile: %s%s%s\n", what, detail ? ": " : "",
                detail ? detail : "");
        abort();
    }
}

static void compare_records(struct nm_pcapfile *f, pcap_t *p)
{
    char err[PCAP_ERRBUF_SIZE];

    for (;;) {
        int64_t ts_ns;
        uint32_t cap_len, wire_len;
        const uint8_t *bytes;
        struct pcap_pkthdr *h;
        const u_char *pbytes;
        enum nm_pcapfile_status st =
            nm_pcapfile_next(f, &ts_ns, &cap_len, &wire_len, &bytes, err, sizeof err);
        int rc = pcap_next_ex(p, &h, &pbytes);

        switch (st) {
        case NM_PCAPFILE_PACKET:
            check(rc == 1, "pcapfile gave a record, libpcap did not",
                  rc == -1 ? pcap_geterr(p) : NULL);
            check(ts_ns == (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec,
                  "timestamps differ", NULL);
            check(cap_len == h->caplen, "captured lengths differ", NULL);
            check(wire_len == h->len, "original lengths differ", NULL);
            check(memcmp(bytes, pbytes, cap_len) == 0, "captured bytes differ", NULL);
            break;
        case NM_PCAPFILE_EOF:
            check(rc == -2, "pcapfile at the end, libpcap not", rc == -1 ? pcap_geterr(p) : NULL);
            return;
        case NM_PCAPFILE_TRUNCATED:
        case NM_PCAPFILE_ERROR:
            check(rc == -1, "pcapfile failed, libpcap did not", err);
            check(strcmp(err, pcap_geterr(p)) == 0, "messages differ", err);
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[PCAP_ERRBUF_SIZE];
    struct nm_pcapfile_info info;
    bool mine;
    int fd = fuzz_input_file(data, size, path, sizeof path);

    if (fd < 0)
        return 0;
    struct nm_pcapfile *f = nm_pcapfile_open(path, &info, &mine, err, sizeof err);
    if (f == NULL) {
        check(!mine, "pcapfile took the file but did not open it", err);
        close(fd);
        return 0;
    }
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    check(p != NULL, "pcapfile took a file libpcap refuses", err);
    check(info.linktype == pcap_datalink(p), "link types differ", NULL);
    check(info.snaplen == (uint32_t)pcap_snapshot(p), "snapshot lengths differ", NULL);
    /* libpcap, asked for nanoseconds, does not say what the file holds:
     * the magic number does (pcapfile.c took the file, so it is one of
     * the two, in this machine's byte order). */
    uint32_t magic;
    memcpy(&magic, data, sizeof magic);
    check(info.ts_precision == (magic == 0xa1b23c4du ? 9 : 6), "timestamp precisions differ",
          NULL);
    compare_records(f, p);
    pcap_close(p);
    nm_pcapfile_close(f);
    close(fd);
    return 0;
}
