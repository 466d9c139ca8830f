/*
 * counters.c - per-second counter deltas (see counters.h).
 */
#include "counters.h"

#include <string.h>

#define NS_PER_S 1000000000

int64_t nm_counters_second(int64_t ts_ns)
{
    int64_t s = ts_ns / NS_PER_S;
    /* C division truncates toward zero; seconds must floor so that
     * -0.5 s belongs to second -1, like tshark's epoch times. */
    if (ts_ns % NS_PER_S < 0)
        s--;
    return s;
}

void nm_counters_init(struct nm_counters *c)
{
    memset(c->used, 0, sizeof c->used);
    c->have_max = false;
    c->max_sec = 0;
}

static void emit_slot(struct nm_counters *c, unsigned i, const struct nm_sink *sink)
{
    if (sink->second)
        sink->second(sink->ctx, &c->slot[i]);
    c->used[i] = false;
}

/* Emit every open slot, oldest second first (readers see time move forward). */
static void emit_all(struct nm_counters *c, const struct nm_sink *sink)
{
    for (unsigned n = 0; n < NM_SEC_SLOTS; n++) {
        unsigned best = NM_SEC_SLOTS;
        for (unsigned i = 0; i < NM_SEC_SLOTS; i++)
            if (c->used[i] && (best == NM_SEC_SLOTS || c->slot[i].second < c->slot[best].second))
                best = i;
        if (best == NM_SEC_SLOTS)
            return;
        emit_slot(c, best, sink);
    }
}

struct nm_second_rec *nm_counters_at(struct nm_counters *c, int64_t ts_ns,
                                     const struct nm_sink *sink)
{
    int64_t sec = nm_counters_second(ts_ns);
    if (!c->have_max || sec > c->max_sec) {
        /* Time moved on: every open second is finished (all are older). */
        emit_all(c, sink);
        c->max_sec = sec;
        c->have_max = true;
    }
    int64_t m = sec % NM_SEC_SLOTS;
    unsigned i = (unsigned)(m < 0 ? m + NM_SEC_SLOTS : m);
    if (c->used[i] && c->slot[i].second != sec)
        emit_slot(c, i, sink);
    if (!c->used[i]) {
        /* Once per second per slot: the memset is off the per-packet path. */
        memset(&c->slot[i], 0, sizeof c->slot[i]);
        c->slot[i].second = sec;
        c->used[i] = true;
    }
    return &c->slot[i];
}

void nm_counters_flush(struct nm_counters *c, const struct nm_sink *sink)
{
    emit_all(c, sink);
}
