/*
 * sqlite_ceiling.c - how fast can SQLite take one row per packet at best?
 *
 *     sqlite_ceiling SCHEMA.sql CAPTURE DB
 *
 * Creates DB (which must not exist) by running SCHEMA.sql (read at run time,
 * so the `packets` table is always the one nm-capture writes), then inserts
 * one `packets` row per frame of CAPTURE with the columns nm-capture fills,
 * in the fastest way we know: WAL, synchronous=NORMAL, prepared statements
 * taking BATCH rows each (VALUES repeated; the last few rows one by one),
 * 10,000 rows per transaction, checkpoints on a second thread.  Values come from a simple
 * Ethernet/VLAN/ARP/IPv4/IPv6/TCP/UDP/ICMP/DNS parse; what matters is the
 * cost of the inserts, so nm-capture's per-packet mode can be compared with
 * this ceiling.  Prints "packets N rows N".
 *
 * Not part of libnetmon (tests/bench/run-bench.sh compiles it with
 * cc -O2 ... -lpcap -lsqlite3), so it may hold both foreign libraries.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BATCH_ROWS     10000           /* rows per transaction */
#define BATCH          32              /* rows per statement, as nm-capture */
#define COLUMNS        27              /* values per row */
#define FRAME_MAX      262144u         /* libpcap's largest record: a frame is kept whole */
#define SCHEMA_MAX     (4u << 20)      /* refuse absurd schema files */
#define MAX_VLAN_TAGS  8
#define MAX_IPV6_EXT   8
#define MAX_DNS_LABELS 128
#define QNAME_MAX      255
#define FLOW_ID_SPACE  400000u         /* flow ids stay in nm-capture's range */

/* Layer bits as in capture/decode/decode.h (the table layer_bits). */
enum {
    L_ETH = 1u << 0, L_VLAN = 1u << 1, L_ARP = 1u << 6, L_IPV4 = 1u << 7, L_IPV6 = 1u << 8,
    L_TCP = 1u << 9, L_UDP = 1u << 10, L_ICMP = 1u << 11, L_ICMPV6 = 1u << 12,
    L_DNS = 1u << 13, L_FRAG = 1u << 14,
};

enum {   /* statement parameters, in column order */
    P_SESSION = 1, P_TS, P_WIRE, P_CAP, P_LAYERS, P_SRC_MAC, P_DST_MAC, P_VLAN_OUTER,
    P_VLAN_INNER, P_ETHERTYPE, P_IP_VERSION, P_SRC_IP, P_DST_IP, P_IP_PROTO, P_SRC_PORT,
    P_DST_PORT, P_TCP_FLAGS, P_ICMP_TYPE, P_ICMP_CODE, P_ARP_OP, P_ARP_SPA, P_ARP_TPA,
    P_DNS_ID, P_DNS_FLAGS, P_DNS_QNAME, P_FLOW_ID, P_MALFORMED,
};

static const char insert_sql[] =
    "INSERT INTO packets (session_id, ts_ns, wire_len, cap_len, layers, src_mac, dst_mac,"
    " vlan_outer, vlan_inner, ethertype, ip_version, src_ip, dst_ip, ip_proto, src_port,"
    " dst_port, tcp_flags, icmp_type, icmp_code, arp_op, arp_spa, arp_tpa, dns_id,"
    " dns_flags, dns_qname, flow_id, malformed)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static unsigned get16(const u_char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void fmt_mac(const u_char *m, char out[18])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 6; i++) {
        out[i * 3] = hex[m[i] >> 4];
        out[i * 3 + 1] = hex[m[i] & 15];
        out[i * 3 + 2] = i < 5 ? ':' : '\0';
    }
}

static void bind_int_or_null(sqlite3_stmt *s, int i, bool present, int64_t v)
{
    if (present)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

/* First question name of a DNS message at d[0..len), dotted; "" if none. */
static void dns_qname(const u_char *d, uint32_t len, char *out)
{
    uint32_t off = 12, n = 0;
    out[0] = '\0';
    if (len < 12 || get16(d + 4) == 0)
        return;
    for (int labels = 0; labels < MAX_DNS_LABELS && off < len; labels++) {
        uint32_t l = d[off++];
        if (l == 0 || l > 63 || off + l > len)   /* end, pointer or damage */
            break;
        if (n + l + 1 > QNAME_MAX)
            break;
        if (n > 0)
            out[n++] = '.';
        for (uint32_t i = 0; i < l; i++) {
            u_char c = d[off + i];
            out[n++] = (char)(c > 32 && c < 127 ? c : '?');
        }
        off += l;
    }
    out[n] = '\0';
}

/*
 * Binds every column of one frame at parameter offset B (a row of a batch
 * statement).  Absent fields are NULL, as in nm-capture.  Text is bound
 * SQLITE_STATIC (no copy, as nm-capture does) from `text`, which must live
 * until the statement has run.
 */
struct row_text {
    char smac[18], dmac[18], sip[INET6_ADDRSTRLEN], dip[INET6_ADDRSTRLEN];
    char spa[INET_ADDRSTRLEN], tpa[INET_ADDRSTRLEN], qname[QNAME_MAX + 1];
};

static void bind_frame(sqlite3_stmt *s, int B, struct row_text *text, const struct pcap_pkthdr *h,
                       const u_char *d, int linktype)
{
    char *smac = text->smac, *dmac = text->dmac, *sip = text->sip, *dip = text->dip;
    char *spa = text->spa, *tpa = text->tpa, *qname = text->qname;
    uint32_t cap = h->caplen, off = 14, layers = 0, l4len = 0;
    int vlans[2] = {-1, -1}, nvlan = 0, ethertype = -1, ipver = 0, proto = -1;
    int sport = -1, dport = -1, tcpflags = -1, itype = -1, icode = -1, arpop = -1;
    int dnsid = -1, dnsflags = -1;
    const u_char *l4 = NULL;
    uint64_t flow = 0;

    sqlite3_bind_int64(s, B + P_TS, (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec * 1000);
    sqlite3_bind_int64(s, B + P_WIRE, h->len);
    sqlite3_bind_int64(s, B + P_CAP, cap);
    spa[0] = tpa[0] = sip[0] = dip[0] = '\0';

    if (linktype == DLT_EN10MB && cap >= 14) {
        layers |= L_ETH;
        fmt_mac(d + 6, smac);
        fmt_mac(d, dmac);
        ethertype = (int)get16(d + 12);
        for (int t = 0; t < MAX_VLAN_TAGS && (ethertype == 0x8100 || ethertype == 0x88a8 ||
                                              ethertype == 0x9100) && off + 4 <= cap; t++) {
            layers |= L_VLAN;
            if (nvlan < 2)
                vlans[nvlan++] = (int)(get16(d + off) & 0x0fff);
            ethertype = (int)get16(d + off + 2);
            off += 4;
        }
    }
    if (ethertype == 0x0806 && off + 28 <= cap) {
        layers |= L_ARP;
        arpop = (int)get16(d + off + 6);
        inet_ntop(AF_INET, d + off + 14, spa, sizeof text->spa);
        inet_ntop(AF_INET, d + off + 24, tpa, sizeof text->tpa);
    } else if (ethertype == 0x0800 && off + 20 <= cap) {
        const u_char *ip = d + off;
        uint32_t ihl = (uint32_t)(ip[0] & 15) * 4, tot = get16(ip + 2);
        layers |= L_IPV4;
        ipver = 4;
        proto = ip[9];
        inet_ntop(AF_INET, ip + 12, sip, sizeof text->sip);
        inet_ntop(AF_INET, ip + 16, dip, sizeof text->dip);
        flow = (uint64_t)ip[15] * 131 + ip[19];
        if ((get16(ip + 6) & 0x3fff) != 0)
            layers |= L_FRAG;
        if ((get16(ip + 6) & 0x1fff) == 0 && ihl >= 20 && tot >= ihl && off + tot <= cap) {
            l4 = ip + ihl;
            l4len = tot - ihl;
        }
    } else if (ethertype == 0x86dd && off + 40 <= cap) {
        const u_char *ip = d + off;
        uint32_t plen = get16(ip + 4), eo = 40;
        layers |= L_IPV6;
        ipver = 6;
        proto = ip[6];
        inet_ntop(AF_INET6, ip + 8, sip, sizeof text->sip);
        inet_ntop(AF_INET6, ip + 24, dip, sizeof text->dip);
        flow = (uint64_t)ip[23] * 131 + ip[39];
        for (int e = 0; e < MAX_IPV6_EXT && (proto == 0 || proto == 43 || proto == 60 ||
                                             proto == 44) && off + eo + 8 <= cap; e++) {
            if (proto == 44)
                layers |= L_FRAG;
            proto = ip[eo];
            eo += proto == 44 ? 8 : ((uint32_t)ip[eo + 1] + 1) * 8;
        }
        if (off + 40 + plen <= cap && eo <= 40 + plen) {
            l4 = ip + eo;
            l4len = 40 + plen - eo;
        }
    }
    if (l4 != NULL && (proto == 6 || proto == 17) && l4len >= (proto == 6 ? 20u : 8u)) {
        const u_char *dns = NULL;
        uint32_t dnslen = 0;
        sport = (int)get16(l4);
        dport = (int)get16(l4 + 2);
        flow = flow * 65599 + (uint64_t)(sport ^ dport);
        if (proto == 6) {
            uint32_t hl = (uint32_t)(l4[12] >> 4) * 4;
            layers |= L_TCP;
            tcpflags = l4[13] | (l4[12] & 1) << 8;
            if (hl >= 20 && hl + 2 <= l4len) {   /* DNS over TCP: 2-byte length first */
                dns = l4 + hl + 2;
                dnslen = l4len - hl - 2;
            }
        } else {
            layers |= L_UDP;
            dns = l4 + 8;
            dnslen = l4len - 8;
        }
        if ((sport == 53 || dport == 53) && dns != NULL && dnslen >= 12) {
            layers |= L_DNS;
            dnsid = (int)get16(dns);
            dnsflags = (int)get16(dns + 2);
            dns_qname(dns, dnslen, qname);
        }
    } else if (l4 != NULL && (proto == 1 || proto == 58) && l4len >= 4) {
        layers |= proto == 1 ? L_ICMP : L_ICMPV6;
        itype = l4[0];
        icode = l4[1];
    }

    sqlite3_bind_int64(s, B + P_LAYERS, layers);
    if (layers & L_ETH) {
        sqlite3_bind_text(s, B + P_SRC_MAC, smac, 17, SQLITE_STATIC);
        sqlite3_bind_text(s, B + P_DST_MAC, dmac, 17, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(s, B + P_SRC_MAC);
        sqlite3_bind_null(s, B + P_DST_MAC);
    }
    bind_int_or_null(s, B + P_VLAN_OUTER, vlans[0] >= 0, vlans[0]);
    bind_int_or_null(s, B + P_VLAN_INNER, vlans[1] >= 0, vlans[1]);
    bind_int_or_null(s, B + P_ETHERTYPE, ethertype >= 0, ethertype);
    bind_int_or_null(s, B + P_IP_VERSION, ipver != 0, ipver);
    if (ipver != 0) {
        sqlite3_bind_text(s, B + P_SRC_IP, sip, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, B + P_DST_IP, dip, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(s, B + P_SRC_IP);
        sqlite3_bind_null(s, B + P_DST_IP);
    }
    bind_int_or_null(s, B + P_IP_PROTO, ipver != 0, proto);
    bind_int_or_null(s, B + P_SRC_PORT, sport >= 0, sport);
    bind_int_or_null(s, B + P_DST_PORT, dport >= 0, dport);
    bind_int_or_null(s, B + P_TCP_FLAGS, tcpflags >= 0, tcpflags);
    bind_int_or_null(s, B + P_ICMP_TYPE, itype >= 0, itype);
    bind_int_or_null(s, B + P_ICMP_CODE, icode >= 0, icode);
    bind_int_or_null(s, B + P_ARP_OP, arpop >= 0, arpop);
    if (arpop >= 0) {
        sqlite3_bind_text(s, B + P_ARP_SPA, spa, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, B + P_ARP_TPA, tpa, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(s, B + P_ARP_SPA);
        sqlite3_bind_null(s, B + P_ARP_TPA);
    }
    bind_int_or_null(s, B + P_DNS_ID, dnsid >= 0, dnsid);
    bind_int_or_null(s, B + P_DNS_FLAGS, dnsflags >= 0, dnsflags);
    if (dnsid >= 0)
        sqlite3_bind_text(s, B + P_DNS_QNAME, qname, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, B + P_DNS_QNAME);
    /* A stand-in flow id of realistic size (nm-capture numbers flows 1..n). */
    bind_int_or_null(s, B + P_FLOW_ID, ipver != 0, (int64_t)(flow % FLOW_ID_SPACE + 1));
    sqlite3_bind_null(s, B + P_MALFORMED);
}

/* Frames read but not inserted yet (copied: libpcap reuses its buffer). */
static struct pending {
    struct pcap_pkthdr h;
    struct row_text t;
    u_char d[FRAME_MAX];
} pend[BATCH];

static int step(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
}

/* Inserts the n pending frames: one statement for a whole batch, one per
 * row otherwise. */
static int insert_pending(sqlite3_stmt *batch, sqlite3_stmt *one, unsigned n, int linktype)
{
    if (n == BATCH) {
        for (unsigned i = 0; i < n; i++)
            bind_frame(batch, (int)i * COLUMNS, &pend[i].t, &pend[i].h, pend[i].d, linktype);
        return step(batch);
    }
    for (unsigned i = 0; i < n; i++) {
        bind_frame(one, 0, &pend[i].t, &pend[i].h, pend[i].d, linktype);
        int rc = step(one);
        if (rc != SQLITE_DONE)
            return rc;
    }
    return SQLITE_DONE;
}

/* Reads the whole schema file into a NUL-terminated malloc'ed string. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf;

    if (f == NULL || fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
        (uint64_t)st.st_size > SCHEMA_MAX) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[st.st_size] = '\0';
    fclose(f);
    return buf;
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: %s: %s\n", what, err ? err : "error");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

/* Checkpoints as nm-capture makes them (capture/writer.c, schema/db.c):
 * passive, from a second connection on a thread of its own, once the log
 * holds 1000 pages (looked at every 250 ms), so that the inserting thread
 * never waits for a checkpoint's fsyncs. */
static volatile int ckpt_stop;
static int wal_frames;       /* under ckpt_lock */
static pthread_mutex_t ckpt_lock = PTHREAD_MUTEX_INITIALIZER;

static int on_wal_commit(void *arg, sqlite3 *c, const char *name, int frames)
{
    (void)arg;
    (void)c;
    (void)name;
    pthread_mutex_lock(&ckpt_lock);
    wal_frames = frames;
    pthread_mutex_unlock(&ckpt_lock);
    return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
    sqlite3 *c = NULL;
    if (sqlite3_open_v2(arg, &c, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(c, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(c);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&ckpt_lock);
        int stop = ckpt_stop, frames = wal_frames;
        pthread_mutex_unlock(&ckpt_lock);
        if (stop)
            break;
        if (frames >= 1000)
            sqlite3_wal_checkpoint_v2(c, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        struct timespec ts = { 0, 250 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    sqlite3_close(c);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t ckpt;
    int ckpt_started = 0;
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *d;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *batch = NULL;
    char *batch_sql = NULL;
    unsigned npend = 0;
    uint64_t packets = 0, rows = 0;
    uint32_t in_txn = 0;
    struct stat st;
    char *schema;
    pcap_t *p;
    int rc, linktype, status = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: sqlite_ceiling SCHEMA.sql CAPTURE DB\n");
        return 2;
    }
    if (stat(argv[3], &st) == 0) {
        fprintf(stderr, "sqlite_ceiling: %s: exists; give a new file\n", argv[3]);
        return 2;
    }
    schema = read_file(argv[1]);
    if (schema == NULL)
        return 1;
    /* libpcap with a 1 MiB stdio buffer: nm-capture reads classic pcap
     * files with its own reader (capture/pcapfile.c), a few percent of
     * this program's time faster; pcapng goes through libpcap in both. */
    static char rbuf[1 << 20];
    FILE *fp = fopen(argv[2], "rb");
    if (fp == NULL) {
        perror(argv[2]);
        free(schema);
        return 1;
    }
    setvbuf(fp, rbuf, _IOFBF, sizeof rbuf);
    p = pcap_fopen_offline(fp, errbuf);
    if (p == NULL) {
        fprintf(stderr, "sqlite_ceiling: %s\n", errbuf);
        fclose(fp);
        free(schema);
        return 1;
    }
    linktype = pcap_datalink(p);
    if (sqlite3_open(argv[3], &db) != SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: %s: %s\n", argv[3], sqlite3_errmsg(db));
        goto out;
    }
    /* The settings nm-capture uses (schema/db.c nm_db_open), the best we
     * measured: 16 KiB pages (before WAL fixes them), WAL, NORMAL sync,
     * 64 MiB page cache, temporary tables in memory. */
    if (exec(db, "PRAGMA page_size = 16384", "page_size") != 0 ||
        exec(db, "PRAGMA journal_mode = WAL", "journal_mode") != 0 ||
        exec(db, "PRAGMA synchronous = NORMAL", "synchronous") != 0 ||
        exec(db, "PRAGMA cache_size = -65536", "cache_size") != 0 ||
        exec(db, "PRAGMA temp_store = MEMORY", "temp_store") != 0 ||
        exec(db, "BEGIN", "begin") != 0 || exec(db, schema, argv[1]) != 0 ||
        exec(db, "COMMIT", "commit") != 0 ||
        exec(db, "PRAGMA wal_autocheckpoint = 0", "wal_autocheckpoint") != 0)
        goto out;
    sqlite3_wal_hook(db, on_wal_commit, NULL);
    if (pthread_create(&ckpt, NULL, checkpointer, argv[3]) == 0)
        ckpt_started = 1;
    else
        exec(db, "PRAGMA wal_autocheckpoint = 1000", "wal_autocheckpoint");
    static const char more[] = ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    _Static_assert(sizeof more == 2 + 2 * COLUMNS + 1, "one row of COLUMNS values");
    /* insert_sql, then BATCH - 1 copies of `more`, then the NUL */
    batch_sql = malloc(sizeof insert_sql + (BATCH - 1) * (sizeof more - 1));
    if (batch_sql == NULL)
        goto out;
    size_t used = sizeof insert_sql - 1;
    memcpy(batch_sql, insert_sql, used);
    for (int i = 1; i < BATCH; i++, used += sizeof more - 1)
        memcpy(batch_sql + used, more, sizeof more - 1);
    batch_sql[used] = '\0';
    if (sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v3(db, batch_sql, -1, SQLITE_PREPARE_PERSISTENT, &batch, NULL) !=
            SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: prepare: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_int64(ins, P_SESSION, 1);
    for (int i = 0; i < BATCH; i++)
        sqlite3_bind_int64(batch, i * COLUMNS + P_SESSION, 1);
    if (exec(db, "BEGIN", "begin") != 0)
        goto out;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        packets++;
        pend[npend].h = *h;
        if (pend[npend].h.caplen > FRAME_MAX)   /* libpcap refuses such records: a guard */
            pend[npend].h.caplen = FRAME_MAX;
        memcpy(pend[npend].d, d, pend[npend].h.caplen);
        if (++npend == BATCH) {
            if (insert_pending(batch, ins, npend, linktype) != SQLITE_DONE) {
                fprintf(stderr, "sqlite_ceiling: insert: %s\n", sqlite3_errmsg(db));
                goto out;
            }
            rows += npend;
            in_txn += npend;
            npend = 0;
        }
        if (in_txn >= BATCH_ROWS) {
            if (exec(db, "COMMIT", "commit") != 0 || exec(db, "BEGIN", "begin") != 0)
                goto out;
            in_txn = 0;
        }
    }
    if (rc == -1) {
        fprintf(stderr, "sqlite_ceiling: %s: %s\n", argv[2], pcap_geterr(p));
        goto out;
    }
    if (insert_pending(batch, ins, npend, linktype) != SQLITE_DONE) {
        fprintf(stderr, "sqlite_ceiling: insert: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    rows += npend;
    if (exec(db, "COMMIT", "commit") != 0)
        goto out;
    printf("packets %" PRIu64 " rows %" PRIu64 "\n", packets, rows);
    status = 0;
out:
    if (ckpt_started) {
        pthread_mutex_lock(&ckpt_lock);
        ckpt_stop = 1;
        pthread_mutex_unlock(&ckpt_lock);
        pthread_join(ckpt, NULL);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(batch);
    free(batch_sql);
    sqlite3_close(db);
    pcap_close(p);
    free(schema);
    return status;
}
