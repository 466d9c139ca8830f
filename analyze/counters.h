/*
 * counters.h - per-second counter deltas (struct nm_second_rec).
 *
 * Internal to analyze/.  A packet at second S (floor of its timestamp)
 * updates the record for S.  Records are deltas: the database adds every
 * record of the same second, so a record can be emitted as soon as its
 * second looks finished and a late (out-of-order) packet simply produces an
 * extra delta for its second.
 *
 * Records live in NM_SEC_SLOTS direct-mapped slots (second mod NM_SEC_SLOTS).
 * When packet time moves forward to a new second, every open slot (all
 * older seconds) is emitted: a live reader sees second S as soon as the
 * first packet of S+1 arrives.  Packets that go back in time reopen their
 * second's slot and are emitted with the next forward move or flush, so a
 * capture whose interfaces interleave slightly out of order costs a few
 * extra records, not one per packet.
 */
#ifndef NM_COUNTERS_H
#define NM_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

#define NM_SEC_SLOTS 8

struct nm_counters {
    struct nm_second_rec slot[NM_SEC_SLOTS];
    bool used[NM_SEC_SLOTS];
    bool have_max;
    int64_t max_sec;        /* largest second seen */
};

/* floor(ts_ns / 1e9), also for timestamps before 1970. */
int64_t nm_counters_second(int64_t ts_ns);

void nm_counters_init(struct nm_counters *c);

/* The record to update for a packet at ts_ns.  May emit finished seconds
 * through sink->second (NULL: dropped).  The pointer is valid until the next
 * call. */
struct nm_second_rec *nm_counters_at(struct nm_counters *c, int64_t ts_ns,
                                     const struct nm_sink *sink);

/* Emit and close every open record (the current second too: later packets
 * of it make another delta). */
void nm_counters_flush(struct nm_counters *c, const struct nm_sink *sink);

#endif /* NM_COUNTERS_H */
