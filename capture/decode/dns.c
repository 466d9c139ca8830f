/*
 * dns.c - DNS message header and first question (RFC 1035 section 4.1).
 *
 *                                   1  1  1  1  1  1
 *     0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                      ID                       |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |        QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT  |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   question: QNAME (labels) | QTYPE (16) | QCLASS (16)
 *
 * A name is a sequence of labels, each a length byte 1..63 and that many
 * bytes, ended by a zero byte or by a compression pointer (two top bits set,
 * 14-bit offset from the start of the message, RFC 1035 section 4.1.4).
 * Length bytes 0x40-0xbf are the obsolete extended label types (RFC 6891
 * section 5): dns.bad_label.  Pointers are followed at most NM_DNS_MAX_JUMPS
 * times (a loop is dns.pointer_loop); the name may not exceed 255 bytes in
 * wire form (dns.name_too_long).
 *
 * The text form is what dig prints, minus the final dot: labels joined by
 * '.', with '.', '\\', '"', '(', ')', ';', '@' and '$' escaped by a backslash
 * and bytes outside 0x21-0x7e written \DDD (decimal).  The root name is ".".
 * Text beyond NM_DNS_NAME_MAX bytes (escapes can make it 4 times the wire
 * length) is cut at a character boundary; that is not a malformation.
 */
#include "decode_int.h"

#define DNS_HDR_LEN      12
#define DNS_NAME_WIRE_MAX 255
#define DNS_LABEL_MAX    63
#define DNS_PTR_BITS     0xc0u
#define DNS_PTR_MASK     0x3fffu

struct name_text {
    char *buf;
    uint32_t len;           /* bytes in buf, NUL excluded */
    bool full;              /* stopped appending: the next piece did not fit */
};

static void put_text(struct name_text *t, const char *s, uint32_t n)
{
    if (t->full || n > NM_DNS_NAME_MAX - t->len) {
        t->full = true;
        return;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void put_label_byte(struct name_text *t, uint8_t b)
{
    char esc[4];

    switch (b) {
    case '.': case '\\': case '"': case '(': case ')': case ';': case '@': case '$':
        esc[0] = '\\';
        esc[1] = (char)b;
        put_text(t, esc, 2);
        return;
    default:
        break;
    }
    if (b < 0x21 || b > 0x7e) {
        esc[0] = '\\';
        esc[1] = (char)('0' + b / 100);
        esc[2] = (char)('0' + b / 10 % 10);
        esc[3] = (char)('0' + b % 10);
        put_text(t, esc, 4);
        return;
    }
    esc[0] = (char)b;
    put_text(t, esc, 1);
}

/*
 * Reads the name at the cursor's position into text form.  On return the
 * cursor is after the name in the message (after the first pointer, if any).
 */
static enum nm_malformed read_name(struct nm_cursor *c, char *out)
{
    struct name_text t = { out, 0, false };
    uint32_t wire = 1;              /* the final zero byte (or root) */
    uint32_t resume = 0;            /* where to continue after the first jump */
    int jumps = 0;

    /* Each turn consumes a label (>= 1 byte and >= 1 byte of the 255-byte
     * wire budget) or a jump (at most NM_DNS_MAX_JUMPS). */
    for (;;) {
        uint8_t len;

        if (!nm_cur_has(c, 1)) {
            out[t.len] = '\0';
            return NM_MAL_DNS_TRUNCATED;
        }
        len = nm_cur_u8(c);
        if (len == 0)
            break;
        if ((len & DNS_PTR_BITS) == DNS_PTR_BITS) {
            uint32_t target;

            if (!nm_cur_has(c, 1)) {
                out[t.len] = '\0';
                return NM_MAL_DNS_TRUNCATED;
            }
            target = ((uint32_t)len << 8 | nm_cur_u8(c)) & DNS_PTR_MASK;
            if (jumps == 0)
                resume = c->pos;
            if (++jumps > NM_DNS_MAX_JUMPS) {
                out[t.len] = '\0';
                return NM_MAL_DNS_POINTER_LOOP;
            }
            if (target >= c->reported) {
                out[t.len] = '\0';
                return NM_MAL_DNS_BAD_LABEL;    /* points outside the message */
            }
            if (!nm_cur_seek(c, target)) {
                out[t.len] = '\0';
                return NM_MAL_DNS_TRUNCATED;    /* target not captured */
            }
            continue;
        }
        if (len > DNS_LABEL_MAX) {
            out[t.len] = '\0';
            return NM_MAL_DNS_BAD_LABEL;
        }
        wire += 1u + len;
        if (wire > DNS_NAME_WIRE_MAX) {
            out[t.len] = '\0';
            return NM_MAL_DNS_NAME_TOO_LONG;
        }
        if (!nm_cur_has(c, len)) {
            out[t.len] = '\0';
            return NM_MAL_DNS_TRUNCATED;
        }
        if (t.len > 0)
            put_text(&t, ".", 1);
        for (uint8_t i = 0; i < len; i++)
            put_label_byte(&t, nm_cur_u8(c));
    }
    if (wire == 1)
        put_text(&t, ".", 1);
    out[t.len] = '\0';
    if (jumps > 0)
        nm_cur_seek(c, resume);
    return NM_MAL_NONE;
}

enum nm_malformed nm_dec_dns(struct nm_packet *pkt, struct nm_cursor *c)
{
    enum nm_malformed r;

    pkt->layers |= NM_L_DNS;
    pkt->dns_id = nm_cur_be16(c);
    pkt->dns_flags = nm_cur_be16(c);
    pkt->dns_qdcount = nm_cur_be16(c);
    pkt->dns_ancount = nm_cur_be16(c);
    pkt->dns_nscount = nm_cur_be16(c);
    pkt->dns_arcount = nm_cur_be16(c);
    if (c->short_read)
        return NM_MAL_DNS_TRUNCATED;
    if (pkt->dns_qdcount == 0)
        return NM_MAL_NONE;
    r = read_name(c, pkt->dns_qname);
    if (r != NM_MAL_NONE)
        return r;
    pkt->dns_qtype = nm_cur_be16(c);
    nm_cur_skip(c, 2);                          /* class */
    return c->short_read ? NM_MAL_DNS_TRUNCATED : NM_MAL_NONE;
}
