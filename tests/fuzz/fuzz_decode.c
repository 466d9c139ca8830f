/*
 * fuzz_decode.c - libFuzzer harness for nm_decode().
 *
 * Input: one byte, then the frame.  The low 7 bits of the first byte pick the
 * link type (index into fuzz_linktypes, modulo its size); bit 7 set makes
 * the frame look cut by the snap length (wire length 1000 bytes longer than
 * what is captured), which exercises the captured/on-the-wire split.
 *
 * Besides "no crash, no out-of-bounds read" (the frame is passed as the
 * fuzzer's own exact-size buffer, so ASan sees any read past it), it checks
 * the contract of decode.h: the result does not depend on what the output
 * struct held before, the reason is a known one, the DNS name is a
 * terminated string within its buffer, and the layer bits are consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../capture/decode/decode.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SNAP_CUT_FLAG 0x80u
#define SNAP_CUT_EXTRA 1000u

static void check_packet(const struct nm_packet *p, enum nm_malformed r)
{
    size_t qlen = strnlen(p->dns_qname, sizeof p->dns_qname);

    check(r == p->malformed);
    check((unsigned)r < NM_MAL_COUNT);
    check(nm_malformed_name(r) != NULL);
    check(qlen <= NM_DNS_NAME_MAX);
    check(p->vlan_count <= NM_MAX_VLAN_TAGS);
    check(p->ip_version == 0 || p->ip_version == 4 || p->ip_version == 6);
    if (p->layers & (NM_L_TCP | NM_L_UDP | NM_L_ICMP | NM_L_ICMPV6))
        check((p->layers & (NM_L_IPV4 | NM_L_IPV6)) != 0);
    if (p->layers & NM_L_DNS)
        check((p->layers & (NM_L_TCP | NM_L_UDP)) != 0);
    if (!(p->layers & NM_L_DNS))
        check(qlen == 0 && p->dns_id == 0 && p->dns_qtype == 0);
    if (!(p->layers & (NM_L_TCP | NM_L_UDP)))
        check(p->src_port == 0 && p->dst_port == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nm_packet a, b;
    enum nm_malformed ra, rb;

    if (size < 1 || size - 1 > UINT32_MAX - SNAP_CUT_EXTRA)
        return 0;
    int linktype = fuzz_linktypes[(data[0] & ~SNAP_CUT_FLAG) % N_LINKTYPES];
    uint32_t cap = (uint32_t)(size - 1);
    uint32_t wire = (data[0] & SNAP_CUT_FLAG) ? cap + SNAP_CUT_EXTRA : cap;
    const uint8_t *frame = size > 1 ? data + 1 : NULL;

    memset(&a, 0, sizeof a);
    memset(&b, 0xa5, sizeof b);
    a.ts_ns = 42;
    b.ts_ns = 42;
    ra = nm_decode(linktype, frame, cap, wire, &a);
    rb = nm_decode(linktype, frame, cap, wire, &b);
    check(ra == rb);
    check(a.ts_ns == 42 && b.ts_ns == 42);
    check(memcmp(&a, &b, offsetof(struct nm_packet, dns_qname)) == 0);
    check(strcmp(a.dns_qname, b.dns_qname) == 0);
    check(a.cap_len == cap && a.wire_len == wire);
    check_packet(&a, ra);
    return 0;
}
