/*
 * engine.h - the analysis engine: flows, addresses, per-second counters.
 *
 * Pure: no I/O, no SQLite, no pcap, no threads.  The caller feeds decoded
 * packets in capture order and receives records through a sink.  All memory
 * is allocated in nm_engine_new() and bounded by the config; nothing grows
 * with traffic.
 */
#ifndef NM_ENGINE_H
#define NM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records.h"

struct nm_engine_config {
    uint32_t max_flows;         /* flow table capacity (default 262144) */
    uint32_t max_addresses;     /* address cache capacity (default 262144) */
    int64_t tcp_idle_ns;        /* default 300 s (Zeek's tcp_inactivity_timeout) */
    int64_t tcp_closed_ns;      /* linger after FIN/RST before the record is final, default 5 s */
    int64_t udp_idle_ns;        /* default 60 s */
    int64_t icmp_idle_ns;       /* default 60 s */
    int64_t other_idle_ns;      /* default 60 s */
    uint64_t hash_seed;         /* seeds the table hashes (0: fixed default) */
};

/* Fill *cfg with the documented defaults. */
void nm_engine_config_default(struct nm_engine_config *cfg);

/* Where records go.  Callbacks are called synchronously from nm_engine_packet()
 * and nm_engine_flush(); the record is only valid during the call. */
struct nm_sink {
    void *ctx;
    void (*flow)(void *ctx, const struct nm_flow_rec *rec);
    void (*address)(void *ctx, const struct nm_addr_rec *rec);
    void (*second)(void *ctx, const struct nm_second_rec *rec);
};

/* What the engine concluded about one packet. */
struct nm_verdict {
    uint64_t flow_id;           /* 0 if the packet belongs to no flow (non-IP, malformed IP) */
    bool new_flow;              /* this packet created the flow */
    bool new_connection;        /* ... and it counts as a new connection */
    bool from_client;           /* direction within the flow */
    bool tcp_retransmission;
    /* A TCP flow's word for the latency module (nm_latency_packet's hint):
     * UINT32_MAX when the flow is new, then whatever that module stores.
     * Valid until the next call of the engine; NULL for other flows. */
    uint32_t *latency_hint;
};

/* Running totals since the engine was created (for final statistics and
 * cross-checks; the database holds the same numbers). */
struct nm_engine_totals {
    uint64_t packets, bytes;    /* wire bytes */
    uint64_t captured_bytes;
    uint64_t proto_packets[NM_P_COUNT], proto_bytes[NM_P_COUNT];
    uint64_t connections[NM_P_COUNT];
    uint64_t malformed[NM_MAL_COUNT];   /* [NM_MAL_NONE] unused */
    uint64_t tcp_resets, tcp_retransmissions;
    uint64_t flows_created, flows_evicted, flows_timed_out;
    uint64_t addresses_evicted;
    int64_t first_ns, last_ns;  /* smallest / largest packet timestamp */
    uint32_t flows_active, flows_peak;
};

struct nm_engine;

/* Returns NULL on allocation failure. */
struct nm_engine *nm_engine_new(const struct nm_engine_config *cfg, const struct nm_sink *sink)
    __attribute__((warn_unused_result));
void nm_engine_free(struct nm_engine *e);

/* Account one decoded packet.  May call the sink (evictions, finished seconds). */
void nm_engine_packet(struct nm_engine *e, const struct nm_packet *pkt, struct nm_verdict *out);

/*
 * Emit every pending delta: finished and current per-second counters, dirty
 * addresses, new or changed flows; expire flows idle at `now_ns` (packet
 * time, not wall-clock time).  With `final`, every open flow is emitted with
 * end_reason NM_FEND_CAPTURE_END.  Call about once a second and at the end.
 */
void nm_engine_flush(struct nm_engine *e, int64_t now_ns, bool final);

const struct nm_engine_totals *nm_engine_totals(const struct nm_engine *e);

#endif /* NM_ENGINE_H */
