/*
 * hash.h - the seeded hash behind the flow table and the address cache.
 *
 * Keys are short arrays of 64-bit words (a flow key is 5 words, an address
 * key 3).  The mixing step is the 64x64->128-bit multiply-and-fold used by
 * wyhash: each step multiplies two words, each XORed with secret material,
 * and folds the halves, so every input bit reaches every output bit within
 * one step.  The secrets come from the seed (splitmix64), so an attacker who
 * does not know the seed cannot aim packets at one bucket (hash flooding);
 * with seed 0 the secrets are fixed and collisions could be precomputed, so
 * live captures should pass a random seed.  Cost: about 1 ns per word.
 *
 * Header-only: the functions are tiny and sit on the per-packet path.
 */
#ifndef NM_HASH_H
#define NM_HASH_H

#include <stddef.h>
#include <stdint.h>

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
 * Zeroed memory for n elements of `size` bytes, for a table that lives as
 * long as the engine: large tables come from anonymous mmap with a
 * transparent-huge-page hint (hash.c).  NULL on failure or overflow.  Free
 * with nm_table_free() and the same n and size.
 */
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

#endif /* NM_HASH_H */
