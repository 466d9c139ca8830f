/*
 * fuzz_source.c - libFuzzer harness for capture/source.c: a whole capture
 * file, of any format libpcap reads (pcapng above all, whose reader is
 * libpcap's) or our classic-pcap reader takes, opened as nm-capture opens
 * a file and read to its end, every packet decoded.
 *
 * Checks, besides no crash and no undefined behaviour (the sanitizers'
 * part): the source never gives more packets than the file has bytes for;
 * every packet's time is within the range kept (+-NM_TS_LIMIT_NS, decode.h); a
 * packet with captured bytes has a buffer; the read ends with end of
 * file, a truncation or an error, and a message for the last two;
 * nm_decode() keeps the lengths it is given.
 *
 * The bytes reach the source as a file (a memfd, opened by its
 * /proc/self/fd path), as nm-capture gives it a path.
 *
 *   make fuzz && build-fuzz/fuzz_source tests/fuzz/corpus/source
 *
 * Seeds: the first blocks of the pcapng captures and the sample captures
 * (tests/fuzz/make-source-seeds.sh), and what fuzzing added; `make test`
 * replays them (replay_source).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../capture/decode/decode.h"
#include "../../capture/source.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_source: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nm_packet pkt;
    char path[64], err[512];
    enum nm_source_open_error why;
    int fd = fuzz_input_file(data, size, path, sizeof path);

    if (fd < 0)
        return 0;
    struct nm_source_config cfg = { .file = path };
    struct nm_source *src = nm_source_open(&cfg, err, sizeof err, &why);
    if (src == NULL) {
        check(err[0] != '\0', "open failed without a message");
        close(fd);
        return 0;
    }
    int linktype = nm_source_linktype(src);
    /* Every record takes at least 16 bytes of the file (pcap's record
     * header; a pcapng packet block is 28 or more). */
    size_t max_packets = size / 16 + 1, packets = 0;
    for (;;) {
        struct nm_source_packet sp;
        err[0] = '\0';
        enum nm_source_status st = nm_source_next(src, &sp, err, sizeof err);
        if (st != NM_SRC_PACKET) {
            check(st == NM_SRC_EOF || st == NM_SRC_TRUNCATED || st == NM_SRC_ERROR,
                  "a file read ends with end of file, truncation or error");
            check(st == NM_SRC_EOF || err[0] != '\0', "truncation or error without a message");
            break;
        }
        check(++packets <= max_packets, "more packets than the file has room for");
        check(sp.ts_ns >= -NM_TS_LIMIT_NS && sp.ts_ns <= NM_TS_LIMIT_NS,
              "time outside the range kept");
        check(sp.cap_len == 0 || sp.data != NULL, "captured bytes without a buffer");
        nm_decode(linktype, sp.data, sp.cap_len, sp.wire_len, &pkt);
        check(pkt.cap_len == sp.cap_len && pkt.wire_len == sp.wire_len, "lengths changed");
    }
    nm_source_close(src);
    close(fd);
    return 0;
}
