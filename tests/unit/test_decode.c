/*
 * test_decode.c - nm_decode() on hand-built frames: every protocol, every
 * link type and every malformation reason.  Frames are written out in hex,
 * field by field; the expected values were worked out by hand from those
 * bytes (and the frames cross-checked with tshark, see NM_DECODE_SEED_DIR).
 *
 * NM_DECODE_SEED_DIR=dir: also write each frame there as a fuzz input
 * (tests/fuzz/fuzz_decode.c format), to seed tests/fuzz/corpus/decode/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../capture/decode/decode.h"
#include "check.h"

#define MAX_FRAME 2048

/* Frame builder: hex text plus repeated bytes, for the long DNS names. */
struct frame {
    uint8_t b[MAX_FRAME];
    uint32_t n;
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_hex(struct frame *f, const char *hex)
{
    int hi = -1;

    for (; *hex != '\0'; hex++) {
        int v = hexval(*hex);
        if (v < 0) {
            if (*hex != ' ') {
                fprintf(stderr, "bad hex character '%c'\n", *hex);
                exit(2);
            }
            continue;
        }
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (f->n >= MAX_FRAME)
            exit(2);
        f->b[f->n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0) {
        fprintf(stderr, "odd number of hex digits\n");
        exit(2);
    }
}

static void put_rep(struct frame *f, uint8_t byte, uint32_t count)
{
    while (count-- > 0 && f->n < MAX_FRAME)
        f->b[f->n++] = byte;
}

static void put_be16(struct frame *f, uint32_t v)
{
    put_rep(f, (uint8_t)(v >> 8), 1);
    put_rep(f, (uint8_t)v, 1);
}

/* Link types in fuzz_decode.c's order, for the seed files. */
static const int seed_linktypes[] = { 1, 113, 276, 0, 108, 101, 12, 14, 228, 229 };

static void write_seed(int linktype, const struct frame *f, uint32_t wire_extra)
{
    static int seq;
    const char *dir = getenv("NM_DECODE_SEED_DIR");
    char path[512];
    int idx = -1;

    if (dir == NULL)
        return;
    for (int i = 0; i < (int)(sizeof seed_linktypes / sizeof seed_linktypes[0]); i++)
        if (seed_linktypes[i] == linktype)
            idx = i;
    if (idx < 0)
        return;
    snprintf(path, sizeof path, "%s/unit-%03d", dir, seq++);
    FILE *out = fopen(path, "wb");
    if (out == NULL)
        return;
    fputc(idx | (wire_extra ? 0x80 : 0), out);
    fwrite(f->b, 1, f->n, out);
    fclose(out);
}

static struct nm_packet pkt;

/* Decodes f; wire_extra > 0 makes it a frame cut by the snap length. */
static enum nm_malformed dec_frame(int linktype, const struct frame *f, uint32_t wire_extra)
{
    write_seed(linktype, f, wire_extra);
    memset(&pkt, 0x5a, sizeof pkt);     /* stale garbage must not survive */
    pkt.ts_ns = 77;
    enum nm_malformed r = nm_decode(linktype, f->b, f->n, f->n + wire_extra, &pkt);
    CHECK_EQ_U(pkt.ts_ns, 77);
    CHECK_EQ_U(pkt.cap_len, f->n);
    CHECK_EQ_U(pkt.wire_len, f->n + wire_extra);
    CHECK_EQ_U(pkt.malformed, r);
    return r;
}

static enum nm_malformed dec(int linktype, const char *hex)
{
    struct frame f = { .n = 0 };

    put_hex(&f, hex);
    return dec_frame(linktype, &f, 0);
}

static enum nm_malformed dec_cut(int linktype, const char *hex, uint32_t wire_extra)
{
    struct frame f = { .n = 0 };

    put_hex(&f, hex);
    return dec_frame(linktype, &f, wire_extra);
}

static void check_ip4(const uint8_t *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
    CHECK_EQ_U(a[0], b0);
    CHECK_EQ_U(a[1], b1);
    CHECK_EQ_U(a[2], b2);
    CHECK_EQ_U(a[3], b3);
}

/* Ethernet header: dst 0a:0b:0c:0d:0e:0f, src 02:00:00:00:00:01. */
#define ETH "0a0b0c0d0e0f 020000000001 "
/* IPv4 addresses 192.168.0.1 -> 192.168.0.2 */
#define A12 " c0a80001 c0a80002 "
/* ICMP echo request id 0x1234 seq 1, 2 bytes of data: 10 bytes */
#define ECHO "0800 0000 1234 0001 6162"
/* IPv4 header for ECHO: total 30 (0x1e), TTL 64, protocol 1 */
#define IP4_ECHO "4500001e 00010000 4001 0000" A12 ECHO
/* IPv6 addresses 2001:db8::1 -> 2001:db8::2 */
#define A6 " 20010db8000000000000000000000001 20010db8000000000000000000000002 "
/* ICMPv6 echo reply id 0xabcd seq 7 (8 bytes) in IPv6, hop limit 255 */
#define IP6_ECHO "60000000 0008 3a ff" A6 "8100 0000 abcd 0007"
/* DNS query for www.example.com A: 12 + 17 + 4 = 33 bytes */
#define DNSQ "abcd 0100 0001 0000 0000 0000 03777777 076578616d706c65 03636f6d 00 0001 0001"

static void test_eth_ipv4_tcp(void)
{
    /* SYN 50000 -> 80, seq 0x01020304, header 28 bytes (MSS, NOP, NOP, SACK-perm) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000030 00014000 4006 0000" A12
                   "c350 0050 01020304 00000000 7002 faf0 0000 0000 020405b4 01010402"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_TCP);
    CHECK_EQ_U(pkt.dst_mac[0], 0x0a);
    CHECK_EQ_U(pkt.dst_mac[5], 0x0f);
    CHECK_EQ_U(pkt.src_mac[0], 0x02);
    CHECK_EQ_U(pkt.src_mac[5], 0x01);
    CHECK_EQ_U(pkt.ethertype, 0x0800);
    CHECK_EQ_U(pkt.vlan_count, 0);
    CHECK_EQ_U(pkt.ip_version, 4);
    CHECK_EQ_U(pkt.ip_proto, 6);
    CHECK_EQ_U(pkt.ttl, 64);
    check_ip4(pkt.src_ip.b, 192, 168, 0, 1);
    check_ip4(pkt.dst_ip.b, 192, 168, 0, 2);
    CHECK_EQ_U(pkt.src_ip.b[4], 0);
    CHECK_EQ_U(pkt.frag_offset, 0);
    CHECK(!pkt.more_frags);     /* DF only */
    CHECK_EQ_U(pkt.src_port, 50000);
    CHECK_EQ_U(pkt.dst_port, 80);
    CHECK_EQ_U(pkt.tcp_seq, 0x01020304);
    CHECK_EQ_U(pkt.tcp_ack, 0);
    CHECK_EQ_U(pkt.tcp_flags, NM_TCP_SYN);
    CHECK_EQ_U(pkt.tcp_win, 64240);
    CHECK_EQ_U(pkt.l4_payload_len, 0);
    CHECK_EQ_S(pkt.dns_qname, "");
    CHECK_EQ_U(pkt.dns_id, 0);

    /* PSH|ACK with NS, 5 bytes "hello", then 6 bytes of Ethernet padding
     * that IPv4's total length (45) excludes. */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500002d 00020000 3f06 0000"
                   " c0a80002 c0a80001 0050 c350 0a0b0c0d 01020305 5118 0200 0000 0000"
                   " 68656c6c6f 000000000000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_TCP);
    CHECK_EQ_U(pkt.ttl, 63);
    CHECK_EQ_U(pkt.tcp_flags, NM_TCP_NS | NM_TCP_PSH | NM_TCP_ACK);
    CHECK_EQ_U(pkt.tcp_seq, 0x0a0b0c0d);
    CHECK_EQ_U(pkt.tcp_ack, 0x01020305);
    CHECK_EQ_U(pkt.tcp_win, 512);
    CHECK_EQ_U(pkt.l4_payload_len, 5);

    /* IPv4 options (IHL 6: NOP NOP NOP EOL), then an ICMP echo: total 32 */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 46000020 00030000 4001 0000" A12
                   "01010100 0800 0000 0001 0002"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(pkt.icmp_id, 1);
    CHECK_EQ_U(pkt.icmp_seq, 2);

    /* Total length 0 (segmentation offload): the frame gives the length */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000000 00010000 4001 0000" A12 ECHO),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(pkt.icmp_id, 0x1234);

    /* Total length = header length: no payload, no transport layer */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000014 00010000 4006 0000" A12
                   "000000000000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4);
    CHECK_EQ_U(pkt.ip_proto, 6);
    CHECK_EQ_U(pkt.src_port, 0);

    /* Protocols carrying IP (GRE 47): counted as a tunnel, not decoded */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001c 00010000 402f 0000" A12
                   "00000800 45000000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_TUNNEL);
    CHECK_EQ_U(pkt.ip_proto, 47);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000044 00010000 4029 0000" A12 IP6_ECHO),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_TUNNEL);
    CHECK_EQ_U(pkt.ip_version, 4);

    /* ESP (50): an IP payload we do not look into, no tunnel either */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001c 00010000 4032 0000" A12
                   "00001000 00000001"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4);
    CHECK_EQ_U(pkt.ip_proto, 50);

    /* Ethertype we do not decode (LLDP): no error */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "88cc 0207 04020000000001"), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH);
    CHECK_EQ_U(pkt.ethertype, 0x88cc);

    /* 802.3 length field (0x26 = 38) and LLC: Ethernet only, Ethertype 0 */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0026 424203 000000000000"), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH);
    CHECK_EQ_U(pkt.ethertype, 0);
}

static void test_fragments(void)
{
    /* First fragment: MF=1, offset 0; UDP header with the whole datagram's
     * length (1000) decoded from it; 4 payload bytes in this fragment. */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000020 00072000 4011 0000" A12
                   "1234 5678 03e8 0000 01020304"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP | NM_L_FRAG);
    CHECK(pkt.more_frags);
    CHECK_EQ_U(pkt.frag_offset, 0);
    CHECK_EQ_U(pkt.src_port, 0x1234);
    CHECK_EQ_U(pkt.dst_port, 0x5678);
    CHECK_EQ_U(pkt.l4_payload_len, 4);

    /* Last fragment at offset 185 * 8 = 1480: no transport header in it */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001c 000700b9 4011 0000" A12
                   "1234 5678 03e8 0000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_FRAG);
    CHECK(!pkt.more_frags);
    CHECK_EQ_U(pkt.frag_offset, 1480);
    CHECK_EQ_U(pkt.ip_proto, 17);
    CHECK_EQ_U(pkt.src_port, 0);
}

static void test_dns(void)
{
    /* UDP 54321 -> 53, length 41, query www.example.com A (IP total 61) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500003d 00030000 4011 0000 c0a80001 08080808"
                   " d431 0035 0029 0000 " DNSQ),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP | NM_L_DNS);
    check_ip4(pkt.dst_ip.b, 8, 8, 8, 8);
    CHECK_EQ_U(pkt.src_port, 54321);
    CHECK_EQ_U(pkt.dst_port, 53);
    CHECK_EQ_U(pkt.l4_payload_len, 33);
    CHECK_EQ_U(pkt.dns_id, 0xabcd);
    CHECK_EQ_U(pkt.dns_flags, 0x0100);
    CHECK_EQ_U(NM_DNS_QR(pkt.dns_flags), 0);
    CHECK_EQ_U(NM_DNS_OPCODE(pkt.dns_flags), 0);
    CHECK_EQ_U(pkt.dns_qdcount, 1);
    CHECK_EQ_U(pkt.dns_ancount, 0);
    CHECK_EQ_U(pkt.dns_qtype, 1);
    CHECK_EQ_S(pkt.dns_qname, "www.example.com");

    /* The same query over TCP: 2-byte length 0x21 = 33 before it (IP total 75) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500004b 00040000 4006 0000 c0a80001 08080808"
                   " d431 0035 00000001 00000001 5018 0200 0000 0000 0021 " DNSQ),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_TCP | NM_L_DNS);
    CHECK_EQ_S(pkt.dns_qname, "www.example.com");
    CHECK_EQ_U(pkt.l4_payload_len, 35);

    /* Over TCP, a length prefix of 256 with 33 bytes present: the message
     * continues in later segments, so no DNS layer on this one */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500004b 00040000 4006 0000 c0a80001 08080808"
                   " d431 0035 00000001 00000001 5018 0200 0000 0000 0100 " DNSQ),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_TCP);
    CHECK_EQ_U(pkt.dns_id, 0);

    /* mDNS (5353 both sides) carries the same format but is not DNS */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500003d 00030000 ff11 0000 c0a80001 e00000fb"
                   " 14e9 14e9 0029 0000 " DNSQ),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP);
    CHECK_EQ_S(pkt.dns_qname, "");

    /* Response 53 -> 54321 whose question name is a pointer to offset 18
     * ("foo"), after the question's type and class (IP total 51, UDP 31) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000033 00050000 4011 0000 08080808 c0a80001"
                   " 0035 d431 001f 0000"
                   " 0001 8183 0001 0001 0000 0000 c012 001c 0001 03666f6f 00"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP | NM_L_DNS);
    CHECK_EQ_U(NM_DNS_QR(pkt.dns_flags), 1);
    CHECK_EQ_U(NM_DNS_RCODE(pkt.dns_flags), 3);
    CHECK_EQ_U(pkt.dns_ancount, 1);
    CHECK_EQ_S(pkt.dns_qname, "foo");
    CHECK_EQ_U(pkt.dns_qtype, 28);

    /* Root name, and a header-only message (qdcount 0) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500002d 00050000 4011 0000" A12
                   " d431 0035 0019 0000 0007 0000 0001 0000 0000 0000 00 0002 0001"),
               NM_MAL_NONE);
    CHECK_EQ_S(pkt.dns_qname, ".");
    CHECK_EQ_U(pkt.dns_qtype, 2);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000028 00050000 4011 0000" A12
                   " d431 0035 0014 0000 0008 0000 0000 0000 0000 0000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers & NM_L_DNS, NM_L_DNS);
    CHECK_EQ_U(pkt.dns_id, 8);
    CHECK_EQ_S(pkt.dns_qname, "");
    CHECK_EQ_U(pkt.dns_qtype, 0);

    /* Escapes as dig writes them: labels "a.b" and
     * 'x', space, backslash, DEL, quote, '@', '$' */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000039 00050000 4011 0000" A12
                   " d431 0035 0025 0000 0009 0100 0001 0000 0000 0000"
                   " 03612e62 0778205c7f224024 00 0010 0001"),
               NM_MAL_NONE);
    CHECK_EQ_S(pkt.dns_qname, "a\\.b.x\\032\\\\\\127\\\"\\@\\$");
    CHECK_EQ_U(pkt.dns_qtype, 16);
}

/* Eth + IPv4 + UDP 54321 -> 53 around a DNS message (lengths from the builder). */
static void dns_frame(struct frame *f, const struct frame *msg)
{
    f->n = 0;
    put_hex(f, ETH "0800 4500");
    put_be16(f, 20 + 8 + msg->n);
    put_hex(f, "00050000 4011 0000" A12 "d431 0035");
    put_be16(f, 8 + msg->n);
    put_hex(f, "0000");
    memcpy(f->b + f->n, msg->b, msg->n);
    f->n += msg->n;
}

static void test_dns_names(void)
{
    struct frame msg = { .n = 0 }, f;

    /* 3 labels of 63 and one of 61: 3*64 + 62 + 1 = 255 wire bytes, the
     * most allowed; 253 characters of text */
    put_hex(&msg, "000a 0100 0001 0000 0000 0000");
    for (int i = 0; i < 3; i++) {
        put_rep(&msg, 63, 1);
        put_rep(&msg, 'a', 63);
    }
    put_rep(&msg, 61, 1);
    put_rep(&msg, 'b', 61);
    put_hex(&msg, "00 0001 0001");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_NONE);
    CHECK_EQ_U(strlen(pkt.dns_qname), 253);
    CHECK_EQ_U(pkt.dns_qname[63], '.');
    CHECK_EQ_U(pkt.dns_qname[252], 'b');
    CHECK_EQ_U(pkt.dns_qtype, 1);

    /* One byte more (last label 62): 256 wire bytes: dns.name_too_long */
    msg.n = 0;
    put_hex(&msg, "000b 0100 0001 0000 0000 0000");
    for (int i = 0; i < 3; i++) {
        put_rep(&msg, 63, 1);
        put_rep(&msg, 'a', 63);
    }
    put_rep(&msg, 62, 1);
    put_rep(&msg, 'b', 62);
    put_hex(&msg, "00 0001 0001");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_DNS_NAME_TOO_LONG);
    CHECK_EQ_U(pkt.layers & NM_L_DNS, NM_L_DNS);
    CHECK_EQ_U(pkt.dns_id, 11);
    CHECK_EQ_U(pkt.dns_qtype, 0);

    /* Text longer than NM_DNS_NAME_MAX: 4 labels of 60 bytes 0x01 (245 wire
     * bytes, valid) are 4 * 240 characters of \001; the text stops at the
     * last whole escape that fits: 240 + '.' + 3 * 4 = 253 characters. */
    msg.n = 0;
    put_hex(&msg, "000c 0100 0001 0000 0000 0000");
    for (int i = 0; i < 4; i++) {
        put_rep(&msg, 60, 1);
        put_rep(&msg, 1, 60);
    }
    put_hex(&msg, "00 0001 0001");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_NONE);
    CHECK_EQ_U(strlen(pkt.dns_qname), 253);
    CHECK(strncmp(pkt.dns_qname, "\\001\\001", 8) == 0);
    CHECK(strcmp(pkt.dns_qname + 240, ".\\001\\001\\001") == 0);
    CHECK_EQ_U(pkt.dns_qtype, 1);

    /* A pointer to itself: followed NM_DNS_MAX_JUMPS times, then a loop */
    msg.n = 0;
    put_hex(&msg, "0002 0100 0001 0000 0000 0000 c00c 0001 0001");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_DNS_POINTER_LOOP);
    CHECK_EQ_U(pkt.dns_id, 2);
    CHECK_EQ_S(pkt.dns_qname, "");

    /* Two pointers into each other after a label: "x" then a loop */
    msg.n = 0;
    put_hex(&msg, "0002 0100 0001 0000 0000 0000 0178 c010 c00e");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_DNS_POINTER_LOOP);

    /* Extended label type 0x40: dns.bad_label */
    msg.n = 0;
    put_hex(&msg, "0003 0100 0001 0000 0000 0000 4061 00 0001 0001");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_DNS_BAD_LABEL);
    CHECK_EQ_U(pkt.dns_id, 3);

    /* Pointer to offset 255 of an 18-byte message: dns.bad_label */
    msg.n = 0;
    put_hex(&msg, "0004 0100 0001 0000 0000 0000 c0ff 0001 0001");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_DNS_BAD_LABEL);

    /* Label running past the message: dns.truncated, text so far kept */
    msg.n = 0;
    put_hex(&msg, "0005 0100 0001 0000 0000 0000 03616263 05646566");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_DNS_TRUNCATED);
    CHECK_EQ_S(pkt.dns_qname, "abc");

    /* Name ends, type/class missing: dns.truncated with the name kept */
    msg.n = 0;
    put_hex(&msg, "0006 0100 0001 0000 0000 0000 0161 00 00");
    dns_frame(&f, &msg);
    CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0), NM_MAL_DNS_TRUNCATED);
    CHECK_EQ_S(pkt.dns_qname, "a");

    /* Header cut after 5 bytes: dns.truncated, id and flags kept */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000021 00050000 4011 0000" A12
                   " d431 0035 000d 0000 0001 0100 00"),
               NM_MAL_DNS_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP | NM_L_DNS);
    CHECK_EQ_U(pkt.dns_id, 1);
    CHECK_EQ_U(pkt.dns_flags, 0x0100);
    CHECK_EQ_U(pkt.dns_qdcount, 0);

    /* DNS over TCP with a zero length prefix: an empty message */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500002a 00040000 4006 0000" A12
                   " d431 0035 00000001 00000001 5018 0200 0000 0000 0000"),
               NM_MAL_DNS_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_TCP | NM_L_DNS);

    /* UDP to port 53 with no payload: no DNS layer (nor with the payload
     * cut away by the snap length) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001c 00050000 4011 0000" A12
                   " d431 0035 0008 0000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP);
    CHECK_EQ_U(dec_cut(NM_LINKTYPE_ETHERNET, ETH "0800 4500003d 00030000 4011 0000" A12
                       " d431 0035 0029 0000", 33),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP);
    CHECK_EQ_U(pkt.l4_payload_len, 33);
}

static void test_ipv6(void)
{
    /* Hop-by-hop -> destination options -> atomic fragment -> UDP */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0024 00 40" A6
                   "3c00 0104 00000000 2c00 0104 00000000 1100 0000 12345678"
                   " 1234 5678 000c 0000 01020304"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6 | NM_L_UDP | NM_L_FRAG);
    CHECK_EQ_U(pkt.ethertype, 0x86dd);
    CHECK_EQ_U(pkt.ip_version, 6);
    CHECK_EQ_U(pkt.ip_proto, 17);
    CHECK_EQ_U(pkt.ttl, 64);
    CHECK_EQ_U(pkt.src_ip.b[0], 0x20);
    CHECK_EQ_U(pkt.src_ip.b[1], 0x01);
    CHECK_EQ_U(pkt.src_ip.b[15], 1);
    CHECK_EQ_U(pkt.dst_ip.b[15], 2);
    CHECK_EQ_U(pkt.frag_offset, 0);
    CHECK(!pkt.more_frags);
    CHECK_EQ_U(pkt.src_port, 0x1234);
    CHECK_EQ_U(pkt.l4_payload_len, 4);

    /* First fragment (M=1): UDP decoded though its length (1024) is more
     * than this fragment holds */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0014 2c 40" A6
                   "1100 0001 12345678 1234 5678 0400 0000 01020304"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6 | NM_L_UDP | NM_L_FRAG);
    CHECK(pkt.more_frags);
    CHECK_EQ_U(pkt.l4_payload_len, 4);

    /* Later fragment: offset 0x5a8 = 1448, M=1: no transport */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0010 2c 40" A6
                   "1100 05a9 12345678 0102030405060708"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6 | NM_L_FRAG);
    CHECK_EQ_U(pkt.frag_offset, 1448);
    CHECK(pkt.more_frags);
    CHECK_EQ_U(pkt.ip_proto, 17);

    /* Routing header, then AH (payload length 4: 24 bytes), then TCP ACK */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0034 2b 40" A6
                   "3300 0000 00000000"
                   " 0604 0000 00000001 00000001 000000000000000000000000"
                   " 0016 c350 00000001 00000000 5010 0100 0000 0000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6 | NM_L_TCP);
    CHECK_EQ_U(pkt.ip_proto, 6);
    CHECK_EQ_U(pkt.src_port, 22);
    CHECK_EQ_U(pkt.tcp_flags, NM_TCP_ACK);

    /* Mobility header followed by No Next Header; also 59 right away */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0008 87 40" A6 "3b00 0500 00000000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6);
    CHECK_EQ_U(pkt.ip_proto, 59);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0000 3b 40" A6), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6);

    /* ICMPv6 echo reply; destination unreachable (quote not decoded);
     * neighbour solicitation */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd " IP6_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(pkt.ttl, 255);
    CHECK_EQ_U(pkt.icmp_type, 129);
    CHECK_EQ_U(pkt.icmp_code, 0);
    CHECK_EQ_U(pkt.icmp_id, 0xabcd);
    CHECK_EQ_U(pkt.icmp_seq, 7);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0038 3a 40" A6
                   "0104 0000 00000000 60000000 0008 11 40" A6 "1234 0035 0008 0000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6 | NM_L_ICMPV6 | NM_L_ICMP_QUOTE);
    CHECK_EQ_U(pkt.icmp_type, 1);
    CHECK_EQ_U(pkt.icmp_code, 4);
    CHECK_EQ_U(pkt.src_port, 0);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0018 3a ff" A6
                   "8700 0000 00000000 fe800000000000000000000000000001"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(pkt.icmp_type, 135);
    CHECK_EQ_U(pkt.icmp_id, 0);
}

static void test_icmp_arp(void)
{
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(pkt.ip_proto, 1);
    CHECK_EQ_U(pkt.icmp_type, 8);
    CHECK_EQ_U(pkt.icmp_id, 0x1234);
    CHECK_EQ_U(pkt.icmp_seq, 1);

    /* Port unreachable quoting IPv4 + UDP to port 53: only the ICMP counts */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000038 00010000 4001 0000" A12
                   "0303 0000 00000000 4500001c 00010000 4011 0000 c0a80002 c0a80001"
                   " d431 0035 0008 0000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_ICMP | NM_L_ICMP_QUOTE);
    CHECK_EQ_U(pkt.icmp_type, 3);
    CHECK_EQ_U(pkt.icmp_code, 3);
    CHECK_EQ_U(pkt.icmp_id, 0);
    CHECK_EQ_U(pkt.src_port, 0);
    check_ip4(pkt.src_ip.b, 192, 168, 0, 1);

    /* Time exceeded (11) quotes too; echo reply (0) has id/seq */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001c 00010000 4001 0000" A12
                   "0b00 0000 00000000"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_ICMP | NM_L_ICMP_QUOTE);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001c 00010000 4001 0000" A12
                   "0000 0000 4321 0009"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.icmp_type, 0);
    CHECK_EQ_U(pkt.icmp_id, 0x4321);
    CHECK_EQ_U(pkt.icmp_seq, 9);

    /* ARP request 192.168.0.1 asks for 192.168.0.2 */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, "ffffffffffff 020000000001 0806"
                   " 0001 0800 06 04 0001 020000000001 c0a80001 000000000000 c0a80002"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_ARP);
    CHECK_EQ_U(pkt.ethertype, 0x0806);
    CHECK_EQ_U(pkt.arp_op, 1);
    CHECK_EQ_U(pkt.arp_sha[0], 2);
    CHECK_EQ_U(pkt.arp_sha[5], 1);
    check_ip4(pkt.arp_spa, 192, 168, 0, 1);
    CHECK_EQ_U(pkt.arp_tha[5], 0);
    check_ip4(pkt.arp_tpa, 192, 168, 0, 2);
    CHECK_EQ_U(pkt.ip_version, 0);

    /* RARP reply (op 4) counts as ARP */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "8035 0001 0800 0604 0004"
                   " 0a0b0c0d0e0f c0a80009 020000000001 c0a8000a"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_ARP);
    CHECK_EQ_U(pkt.arp_op, 4);
    check_ip4(pkt.arp_tpa, 192, 168, 0, 10);

    /* Not the Ethernet/IPv4 form (protocol IPv6, 16-byte addresses): op only */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0806 0001 86dd 06 10 0002 020000000001"
                   " 20010db8000000000000000000000001 0a0b0c0d0e0f"
                   " 20010db8000000000000000000000002"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.arp_op, 2);
    CHECK_EQ_U(pkt.arp_sha[0], 0);
    CHECK_EQ_U(pkt.arp_spa[0], 0);

    /* IPv4 addresses over another hardware type (34817, as in a corpus
     * capture that tshark reads the same way): addresses filled */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0806 8801 0800 06 04 0002 00e0ed016ebd c0a80102"
                   " 003054003456 c0a80101"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.arp_op, 2);
    CHECK_EQ_U(pkt.arp_sha[0], 0x00);
    CHECK_EQ_U(pkt.arp_sha[1], 0xe0);
    check_ip4(pkt.arp_spa, 192, 168, 1, 2);
    CHECK_EQ_U(pkt.arp_tha[5], 0x56);
    check_ip4(pkt.arp_tpa, 192, 168, 1, 1);

    /* 14-byte hardware addresses (tcpdump's arp-oobr): skipped, IPv4 read after them */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0806 0001 0800 0e 04 0001"
                   " 001f29da2d79c0a8016e00000000 c0a80001"
                   " 0101101800100000000000000000 c0a80002"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.arp_op, 1);
    CHECK_EQ_U(pkt.arp_sha[0], 0);
    CHECK_EQ_U(pkt.arp_tha[0], 0);
    check_ip4(pkt.arp_spa, 192, 168, 0, 1);
    check_ip4(pkt.arp_tpa, 192, 168, 0, 2);
    /* ATMARP (hardware 19) has another layout: operation only */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0806 0013 0800 06 04 0001 001f29da2d79 c0a80168"
                   " 000000000000 c0a80101"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.arp_op, 1);
    CHECK_EQ_U(pkt.arp_spa[0], 0);
    CHECK_EQ_U(pkt.arp_tpa[0], 0);
    /* ... and cut inside the target hardware address: arp.truncated */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0806 0001 0800 0e 04 0001"
                   " 001f29da2d79c0a8016e00000000 c0a80001 01011018"),
               NM_MAL_ARP_TRUNCATED);
}

static void test_vlan(void)
{
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "8100 0064 0800 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_VLAN | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(pkt.vlan_count, 1);
    CHECK_EQ_U(pkt.vlan_ids[0], 100);
    CHECK_EQ_U(pkt.ethertype, 0x0800);

    /* 802.1ad S-tag VID 10, then C-tag TCI 0x2014 (PCP 1, VID 20) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "88a8 000a 8100 2014 0800 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_8021AD | NM_L_VLAN | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(pkt.vlan_count, 2);
    CHECK_EQ_U(pkt.vlan_ids[0], 10);
    CHECK_EQ_U(pkt.vlan_ids[1], 20);

    /* 0x9100 counts as 802.1Q; VID 4095 (TCI 0xefff: PCP 7, DEI 0) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, "ffffffffffff 020000000001 9100 efff 0806"
                   " 0001 0800 0604 0001 020000000001 c0a80001 000000000000 c0a80002"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_VLAN | NM_L_ARP);
    CHECK_EQ_U(pkt.vlan_ids[0], 4095);

    /* 802.3 length inside the tag */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "8100 0064 0026 424203"), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_VLAN);
    CHECK_EQ_U(pkt.ethertype, 0);

    /* Nine tags: the ninth is one too many */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "8100 0001 8100 0002 8100 0003 8100 0004"
                   " 8100 0005 8100 0006 8100 0007 8100 0008 8100 0009 0800 " IP4_ECHO),
               NM_MAL_VLAN_TOO_MANY_TAGS);
    CHECK_EQ_U(pkt.vlan_count, NM_MAX_VLAN_TAGS);
    CHECK_EQ_U(pkt.vlan_ids[7], 8);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_VLAN);

    /* A tag cut after 3 bytes */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "8100 006408"), NM_MAL_VLAN_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_VLAN);
    CHECK_EQ_U(pkt.vlan_count, 0);
    CHECK_EQ_U(pkt.ethertype, 0);
}

static void test_link_types(void)
{
    /* Linux cooked v1: type 0 (to us), ARPHRD 1, address length 6 */
    CHECK_EQ_U(dec(NM_LINKTYPE_LINUX_SLL, "0000 0001 0006 0200000000010000 0800 " IP4_ECHO),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_SLL | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(pkt.ethertype, 0x0800);
    CHECK_EQ_U(pkt.src_mac[0], 0);
    /* Linux cooked v2 with IPv6 */
    CHECK_EQ_U(dec(NM_LINKTYPE_LINUX_SLL2, "86dd 0000 00000002 0001 00 06 0200000000010000 "
                   IP6_ECHO),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_SLL | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(pkt.icmp_seq, 7);
    /* Protocol 4 (802.2 LLC) is a Linux pseudo-protocol, not an Ethertype */
    CHECK_EQ_U(dec(NM_LINKTYPE_LINUX_SLL, "0000 0001 0006 0200000000010000 0004 424203"),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_SLL);
    CHECK_EQ_U(pkt.ethertype, 4);
    /* ARPHRD_NETLINK (824): the protocol field is a netlink family */
    CHECK_EQ_U(dec(NM_LINKTYPE_LINUX_SLL, "0004 0338 0000 0000000000000000 0800 " IP4_ECHO),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_SLL);

    /* BSD NULL: AF_INET in either byte order, AF_INET6 24/28/30, an
     * Ethertype (0x0800 written big-endian), an unknown family */
    CHECK_EQ_U(dec(NM_LINKTYPE_NULL, "02000000 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(pkt.ethertype, 0);
    CHECK_EQ_U(dec(NM_LINKTYPE_NULL, "00000002 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(dec(NM_LINKTYPE_NULL, "18000000 " IP6_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(dec(NM_LINKTYPE_NULL, "1c000000 " IP6_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(dec(NM_LINKTYPE_NULL, "0000001e " IP6_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(dec(NM_LINKTYPE_NULL, "00000800 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(pkt.ethertype, 0x0800);
    CHECK_EQ_U(dec(NM_LINKTYPE_NULL, "07000000 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL);
    /* LOOP is network byte order only */
    CHECK_EQ_U(dec(NM_LINKTYPE_LOOP, "00000002 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(dec(NM_LINKTYPE_LOOP, "0000001c " IP6_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(dec(NM_LINKTYPE_LOOP, "02000000 " IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_NULL);

    /* Raw IP: the version nibble decides; 101, 12 and 14 have a "raw"
     * layer, 228 and 229 do not */
    CHECK_EQ_U(dec(NM_LINKTYPE_RAW, IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_RAW | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(dec(NM_LINKTYPE_RAW, IP6_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_RAW | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(dec(NM_DLT_RAW_12, IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_RAW | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(dec(NM_DLT_RAW_14, IP6_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_RAW | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(dec(NM_LINKTYPE_IPV4, IP4_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(dec(NM_LINKTYPE_IPV6, IP6_ECHO), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_IPV6 | NM_L_ICMPV6);

    CHECK(nm_decode_linktype_supported(NM_LINKTYPE_ETHERNET));
    CHECK(nm_decode_linktype_supported(NM_LINKTYPE_LINUX_SLL2));
    CHECK(nm_decode_linktype_supported(NM_DLT_RAW_14));
    CHECK(!nm_decode_linktype_supported(104));     /* Cisco HDLC */
    CHECK(!nm_decode_linktype_supported(-1));
}

static void test_malformed_link(void)
{
    CHECK_EQ_U(dec(104, "0f00 0800 " IP4_ECHO), NM_MAL_LINK_UNSUPPORTED);
    CHECK_EQ_U(pkt.layers, 0);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, "0a0b0c0d0e0f 0200000000 01"), NM_MAL_ETH_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH);
    CHECK_EQ_U(pkt.ethertype, 0);
    CHECK_EQ_U(dec(NM_LINKTYPE_LINUX_SLL, "0000 0001 0006 0200000000010000 08"),
               NM_MAL_SLL_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_SLL);
    CHECK_EQ_U(dec(NM_LINKTYPE_LINUX_SLL2, "0800 0000 00000002 0001 00 06 02000000000100"),
               NM_MAL_SLL_TRUNCATED);
    CHECK_EQ_U(dec(NM_LINKTYPE_NULL, "020000"), NM_MAL_NULL_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_NULL);
    CHECK_EQ_U(dec(NM_LINKTYPE_RAW, "5000 0014"), NM_MAL_RAW_BAD_VERSION);
    CHECK_EQ_U(pkt.layers, NM_L_RAW);
    CHECK_EQ_U(dec(NM_LINKTYPE_RAW, ""), NM_MAL_RAW_BAD_VERSION);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, "ffffffffffff 020000000001 0806 0001 0800 0604 00"),
               NM_MAL_ARP_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_ARP);
    CHECK_EQ_U(pkt.arp_op, 0);
    /* ARP whose address lengths (6, 4) need 20 more bytes than the 10 present */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, "ffffffffffff 020000000001 0806 0001 0800 0604 0001"
                   " 020000000001 c0a8"),
               NM_MAL_ARP_TRUNCATED);
    CHECK_EQ_U(pkt.arp_op, 1);

    /* No data at all */
    memset(&pkt, 0x5a, sizeof pkt);
    CHECK_EQ_U(nm_decode(NM_LINKTYPE_ETHERNET, NULL, 0, 0, &pkt), NM_MAL_ETH_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH);
    CHECK_EQ_U(pkt.dns_qname[0], 0);
    /* A wire length below the captured length is read as the captured one */
    struct frame f = { .n = 0 };
    put_hex(&f, ETH "0800 " IP4_ECHO);
    CHECK_EQ_U(nm_decode(NM_LINKTYPE_ETHERNET, f.b, f.n, 10, &pkt), NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_ICMP);
}

static void test_malformed_ip(void)
{
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800"), NM_MAL_IPV4_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000030 0001"), NM_MAL_IPV4_TRUNCATED);
    CHECK_EQ_U(pkt.ip_version, 0);
    /* Version 5 */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 5500001e 00010000 4001 0000" A12 ECHO),
               NM_MAL_IPV4_BAD_VERSION);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4);
    /* An IPv6 packet behind LINKTYPE_IPV4: IPv4 counts, with a bad version */
    CHECK_EQ_U(dec(NM_LINKTYPE_IPV4, IP6_ECHO), NM_MAL_IPV4_BAD_VERSION);
    CHECK_EQ_U(pkt.layers, NM_L_IPV4);
    /* IHL 4 (16 bytes) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4400001e 00010000 4001 0000" A12 ECHO),
               NM_MAL_IPV4_HLEN_TOO_SMALL);
    CHECK_EQ_U(pkt.ip_version, 0);
    /* Total length 16 < header 20: no addresses (tshark shows none either) */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000010 00010000 4001 0000" A12 ECHO),
               NM_MAL_IPV4_TOTLEN_TOO_SMALL);
    CHECK_EQ_U(pkt.ip_version, 0);
    CHECK_EQ_U(pkt.src_ip.b[0], 0);
    /* Total length 256 > the 30 bytes on the wire: header fields kept */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000100 00010000 4001 0000" A12 ECHO),
               NM_MAL_IPV4_TOTLEN_TOO_BIG);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4);
    CHECK_EQ_U(pkt.ip_version, 4);
    check_ip4(pkt.dst_ip.b, 192, 168, 0, 2);
    CHECK_EQ_U(pkt.ip_proto, 1);
    /* ... but a frame cut by the snap length is not too short */
    CHECK_EQ_U(dec_cut(NM_LINKTYPE_ETHERNET, ETH "0800 45000100 00010000 4001 0000" A12 ECHO,
                       226),
               NM_MAL_NONE);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_ICMP);
    /* IHL 15 (60 bytes) with 30 captured of a 60-byte packet */
    CHECK_EQ_U(dec_cut(NM_LINKTYPE_ETHERNET, ETH "0800 4f00003c 00010000 4001 0000" A12
                       "0101010101010101 0101", 30),
               NM_MAL_IPV4_TRUNCATED);
    CHECK_EQ_U(pkt.ip_version, 4);

    /* IPv6 */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0008 3a ff 20010db8000000000000"),
               NM_MAL_IPV6_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6);
    CHECK_EQ_U(pkt.ip_version, 0);
    /* Version 4 behind the IPv6 Ethertype: tshark does not count IPv6 then */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd " IP4_ECHO), NM_MAL_IPV6_BAD_VERSION);
    CHECK_EQ_U(pkt.layers, NM_L_ETH);
    CHECK_EQ_U(dec(NM_LINKTYPE_IPV6, IP4_ECHO), NM_MAL_IPV6_BAD_VERSION);
    CHECK_EQ_U(pkt.layers, 0);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0100 3a ff" A6 "8100 0000 abcd 0007"),
               NM_MAL_IPV6_PLEN_TOO_BIG);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6);
    CHECK_EQ_U(pkt.ip_version, 6);
    /* Hop-by-hop claiming 16 bytes in an 8-byte payload */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0008 00 40" A6 "3b01 0104 00000000"),
               NM_MAL_IPV6_EXT_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6);

    /* 16 destination-options headers are walked, 17 are too many */
    for (int n = 16; n <= 17; n++) {
        struct frame f = { .n = 0 };
        put_hex(&f, ETH "86dd 60000000");
        put_be16(&f, (uint32_t)n * 8);
        put_hex(&f, "3c 40" A6);
        for (int i = 0; i < n; i++) {
            put_rep(&f, i == n - 1 ? 59 : 60, 1);
            put_hex(&f, "00 0104 00000000");
        }
        CHECK_EQ_U(dec_frame(NM_LINKTYPE_ETHERNET, &f, 0),
                   n == 16 ? NM_MAL_NONE : NM_MAL_IPV6_TOO_MANY_EXT);
        CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6);
    }
}

static void test_malformed_transport(void)
{
    /* TCP cut after 10 bytes: ports and sequence number were there */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001e 00010000 4006 0000" A12
                   "c350 0050 00000007 0000"),
               NM_MAL_TCP_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_TCP);
    CHECK_EQ_U(pkt.src_port, 50000);
    CHECK_EQ_U(pkt.tcp_seq, 7);
    CHECK_EQ_U(pkt.tcp_ack, 0);
    /* Data offset 4 */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000028 00010000 4006 0000" A12
                   "c350 0050 00000001 00000000 4002 1000 0000 0000"),
               NM_MAL_TCP_HLEN_TOO_SMALL);
    /* Data offset 15 (60 bytes) in a 20-byte segment */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000028 00010000 4006 0000" A12
                   "c350 0050 00000001 00000000 f002 1000 0000 0000"),
               NM_MAL_TCP_HLEN_TOO_BIG);
    CHECK_EQ_U(pkt.tcp_flags, NM_TCP_SYN);
    /* Data offset 10 (40 bytes) of a 40-byte segment, 30 captured */
    CHECK_EQ_U(dec_cut(NM_LINKTYPE_ETHERNET, ETH "0800 4500003c 00010000 4006 0000" A12
                       "c350 0050 00000001 00000000 a002 1000 0000 0000 0204 05b4 0101 0101 0101",
                       10),
               NM_MAL_TCP_TRUNCATED);

    /* UDP cut after 6 bytes */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001a 00010000 4011 0000" A12
                   "d431 0035 0008"),
               NM_MAL_UDP_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP);
    CHECK_EQ_U(pkt.dst_port, 53);
    /* UDP length 4 */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001c 00010000 4011 0000" A12
                   "d431 0035 0004 0000"),
               NM_MAL_UDP_LEN_TOO_SMALL);
    /* UDP length 100 in a 12-byte IP payload, not a fragment */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000020 00010000 4011 0000" A12
                   "d431 0035 0064 0000 01020304"),
               NM_MAL_UDP_LEN_TOO_BIG);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_UDP);

    /* ICMP header of 3 bytes; echo request without its id/seq */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 45000017 00010000 4001 0000" A12 "080000"),
               NM_MAL_ICMP_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV4 | NM_L_ICMP);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500001a 00010000 4001 0000" A12
                   "0800 0000 1234"),
               NM_MAL_ICMP_TRUNCATED);
    CHECK_EQ_U(pkt.icmp_type, 8);
    CHECK_EQ_U(pkt.icmp_id, 0);
    /* ICMPv6 header of 3 bytes; echo reply without id/seq */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0003 3a ff" A6 "810000"),
               NM_MAL_ICMPV6_TRUNCATED);
    CHECK_EQ_U(pkt.layers, NM_L_ETH | NM_L_IPV6 | NM_L_ICMPV6);
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "86dd 60000000 0006 3a ff" A6 "8100 0000 abcd"),
               NM_MAL_ICMPV6_TRUNCATED);
    CHECK_EQ_U(pkt.icmp_type, 129);
}

static void test_reset_and_names(void)
{
    /* A DNS frame, then an ARP frame into the same struct: nothing of the
     * DNS frame may remain */
    CHECK_EQ_U(dec(NM_LINKTYPE_ETHERNET, ETH "0800 4500003d 00030000 4011 0000 c0a80001 08080808"
                   " d431 0035 0029 0000 " DNSQ),
               NM_MAL_NONE);
    CHECK_EQ_S(pkt.dns_qname, "www.example.com");
    pkt.ts_ns = 123;
    struct frame f = { .n = 0 };
    put_hex(&f, "ffffffffffff 020000000001 0806"
                " 0001 0800 06 04 0001 020000000001 c0a80001 000000000000 c0a80002");
    CHECK_EQ_U(nm_decode(NM_LINKTYPE_ETHERNET, f.b, f.n, f.n, &pkt), NM_MAL_NONE);
    CHECK_EQ_U(pkt.ts_ns, 123);
    CHECK_EQ_S(pkt.dns_qname, "");
    CHECK_EQ_U(pkt.dns_id, 0);
    CHECK_EQ_U(pkt.dns_qdcount, 0);
    CHECK_EQ_U(pkt.ip_version, 0);
    CHECK_EQ_U(pkt.src_port, 0);
    CHECK_EQ_U(pkt.l4_payload_len, 0);

    CHECK_EQ_S(nm_malformed_name(NM_MAL_NONE), "");
    CHECK_EQ_S(nm_malformed_name(NM_MAL_IPV4_HLEN_TOO_SMALL), "ipv4.hlen_too_small");
    CHECK_EQ_S(nm_malformed_name(NM_MAL_IPV4_TOTLEN_TOO_BIG), "ipv4.total_len_exceeds_frame");
    CHECK_EQ_S(nm_malformed_name(NM_MAL_IPV6_PLEN_TOO_BIG), "ipv6.payload_len_exceeds_frame");
    CHECK_EQ_S(nm_malformed_name(NM_MAL_TCP_HLEN_TOO_BIG), "tcp.hlen_exceeds_segment");
    CHECK_EQ_S(nm_malformed_name(NM_MAL_UDP_LEN_TOO_BIG), "udp.len_exceeds_ip");
    CHECK_EQ_S(nm_malformed_name(NM_MAL_DNS_POINTER_LOOP), "dns.pointer_loop");
    CHECK_EQ_S(nm_malformed_name(NM_MAL_COUNT), "unknown");
    /* Every reason has a distinct "layer.reason" name */
    for (int a = 1; a < NM_MAL_COUNT; a++) {
        const char *na = nm_malformed_name((enum nm_malformed)a);
        CHECK(strchr(na, '.') != NULL);
        for (int b = a + 1; b < NM_MAL_COUNT; b++)
            CHECK(strcmp(na, nm_malformed_name((enum nm_malformed)b)) != 0);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    test_eth_ipv4_tcp();
    test_fragments();
    test_dns();
    test_dns_names();
    test_ipv6();
    test_icmp_arp();
    test_vlan();
    test_link_types();
    test_malformed_link();
    test_malformed_ip();
    test_malformed_transport();
    test_reset_and_names();
    return check_report(argv[0]);
}
