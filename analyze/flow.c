/*
 * flow.c - the bidirectional flow table (see flow.h; definitions in stats.h).
 *
 * Layout
 *   - One preallocated array of entries (pages are only touched as the
 *     table fills, so a small capture stays small in memory).
 *   - An nm_index over them (hash.h: open addressing, slots holding hash
 *     bits and the entry index, only as many slots in use as the active
 *     flows need).  Keys are hashed with a seeded multiply-fold hash so
 *     crafted addresses cannot pile up in one probe run.
 *   - One LRU list per timeout class (TCP, closed TCP, UDP, ICMP, other).
 *     Touching a flow moves it to the head of its class list, so each tail
 *     is that class's least recently used flow.  Idle expiry pops tails whose
 *     idle time exceeds the class timeout; eviction picks the oldest of the
 *     (at most five) tails.  Both are O(1) per flow.
 *     The order is kept at generation granularity (as in addr.c): a flow
 *     moves to the head only on its first touch in each generation of
 *     capacity / FLOW_GENS_PER_TABLE packets (at least 1), which saves three
 *     random cache lines per packet for busy flows; the order is exact to
 *     1/256 of the table, and exact for tables of up to 256 flows.
 *     Generations advance with the packet count only, so the order, and with
 *     it every eviction, depends on the packets alone, never on when flushes
 *     happen.
 *   - Free entries form a list through the LRU link.
 *
 * Idle expiry is checked in packet time: at every lookup (a flow found idle
 * is ended and a new one started, so flow boundaries never depend on when
 * sweeps or flushes ran), by a sweep at most once per second of packet time,
 * before every eviction, and at flush.
 *
 * Changed flows are emitted at flush: the first touch after a flush puts the
 * flow on an intrusive doubly-linked dirty list (a flow that ends unlinks
 * itself), and a flush emits and empties that list: O(changed flows).
 *
 * A flow's packets count to its client and server IP addresses from here:
 * at every flush (the changed flows) and when the flow ends, the packets
 * and bytes since the last time go to the address cache (nm_addr_add), so
 * a packet of a flow costs no IP address lookup (two random cache lines
 * and an index probe each).  What was counted so far is kept beside the
 * entries (acct[]), which packets never touch.  On mixed.pcap -A, leaving
 * the per-packet IP lookups out made runs 15-20 % faster; counting per
 * flow gives some of it back (two lookups and acct[] per flow ending, and
 * per changed flow at a flush): the capture thread about 6 % less CPU.
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "hash.h"
#include "stats.h"
#include "tcp.h"

#define NIL UINT32_MAX
#define FLOW_KEY_WORDS 5
#define FLOW_HASH_DOMAIN 1
/* Sweep idle flows at most this often (packet time): keeps the per-packet
 * cost to one comparison while bounding how long an idle flow lingers. */
#define FLOW_SWEEP_NS 1000000000
/* LRU generations per table capacity (see the top of the file). */
#define FLOW_GENS_PER_TABLE 256

#define IPPROTO_NUM_ICMP 1
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_ICMPV6 58

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

#define WELL_KNOWN_PORT_LIMIT 1024

enum flow_class { FC_TCP, FC_TCP_CLOSED, FC_UDP, FC_ICMP, FC_OTHER, FC_COUNT };

/* What the two 16-bit "ports" of a key hold. */
enum key_kind { KK_PORTS = 0, KK_ICMP_ECHO = 1, KK_ICMP_TYPE = 2, KK_PROTO = 3 };

/*
 * key[0..1] endpoint A's address, key[2..3] endpoint B's (A <= B by address,
 * then port), key[4] = port A | port B << 16 | VLAN << 32 | kind << 44 |
 * IP version << 48 | IP protocol << 56.
 */
/* Exactly three cache lines (the table is 64-byte aligned): the key and
 * links a lookup reads, the counters, the TCP track.  A packet touches the
 * first two, and the third for TCP. */
struct flow_entry {
    _Alignas(64) uint64_t key[FLOW_KEY_WORDS];
    uint32_t prev, next;        /* class LRU list, NIL ends; free list: next */
    uint32_t gen;               /* LRU generation of the last move to the head */
    uint32_t dprev, dnext;      /* dirty list, NIL ends; dprev NOT_DIRTY: not on it */
    uint8_t cls;                /* enum flow_class = list it is on */
    uint8_t a_is_client;
    uint8_t is_conn;
    uint8_t conn_proto;         /* enum nm_proto */
    _Alignas(64) uint64_t flow_id;
    int64_t first_ns, last_ns;
    uint64_t pkts[2], bytes[2]; /* [0] client to server */
    uint32_t retrans, resets;
    _Alignas(64) struct nm_tcp_track tcp;
    uint32_t latency_hint;      /* nm_verdict.latency_hint of a TCP flow */
};

_Static_assert(sizeof(struct flow_entry) == 192, "a flow entry is three cache lines");

/* dprev of a flow that is not on the dirty list. */
#define NOT_DIRTY (NIL - 1)

/* What a flow's packets have counted to its addresses so far: the entry's
 * pkts and bytes when last counted (account_addresses()). */
struct flow_acct {
    uint64_t pkts[2], bytes[2];
};

struct nm_flow_table {
    struct flow_entry *e;
    struct flow_acct *acct;     /* [cap], beside e[] */
    struct nm_addr_cache *addrs;
    uint32_t dhead;             /* dirty list head, NIL = empty */
    struct nm_index ix;
    uint32_t cap;
    uint32_t high;              /* slots [0, high) have been used */
    uint32_t free_head;         /* free entries, linked by next; NIL = none */
    uint32_t head[FC_COUNT], tail[FC_COUNT];
    int64_t timeout[FC_COUNT];
    uint32_t gen, touches;      /* LRU generation; packets in it so far */
    uint32_t gen_touches;       /* packets per generation */
    uint64_t next_id;
    int64_t next_sweep_ns;
    struct nm_hash_secret secret;
    struct nm_sink sink;
    struct nm_engine_totals *tot;
};

struct nm_flow_table *nm_flow_table_new(const struct nm_engine_config *cfg,
                                        const struct nm_sink *sink,
                                        struct nm_engine_totals *totals,
                                        struct nm_addr_cache *addrs)
{
    if (cfg->max_flows == 0 || cfg->max_flows >= NIL || !totals || !addrs)
        return NULL;
    struct nm_flow_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cap = cfg->max_flows;
    t->addrs = addrs;
    t->e = nm_table_alloc(t->cap, sizeof *t->e);
    t->acct = nm_table_alloc(t->cap, sizeof *t->acct);
    if (!t->e || !t->acct || !nm_index_init(&t->ix, t->cap)) {
        nm_flow_table_free(t);
        return NULL;
    }
    for (int c = 0; c < FC_COUNT; c++)
        t->head[c] = t->tail[c] = NIL;
    t->timeout[FC_TCP] = cfg->tcp_idle_ns;
    t->timeout[FC_TCP_CLOSED] = cfg->tcp_closed_ns;
    t->timeout[FC_UDP] = cfg->udp_idle_ns;
    t->timeout[FC_ICMP] = cfg->icmp_idle_ns;
    t->timeout[FC_OTHER] = cfg->other_idle_ns;
    t->next_id = 1;
    t->dhead = NIL;
    t->free_head = NIL;
    t->gen_touches = t->cap / FLOW_GENS_PER_TABLE ? t->cap / FLOW_GENS_PER_TABLE : 1;
    t->next_sweep_ns = INT64_MIN;
    nm_hash_secret_init(&t->secret, cfg->hash_seed, FLOW_HASH_DOMAIN);
    if (sink)
        t->sink = *sink;
    t->tot = totals;
    return t;
}

void nm_flow_table_free(struct nm_flow_table *t)
{
    if (!t)
        return;
    nm_table_free(t->e, t->cap, sizeof *t->e);
    nm_table_free(t->acct, t->cap, sizeof *t->acct);
    nm_index_free(&t->ix);
    free(t);
}

/* --- lists ------------------------------------------------------------- */

static void lru_unlink(struct nm_flow_table *t, uint32_t i)
{
    struct flow_entry *x = &t->e[i];
    if (x->prev != NIL)
        t->e[x->prev].next = x->next;
    else
        t->head[x->cls] = x->next;
    if (x->next != NIL)
        t->e[x->next].prev = x->prev;
    else
        t->tail[x->cls] = x->prev;
}

static void lru_push_head(struct nm_flow_table *t, uint32_t i)
{
    struct flow_entry *x = &t->e[i];
    uint8_t c = x->cls;
    x->prev = NIL;
    x->next = t->head[c];
    if (t->head[c] != NIL)
        t->e[t->head[c]].prev = i;
    else
        t->tail[c] = i;
    t->head[c] = i;
}

/* Note flow i as changed since the last flush. */
static void mark_dirty(struct nm_flow_table *t, uint32_t i)
{
    struct flow_entry *f = &t->e[i];
    if (f->dprev != NOT_DIRTY)
        return;
    f->dprev = NIL;
    f->dnext = t->dhead;
    if (t->dhead != NIL)
        t->e[t->dhead].dprev = i;
    t->dhead = i;
}

static void dirty_unlink(struct nm_flow_table *t, uint32_t i)
{
    struct flow_entry *f = &t->e[i];
    if (f->dprev == NOT_DIRTY)
        return;
    if (f->dprev != NIL)
        t->e[f->dprev].dnext = f->dnext;
    else
        t->dhead = f->dnext;
    if (f->dnext != NIL)
        t->e[f->dnext].dprev = f->dprev;
    f->dprev = NOT_DIRTY;
}

/* --- records ----------------------------------------------------------- */

static void emit(struct nm_flow_table *t, const struct flow_entry *f, enum nm_flow_end why)
{
    if (!t->sink.flow)
        return;
    struct nm_flow_rec rec;
    memset(&rec, 0, sizeof rec);
    uint64_t meta = f->key[4];
    uint16_t port_a = (uint16_t)meta, port_b = (uint16_t)(meta >> 16);
    unsigned kind = (unsigned)(meta >> 44) & 3u;
    rec.flow_id = f->flow_id;
    rec.vlan = (uint16_t)((meta >> 32) & 0xfffu);
    rec.ip_version = (uint8_t)(meta >> 48);
    rec.ip_proto = (uint8_t)(meta >> 56);
    const uint64_t *ca = f->a_is_client ? &f->key[0] : &f->key[2];
    const uint64_t *sa = f->a_is_client ? &f->key[2] : &f->key[0];
    memcpy(rec.client.b, ca, sizeof rec.client.b);
    memcpy(rec.server.b, sa, sizeof rec.server.b);
    if (kind == KK_ICMP_TYPE) {
        rec.client_port = (uint16_t)(port_a >> 8);  /* type */
        rec.server_port = (uint16_t)(port_a & 0xffu); /* code */
    } else {
        rec.client_port = f->a_is_client ? port_a : port_b;
        rec.server_port = f->a_is_client ? port_b : port_a;
    }
    rec.first_ns = f->first_ns;
    rec.last_ns = f->last_ns;
    rec.pkts_c2s = f->pkts[0];
    rec.bytes_c2s = f->bytes[0];
    rec.pkts_s2c = f->pkts[1];
    rec.bytes_s2c = f->bytes[1];
    rec.tcp_retransmissions = f->retrans;
    rec.tcp_resets = f->resets;
    rec.tcp_state = f->tcp.state;
    rec.end_reason = (uint8_t)why;
    rec.is_connection = f->is_conn != 0;
    t->sink.flow(t->sink.ctx, &rec);
}

/* Count flow i's packets since the last time to its client and server IP
 * addresses (see the top of the file).  The client sent direction 0 and
 * received direction 1, the server the other way round; a flow between
 * two ports of one address counts both ways to it, as its packets would. */
static void account_addresses(struct nm_flow_table *t, uint32_t i)
{
    const struct flow_entry *f = &t->e[i];
    struct flow_acct *a = &t->acct[i];
    const uint64_t p0 = f->pkts[0] - a->pkts[0], p1 = f->pkts[1] - a->pkts[1];
    if ((p0 | p1) == 0)
        return;
    const uint64_t b0 = f->bytes[0] - a->bytes[0], b1 = f->bytes[1] - a->bytes[1];
    const uint8_t kind = (uint8_t)(f->key[4] >> 48) == 6 ? NM_ADDR_IPV6 : NM_ADDR_IPV4;
    const struct nm_addr_counts by_client = { p0, b0, p1, b1 };
    const struct nm_addr_counts by_server = { p1, b1, p0, b0 };
    nm_addr_add(t->addrs, kind, f->a_is_client ? &f->key[0] : &f->key[2], f->first_ns,
                f->last_ns, &by_client);
    nm_addr_add(t->addrs, kind, f->a_is_client ? &f->key[2] : &f->key[0], f->first_ns,
                f->last_ns, &by_server);
    a->pkts[0] = f->pkts[0];
    a->pkts[1] = f->pkts[1];
    a->bytes[0] = f->bytes[0];
    a->bytes[1] = f->bytes[1];
}

/* End flow i: emit its final record and free its slot.  A flow closed by
 * FIN/RST keeps that reason whatever ends it now.  Returns the reason used. */
static enum nm_flow_end flow_end(struct nm_flow_table *t, uint32_t i, enum nm_flow_end why)
{
    struct flow_entry *f = &t->e[i];
    if (f->cls == FC_TCP_CLOSED)
        why = (f->tcp.flags & NM_TCPT_RST) ? NM_FEND_RST : NM_FEND_FIN;
    account_addresses(t, i);
    emit(t, f, why);
    dirty_unlink(t, i);
    nm_index_remove(&t->ix, nm_hash_words(&t->secret, f->key, FLOW_KEY_WORDS), i);
    lru_unlink(t, i);
    f->next = t->free_head;
    t->free_head = i;
    t->tot->flows_active--;
    return why;
}

static bool is_idle(const struct nm_flow_table *t, const struct flow_entry *f, int64_t now)
{
    return nm_ts_diff(now, f->last_ns) > t->timeout[f->cls];
}

/* End flow i because it is idle; counts it as timed out unless it had
 * already closed by FIN/RST. */
static void flow_end_idle(struct nm_flow_table *t, uint32_t i)
{
    if (flow_end(t, i, NM_FEND_IDLE) == NM_FEND_IDLE)
        t->tot->flows_timed_out++;
}

void nm_flow_expire(struct nm_flow_table *t, int64_t now_ns)
{
    for (int c = 0; c < FC_COUNT; c++) {
        /* Bounded: every turn removes one flow. */
        while (t->tail[c] != NIL && is_idle(t, &t->e[t->tail[c]], now_ns))
            flow_end_idle(t, t->tail[c]);
    }
}

void nm_flow_flush(struct nm_flow_table *t, bool final)
{
    if (final) {
        for (int c = 0; c < FC_COUNT; c++)
            while (t->tail[c] != NIL)
                flow_end(t, t->tail[c], NM_FEND_CAPTURE_END);
        return;
    }
    /* Bounded: the list holds at most the table's flows. */
    uint32_t next;
    for (uint32_t i = t->dhead; i != NIL; i = next) {
        next = t->e[i].dnext;
        t->e[i].dprev = NOT_DIRTY;
        account_addresses(t, i);
        emit(t, &t->e[i], NM_FEND_ACTIVE);
    }
    t->dhead = NIL;
}

/* --- slots ------------------------------------------------------------- */

/* A free slot for a new flow at time now.  When the table is full: first
 * expire an idle flow if any class tail is idle, else evict the least
 * recently used flow of all classes. */
static uint32_t alloc_slot(struct nm_flow_table *t, int64_t now)
{
    if (t->free_head == NIL) {
        if (t->high < t->cap)
            return t->high++;
        uint32_t lru = NIL;
        for (int c = 0; c < FC_COUNT && t->free_head == NIL; c++) {
            uint32_t i = t->tail[c];
            if (i == NIL)
                continue;
            if (is_idle(t, &t->e[i], now))
                flow_end_idle(t, i);
            else if (lru == NIL || t->e[i].last_ns < t->e[lru].last_ns)
                lru = i;
        }
        if (t->free_head == NIL) {
            uint8_t c = t->e[lru].cls;
            flow_end(t, lru, NM_FEND_EVICTED);
            t->tot->flows_evicted++;
            /* Under a flood every new flow evicts one.  The next victim of
             * this class, the new tail, is in cache now (lru_unlink wrote
             * it): prefetch its slot for the next eviction. */
            uint32_t nt = t->tail[c];
            if (nt != NIL)
                nm_index_prefetch(&t->ix, nm_hash_words(&t->secret, t->e[nt].key, FLOW_KEY_WORDS));
        }
    }
    uint32_t i = t->free_head;
    t->free_head = t->e[i].next;
    return i;
}

/* Double the index slots in use and index every flow again. */
static void grow(struct nm_flow_table *t)
{
    nm_index_grow(&t->ix);
    for (int c = 0; c < FC_COUNT; c++)
        for (uint32_t i = t->head[c]; i != NIL; i = t->e[i].next)
            nm_index_insert(&t->ix, nm_hash_words(&t->secret, t->e[i].key, FLOW_KEY_WORDS), i);
}

/* --- keys -------------------------------------------------------------- */

static bool is_ip_malformation(enum nm_malformed m)
{
    return m >= NM_MAL_IPV4_TRUNCATED && m <= NM_MAL_IPV6_TOO_MANY_EXT;
}

/* Build the flow key of a packet; false if it belongs to no flow. */
static bool build_key(const struct nm_packet *p, struct nm_flow_prep *k)
{
    uint32_t l = p->layers;
    if (!(l & (NM_L_IPV4 | NM_L_IPV6)) || is_ip_malformation(p->malformed))
        return false;
    if ((l & NM_L_FRAG) && p->frag_offset > 0)
        return false; /* non-first fragment: no ports (stats.h) */

    uint16_t sport = 0, dport = 0;
    if (l & NM_L_TCP) {
        k->kind = KK_PORTS;
        k->cls = FC_TCP;
        k->conn_proto = NM_P_TCP;
        sport = p->src_port;
        dport = p->dst_port;
    } else if (l & NM_L_UDP) {
        k->kind = KK_PORTS;
        k->cls = FC_UDP;
        k->conn_proto = NM_P_UDP;
        sport = p->src_port;
        dport = p->dst_port;
    } else if (l & (NM_L_ICMP | NM_L_ICMPV6)) {
        bool v6 = (l & NM_L_ICMPV6) != 0;
        uint8_t ty = p->icmp_type;
        bool echo = v6 ? (ty == ICMPV6_ECHO_REQUEST || ty == ICMPV6_ECHO_REPLY)
                       : (ty == ICMP_ECHO_REQUEST || ty == ICMP_ECHO_REPLY);
        k->cls = FC_ICMP;
        k->conn_proto = v6 ? NM_P_ICMPV6 : NM_P_ICMP;
        if (echo) {
            k->kind = KK_ICMP_ECHO;
            sport = dport = p->icmp_id;
        } else {
            k->kind = KK_ICMP_TYPE;
            sport = dport = (uint16_t)(ty << 8 | p->icmp_code);
        }
    } else {
        uint8_t pr = p->ip_proto;
        /* A transport we decode but whose header is missing (truncated,
         * malformed): ports unknown, so no trustworthy key. */
        if (pr == IPPROTO_NUM_TCP || pr == IPPROTO_NUM_UDP || pr == IPPROTO_NUM_ICMP ||
            pr == IPPROTO_NUM_ICMPV6)
            return false;
        k->kind = KK_PROTO;
        k->cls = FC_OTHER;
        k->conn_proto = NM_P_OTHER;
    }

    uint8_t ver = (l & NM_L_IPV6) ? 6 : 4;
    /* The addresses as two native words each: the bytes of a zero-padded
     * 16-byte address, loaded straight from the packet (nm_key_word_short). */
    uint64_t sw[2], dw[2];
    if (ver == 6) {
        memcpy(sw, p->src_ip.b, 16);
        memcpy(dw, p->dst_ip.b, 16);
    } else {
        sw[0] = nm_key_word_short(p->src_ip.b, false);
        dw[0] = nm_key_word_short(p->dst_ip.b, false);
        sw[1] = dw[1] = 0;
    }
    /* Canonical order: any total order on (address, port) does, so compare
     * the native 64-bit words; it need not be numeric address order. */
    k->src_is_a = sw[0] < dw[0] ||
                  (sw[0] == dw[0] && (sw[1] < dw[1] || (sw[1] == dw[1] && sport <= dport)));
    const uint64_t *a = k->src_is_a ? sw : dw, *b = k->src_is_a ? dw : sw;
    uint16_t pa = k->src_is_a ? sport : dport, pb = k->src_is_a ? dport : sport;
    k->key[0] = a[0];
    k->key[1] = a[1];
    k->key[2] = b[0];
    k->key[3] = b[1];
    uint64_t vlan = p->vlan_count ? (p->vlan_ids[0] & 0xfffu) : 0;
    k->key[4] = (uint64_t)pa | (uint64_t)pb << 16 | vlan << 32 | (uint64_t)k->kind << 44 |
                (uint64_t)ver << 48 | (uint64_t)p->ip_proto << 56;
    return true;
}

static uint32_t find(const struct nm_flow_table *t, const uint64_t *key, uint64_t hash)
{
    NM_INDEX_FOREACH(&t->ix, hash, j, {
        const uint64_t *x = t->e[j].key;
        if (x[0] == key[0] && x[1] == key[1] && x[2] == key[2] && x[3] == key[3] &&
            x[4] == key[4])
            return j;
    });
    return NIL;
}

/* Is the sender of the first packet of a new flow its client? (stats.h) */
static bool sender_is_client(const struct nm_packet *p, const struct nm_flow_prep *k)
{
    if (k->cls == FC_TCP) {
        uint16_t sa = p->tcp_flags & (NM_TCP_SYN | NM_TCP_ACK);
        if (sa == NM_TCP_SYN)
            return true;
        if (sa == (NM_TCP_SYN | NM_TCP_ACK))
            return false;
        bool s_low = p->src_port < WELL_KNOWN_PORT_LIMIT;
        bool d_low = p->dst_port < WELL_KNOWN_PORT_LIMIT;
        if (s_low != d_low)
            return d_low; /* mid-stream: the well-known port is the server */
        return true;
    }
    if (k->kind == KK_ICMP_ECHO)
        return !(p->icmp_type == ICMP_ECHO_REPLY || p->icmp_type == ICMPV6_ECHO_REPLY);
    return true;
}

/* --- the packet path --------------------------------------------------- */

void nm_flow_prepare(const struct nm_flow_table *t, const struct nm_packet *p,
                     struct nm_flow_prep *fp)
{
    fp->has_flow = build_key(p, fp);
    if (!fp->has_flow)
        return;
    fp->hash = nm_hash_words(&t->secret, fp->key, FLOW_KEY_WORDS);
    nm_index_prefetch(&t->ix, fp->hash);
}

void nm_flow_prefetch(const struct nm_flow_table *t, const struct nm_flow_prep *fp)
{
    if (!fp->has_flow)
        return;
    uint32_t j = nm_index_guess(&t->ix, fp->hash);
    if (j != UINT32_MAX) {
        /* The key line, and the counters and TCP state after it. */
        const char *x = (const char *)&t->e[j];
        __builtin_prefetch(x, 1);
        __builtin_prefetch(x + 64, 1);
        __builtin_prefetch(x + 128, 1);
    }
}

void nm_flow_packet(struct nm_flow_table *t, const struct nm_packet *p,
                    const struct nm_flow_prep *fp, struct nm_verdict *v, struct nm_flow_result *r)
{
    r->tcp = 0;
    r->conn_proto = NM_P_OTHER;
    if (!fp->has_flow)
        return;
    const struct nm_flow_prep k = *fp;
    const int64_t ts = p->ts_ns;
    if (ts >= t->next_sweep_ns) {
        nm_flow_expire(t, ts);
        t->next_sweep_ns = nm_ts_add(ts, FLOW_SWEEP_NS);
    }

    const bool is_tcp = k.cls == FC_TCP;
    const bool pure_syn = is_tcp && (p->tcp_flags & (NM_TCP_SYN | NM_TCP_ACK)) == NM_TCP_SYN;
    const uint64_t h = k.hash;
    uint32_t i = find(t, k.key, h);
    if (++t->touches >= t->gen_touches) {
        t->touches = 0;
        t->gen++;
    }
    if (i != NIL) {
        struct flow_entry *f = &t->e[i];
        int dir = (k.src_is_a == (f->a_is_client != 0)) ? 0 : 1;
        if (is_idle(t, f, ts)) {
            flow_end_idle(t, i);
            i = NIL;
        } else if (pure_syn && nm_tcp_syn_is_new(&f->tcp, dir, p->tcp_seq)) {
            flow_end(t, i, NM_FEND_IDLE); /* superseded: see stats.h */
            i = NIL;
        }
    }

    struct flow_entry *f;
    if (i == NIL) {
        i = alloc_slot(t, ts);
        if (nm_index_full(&t->ix))
            grow(t); /* before linking the new flow: grow() indexes the lists */
        f = &t->e[i];
        memcpy(f->key, k.key, sizeof f->key);
        nm_index_insert(&t->ix, h, i);
        f->cls = k.cls;
        f->a_is_client = sender_is_client(p, &k) ? k.src_is_a : !k.src_is_a;
        f->is_conn = 0;
        f->conn_proto = k.conn_proto;
        f->flow_id = t->next_id++;
        f->gen = t->gen;
        f->dprev = NOT_DIRTY;
        f->first_ns = f->last_ns = ts;
        f->pkts[0] = f->pkts[1] = f->bytes[0] = f->bytes[1] = 0;
        memset(&t->acct[i], 0, sizeof t->acct[i]);
        f->retrans = f->resets = 0;
        nm_tcp_init(&f->tcp);
        f->latency_hint = UINT32_MAX;
        lru_push_head(t, i);
        v->new_flow = true;
        t->tot->flows_created++;
        if (++t->tot->flows_active > t->tot->flows_peak)
            t->tot->flows_peak = t->tot->flows_active;
        /* Every new UDP/ICMP/other flow is a connection (stats.h). */
        if (!is_tcp)
            f->is_conn = 1;
        v->new_connection = !is_tcp;
    } else {
        f = &t->e[i];
    }

    const int dir = (k.src_is_a == (f->a_is_client != 0)) ? 0 : 1;
    f->pkts[dir]++;
    f->bytes[dir] += p->wire_len;
    if (ts > f->last_ns)
        f->last_ns = ts;
    if (ts < f->first_ns)
        f->first_ns = ts;

    uint8_t cls = f->cls;
    if (is_tcp) {
        unsigned res = nm_tcp_segment(&f->tcp, dir, ts, p->tcp_flags, p->tcp_seq, p->tcp_ack,
                                      p->l4_payload_len, p->tcp_win);
        if (res & NM_TCPR_RETRANS) {
            f->retrans++;
            v->tcp_retransmission = true;
        }
        if (res & NM_TCPR_RST)
            f->resets++;
        /* A TCP connection = a flow in which a SYN without ACK was seen:
         * usually its first packet, or a SYN reordered after its SYN/ACK. */
        if (pure_syn && !f->is_conn) {
            f->is_conn = 1;
            v->new_connection = true;
        }
        cls = f->tcp.state == NM_TCPS_CLOSED ? FC_TCP_CLOSED : FC_TCP;
        r->tcp = res;
    }

    /* Touch: most recently used (at generation granularity), changed since
     * the last flush.  A class change always moves lists. */
    if (cls != f->cls || f->gen != t->gen) {
        if (cls != f->cls || t->head[f->cls] != i) {
            lru_unlink(t, i);
            f->cls = cls;
            lru_push_head(t, i);
        }
        f->gen = t->gen;
    }
    mark_dirty(t, i);

    r->conn_proto = (enum nm_proto)f->conn_proto;
    v->flow_id = f->flow_id;
    v->from_client = dir == 0;
    v->latency_hint = is_tcp ? &f->latency_hint : NULL;
}
