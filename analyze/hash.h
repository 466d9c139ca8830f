/*
 * hash.h - the seeded hash behind the flow table and the address cache.
 *
 * Keys are short arrays of 64-bit words (a flow key is 5 words, an address
 * key 3).  The mixing step is the 64x64->128-bit multiply-and-fold used by
 * wyhash: each step multiplies two words, each XORed with secret material,
 * and folds the halves, so every input bit reaches every output bit within
 * one step.  The secrets come from the seed (splitmix64), so an attacker who
 * does not know the seed cannot aim packets at one slot (hash flooding);
 * with seed 0 the secrets are fixed and collisions could be precomputed, so
 * live captures should pass a random seed.  Cost: about 1 ns per word.
 *
 * Header-only: the functions are tiny and sit on the per-packet path.
 */
#ifndef NM_HASH_H
#define NM_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct nm_hash_secret {
    uint64_t s0, s1, s2;
};

/* splitmix64 step: turns a seed into well-spread secret words. */
static inline uint64_t nm_hash_splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Derive the secrets of one table from the user's seed.  `domain` keeps the
 * flow table and the address cache from sharing secrets.  Seed 0 means the
 * documented fixed default. */
static inline void nm_hash_secret_init(struct nm_hash_secret *hs, uint64_t seed, uint64_t domain)
{
    const uint64_t fixed = 0x6e65746d6f6e00ull; /* "netmon" */
    uint64_t st = (seed ? seed : fixed) ^ (domain * 0xa0761d6478bd642full);
    hs->s0 = nm_hash_splitmix(&st);
    hs->s1 = nm_hash_splitmix(&st) | 1u; /* odd: never a zero factor by itself */
    hs->s2 = nm_hash_splitmix(&st);
}

static inline uint64_t nm_hash_mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    __extension__ unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    /* Portable fallback: 32x32 partial products of the same 128-bit product. */
    uint64_t ha = a >> 32, la = a & 0xffffffffu, hb = b >> 32, lb = b & 0xffffffffu;
    uint64_t rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb;
    uint64_t t = rl + (rm0 << 32);
    uint64_t c = t < rl;
    uint64_t lo = t + (rm1 << 32);
    c += lo < t;
    uint64_t hi = rh + (rm0 >> 32) + (rm1 >> 32) + c;
    return lo ^ hi;
#endif
}

/* Hash n words (n small and fixed per table). */
static inline uint64_t nm_hash_words(const struct nm_hash_secret *hs, const uint64_t *w, size_t n)
{
    uint64_t h = hs->s0;
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        h = nm_hash_mum(w[i] ^ hs->s1, w[i + 1] ^ h);
    if (i < n)
        h = nm_hash_mum(w[i] ^ hs->s1, h ^ hs->s2);
    return nm_hash_mum(h ^ hs->s2, (uint64_t)n ^ hs->s1);
}

/*
 * The first 8 bytes of a zero-padded address, as memcpy from a zeroed
 * 16-byte buffer would give them, for a key word: an IPv4 address (4
 * bytes) or a MAC (6: `mac`).  Built in registers: a 4- or 6-byte store
 * read back as an 8-byte word cannot be forwarded from the store buffer,
 * and that stall was a third of the functions that built keys that way.
 */
static inline uint64_t nm_key_word_short(const uint8_t *addr, bool mac)
{
    uint32_t lo;
    uint16_t hi = 0;
    memcpy(&lo, addr, 4);
    if (mac)
        memcpy(&hi, addr + 4, 2);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (uint64_t)lo | (uint64_t)hi << 32;
#else
    return (uint64_t)lo << 32 | (uint64_t)hi << 16;
#endif
}

/*
 * Zeroed memory for n elements of `size` bytes, aligned to NM_TABLE_ALIGN
 * (a cache line), for a table that lives as long as the engine; pages are
 * only touched when used (hash.c).  NULL on failure or overflow.  Free with
 * nm_table_free() and the same n and size.
 */
#define NM_TABLE_ALIGN 64u
void *nm_table_alloc(size_t n, size_t size) __attribute__((warn_unused_result));
void nm_table_free(void *p, size_t n, size_t size);

/* Smallest power of two >= n (n >= 1, result <= 2^31). */
static inline uint32_t nm_hash_pow2(uint32_t n)
{
    uint32_t p = 1;
    while (p < n && p < (1u << 31))
        p <<= 1;
    return p;
}

/*
 * nm_index: the hash index of a table whose entries live in an array of the
 * caller's.  Open addressing with linear probing over 8-byte slots, each
 * holding 32 bits of the key's hash and the entry's index + 1 (0 = empty).
 * A lookup compares the stored hash bits inside the slot array and touches an
 * entry only when they match, and a removal (backward shift) only moves
 * slots, so neither walks through other entries' cache lines, which is what
 * a chained hash does.
 *
 * The slot array is allocated for the table's full capacity at load 1/2,
 * but only mask + 1 slots are in use: the range doubles as the entries grow
 * (the caller re-inserts every entry after nm_index_grow()), so a small
 * working set keeps its slots in cache.
 */
struct nm_index {
    uint64_t *slot;
    uint32_t mask;          /* slots in use - 1 (power of two - 1) */
    uint32_t nslots;        /* allocated (power of two) */
    uint32_t count;         /* entries indexed */
};

/* Index for up to `entries` entries.  false on allocation failure. */
bool nm_index_init(struct nm_index *ix, uint32_t entries) __attribute__((warn_unused_result));
void nm_index_free(struct nm_index *ix);

static inline uint32_t nm_index_home(const struct nm_index *ix, uint64_t hash)
{
    return (uint32_t)hash & ix->mask;
}

/* Hint: the slot a lookup of `hash` starts at. */
static inline void nm_index_prefetch(const struct nm_index *ix, uint64_t hash)
{
    __builtin_prefetch(&ix->slot[nm_index_home(ix, hash)]);
}

/* The entry index in the home slot of `hash` if its hash bits match, else
 * UINT32_MAX: what to prefetch before a lookup. */
static inline uint32_t nm_index_guess(const struct nm_index *ix, uint64_t hash)
{
    uint64_t s = ix->slot[nm_index_home(ix, hash)];
    if (s != 0 && (uint32_t)(s >> 32) == (uint32_t)hash)
        return (uint32_t)s - 1;
    return UINT32_MAX;
}

/* Probe loop: for (pos = home; ; pos = next) visit candidates whose stored
 * hash bits match; stop at an empty slot.  Bounded by the slots in use.  The
 * body is the variadic part, so commas in it are fine; it may `return`. */
#define NM_INDEX_FOREACH(ix, hash, idxvar, ...)                                       \
    do {                                                                             \
        const uint32_t nm_h32_ = (uint32_t)(hash);                                   \
        uint32_t nm_pos_ = nm_h32_ & (ix)->mask;                                     \
        for (uint32_t nm_n_ = 0; nm_n_ <= (ix)->mask; nm_n_++) {                     \
            const uint64_t nm_s_ = (ix)->slot[nm_pos_];                              \
            if (nm_s_ == 0)                                                          \
                break;                                                               \
            if ((uint32_t)(nm_s_ >> 32) == nm_h32_) {                                \
                const uint32_t idxvar = (uint32_t)nm_s_ - 1;                         \
                __VA_ARGS__                                                          \
            }                                                                        \
            nm_pos_ = (nm_pos_ + 1) & (ix)->mask;                                    \
        }                                                                            \
    } while (0)

/* Index entry idx under hash.  The caller keeps count below the capacity
 * given to nm_index_init() and grows first when nm_index_full(). */
void nm_index_insert(struct nm_index *ix, uint64_t hash, uint32_t idx);

/* Remove entry idx, indexed under hash (it must be there). */
void nm_index_remove(struct nm_index *ix, uint64_t hash, uint32_t idx);

/* true if one more entry would exceed load 1/2 and the range can double. */
static inline bool nm_index_full(const struct nm_index *ix)
{
    return ix->count + 1 > (ix->mask + 1) / 2 && ix->mask + 1 < ix->nslots;
}

/* Double the range in use and empty it; the caller then re-inserts every
 * entry. */
void nm_index_grow(struct nm_index *ix);

#endif /* NM_HASH_H */
