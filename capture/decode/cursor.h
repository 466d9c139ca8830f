/*
 * cursor.h - the only way the decoders touch packet bytes.
 *
 * A cursor is a window onto packet bytes with two lengths, as in tcpdump's
 * snapend and Wireshark's tvbuff:
 *   len       bytes that were captured and may be read;
 *   reported  bytes the window holds on the wire (what the enclosing header
 *             claims), >= len when the snap length cut the frame.
 * A read past `len` returns 0 and sets the sticky `short_read` flag, so a
 * forgotten bounds check costs a wrong value, never an out-of-bounds read.
 * Each layer hands the next one a narrower window (nm_cur_sub), so a length
 * field can never make a decoder look past the bytes its header covers.
 *
 * Everything is static inline: the hot path is a handful of byte loads per
 * header and must not pay a call per field.
 */
#ifndef NM_CURSOR_H
#define NM_CURSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct nm_cursor {
    const uint8_t *base;  /* first byte of the window */
    uint32_t len;         /* readable (captured) bytes from base */
    uint32_t reported;    /* bytes of the window on the wire, >= len */
    uint32_t pos;         /* next byte to read, always <= len */
    uint32_t frame_off;   /* offset of base inside the frame, for diagnostics */
    bool short_read;      /* some read wanted bytes beyond len; sticky */
};

/* A cursor over a whole frame: cap_len bytes captured of wire_len on the wire.
 * A wire_len below cap_len (a broken record) is treated as cap_len. */
static inline void nm_cur_init(struct nm_cursor *c, const uint8_t *data, uint32_t cap_len,
                               uint32_t wire_len)
{
    c->base = data;
    c->len = data != NULL ? cap_len : 0;
    c->reported = wire_len > c->len ? wire_len : c->len;
    c->pos = 0;
    c->frame_off = 0;
    c->short_read = false;
}

/* Captured bytes left to read. */
static inline uint32_t nm_cur_left(const struct nm_cursor *c)
{
    return c->len - c->pos;
}

/* Bytes left on the wire (captured or not). */
static inline uint32_t nm_cur_reported_left(const struct nm_cursor *c)
{
    return c->reported - c->pos;
}

/* true if n more bytes can be read. */
static inline bool nm_cur_has(const struct nm_cursor *c, uint32_t n)
{
    return n <= c->len - c->pos;
}

/* Marks the cursor exhausted: every later read fails too, so a value read
 * after a failed one can never come from beyond the failure point. */
static inline void nm_cur_fail(struct nm_cursor *c)
{
    c->short_read = true;
    c->pos = c->len;
}

static inline uint8_t nm_cur_u8(struct nm_cursor *c)
{
    if (c->pos >= c->len) {
        nm_cur_fail(c);
        return 0;
    }
    return c->base[c->pos++];
}

static inline uint16_t nm_cur_be16(struct nm_cursor *c)
{
    if (!nm_cur_has(c, 2)) {
        nm_cur_fail(c);
        return 0;
    }
    const uint8_t *p = c->base + c->pos;
    c->pos += 2;
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint16_t nm_cur_le16(struct nm_cursor *c)
{
    if (!nm_cur_has(c, 2)) {
        nm_cur_fail(c);
        return 0;
    }
    const uint8_t *p = c->base + c->pos;
    c->pos += 2;
    return (uint16_t)((unsigned)p[1] << 8 | p[0]);
}

static inline uint32_t nm_cur_be32(struct nm_cursor *c)
{
    if (!nm_cur_has(c, 4)) {
        nm_cur_fail(c);
        return 0;
    }
    const uint8_t *p = c->base + c->pos;
    c->pos += 4;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t nm_cur_le32(struct nm_cursor *c)
{
    if (!nm_cur_has(c, 4)) {
        nm_cur_fail(c);
        return 0;
    }
    const uint8_t *p = c->base + c->pos;
    c->pos += 4;
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Copies n bytes to dst; on a short read dst is zero-filled. */
static inline void nm_cur_copy(struct nm_cursor *c, void *dst, uint32_t n)
{
    if (!nm_cur_has(c, n)) {
        nm_cur_fail(c);
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, c->base + c->pos, n);
    c->pos += n;
}

/* Skips n bytes; false (and short_read) if fewer were captured. */
static inline bool nm_cur_skip(struct nm_cursor *c, uint32_t n)
{
    if (!nm_cur_has(c, n)) {
        nm_cur_fail(c);
        return false;
    }
    c->pos += n;
    return true;
}

/* Byte at absolute window offset `at` without moving; 0 and short_read past
 * the end.  For formats that point backwards into their own message (DNS
 * name compression). */
static inline uint8_t nm_cur_u8_at(struct nm_cursor *c, uint32_t at)
{
    if (at >= c->len) {
        c->short_read = true;
        return 0;
    }
    return c->base[at];
}

/* Moves the read position to absolute window offset `at` (<= len). */
static inline bool nm_cur_seek(struct nm_cursor *c, uint32_t at)
{
    if (at > c->len) {
        nm_cur_fail(c);
        return false;
    }
    c->pos = at;
    return true;
}

/*
 * The window of the next layer: from the current position, `n` bytes on the
 * wire (its header's claim), of which only what was captured is readable.
 * The caller has checked n against nm_cur_reported_left(); a larger n is
 * clipped anyway, so a missed check cannot widen the window.
 */
static inline struct nm_cursor nm_cur_sub(const struct nm_cursor *c, uint32_t n)
{
    struct nm_cursor s;
    uint32_t cap = nm_cur_left(c);
    uint32_t rep = nm_cur_reported_left(c);

    if (n > rep)
        n = rep;
    s.base = c->base + c->pos;
    s.len = n < cap ? n : cap;
    s.reported = n;
    s.pos = 0;
    s.frame_off = c->frame_off + c->pos;
    s.short_read = false;
    return s;
}

/* The rest of this window as the next layer's window. */
static inline struct nm_cursor nm_cur_rest(const struct nm_cursor *c)
{
    return nm_cur_sub(c, nm_cur_reported_left(c));
}

#endif /* NM_CURSOR_H */
