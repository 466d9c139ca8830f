/*
 * test_eventline.c - event-log lines: hand-written expected lines for
 * hand-made packets, then the database view `event_log` (and
 * `event_log_utc`) against nm_eventline_format() for the same packets
 * inserted through nm_db_insert_packet(): hand-made ones plus thousands of
 * random ones, in three time zones.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../analyze/eventline.h"
#include "../../analyze/textfmt.h"
#include "../../schema/db.h"
#include "check.h"

/* A failed expectation with a message (no condition to show). */
#define FAIL(msg)                                                  \
    do {                                                           \
        fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, (msg)); \
        CHECK(false);                                              \
    } while (0)

#define TS1 1731416310112349000  /* 2024-11-12 12:58:30.112349 UTC */

static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    nm_fmt_ts_reset_cache();
}

static void set_ip4(struct nm_ip *ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    memset(ip, 0, sizeof *ip);
    ip->b[0] = a;
    ip->b[1] = b;
    ip->b[2] = c;
    ip->b[3] = d;
}

static void set_mac(uint8_t mac[6], uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e,
                    uint8_t f)
{
    mac[0] = a;
    mac[1] = b;
    mac[2] = c;
    mac[3] = d;
    mac[4] = e;
    mac[5] = f;
}

/* ------------------------------------------------- hand-made packets -- */

enum { N_HAND = 12 };
static struct nm_packet hand[N_HAND];
static const char *hand_utc[N_HAND];  /* expected lines with utc = true */

static void make_hand(void)
{
    struct nm_packet *p;
    int i = 0;

    memset(hand, 0, sizeof hand);

    /* 0: TCP over IPv4 over Ethernet */
    p = &hand[i];
    p->ts_ns = TS1;
    p->wire_len = 1514;
    p->cap_len = 1514;
    p->layers = NM_L_ETH | NM_L_IPV4 | NM_L_TCP;
    set_mac(p->src_mac, 0xe8, 0x2a, 0x44, 0xd5, 0xc7, 0x97);
    set_mac(p->dst_mac, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    p->ethertype = 0x0800;
    p->ip_version = 4;
    p->ip_proto = 6;
    set_ip4(&p->src_ip, 192, 168, 1, 10);
    set_ip4(&p->dst_ip, 93, 184, 216, 34);
    p->src_port = 51514;
    p->dst_port = 443;
    p->tcp_flags = NM_TCP_PSH | NM_TCP_ACK;
    hand_utc[i++] =
        "2024-11-12 12:58:30.112349 Ethernet e8:2a:44:d5:c7:97 00:11:22:33:44:55 1514 bytes\n"
        "2024-11-12 12:58:30.112349 IP 192.168.1.10 93.184.216.34 1514 bytes\n"
        "2024-11-12 12:58:30.112349 TCP 192.168.1.10:51514 93.184.216.34:443 Flags: PA "
        "1514 bytes\n";

    /* 1: DNS query over UDP over IPv6 */
    p = &hand[i];
    p->ts_ns = TS1 + 1000000;
    p->wire_len = 93;
    p->cap_len = 93;
    p->layers = NM_L_ETH | NM_L_IPV6 | NM_L_UDP | NM_L_DNS;
    set_mac(p->src_mac, 0x02, 0, 0, 0, 0, 1);
    set_mac(p->dst_mac, 0x02, 0, 0, 0, 0, 2);
    p->ip_version = 6;
    p->ip_proto = 17;
    p->src_ip.b[0] = 0x20;
    p->src_ip.b[1] = 0x01;
    p->src_ip.b[2] = 0x0d;
    p->src_ip.b[3] = 0xb8;
    p->dst_ip = p->src_ip;
    p->src_ip.b[15] = 1;
    p->dst_ip.b[15] = 0x53;
    p->src_port = 5353;
    p->dst_port = 53;
    p->dns_id = 0x1234;
    p->dns_flags = 0x0100;
    memcpy(p->dns_qname, "example.com", 12);
    hand_utc[i++] =
        "2024-11-12 12:58:30.113349 Ethernet 02:00:00:00:00:01 02:00:00:00:00:02 93 bytes\n"
        "2024-11-12 12:58:30.113349 IPv6 2001:db8::1 2001:db8::53 93 bytes\n"
        "2024-11-12 12:58:30.113349 UDP [2001:db8::1]:5353 [2001:db8::53]:53 93 bytes\n"
        "2024-11-12 12:58:30.113349 DNS [2001:db8::1]:5353 [2001:db8::53]:53 Query Id: 4660 "
        "Name: example.com 93 bytes\n";

    /* 2: DNS response over IPv4, raw link (no Ethernet line): lines 1..3 */
    p = &hand[i];
    p->ts_ns = TS1 + 2000000;
    p->wire_len = 120;
    p->cap_len = 120;
    p->layers = NM_L_RAW | NM_L_IPV4 | NM_L_UDP | NM_L_DNS;
    p->ip_version = 4;
    p->ip_proto = 17;
    set_ip4(&p->src_ip, 8, 8, 8, 8);
    set_ip4(&p->dst_ip, 10, 0, 0, 2);
    p->src_port = 53;
    p->dst_port = 40000;
    p->dns_id = 7;
    p->dns_flags = 0x8180;
    memcpy(p->dns_qname, "a b.example", 12);  /* escaped to stay one field */
    hand_utc[i++] =
        "2024-11-12 12:58:30.114349 IP 8.8.8.8 10.0.0.2 120 bytes\n"
        "2024-11-12 12:58:30.114349 UDP 8.8.8.8:53 10.0.0.2:40000 120 bytes\n"
        "2024-11-12 12:58:30.114349 DNS 8.8.8.8:53 10.0.0.2:40000 Response Id: 7 "
        "Name: a\\032b.example 120 bytes\n";

    /* 3: ARP request */
    p = &hand[i];
    p->ts_ns = TS1 + 3000000;
    p->wire_len = 42;
    p->cap_len = 42;
    p->layers = NM_L_ETH | NM_L_ARP;
    set_mac(p->src_mac, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff);
    set_mac(p->dst_mac, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    p->ethertype = 0x0806;
    p->arp_op = 1;
    p->arp_spa[0] = 10;
    p->arp_spa[3] = 1;
    p->arp_tpa[0] = 10;
    p->arp_tpa[3] = 2;
    hand_utc[i++] =
        "2024-11-12 12:58:30.115349 Ethernet aa:bb:cc:dd:ee:ff ff:ff:ff:ff:ff:ff 42 bytes\n"
        "2024-11-12 12:58:30.115349 ARP 10.0.0.1 10.0.0.2 Op: request 42 bytes\n";

    /* 4: ARP reply, VLAN tagged (no line for the tag) */
    p = &hand[i];
    *p = hand[3];
    p->layers |= NM_L_VLAN;
    p->vlan_count = 2;
    p->vlan_ids[0] = 42;
    p->vlan_ids[1] = 7;
    p->wire_len = 64;
    p->arp_op = 2;
    hand_utc[i++] =
        "2024-11-12 12:58:30.115349 Ethernet aa:bb:cc:dd:ee:ff ff:ff:ff:ff:ff:ff 64 bytes\n"
        "2024-11-12 12:58:30.115349 ARP 10.0.0.1 10.0.0.2 Op: reply 64 bytes\n";

    /* 5: ARP with another opcode (RARP request), cooked capture */
    p = &hand[i];
    *p = hand[3];
    p->layers = NM_L_SLL | NM_L_ARP;
    p->arp_op = 3;
    hand_utc[i++] = "2024-11-12 12:58:30.115349 ARP 10.0.0.1 10.0.0.2 Op: 3 42 bytes\n";

    /* 6: ICMP echo request */
    p = &hand[i];
    p->ts_ns = TS1 + 4000000;
    p->wire_len = 98;
    p->cap_len = 98;
    p->layers = NM_L_ETH | NM_L_IPV4 | NM_L_ICMP;
    set_mac(p->src_mac, 1, 2, 3, 4, 5, 6);
    set_mac(p->dst_mac, 6, 5, 4, 3, 2, 1);
    p->ip_version = 4;
    p->ip_proto = 1;
    set_ip4(&p->src_ip, 10, 1, 1, 1);
    set_ip4(&p->dst_ip, 10, 1, 1, 2);
    p->icmp_type = 8;
    p->icmp_code = 0;
    hand_utc[i++] =
        "2024-11-12 12:58:30.116349 Ethernet 01:02:03:04:05:06 06:05:04:03:02:01 98 bytes\n"
        "2024-11-12 12:58:30.116349 IP 10.1.1.1 10.1.1.2 98 bytes\n"
        "2024-11-12 12:58:30.116349 ICMP 10.1.1.1 10.1.1.2 Type: 8 Code: 0 98 bytes\n";

    /* 7: ICMPv6 destination unreachable quoting a packet, raw IPv6 */
    p = &hand[i];
    p->ts_ns = TS1 + 5000000;
    p->wire_len = 1280;
    p->cap_len = 200;
    p->layers = NM_L_IPV6 | NM_L_ICMPV6 | NM_L_ICMP_QUOTE;
    p->ip_version = 6;
    p->ip_proto = 58;
    p->src_ip.b[0] = 0xfe;
    p->src_ip.b[1] = 0x80;
    p->src_ip.b[15] = 1;
    p->dst_ip.b[15] = 1;
    p->icmp_type = 1;
    p->icmp_code = 4;
    hand_utc[i++] =
        "2024-11-12 12:58:30.117349 IPv6 fe80::1 ::1 1280 bytes\n"
        "2024-11-12 12:58:30.117349 ICMPv6 fe80::1 ::1 Type: 1 Code: 4 1280 bytes\n";

    /* 8: Ethernet only (e.g. LLDP): one line */
    p = &hand[i];
    p->ts_ns = TS1;
    p->wire_len = 60;
    p->cap_len = 60;
    p->layers = NM_L_ETH;
    set_mac(p->src_mac, 0, 0x1b, 0x21, 0x3c, 0x4d, 0x5e);
    set_mac(p->dst_mac, 0x01, 0x80, 0xc2, 0, 0, 0x0e);
    p->ethertype = 0x88cc;
    hand_utc[i++] =
        "2024-11-12 12:58:30.112349 Ethernet 00:1b:21:3c:4d:5e 01:80:c2:00:00:0e 60 bytes\n";
    /* 9: no layer with a line: nothing at all */
    p = &hand[i];
    p->ts_ns = TS1;
    p->wire_len = 60;
    p->layers = NM_L_SLL | NM_L_VLAN;
    p->malformed = NM_MAL_VLAN_TRUNCATED;
    hand_utc[i++] = "";

    /* 10: DNS over TCP, IPv6, SYN-less RST|ACK, empty question */
    p = &hand[i];
    *p = hand[1];
    p->layers = NM_L_IPV6 | NM_L_TCP | NM_L_DNS;
    p->tcp_flags = NM_TCP_RST | NM_TCP_ACK;
    p->dns_qname[0] = '\0';
    p->dns_flags = 0x8000;
    p->ts_ns = TS1 + 999999;  /* 999 ns past .113348 */
    hand_utc[i++] =
        "2024-11-12 12:58:30.113348 IPv6 2001:db8::1 2001:db8::53 93 bytes\n"
        "2024-11-12 12:58:30.113348 TCP [2001:db8::1]:5353 [2001:db8::53]:53 Flags: RA 93 "
        "bytes\n"
        "2024-11-12 12:58:30.113348 DNS [2001:db8::1]:5353 [2001:db8::53]:53 Response Id: 4660"
        " Name: - 93 bytes\n";

    /* 11: TCP without flags, before the epoch (floor of the microseconds) */
    p = &hand[i];
    *p = hand[0];
    p->ts_ns = -1;
    p->layers = NM_L_IPV4 | NM_L_TCP;
    p->tcp_flags = 0;
    p->wire_len = 40;
    hand_utc[i++] =
        "1969-12-31 23:59:59.999999 IP 192.168.1.10 93.184.216.34 40 bytes\n"
        "1969-12-31 23:59:59.999999 TCP 192.168.1.10:51514 93.184.216.34:443 Flags: - "
        "40 bytes\n";

}

static void test_hand_lines(void)
{
    char buf[NM_EVENTLINE_MAX];

    for (int i = 0; i < N_HAND; i++) {
        size_t n = nm_eventline_format(&hand[i], true, buf, sizeof buf);
        CHECK_EQ_U(n, strlen(hand_utc[i]));
        CHECK_EQ_S(buf, hand_utc[i]);
    }

    /* local time: New York is UTC-5 in November */
    set_tz("America/New_York");
    nm_eventline_format(&hand[6], false, buf, sizeof buf);
    CHECK_EQ_S(buf,
               "2024-11-12 07:58:30.116349 Ethernet 01:02:03:04:05:06 06:05:04:03:02:01 98 bytes\n"
               "2024-11-12 07:58:30.116349 IP 10.1.1.1 10.1.1.2 98 bytes\n"
               "2024-11-12 07:58:30.116349 ICMP 10.1.1.1 10.1.1.2 Type: 8 Code: 0 98 bytes\n");
    set_tz("UTC");

    /* a short buffer keeps whole lines only */
    const char *first = "2024-11-12 12:58:30.112349 Ethernet e8:2a:44:d5:c7:97 "
                        "00:11:22:33:44:55 1514 bytes\n";
    size_t flen = strlen(first);
    CHECK_EQ_U(nm_eventline_format(&hand[0], true, buf, flen + 1), flen);
    CHECK_EQ_S(buf, first);
    CHECK_EQ_U(nm_eventline_format(&hand[0], true, buf, flen), 0);
    CHECK_EQ_S(buf, "");
    CHECK_EQ_U(nm_eventline_format(&hand[0], true, buf, 0), 0);

    /* the longest possible packet fits in NM_EVENTLINE_MAX */
    struct nm_packet big = hand[1];
    memset(big.src_ip.b, 0xff, 16);
    memset(big.dst_ip.b, 0xff, 16);
    memset(big.dns_qname, ' ', NM_DNS_NAME_MAX);
    big.dns_qname[NM_DNS_NAME_MAX] = '\0';
    big.layers = NM_L_ETH | NM_L_IPV6 | NM_L_TCP | NM_L_DNS;
    big.tcp_flags = 0x1ff;
    big.wire_len = UINT32_MAX;
    big.src_port = big.dst_port = 65535;
    big.dns_id = 65535;
    big.dns_flags = 0xffff;
    size_t n = nm_eventline_format(&big, true, buf, sizeof buf);
    CHECK(n > 1200 && n < sizeof buf);
    CHECK(buf[n - 1] == '\n');
    CHECK_EQ_U(nm_eventline_format(&big, true, buf, n + 1), n);
}

/* --------------------------------------------------- random packets -- */

static void random_packet(struct nm_packet *p)
{
    static const uint32_t layer_pool[] = {
        NM_L_ETH, NM_L_VLAN, NM_L_SLL, NM_L_ARP, NM_L_IPV4, NM_L_IPV6, NM_L_TCP,
        NM_L_UDP, NM_L_ICMP, NM_L_ICMPV6, NM_L_DNS, NM_L_FRAG, NM_L_ICMP_QUOTE,
    };
    uint64_t r = rnd();

    memset(p, 0, sizeof *p);
    /* 1971..2037: the range where SQLite's 'localtime' uses the real zone
     * rules (outside it SQLite maps to an equivalent year) */
    p->ts_ns = (int64_t)(31536000 + rnd() % 2100000000u) * 1000000000 +
               (int64_t)(rnd() % 1000000000u);
    p->wire_len = (uint32_t)(rnd() % 3 == 0 ? rnd() : rnd() % 1600);
    p->cap_len = p->wire_len;
    for (size_t i = 0; i < sizeof layer_pool / sizeof layer_pool[0]; i++)
        if ((r >> i) & 1u)
            p->layers |= layer_pool[i];
    /* bias toward realistic stacks so every line kind is exercised often */
    switch ((r >> 20) % 4) {
    case 0: p->layers = NM_L_ETH | NM_L_IPV4 | NM_L_TCP; break;
    case 1: p->layers = NM_L_ETH | NM_L_IPV6 | NM_L_UDP | NM_L_DNS; break;
    default: break;
    }
    uint64_t f = rnd();
    memcpy(p->src_mac, &f, 6);
    f = rnd();
    memcpy(p->dst_mac, &f, 6);
    p->vlan_count = (uint8_t)(rnd() % 3);
    p->vlan_ids[0] = (uint16_t)(rnd() & 0xfff);
    p->vlan_ids[1] = (uint16_t)(rnd() & 0xfff);
    p->ethertype = (uint16_t)rnd();
    static const uint8_t versions[] = { 0, 4, 6, 4, 6, 5 };
    p->ip_version = versions[rnd() % sizeof versions];
    p->ip_proto = (uint8_t)rnd();
    for (int i = 0; i < 16; i += 8) {
        f = rnd();
        memcpy(p->src_ip.b + i, &f, 8);
        f = rnd();
        memcpy(p->dst_ip.b + i, &f, 8);
    }
    if (rnd() % 2)  /* zero runs, "::" */
        memset(p->src_ip.b + 2, 0, (size_t)(rnd() % 12));
    p->arp_op = (uint16_t)(rnd() % 5);
    f = rnd();
    memcpy(p->arp_spa, &f, 4);
    memcpy(p->arp_tpa, (uint8_t *)&f + 4, 4);
    p->src_port = (uint16_t)rnd();
    p->dst_port = (uint16_t)rnd();
    p->tcp_flags = (uint16_t)(rnd() % 4 == 0 ? 0 : rnd() & 0x1ff);
    p->icmp_type = (uint8_t)rnd();
    p->icmp_code = (uint8_t)rnd();
    p->dns_id = (uint16_t)rnd();
    p->dns_flags = (uint16_t)rnd();
    size_t qlen = rnd() % 4 == 0 ? 0 : (size_t)(rnd() % (NM_DNS_NAME_MAX + 1));
    for (size_t i = 0; i < qlen; i++) {
        uint8_t c = (uint8_t)(rnd() % 8 == 0 ? rnd() % 255 + 1 : 'a' + rnd() % 26);
        p->dns_qname[i] = (char)c;
    }
    p->dns_qname[qlen] = '\0';
    p->malformed = (enum nm_malformed)(rnd() % NM_MAL_COUNT);
}

/* ------------------------------------------------- view vs formatter -- */

/*
 * Compares view rows (ordered by packet, line) of one session with the
 * formatter's output for pkts[0..n), line by line.
 */
static void compare_view(sqlite3 *conn, const char *view, int64_t session,
                         const struct nm_packet *pkts, size_t n, bool utc, const char *tz)
{
    char sql[256], buf[NM_EVENTLINE_MAX];
    sqlite3_stmt *s = NULL;
    size_t lines = 0, mismatches = 0;

    snprintf(sql, sizeof sql,
             "SELECT line, line_no FROM %s WHERE session_id = ?1 AND packet_id IN "
             "(SELECT id FROM packets WHERE session_id = ?1 ORDER BY id LIMIT ?2) "
             "ORDER BY packet_id, line_no", view);
    CHECK(sqlite3_prepare_v2(conn, sql, -1, &s, NULL) == SQLITE_OK);
    if (s == NULL)
        return;
    sqlite3_bind_int64(s, 1, session);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)n);
    for (size_t i = 0; i < n; i++) {
        nm_eventline_format(&pkts[i], utc, buf, sizeof buf);
        char *line = buf;
        int line_no = 0;
        while (*line != '\0') {
            char *nl = strchr(line, '\n');
            *nl = '\0';
            line_no++;
            if (sqlite3_step(s) != SQLITE_ROW) {
                FAIL("view has fewer lines than the formatter");
                sqlite3_finalize(s);
                return;
            }
            const char *got = (const char *)sqlite3_column_text(s, 0);
            lines++;
            if (got == NULL || strcmp(got, line) != 0 || sqlite3_column_int(s, 1) != line_no) {
                if (mismatches++ < 5)
                    fprintf(stderr, "%s TZ=%s packet %zu line %d:\n  view: %s (line_no %d)\n"
                            "  fmt:  %s\n", view, tz, i, line_no, got ? got : "(NULL)",
                            sqlite3_column_int(s, 1), line);
            }
            line = nl + 1;
        }
    }
    CHECK(sqlite3_step(s) == SQLITE_DONE);  /* no extra view lines */
    CHECK_EQ_U(mismatches, 0);
    CHECK(lines > 0);
    sqlite3_finalize(s);
}

static void test_view(void)
{
    enum { N_RANDOM = 20000 };
    char path[] = "/tmp/nm-test-eventline-XXXXXX";
    char dbpath[64], err[512];
    struct nm_db *db = NULL;
    sqlite3 *conn = NULL;
    int64_t sess_hand = 0, sess_rand = 0;
    static struct nm_packet pkts[N_RANDOM];
    struct nm_session_info info = { .source = "test", .link_type = 1,
                                    .link_type_name = "EN10MB", .ts_precision = 9,
                                    .start_wall_ns = TS1 };

    CHECK(mkdtemp(path) != NULL);
    snprintf(dbpath, sizeof dbpath, "%s/ev.db", path);
    CHECK(nm_db_open(dbpath, NM_DB_WRITE, &db, err, sizeof err) == 0);
    if (db == NULL) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK(nm_db_session_begin(db, &info, &sess_hand) == 0);
    CHECK(nm_db_session_begin(db, &info, &sess_rand) == 0);
    CHECK(nm_db_begin(db) == 0);
    for (int i = 0; i < N_HAND; i++)
        CHECK(nm_db_insert_packet(db, sess_hand, &hand[i], 0) == 0);
    for (size_t i = 0; i < N_RANDOM; i++) {
        random_packet(&pkts[i]);
        if (nm_db_insert_packet(db, sess_rand, &pkts[i], i) != 0) {
            FAIL("insert failed");
            fprintf(stderr, "%s\n", nm_db_errmsg(db));
            break;
        }
    }
    CHECK(nm_db_commit(db) == 0);
    nm_db_close(db);

    CHECK(sqlite3_open_v2(dbpath, &conn, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    /* hand-made lines (including the pre-epoch one) in UTC, exactly */
    compare_view(conn, "event_log_utc", sess_hand, hand, N_HAND, true, "-");
    compare_view(conn, "event_log_utc", sess_rand, pkts, N_RANDOM, true, "-");

    static const char *const zones[] = { "UTC", "America/New_York", "Asia/Kolkata",
                                         "Australia/Lord_Howe" };
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        set_tz(zones[z]);
        /* without the pre-epoch packet 11: SQLite's localtime maps years
         * before 1971 to an equivalent year */
        compare_view(conn, "event_log", sess_hand, hand, N_HAND - 1, false, zones[z]);
        compare_view(conn, "event_log", sess_rand, pkts, N_RANDOM, false, zones[z]);
    }
    set_tz("UTC");

    /* The text file written by nm-capture is the view's lines joined by '\n':
     * spot-check the hand-written expectation through SQL too. */
    sqlite3_stmt *s = NULL;
    CHECK(sqlite3_prepare_v2(conn,
                             "SELECT group_concat(line || char(10), '') FROM (SELECT line FROM "
                             "event_log_utc WHERE session_id = ?1 AND packet_id = (SELECT "
                             "min(id) FROM packets WHERE session_id = ?1) ORDER BY line_no)",
                             -1, &s, NULL) == SQLITE_OK);
    sqlite3_bind_int64(s, 1, sess_hand);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    const char *got = (const char *)sqlite3_column_text(s, 0);
    CHECK_EQ_S(got ? got : "", hand_utc[0]);
    sqlite3_finalize(s);
    sqlite3_close(conn);

    snprintf(err, sizeof err, "%s-wal", dbpath);
    unlink(err);
    snprintf(err, sizeof err, "%s-shm", dbpath);
    unlink(err);
    unlink(dbpath);
    rmdir(path);
}

int main(int argc, char **argv)
{
    (void)argc;
    set_tz("UTC");
    make_hand();
    test_hand_lines();
    test_view();
    return check_report(argv[0]);
}
