/*
 * addr.h - bounded cache of per-address traffic DELTAS (IPv4, IPv6, MAC).
 *
 * Internal to analyze/.  The cache never holds totals: every entry carries
 * what its address sent and received since the entry was last emitted, and
 * the database adds the deltas up (records.h).  So the cache may forget an
 * address at any time as long as it emits the delta first, which is what
 * lets a flood of spoofed sources run in fixed memory: capacity is chosen
 * at creation, the least recently used entry is evicted (O(1), an intrusive
 * LRU list), and an entry with a pending delta is emitted before it goes.
 *
 * A lookup is split in three steps so that the engine can overlap the cache
 * misses of the four lookups of a packet (and of the flow lookup):
 * nm_addr_ref_init() hashes and prefetches the index slot, nm_addr_prefetch()
 * reads the slot and prefetches the entry, nm_addr_count() does the work.
 * Only the last step changes the cache; the first two are hints, so any
 * change in between (an insert that grows the table, an eviction) is safe.
 */
#ifndef NM_ADDR_H
#define NM_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

struct nm_addr_cache;

/* A prepared lookup (plain data, on the caller's stack). */
struct nm_addr_ref {
    uint64_t a0, a1;        /* the address, zero-padded to 16 bytes */
    uint64_t hash;
    uint8_t kind;           /* enum nm_addr_kind */
};

/*
 * Create a cache of `capacity` entries (>= 1).  Records go to sink->address
 * (may be NULL: deltas are then dropped).  *evicted is incremented for every
 * entry dropped to make room; the pointer must outlive the cache.  All memory
 * is allocated here.  Returns NULL on allocation failure.
 */
struct nm_addr_cache *nm_addr_cache_new(uint32_t capacity, uint64_t seed,
                                        const struct nm_sink *sink, uint64_t *evicted)
    __attribute__((warn_unused_result));
void nm_addr_cache_free(struct nm_addr_cache *c);

/* Prepare a lookup of `addr` (6 bytes for MAC, 4 for IPv4, 16 for IPv6). */
void nm_addr_ref_init(const struct nm_addr_cache *c, struct nm_addr_ref *r, uint8_t kind,
                      const uint8_t *addr);

/* Prefetch the entry a prepared lookup will probably use. */
void nm_addr_prefetch(const struct nm_addr_cache *c, const struct nm_addr_ref *r);

/* Count one packet of `bytes` wire bytes sent (sent = true) or received by
 * the address.  May emit an evicted entry's delta. */
void nm_addr_count(struct nm_addr_cache *c, const struct nm_addr_ref *r, int64_t ts_ns,
                   uint32_t bytes, bool sent);

/* Packets and wire bytes an address sent and received. */
struct nm_addr_counts {
    uint64_t pkts_sent, bytes_sent, pkts_recv, bytes_recv;
};

/*
 * Count packets of one flow to one of its addresses at once (flow.c counts
 * a flow's IP addresses this way, at flushes and when the flow ends, so
 * that a packet of a flow needs no IP address lookup): `words` is the
 * address as in nm_addr_ref (two words, zero-padded), and every packet
 * counted was seen within [first_ns, last_ns], which may be wider than
 * those packets (the flow's whole span: the database keeps the minimum and
 * maximum, which stay exact since all the flow's packets count to the
 * address).  Counts of any size.  May emit an evicted entry's delta.
 */
void nm_addr_add(struct nm_addr_cache *c, uint8_t kind, const uint64_t words[2], int64_t first_ns,
                 int64_t last_ns, const struct nm_addr_counts *n);

/* One packet from src to dst, all three steps (a packet to itself counts as
 * both sent and received by that address). */
void nm_addr_packet(struct nm_addr_cache *c, uint8_t kind, const uint8_t *src, const uint8_t *dst,
                    int64_t ts_ns, uint32_t bytes);

/* Emit every pending delta and zero it.  Entries stay cached (clean). */
void nm_addr_flush(struct nm_addr_cache *c);

/* Entries currently cached (for tests). */
uint32_t nm_addr_cache_size(const struct nm_addr_cache *c);

#endif /* NM_ADDR_H */
