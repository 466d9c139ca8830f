/*
 * hash.c - table memory and the open-addressing index (see hash.h).
 */
#include "hash.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/*
 * calloc, aligned by hand to a cache line: large blocks come from anonymous
 * mmap, so they are zero and take RAM only where touched (aligned_alloc
 * would need a memset that touches every page), but glibc returns them 16
 * bytes past a page boundary, which made every 64-byte entry straddle two
 * cache lines.  The byte before the aligned block holds its offset (1..64)
 * from what calloc returned.
 *
 * A transparent-huge-page hint (mmap + MADV_HUGEPAGE) was also measured on
 * the 2-core VM: slower and far more variable (mixed.pcap 170-750 ns/packet
 * against 170-250; small-flows.pcap 580-690 against 380-460), as faults in
 * hinted regions compact memory.  So: no hint.
 */
void *nm_table_alloc(size_t n, size_t size)
{
    if (size && n > (SIZE_MAX - NM_TABLE_ALIGN) / size)
        return NULL;
    size_t bytes = (n ? n : 1) * (size ? size : 1);
    unsigned char *raw = calloc(1, bytes + NM_TABLE_ALIGN);
    if (!raw)
        return NULL;
    size_t off = NM_TABLE_ALIGN - (size_t)((uintptr_t)raw % NM_TABLE_ALIGN); /* 1..64 */
    raw[off - 1] = (unsigned char)off;
    return raw + off;
}

void nm_table_free(void *p, size_t n, size_t size)
{
    (void)n;
    (void)size;
    if (!p)
        return;
    unsigned char *a = p;
    free(a - a[-1]);
}

/* Slots in use at first (the range grows with the entries). */
#define NM_INDEX_MIN_SLOTS 1024u

/* Write the slots about to be used: prefetching a never-touched page of the
 * lazily mapped array costs a page walk every time (hundreds of ns on a VM),
 * while a written page is mapped once. */
static void clear_range(struct nm_index *ix)
{
    memset(ix->slot, 0, ((size_t)ix->mask + 1) * sizeof *ix->slot);
}

bool nm_index_init(struct nm_index *ix, uint32_t entries)
{
    /* Load <= 1/2 at full capacity: short probe sequences. */
    uint32_t n = nm_hash_pow2(entries ? entries : 1);
    if (n <= (1u << 30))
        n <<= 1;
    ix->nslots = n;
    ix->slot = nm_table_alloc(n, sizeof *ix->slot);
    if (!ix->slot)
        return false;
    ix->mask = (n < NM_INDEX_MIN_SLOTS ? n : NM_INDEX_MIN_SLOTS) - 1;
    ix->count = 0;
    clear_range(ix);
    return true;
}

void nm_index_free(struct nm_index *ix)
{
    nm_table_free(ix->slot, ix->nslots, sizeof *ix->slot);
    ix->slot = NULL;
}

void nm_index_insert(struct nm_index *ix, uint64_t hash, uint32_t idx)
{
    uint32_t pos = nm_index_home(ix, hash);
    /* Bounded: count < slots in use, so an empty slot exists. */
    while (ix->slot[pos] != 0)
        pos = (pos + 1) & ix->mask;
    ix->slot[pos] = (uint64_t)(uint32_t)hash << 32 | ((uint64_t)idx + 1);
    ix->count++;
}

void nm_index_remove(struct nm_index *ix, uint64_t hash, uint32_t idx)
{
    uint32_t i = nm_index_home(ix, hash);
    const uint64_t want = (uint64_t)(uint32_t)hash << 32 | ((uint64_t)idx + 1);
    for (uint32_t n = 0; ix->slot[i] != want; n++) {
        if (ix->slot[i] == 0 || n > ix->mask) {
            /* Not indexed: a caller bug.  NDEBUG builds keep the index intact. */
            assert(ix->slot[i] != 0 && n <= ix->mask);
            return;
        }
        i = (i + 1) & ix->mask;
    }
    /* Backward shift (Knuth's Algorithm R): pull later members of the
     * probe run into the hole unless their home lies cyclically in
     * (hole, their position]. */
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & ix->mask;
        uint64_t s = ix->slot[j];
        if (s == 0)
            break;
        uint32_t k = (uint32_t)(s >> 32) & ix->mask;
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        ix->slot[i] = s;
        i = j;
    }
    ix->slot[i] = 0;
    ix->count--;
}

void nm_index_grow(struct nm_index *ix)
{
    ix->mask = ix->mask * 2 + 1;
    ix->count = 0;
    clear_range(ix);
}
