/*
 * flow.h - the bidirectional flow table.  Internal to analyze/; the engine
 * (engine.c) is its only user.  Definitions of "flow" and "connection" are
 * in stats.h.
 *
 * All memory is allocated in nm_flow_table_new(): capacity cfg->max_flows
 * entries, an index (hash.h), and per-timeout-class LRU lists threaded through
 * the entries.  Nothing is allocated per packet.
 */
#ifndef NM_FLOW_H
#define NM_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

struct nm_addr_cache;

struct nm_flow_table;

/* What one packet did, beyond the verdict. */
struct nm_flow_result {
    unsigned tcp;                   /* NM_TCPR_* bits (tcp.h), 0 if not TCP */
    enum nm_proto conn_proto;       /* protocol a new connection counts in (if
                                       verdict.new_connection) */
};

/*
 * Create a table for cfg->max_flows flows (already normalised: >= 1, timeouts
 * > 0).  Records go to sink->flow (NULL: dropped).  The table updates the
 * flow fields of *totals (flows_created, flows_evicted, flows_timed_out,
 * flows_active, flows_peak); *totals must outlive the table.  The packets
 * of every flow count to its IP addresses in `addrs` (at flushes and when
 * the flow ends; see flow.c), which must outlive the table too: the caller
 * counts only packets of no flow to their IP addresses.  Returns NULL on
 * allocation failure.
 */
struct nm_flow_table *nm_flow_table_new(const struct nm_engine_config *cfg,
                                        const struct nm_sink *sink,
                                        struct nm_engine_totals *totals,
                                        struct nm_addr_cache *addrs)
    __attribute__((warn_unused_result));
void nm_flow_table_free(struct nm_flow_table *t);

/* A packet's flow key and hash, computed ahead (plain data, caller's stack). */
struct nm_flow_prep {
    uint64_t key[5];
    uint64_t hash;
    bool has_flow;          /* false: the packet belongs to no flow */
    bool src_is_a;          /* the sender is endpoint A of the key */
    uint8_t cls, conn_proto, kind;
};

/* Build the key and hash of a packet and prefetch its index slot. */
void nm_flow_prepare(const struct nm_flow_table *t, const struct nm_packet *pkt,
                     struct nm_flow_prep *fp);

/* Prefetch the flow entry the packet will probably use (a hint only). */
void nm_flow_prefetch(const struct nm_flow_table *t, const struct nm_flow_prep *fp);

/* Account one packet (fp from nm_flow_prepare() on the same packet).  Fills
 * v->flow_id, new_flow, new_connection, from_client, tcp_retransmission (the
 * caller zeroes *v first) and *r.  May emit records of flows that end (idle,
 * evicted, reused ports). */
void nm_flow_packet(struct nm_flow_table *t, const struct nm_packet *pkt,
                    const struct nm_flow_prep *fp, struct nm_verdict *v, struct nm_flow_result *r);

/* End flows idle at now_ns (packet time) and flows closed by FIN/RST whose
 * linger time has passed. */
void nm_flow_expire(struct nm_flow_table *t, int64_t now_ns);

/* Emit every flow changed since the previous flush as NM_FEND_ACTIVE; with
 * `final`, end every flow instead (NM_FEND_CAPTURE_END, or FIN/RST for flows
 * already closed) and leave the table empty. */
void nm_flow_flush(struct nm_flow_table *t, bool final);

#endif /* NM_FLOW_H */
