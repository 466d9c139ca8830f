/*
 * replay.c - send a capture's frames out of an interface at a set packet
 * rate, for the live benchmark (tests/bench/live-bench.sh).
 *
 *   replay -i IFACE [-p PPS | -t] [-n LIMIT] FILE.pcap
 *
 * tcpreplay sends one frame per system call and reached only 230,000
 * packets/s into a veth on the 2-core VM with nothing else running, a full
 * core busy: the live benchmark's 250,000 step measured the sender, not the
 * capture.  This sender loads the frames into memory first and hands the
 * kernel BATCH frames per sendmmsg() on a packet socket that bypasses the
 * queueing discipline (PACKET_QDISC_BYPASS).  Pacing is per batch: the
 * batch that starts at packet n leaves at n / PPS seconds after the start
 * (absolute sleeps, so errors do not add up); a batch of 32 at 250,000
 * packets/s is 128 us of traffic, far below what socket buffers hold.
 *
 * Prints tcpreplay's two summary lines, which live-bench.sh reads:
 *   Rated: B Bps, M Mbps, P pps
 *   Successful packets: N
 * Exit 0, 1 on an error (message on stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define NS_PER_S 1000000000LL

struct frame {
    size_t off, len;
};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * NS_PER_S + t.tv_nsec;
}

static void sleep_until(int64_t when_ns)
{
    struct timespec t = {.tv_sec = when_ns / NS_PER_S, .tv_nsec = when_ns % NS_PER_S};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
        ;
}

static void usage(void)
{
    fprintf(stderr, "usage: replay -i IFACE [-p PPS | -t] [-n LIMIT] FILE.pcap\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *ifname = NULL;
    double pps = 0;
    unsigned long limit = 0;
    int opt;

    while ((opt = getopt(argc, argv, "i:p:tn:")) != -1) {
        switch (opt) {
        case 'i': ifname = optarg; break;
        case 'p': pps = strtod(optarg, NULL); if (pps <= 0) usage(); break;
        case 't': pps = 0; break;
        case 'n': limit = strtoul(optarg, NULL, 10); break;
        default: usage();
        }
    }
    if (!ifname || optind != argc - 1)
        usage();

    /* Load every frame (up to LIMIT) into one buffer. */
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[optind], eb);
    if (!p) {
        fprintf(stderr, "replay: %s\n", eb);
        return 1;
    }
    size_t cap = 1 << 20, used = 0, nf = 0, maxf = 1 << 16;
    unsigned char *buf = malloc(cap);
    struct frame *fr = malloc(maxf * sizeof *fr);
    struct pcap_pkthdr *h;
    const unsigned char *d;
    while ((!limit || nf < limit) && pcap_next_ex(p, &h, &d) == 1) {
        if (used + h->caplen > cap) {
            while (used + h->caplen > cap)
                cap *= 2;
            buf = realloc(buf, cap);
        }
        if (nf == maxf) {
            maxf *= 2;
            fr = realloc(fr, maxf * sizeof *fr);
        }
        if (!buf || !fr) {
            fprintf(stderr, "replay: out of memory\n");
            return 1;
        }
        memcpy(buf + used, d, h->caplen);
        fr[nf].off = used;
        fr[nf].len = h->caplen;
        used += h->caplen;
        nf++;
    }
    pcap_close(p);

    int s = socket(AF_PACKET, SOCK_RAW, 0);     /* protocol 0: send only */
    if (s < 0) {
        fprintf(stderr, "replay: packet socket: %s\n", strerror(errno));
        return 1;
    }
    int one = 1;
    (void)setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    int sndbuf = 8 << 20;
    (void)setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname)};
    if (ll.sll_ifindex == 0 || bind(s, (struct sockaddr *)&ll, sizeof ll) != 0) {
        fprintf(stderr, "replay: %s: %s\n", ifname, strerror(errno));
        return 1;
    }

    struct mmsghdr msg[BATCH];
    struct iovec iov[BATCH];
    uint64_t sent = 0, failed = 0, bytes = 0;
    int64_t start = now_ns();
    for (size_t i = 0; i < nf;) {
        unsigned n = 0;
        for (; n < BATCH && i + n < nf; n++) {
            iov[n].iov_base = buf + fr[i + n].off;
            iov[n].iov_len = fr[i + n].len;
            memset(&msg[n], 0, sizeof msg[n]);
            msg[n].msg_hdr.msg_iov = &iov[n];
            msg[n].msg_hdr.msg_iovlen = 1;
        }
        if (pps > 0)
            sleep_until(start + (int64_t)((double)i * NS_PER_S / pps));
        unsigned done = 0;
        while (done < n) {
            int r = sendmmsg(s, msg + done, n - done, 0);
            if (r > 0) {
                for (unsigned k = 0; k < (unsigned)r; k++)
                    bytes += iov[done + k].iov_len;
                done += (unsigned)r;
                sent += (unsigned)r;
            } else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
                continue;       /* the device queue is full: try again */
            } else {
                failed++;       /* this frame cannot be sent (too long...) */
                done++;
            }
        }
        i += n;
    }
    double secs = (double)(now_ns() - start) / NS_PER_S;
    if (secs <= 0)
        secs = 1e-9;
    double b = (double)bytes, n = (double)sent;
    printf("Rated: %.1f Bps, %.2f Mbps, %.2f pps\n", b / secs, b * 8 / secs / 1e6, n / secs);
    printf("Successful packets: %llu\n", (unsigned long long)sent);
    printf("Failed packets: %llu\n", (unsigned long long)failed);
    return 0;
}
