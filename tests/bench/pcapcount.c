/*
 * pcapcount.c - the floor of the benchmark: a bare libpcap read loop.
 *
 *     pcapcount FILE      prints "packets N bytes M" (M = wire bytes)
 *
 * pcap_next_ex() and nothing else, so its packets/s is what reading the
 * file through libpcap costs; every netmon stage (decode, engine, SQLite,
 * event log) comes on top.  It reads through a 1 MiB stdio buffer, as
 * nm-capture does (capture/source.c), so both pay the same for reading.  Not part of libnetmon: tests/bench/run-bench.sh
 * compiles it with cc -O2 ... -lpcap.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0, bytes = 0;
    pcap_t *p;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: pcapcount FILE\n");
        return 2;
    }
    static char buf[1 << 20];
    FILE *fp = fopen(argv[1], "rb");
    if (fp == NULL) {
        perror(argv[1]);
        return 1;
    }
    setvbuf(fp, buf, _IOFBF, sizeof buf);
    p = pcap_fopen_offline(fp, errbuf);
    if (p == NULL) {
        fprintf(stderr, "pcapcount: %s\n", errbuf);
        fclose(fp);
        return 1;
    }
    /* Bounded by the file: pcap_next_ex returns -2 at its end. */
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        bytes += hdr->len;
    }
    if (rc == -1) {
        fprintf(stderr, "pcapcount: %s: %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets %" PRIu64 " bytes %" PRIu64 "\n", packets, bytes);
    return 0;
}
