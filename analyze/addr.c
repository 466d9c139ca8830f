/*
 * addr.c - the bounded address-delta cache (see addr.h).
 *
 * Layout: one preallocated array of 64-byte entries (one cache line each;
 * untouched pages cost no memory), an nm_index over them (hash.h: open
 * addressing, only as many slots in use as the entries need, so a capture
 * with 7,000 addresses works in 128 KiB of slots that stay in cache), and
 * one LRU list through the entries.
 *
 * LRU at generation granularity: moving an entry to the list head on every
 * touch costs three random cache lines (its neighbours and the old head)
 * four times per packet.  Instead time is cut into generations of
 * capacity / ADDR_GENS_PER_CACHE lookups (at least 1), and an entry moves to
 * the head only on its first touch in a generation.  The list stays exactly
 * ordered by the generation of the last touch, so the tail is always an
 * entry from the oldest generation; hot addresses (gateways, resolvers) move
 * once per generation.
 *
 * An entry with a pending delta is "dirty".  A flush starts a new
 * generation, so every entry touched since then was moved to the head when
 * first touched: the dirty entries are exactly a prefix of the list, and a
 * flush walks that prefix, costing O(dirty), not O(capacity).
 *
 * Delta counters are 32-bit to keep an entry in one cache line; an entry
 * whose counter would overflow is emitted first (a delta may be emitted at
 * any time), so nothing is lost even if flushes stop.
 */
#include "addr.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define NIL UINT32_MAX
#define ADDR_HASH_DOMAIN 2
/* LRU generations per cache capacity: the order is exact to 1/256 of the
 * cache (exact for caches of up to 256 entries), and hot entries move at
 * most once per capacity/256 lookups. */
#define ADDR_GENS_PER_CACHE 256
/* The generation is kept in the top 24 bits of gen_kind and only compared
 * for equality; next_gen() handles the wrap. */
#define GEN_BITS_MASK 0xffffffu

struct addr_entry {
    _Alignas(64) uint64_t a0;     /* address bytes, zero-padded */
    uint64_t a1;
    uint32_t spare;
    uint32_t prev, next;          /* LRU list, NIL ends */
    uint32_t gen_kind;            /* generation of the last move to the head << 8 | kind */
    int64_t first_ns, last_ns;    /* of the pending delta */
    uint32_t pkts_sent, pkts_recv;
    uint32_t bytes_sent, bytes_recv;
};

_Static_assert(sizeof(struct addr_entry) == 64, "an address entry is one cache line");

struct nm_addr_cache {
    struct addr_entry *e;
    struct nm_index ix;
    uint32_t cap, used;
    uint32_t head, tail;    /* LRU: head most recent */
    uint32_t gen, touches;  /* current generation; lookups in it so far */
    uint32_t gen_touches;   /* lookups per generation */
    struct nm_hash_secret secret;
    struct nm_sink sink;
    uint64_t *evicted;
};

struct nm_addr_cache *nm_addr_cache_new(uint32_t capacity, uint64_t seed,
                                        const struct nm_sink *sink, uint64_t *evicted)
{
    if (capacity == 0 || capacity >= NIL || !evicted)
        return NULL;
    struct nm_addr_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cap = capacity;
    c->e = nm_table_alloc(capacity, sizeof *c->e);
    if (!c->e || !nm_index_init(&c->ix, capacity)) {
        nm_addr_cache_free(c);
        return NULL;
    }
    c->head = c->tail = NIL;
    c->gen_touches = capacity / ADDR_GENS_PER_CACHE ? capacity / ADDR_GENS_PER_CACHE : 1;
    nm_hash_secret_init(&c->secret, seed, ADDR_HASH_DOMAIN);
    if (sink)
        c->sink = *sink;
    c->evicted = evicted;
    return c;
}

void nm_addr_cache_free(struct nm_addr_cache *c)
{
    if (!c)
        return;
    nm_table_free(c->e, c->cap, sizeof *c->e);
    nm_index_free(&c->ix);
    free(c);
}

uint32_t nm_addr_cache_size(const struct nm_addr_cache *c)
{
    return c->used;
}

static void lru_unlink(struct nm_addr_cache *c, uint32_t i)
{
    struct addr_entry *x = &c->e[i];
    if (x->prev != NIL)
        c->e[x->prev].next = x->next;
    else
        c->head = x->next;
    if (x->next != NIL)
        c->e[x->next].prev = x->prev;
    else
        c->tail = x->prev;
}

static void lru_push_head(struct nm_addr_cache *c, uint32_t i)
{
    struct addr_entry *x = &c->e[i];
    x->prev = NIL;
    x->next = c->head;
    if (c->head != NIL)
        c->e[c->head].prev = i;
    else
        c->tail = i;
    c->head = i;
}

static bool entry_dirty(const struct addr_entry *x)
{
    return (x->pkts_sent | x->pkts_recv) != 0;
}

static uint64_t entry_hash(const struct nm_addr_cache *c, const struct addr_entry *x)
{
    const uint64_t w[3] = { x->a0, x->a1, x->gen_kind & 0xffu };
    return nm_hash_words(&c->secret, w, 3);
}

/* Hand one delta to the sink. */
static void emit_counts(struct nm_addr_cache *c, uint8_t kind, uint64_t a0, uint64_t a1,
                        int64_t first_ns, int64_t last_ns, const struct nm_addr_counts *n)
{
    if (!c->sink.address)
        return;
    struct nm_addr_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    memcpy(rec.addr, &a0, 8);
    memcpy(rec.addr + 8, &a1, 8);
    rec.first_ns = first_ns;
    rec.last_ns = last_ns;
    rec.pkts_sent = n->pkts_sent;
    rec.bytes_sent = n->bytes_sent;
    rec.pkts_recv = n->pkts_recv;
    rec.bytes_recv = n->bytes_recv;
    c->sink.address(c->sink.ctx, &rec);
}

static void emit(struct nm_addr_cache *c, struct addr_entry *x)
{
    const struct nm_addr_counts n = { x->pkts_sent, x->bytes_sent, x->pkts_recv, x->bytes_recv };
    emit_counts(c, (uint8_t)(x->gen_kind & 0xffu), x->a0, x->a1, x->first_ns, x->last_ns, &n);
    x->pkts_sent = x->bytes_sent = x->pkts_recv = x->bytes_recv = 0;
}

/* Drop the least recently used entry (emitting its delta) and return its
 * slot for reuse. */
static uint32_t evict_lru(struct nm_addr_cache *c)
{
    uint32_t i = c->tail;
    struct addr_entry *x = &c->e[i];
    if (entry_dirty(x))
        emit(c, x);
    nm_index_remove(&c->ix, entry_hash(c, x), i);
    lru_unlink(c, i);
    (*c->evicted)++;
    /* Under a flood every lookup evicts.  The next victim, the new tail,
     * is in cache now (lru_unlink wrote it): prefetch its slot so the next
     * eviction does not wait for it. */
    if (c->tail != NIL)
        nm_index_prefetch(&c->ix, entry_hash(c, &c->e[c->tail]));
    return i;
}

/* Double the slots in use and index every entry again. */
static void grow(struct nm_addr_cache *c)
{
    nm_index_grow(&c->ix);
    for (uint32_t i = 0; i < c->used; i++)
        nm_index_insert(&c->ix, entry_hash(c, &c->e[i]), i);
}

/* Start a new LRU generation.  When the 24-bit generation wraps to 0, an
 * entry last moved 2^24 generations ago would look current and skip its
 * move to the head (breaking the dirty prefix), so once per 2^24
 * generations every entry is marked as from the previous generation. */
static void next_gen(struct nm_addr_cache *c)
{
    c->gen++;
    c->touches = 0;
    if ((c->gen & GEN_BITS_MASK) != 0)
        return;
    for (uint32_t i = 0; i < c->used; i++)
        c->e[i].gen_kind = GEN_BITS_MASK << 8 | (c->e[i].gen_kind & 0xffu);
}

static void ref_from_words(const struct nm_addr_cache *c, struct nm_addr_ref *r, uint8_t kind,
                           uint64_t a0, uint64_t a1)
{
    r->a0 = a0;
    r->a1 = a1;
    r->kind = kind;
    const uint64_t w[3] = { a0, a1, kind };
    r->hash = nm_hash_words(&c->secret, w, 3);
}

void nm_addr_ref_init(const struct nm_addr_cache *c, struct nm_addr_ref *r, uint8_t kind,
                      const uint8_t *addr)
{
    /* a0/a1 hold the address bytes in memory order, zero-padded: what
     * memcpy into a zeroed 16-byte buffer gives (nm_key_word_short). */
    uint64_t a0, a1 = 0;
    if (kind == NM_ADDR_IPV6) {
        memcpy(&a0, addr, 8);
        memcpy(&a1, addr + 8, 8);
    } else {
        a0 = nm_key_word_short(addr, kind != NM_ADDR_IPV4);
    }
    ref_from_words(c, r, kind, a0, a1);
    nm_index_prefetch(&c->ix, r->hash);
}

void nm_addr_prefetch(const struct nm_addr_cache *c, const struct nm_addr_ref *r)
{
    uint32_t j = nm_index_guess(&c->ix, r->hash);
    if (j != UINT32_MAX)
        __builtin_prefetch(&c->e[j], 1);
}

/* Find or insert the entry for a prepared key; LRU order updated. */
static struct addr_entry *lookup(struct nm_addr_cache *c, const struct nm_addr_ref *r, int64_t ts)
{
    if (++c->touches >= c->gen_touches)
        next_gen(c);
    const uint32_t gk = (c->gen & GEN_BITS_MASK) << 8 | r->kind;
    NM_INDEX_FOREACH(&c->ix, r->hash, j, {
        struct addr_entry *x = &c->e[j];
        if (x->a0 == r->a0 && x->a1 == r->a1 && (x->gen_kind & 0xffu) == r->kind) {
            if (x->gen_kind != gk) {
                x->gen_kind = gk;
                if (c->head != j) {
                    lru_unlink(c, j);
                    lru_push_head(c, j);
                }
            }
            return x;
        }
    });
    uint32_t i;
    if (c->used < c->cap) {
        if (nm_index_full(&c->ix))
            grow(c);
        i = c->used++;
    } else {
        i = evict_lru(c);
    }
    struct addr_entry *x = &c->e[i];
    x->a0 = r->a0;
    x->a1 = r->a1;
    x->gen_kind = gk;
    nm_index_insert(&c->ix, r->hash, i);
    x->first_ns = x->last_ns = ts;
    x->pkts_sent = x->bytes_sent = x->pkts_recv = x->bytes_recv = 0;
    lru_push_head(c, i);
    return x;
}

/* Widen the entry's delta window to [first_ns, last_ns]; before counting. */
static void note_times(struct addr_entry *x, int64_t first_ns, int64_t last_ns)
{
    if (!entry_dirty(x)) {
        /* A clean entry starts a new delta window. */
        x->first_ns = first_ns;
        x->last_ns = last_ns;
    } else {
        if (first_ns < x->first_ns)
            x->first_ns = first_ns;
        if (last_ns > x->last_ns)
            x->last_ns = last_ns;
    }
}

void nm_addr_count(struct nm_addr_cache *c, const struct nm_addr_ref *r, int64_t ts_ns,
                   uint32_t bytes, bool sent)
{
    struct addr_entry *x = lookup(c, r, ts_ns);
    uint32_t *pk = sent ? &x->pkts_sent : &x->pkts_recv;
    uint32_t *by = sent ? &x->bytes_sent : &x->bytes_recv;
    /* A full 32-bit counter: emit the delta now, start a new one. */
    if (*pk == UINT32_MAX || *by > UINT32_MAX - bytes)
        emit(c, x);
    note_times(x, ts_ns, ts_ns);
    (*pk)++;
    *by += bytes;
}

static bool fits(uint32_t have, uint64_t add)
{
    return add <= UINT32_MAX - have;
}

void nm_addr_add(struct nm_addr_cache *c, uint8_t kind, const uint64_t words[2], int64_t first_ns,
                 int64_t last_ns, const struct nm_addr_counts *n)
{
    if (n->pkts_sent == 0 && n->pkts_recv == 0)
        return;
    /* Counts too large for an entry go out as a delta of their own, the
     * cache untouched: touching an entry without making it dirty would
     * break the dirty prefix the flush walks (see the top of the file). */
    if (!fits(0, n->pkts_sent) || !fits(0, n->bytes_sent) || !fits(0, n->pkts_recv) ||
        !fits(0, n->bytes_recv)) {
        emit_counts(c, kind, words[0], words[1], first_ns, last_ns, n);
        return;
    }
    struct nm_addr_ref r;
    ref_from_words(c, &r, kind, words[0], words[1]);
    struct addr_entry *x = lookup(c, &r, first_ns);
    /* As in nm_addr_count(): a full counter sends the delta out first. */
    if (!fits(x->pkts_sent, n->pkts_sent) || !fits(x->bytes_sent, n->bytes_sent) ||
        !fits(x->pkts_recv, n->pkts_recv) || !fits(x->bytes_recv, n->bytes_recv))
        emit(c, x);
    note_times(x, first_ns, last_ns);
    x->pkts_sent += (uint32_t)n->pkts_sent;
    x->bytes_sent += (uint32_t)n->bytes_sent;
    x->pkts_recv += (uint32_t)n->pkts_recv;
    x->bytes_recv += (uint32_t)n->bytes_recv;
}

void nm_addr_packet(struct nm_addr_cache *c, uint8_t kind, const uint8_t *src, const uint8_t *dst,
                    int64_t ts_ns, uint32_t bytes)
{
    struct nm_addr_ref s, d;
    nm_addr_ref_init(c, &s, kind, src);
    nm_addr_ref_init(c, &d, kind, dst);
    nm_addr_count(c, &s, ts_ns, bytes, true);
    nm_addr_count(c, &d, ts_ns, bytes, false);
}

void nm_addr_flush(struct nm_addr_cache *c)
{
    /* Dirty entries are a prefix of the LRU list (see the top of the file). */
    for (uint32_t i = c->head; i != NIL && entry_dirty(&c->e[i]); i = c->e[i].next)
        emit(c, &c->e[i]);
    /* A new generation: the next touch of any entry moves it to the head,
     * which keeps the dirty entries a prefix. */
    next_gen(c);
}
