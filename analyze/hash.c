/*
 * hash.c - memory for the engine's big tables (see hash.h).
 */
#include "hash.h"

#include <stdlib.h>
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
