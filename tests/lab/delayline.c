/*
 * delayline.c - a user-space delay line between two interfaces (the lab
 * kernel has no netem).
 *
 *   delayline -a IF -b IF -d DELAY_US [-t SECONDS] [-s] [-r]
 *   delayline -u PORT [-t SECONDS]
 *
 * Every frame received on one interface is sent on the other DELAY_US
 * microseconds after the kernel received it, both ways.  Frames are read and
 * written through AF_PACKET raw sockets, so the relay is transparent at layer
 * 2 (ARP, NDP, IPv4, IPv6 alike).  The hold time is measured from the
 * kernel's receive timestamp (SO_TIMESTAMPNS, converted to CLOCK_MONOTONIC),
 * so how late this process wakes up to read a frame does not add to the
 * delay; the send is scheduled on CLOCK_MONOTONIC: sleep until SPIN_NS
 * before the deadline, then spin on the clock.
 *
 * -r runs it at SCHED_FIFO priority 10, so the lab's servers and clients
 * do not delay the sends.
 *
 * -u PORT is the lab servers' UDP echo (IPv4 and IPv6): it answers in a few
 * microseconds, where a Python echo takes 0.3-0.5 ms of the 0.5 ms the
 * latency lab tolerates.
 *
 * It stops by itself after -t seconds (default 300) or on SIGTERM/SIGINT.
 * -s prints, at exit, frames forwarded and dropped, and how late the sends
 * were (send returned minus deadline: the jitter the line adds).
 * A fixed delay keeps each direction in arrival order, so each direction is
 * a FIFO of QUEUE_SLOTS frames; a frame arriving at a full queue is dropped
 * and counted, as a router's full queue would.
 */
#define _GNU_SOURCE 1               /* ppoll() */
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23   /* Linux 4.20; older headers lack it */
#endif

#define QUEUE_SLOTS 4096u           /* frames held per direction: 40 ms at 100k frames/s */
#define SLOT_BYTES 2048u            /* MTU 1500 + Ethernet + VLAN; offloads are off in the lab */
#define SPIN_NS 200000              /* a sleep wakes 10-100 us late, more on a busy VM: spin the rest */
#define MAX_DRAIN 256               /* frames read per socket per turn (bounded loop) */
#define MAX_DELAY_US 10000000L      /* 10 s */
#define MAX_SECONDS 86400L
#define LATE_BINS 1001              /* lateness histogram: 1 us bins, last one is ">= 1 ms" */
#define NS_PER_S INT64_C(1000000000)

struct frame {
    int64_t due_ns;                 /* CLOCK_MONOTONIC */
    uint16_t len;
    uint8_t data[SLOT_BYTES];
};

struct queue {
    struct frame *slot;
    uint32_t head, count;
    uint64_t forwarded, dropped_full, dropped_big, send_errors;
};

struct line {
    int fd[2];
    struct queue q[2];              /* q[i]: received on fd[i], to be sent on fd[1 - i] */
    int64_t delay_ns;
    uint64_t late[LATE_BINS];
    int64_t late_max_ns;
    uint64_t late_n;
    double late_sum_ns;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int64_t clock_ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (int64_t)t.tv_sec * NS_PER_S + (int64_t)t.tv_nsec;
}

static int open_if(const char *name)
{
    struct sockaddr_ll sll;
    struct packet_mreq mr;
    unsigned idx = if_nametoindex(name);
    int one = 1;
    int fd;

    if (idx == 0) {
        fprintf(stderr, "delayline: %s: %s\n", name, strerror(errno));
        return -1;
    }
    /* Protocol 0 until bound: an ETH_P_ALL socket would queue frames of
     * every interface in between. */
    fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        fprintf(stderr, "delayline: socket: %s\n", strerror(errno));
        return -1;
    }
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)idx;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = (int)idx;
    mr.mr_type = PACKET_MR_PROMISC;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
        fprintf(stderr, "delayline: %s: %s\n", name, strerror(errno));
        close(fd);
        return -1;
    }
    /* Our own sends would otherwise come back as PACKET_OUTGOING; checked
     * per frame too for kernels without the option. */
    (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    return fd;
}

/* Reads what is waiting on side i (at most MAX_DRAIN frames) into its queue. */
static void drain(struct line *l, int i)
{
    static uint8_t buf[65536];
    struct queue *q = &l->q[i];

    for (int n = 0; n < MAX_DRAIN; n++) {
        union {
            struct cmsghdr h;
            uint8_t b[CMSG_SPACE(sizeof(struct timespec))];
        } ctl;
        struct sockaddr_ll from;
        struct iovec iov = {buf, sizeof buf};
        struct msghdr msg;
        struct cmsghdr *c;
        int64_t rx_real = -1, now_mono, now_real, rx_mono;
        ssize_t r;

        memset(&msg, 0, sizeof msg);
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctl.b;
        msg.msg_controllen = sizeof ctl.b;
        r = recvmsg(l->fd[i], &msg, MSG_DONTWAIT | MSG_TRUNC);
        if (r < 0)
            return;                 /* EAGAIN: empty; other errors: try next turn */
        now_mono = clock_ns(CLOCK_MONOTONIC);
        now_real = clock_ns(CLOCK_REALTIME);
        if (from.sll_pkttype == PACKET_OUTGOING)
            continue;
        if ((size_t)r > SLOT_BYTES || (msg.msg_flags & MSG_TRUNC)) {
            q->dropped_big++;
            continue;
        }
        if (q->count == QUEUE_SLOTS) {
            q->dropped_full++;
            continue;
        }
        for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(c), sizeof ts);
                rx_real = (int64_t)ts.tv_sec * NS_PER_S + (int64_t)ts.tv_nsec;
            }
        }
        /* The kernel stamps CLOCK_REALTIME; move it to the monotonic scale.
         * An implausible stamp (none, in the future, > 1 s old) falls back
         * to the time we read the frame. */
        rx_mono = now_mono;
        if (rx_real >= 0 && rx_real <= now_real && now_real - rx_real < NS_PER_S)
            rx_mono = now_mono - (now_real - rx_real);
        {
            struct frame *f = &q->slot[(q->head + q->count) % QUEUE_SLOTS];
            f->due_ns = rx_mono + l->delay_ns;
            f->len = (uint16_t)r;
            memcpy(f->data, buf, (size_t)r);
            q->count++;
        }
    }
}

static void send_head(struct line *l, int i)
{
    struct queue *q = &l->q[i];
    struct frame *f = &q->slot[q->head];
    /* Measured before send(): on a veth the receiving side's processing
     * (bridge, the peer's stack, tcpdump) runs inside send(). */
    int64_t late = clock_ns(CLOCK_MONOTONIC) - f->due_ns;

    if (send(l->fd[1 - i], f->data, f->len, 0) != (ssize_t)f->len)
        q->send_errors++;
    else
        q->forwarded++;
    if (late < 0)
        late = 0;
    l->late[late / 1000 < LATE_BINS - 1 ? late / 1000 : LATE_BINS - 1]++;
    if (late > l->late_max_ns)
        l->late_max_ns = late;
    l->late_n++;
    l->late_sum_ns += (double)late;
    q->head = (q->head + 1) % QUEUE_SLOTS;
    q->count--;
}

/* Side whose head frame is due first, or -1 with both queues empty. */
static int next_side(const struct line *l)
{
    if (l->q[0].count == 0)
        return l->q[1].count ? 1 : -1;
    if (l->q[1].count == 0)
        return 0;
    return l->q[0].slot[l->q[0].head].due_ns <= l->q[1].slot[l->q[1].head].due_ns ? 0 : 1;
}

static long late_percentile_us(const struct line *l, double p)
{
    uint64_t want = (uint64_t)((double)l->late_n * p + 0.5), seen = 0;

    for (long b = 0; b < LATE_BINS; b++) {
        seen += l->late[b];
        if (seen >= want && seen > 0)
            return b;
    }
    return LATE_BINS - 1;
}

static void run(struct line *l, int64_t end_ns, const sigset_t *waitmask)
{
    struct pollfd pfd[2] = {{l->fd[0], POLLIN, 0}, {l->fd[1], POLLIN, 0}};

    while (!stop_flag) {
        int64_t now = clock_ns(CLOCK_MONOTONIC), next = end_ns;
        int side;

        if (now >= end_ns)
            break;
        while ((side = next_side(l)) >= 0 && l->q[side].slot[l->q[side].head].due_ns <= now) {
            send_head(l, side);
            now = clock_ns(CLOCK_MONOTONIC);
        }
        if (side >= 0 && l->q[side].slot[l->q[side].head].due_ns < next)
            next = l->q[side].slot[l->q[side].head].due_ns;
        if (side >= 0 && next - now <= SPIN_NS) {
            /* Spin: frames arriving meanwhile keep their kernel stamps. */
            while (!stop_flag && clock_ns(CLOCK_MONOTONIC) < next)
                ;
            continue;
        }
        {
            int64_t wait = next - now - (side >= 0 ? SPIN_NS : 0);
            struct timespec ts = {(time_t)(wait / NS_PER_S), (long)(wait % NS_PER_S)};
            if (ppoll(pfd, 2, &ts, waitmask) > 0) {
                for (int i = 0; i < 2; i++)
                    if (pfd[i].revents & POLLIN)
                        drain(l, i);
            }
        }
    }
}

static int udp_echo(long port, int64_t end_ns, const sigset_t *waitmask)
{
    struct sockaddr_in6 a;
    int zero = 0, fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct pollfd pfd;

    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)port);
    a.sin6_addr = in6addr_any;
    if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "delayline: udp port %ld: %s\n", port, strerror(errno));
        return 1;
    }
    pfd.fd = fd;
    pfd.events = POLLIN;
    while (!stop_flag) {
        static uint8_t buf[65536];
        struct sockaddr_in6 from;
        socklen_t fl = sizeof from;
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        struct timespec ts;
        ssize_t r;

        if (now >= end_ns)
            break;
        ts.tv_sec = (time_t)((end_ns - now) / NS_PER_S);
        ts.tv_nsec = (long)((end_ns - now) % NS_PER_S);
        if (ppoll(&pfd, 1, &ts, waitmask) <= 0)
            continue;
        r = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (r >= 0)
            (void)sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
    }
    close(fd);
    return 0;
}

static long parse_num(const char *s, long lo, long hi, const char *what)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi) {
        fprintf(stderr, "delayline: %s wants a number from %ld to %ld\n", what, lo, hi);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    static struct line l;
    const char *ifa = NULL, *ifb = NULL;
    long delay_us = -1, seconds = 300, echo_port = -1;
    bool stats = false, realtime = false;
    struct sigaction sa;
    sigset_t block, waitmask;
    int opt;

    while ((opt = getopt(argc, argv, "a:b:d:t:sru:")) != -1) {
        switch (opt) {
        case 'a': ifa = optarg; break;
        case 'b': ifb = optarg; break;
        case 'd': delay_us = parse_num(optarg, 0, MAX_DELAY_US, "-d"); break;
        case 't': seconds = parse_num(optarg, 1, MAX_SECONDS, "-t"); break;
        case 's': stats = true; break;
        case 'r': realtime = true; break;
        case 'u': echo_port = parse_num(optarg, 1, 65535, "-u"); break;
        default:
            fprintf(stderr, "usage: delayline -a IF -b IF -d DELAY_US [-t SECONDS] [-s] [-r]\n");
            return 2;
        }
    }
    if (optind != argc || (echo_port < 0 && (ifa == NULL || ifb == NULL || delay_us < 0))) {
        fprintf(stderr, "usage: delayline -a IF -b IF -d DELAY_US [-t SECONDS] [-s] [-r]\n"
                        "       delayline -u PORT [-t SECONDS]\n");
        return 2;
    }
    l.delay_ns = (int64_t)delay_us * 1000;
    for (int i = 0; i < 2; i++) {
        l.q[i].slot = calloc(QUEUE_SLOTS, sizeof *l.q[i].slot);
        if (l.q[i].slot == NULL) {
            fprintf(stderr, "delayline: out of memory\n");
            return 1;
        }
    }
    /* Signals are blocked except inside ppoll(): no lost wake-up. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    /* The default 50 us timer slack would be added to every sleep. */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    if (echo_port > 0) {
        int rc = udp_echo(echo_port, clock_ns(CLOCK_MONOTONIC) + (int64_t)seconds * NS_PER_S,
                          &waitmask);
        free(l.q[0].slot);
        free(l.q[1].slot);
        return rc;
    }
    if (realtime) {
        struct sched_param sp = {.sched_priority = 10};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
            fprintf(stderr, "delayline: SCHED_FIFO: %s (continuing)\n", strerror(errno));
    }

    l.fd[0] = open_if(ifa);
    l.fd[1] = open_if(ifb);
    if (l.fd[0] < 0 || l.fd[1] < 0)
        return 1;
    run(&l, clock_ns(CLOCK_MONOTONIC) + (int64_t)seconds * NS_PER_S, &waitmask);
    if (stats) {
        fprintf(stderr,
                "delayline %s<->%s delay_us=%ld forwarded %s->%s=%" PRIu64 " %s->%s=%" PRIu64
                " dropped_full=%" PRIu64 " dropped_big=%" PRIu64 " send_errors=%" PRIu64
                " late_us: mean=%.1f p50=%ld p99=%ld max=%.1f\n",
                ifa, ifb, delay_us, ifa, ifb, l.q[0].forwarded, ifb, ifa, l.q[1].forwarded,
                l.q[0].dropped_full + l.q[1].dropped_full, l.q[0].dropped_big + l.q[1].dropped_big,
                l.q[0].send_errors + l.q[1].send_errors,
                l.late_n ? l.late_sum_ns / (double)l.late_n / 1000.0 : 0.0,
                late_percentile_us(&l, 0.5), late_percentile_us(&l, 0.99),
                (double)l.late_max_ns / 1000.0);
    }
    close(l.fd[0]);
    close(l.fd[1]);
    free(l.q[0].slot);
    free(l.q[1].slot);
    return 0;
}
