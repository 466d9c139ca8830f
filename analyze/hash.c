/*
 * hash.c - memory for the engine's big tables (see hash.h).
 */
#include "hash.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Below this size plain calloc is as good (and keeps small tests cheap). */
#define NM_TABLE_MMAP_MIN (1u << 20)

void *nm_table_alloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    if (bytes < NM_TABLE_MMAP_MIN)
        return calloc(n ? n : 1, size ? size : 1);
    /* Anonymous memory is zero and only takes RAM where it is touched.
     * Huge pages: the tables are read at random, one or two cache lines per
     * packet, and with 4 KiB pages nearly every such read also misses the
     * TLB (expensive under virtualisation).  A hint only: without THP the
     * table works the same. */
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

void nm_table_free(void *p, size_t n, size_t size)
{
    if (!p)
        return;
    size_t bytes = n * size;
    if (bytes < NM_TABLE_MMAP_MIN)
        free(p);
    else
        munmap(p, bytes);
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
