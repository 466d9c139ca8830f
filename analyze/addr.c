/*
 * addr.c - the bounded address-delta cache (see addr.h).
 *
 * Layout: one preallocated array of entries, a chained hash (bucket heads and
 * chain links are entry indexes + 1, so calloc'ed zero means "empty" and
 * untouched pages cost no memory), and one LRU list through the entries.
 * An entry with a pending delta is "dirty".  Only touching an entry makes it
 * dirty and touching moves it to the LRU head, so the dirty entries are
 * always a prefix of the LRU list: a flush walks that prefix and stops at the
 * first clean entry, costing O(dirty), not O(capacity).
 */
#include "addr.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define NIL UINT32_MAX
#define ADDR_KEY_WORDS 3
#define ADDR_HASH_DOMAIN 2

struct addr_entry {
    uint64_t key[ADDR_KEY_WORDS]; /* 16 address bytes, then the kind */
    uint32_t hnext;               /* next in the bucket chain, index + 1; 0 ends */
    uint32_t prev, next;          /* LRU list, NIL ends */
    uint32_t bucket;              /* bucket index, to unlink without rehashing */
    int64_t first_ns, last_ns;    /* of the pending delta */
    uint64_t pkts_sent, bytes_sent, pkts_recv, bytes_recv;
};

struct nm_addr_cache {
    struct addr_entry *e;
    uint32_t *bucket;       /* index + 1 of the chain head; 0 = empty */
    uint32_t cap, used, nbuckets;
    uint32_t head, tail;    /* LRU: head most recent */
    struct nm_hash_secret secret;
    struct nm_sink sink;
    uint64_t *evicted;
};

struct nm_addr_cache *nm_addr_cache_new(uint32_t capacity, uint64_t seed, const struct nm_sink *sink,
                                        uint64_t *evicted)
{
    if (capacity == 0 || capacity >= NIL || !evicted)
        return NULL;
    struct nm_addr_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cap = capacity;
    /* Twice as many buckets as entries keeps chains at about 1.2 probes. */
    c->nbuckets = nm_hash_pow2(capacity);
    if (c->nbuckets <= (1u << 30))
        c->nbuckets <<= 1;
    c->e = calloc(capacity, sizeof *c->e);
    c->bucket = calloc(c->nbuckets, sizeof *c->bucket);
    if (!c->e || !c->bucket) {
        nm_addr_cache_free(c);
        return NULL;
    }
    c->head = c->tail = NIL;
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
    free(c->e);
    free(c->bucket);
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

static void emit(struct nm_addr_cache *c, struct addr_entry *x)
{
    if (c->sink.address) {
        struct nm_addr_rec rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = (uint8_t)x->key[2];
        memcpy(rec.addr, x->key, sizeof rec.addr);
        rec.first_ns = x->first_ns;
        rec.last_ns = x->last_ns;
        rec.pkts_sent = x->pkts_sent;
        rec.bytes_sent = x->bytes_sent;
        rec.pkts_recv = x->pkts_recv;
        rec.bytes_recv = x->bytes_recv;
        c->sink.address(c->sink.ctx, &rec);
    }
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
    /* Unlink from its bucket chain; chains are short (load <= 0.5). */
    uint32_t *link = &c->bucket[x->bucket];
    while (*link != i + 1)
        link = &c->e[*link - 1].hnext;
    *link = x->hnext;
    lru_unlink(c, i);
    (*c->evicted)++;
    return i;
}

/* Find or insert the entry for a key; it becomes the LRU head. */
static struct addr_entry *lookup(struct nm_addr_cache *c, const uint64_t key[ADDR_KEY_WORDS],
                                 int64_t ts)
{
    uint64_t h = nm_hash_words(&c->secret, key, ADDR_KEY_WORDS);
    uint32_t b = (uint32_t)h & (c->nbuckets - 1);
    for (uint32_t j = c->bucket[b]; j != 0; j = c->e[j - 1].hnext) {
        struct addr_entry *x = &c->e[j - 1];
        if (x->key[0] == key[0] && x->key[1] == key[1] && x->key[2] == key[2]) {
            if (c->head != j - 1) {
                lru_unlink(c, j - 1);
                lru_push_head(c, j - 1);
            }
            return x;
        }
    }
    uint32_t i;
    if (c->used < c->cap)
        i = c->used++;
    else
        i = evict_lru(c);
    struct addr_entry *x = &c->e[i];
    memcpy(x->key, key, sizeof x->key);
    x->bucket = b;
    x->hnext = c->bucket[b];
    c->bucket[b] = i + 1;
    x->first_ns = x->last_ns = ts;
    x->pkts_sent = x->bytes_sent = x->pkts_recv = x->bytes_recv = 0;
    lru_push_head(c, i);
    return x;
}

static void make_key(uint64_t key[ADDR_KEY_WORDS], uint8_t kind, const uint8_t *addr)
{
    uint8_t b[16] = { 0 };
    size_t n = kind == NM_ADDR_IPV6 ? 16 : kind == NM_ADDR_IPV4 ? 4 : 6;
    memcpy(b, addr, n);
    memcpy(&key[0], b, 16);
    key[2] = kind;
}

static void touch(struct addr_entry *x, int64_t ts)
{
    /* A clean entry starts a new delta window. */
    if (!entry_dirty(x)) {
        x->first_ns = x->last_ns = ts;
    } else {
        if (ts < x->first_ns)
            x->first_ns = ts;
        if (ts > x->last_ns)
            x->last_ns = ts;
    }
}

void nm_addr_packet(struct nm_addr_cache *c, uint8_t kind, const uint8_t *src, const uint8_t *dst,
                    int64_t ts_ns, uint64_t bytes)
{
    uint64_t key[ADDR_KEY_WORDS];
    make_key(key, kind, src);
    struct addr_entry *x = lookup(c, key, ts_ns);
    touch(x, ts_ns);
    x->pkts_sent++;
    x->bytes_sent += bytes;
    /* Finish with src before looking up dst: inserting dst may evict src
     * (capacity 1), which then emits the complete delta. */
    make_key(key, kind, dst);
    x = lookup(c, key, ts_ns);
    touch(x, ts_ns);
    x->pkts_recv++;
    x->bytes_recv += bytes;
}

void nm_addr_flush(struct nm_addr_cache *c)
{
    /* Dirty entries are a prefix of the LRU list (see the top of the file). */
    for (uint32_t i = c->head; i != NIL && entry_dirty(&c->e[i]); i = c->e[i].next)
        emit(c, &c->e[i]);
}
