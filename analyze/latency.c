/*
 * latency.c - passive latency matcher (definitions in latency.h).
 *
 * Four bounded tables share one shape: a pool of entries allocated at start,
 * a chained hash index (seeded), and two intrusive lists threaded through the
 * entries by index:
 *   - the LRU list, every entry, ordered by last activity: its tail is the
 *     entry to evict when the pool is full and the first to go idle;
 *   - the pending list, entries with an unanswered request, ordered by the
 *     request's time: its tail is the next timeout.
 * Both lists are walked from the tail only while entries are due, and only
 * when packet time passes the earliest deadline (cached in next_*_due), so
 * expiry costs two compares per packet plus O(1) per entry expired.
 *
 * The LRU list is kept lazily: an active entry moves to the head at most once
 * per LRU_LAZY_NS of packet time, which spares two cache misses (its old
 * neighbours) on most packets.  Idleness itself is exact: last_ns holds the
 * real last activity, an entry found idle at the tail but active since is
 * moved back to the head, and a lookup that finds an idle entry treats it as
 * gone.  Eviction order is therefore least recently active to within 1 s.
 *
 * Per packet: one hash lookup in one table, a few compares, list moves.  No
 * allocation after nm_latency_new().
 */
#include "latency.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define NS_PER_S           INT64_C(1000000000)
#define LAT_MAX_CAPACITY   (1u << 26)   /* keeps bucket and pool sizes far from overflow */
#define NIL                UINT32_MAX
#define LRU_LAZY_NS        INT64_C(1000000000)  /* see the top comment */
/* A TCP connection closed both ways (or reset) is forgotten this long after
 * (latency.h): enough for the last retransmitted FINs (Linux's backoff from
 * 200 ms reaches its fifth retry after 6.2 s). */
#define TCP_CLOSED_LINGER_NS INT64_C(10000000000)

#define IPPROTO_NUM_TCP    6
#define IPPROTO_NUM_UDP    17
#define IPPROTO_NUM_ICMP   1
#define IPPROTO_NUM_ICMPV6 58

#define PORT_DNS           53
#define PORT_WELL_KNOWN_END 1024        /* ports below are services (RFC 6335 system ports) */

#define ICMP_ECHO_REPLY     0
#define ICMP_ECHO_REQUEST   8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY   129

/* Hash domains, so the four tables never share secrets. */
#define HASH_DOMAIN_BASE   0x6c6174u    /* "lat" */

/*
 * The key of every table: 40 bytes, no padding, hashed as 5 words.
 *   TCP, UDP:  the two endpoints in canonical order (smaller address, then
 *              port, is `a`), so both directions find the same entry.
 *   DNS:       a = client, b = server, ports, id = transaction id.
 *   ICMP:      a = requester, b = target, pa = identifier, pb = sequence.
 */
struct lat_key {
    uint8_t a[16], b[16];
    uint16_t pa, pb;
    uint16_t id;
    uint8_t ip_version, ip_proto;
};
_Static_assert(sizeof(struct lat_key) == 40, "lat_key must have no padding");

enum { LIST_LRU = 0, LIST_PEND = 1, LIST_CLOSED = 2, LIST_COUNT = 3 };

/* Two cache lines, 64-byte aligned: the first holds what a TCP packet of a
 * known connection reads (its hint is confirmed by the flow id, not the
 * key) and what its samples need unless their endpoints are asked for, the
 * second the key and the list links. */
struct lat_entry {
    _Alignas(64) uint64_t flow_id;  /* of the latest packet (samples) / the request (timeouts) */
    int64_t touch_ns;           /* packet time of the last move to the LRU head */
    int64_t last_ns;            /* packet time of the last activity */
    int64_t pend_ns;            /* time the pending request started the clock */
    int64_t closed_ns;          /* TCP: packet time its connection was closed */
    uint32_t hnext;             /* hash chain, or free list */
    uint32_t bucket;            /* its hash bucket (removal needs no rehash) */
    uint8_t client_b;           /* 1: the client is key.b (TCP/UDP); always 0 otherwise */
    uint8_t state;              /* UDP: enum udp_state */
    bool linked[LIST_COUNT];
    uint8_t ip_version, ip_proto; /* the key's, on this line for a sample */
    _Alignas(64) struct lat_key key;
    uint32_t prev[LIST_COUNT], next[LIST_COUNT];
};
_Static_assert(sizeof(struct lat_entry) == 128, "a table entry is two cache lines");

struct lat_list {
    uint32_t head, tail;        /* head: most recent */
};

struct lat_table {
    struct lat_entry *e;
    uint32_t *bucket;           /* chain head + 1; 0: empty (see bucket_head()) */
    uint32_t cap, mask;
    uint32_t free_head;         /* entries freed by removal */
    uint32_t fresh;             /* entries [fresh, cap) were never used */
    uint32_t used;
    struct lat_list list[LIST_COUNT];
    struct nm_hash_secret hs;
    int64_t timeout_ns;         /* pending request -> timeout */
    int64_t idle_ns;            /* no activity -> forgotten */
};

/* TCP per-connection state, parallel to the TCP table's entries.  Arrays
 * indexed by side are by key side: [0] = key.a, [1] = key.b. */
enum tcp_flag {
    T_ISN_VALID0  = 1u << 0,    /* isn[0] holds the first seq side 0 sent */
    T_ISN_VALID1  = 1u << 1,
    T_SND_VALID0  = 1u << 2,    /* snd_max[0] valid */
    T_SND_VALID1  = 1u << 3,
    T_TIMING0     = 1u << 4,    /* a segment of side 0 is being timed */
    T_TIMING1     = 1u << 5,
    T_HAVE_SYN    = 1u << 6,    /* a SYN from the client was seen */
    T_HAVE_SYNACK = 1u << 7,    /* a SYN/ACK from the server was seen */
    T_SYNACK_DONE = 1u << 8,    /* tcp_syn_synack sampled (or cannot be) */
    T_HS_DONE     = 1u << 9,    /* handshake resolved: no more handshake samples */
    T_REORDERED   = 1u << 10,   /* SYN/ACK seen before the SYN */
    T_FIN0        = 1u << 11,   /* side 0 sent a FIN */
    T_FIN1        = 1u << 12,
    T_SYNACK_HELD = 1u << 13,   /* tcp_syn_synack held back: syn_ns -> synack_ns (hold_synack) */
    T_HELD_CFS    = 1u << 14,   /* its client is its flow's server */
};

struct lat_tcp {
    _Alignas(64) int64_t syn_ns;
    int64_t synack_ns;
    int64_t timed_ns[2];
    uint32_t isn[2];
    uint32_t synack_seq;
    uint32_t snd_max[2];        /* highest seq + len sent, per side */
    uint32_t timed_end[2];      /* end of the timed segment, per side */
    uint16_t flags;             /* enum tcp_flag */
};
_Static_assert(sizeof(struct lat_tcp) == 64, "a connection's TCP state is one cache line");

enum udp_state {
    U_PENDING = 0,              /* first request sent, no response yet */
    U_DONE,                     /* answered, timed out or not measurable */
};

struct nm_latency {
    struct nm_latency_sink sink;
    struct lat_table tab[NM_LAT_TABLE_COUNT];
    struct lat_tcp *tcp;        /* [max_tcp], parallel to tab[NM_LAT_TABLE_TCP].e */
    struct nm_latency_counters ctr;
    int64_t now_ns;             /* largest packet time seen */
    int64_t next_pend_due;      /* no pending request is due before this */
    int64_t next_idle_due;      /* no entry goes idle before this (both conservative) */
    int64_t next_closed_due;    /* no closed connection is forgotten before this */
    uint32_t synack_held;       /* TCP entries with T_SYNACK_HELD */
    bool pkt_from_flow_client;  /* of the packet in nm_latency_packet() */
    bool have_now;
};

static const char *const kind_names[NM_LAT_KIND_COUNT] = {
    [NM_LAT_TCP_SYN_SYNACK] = "tcp_syn_synack",
    [NM_LAT_TCP_SYNACK_ACK] = "tcp_synack_ack",
    [NM_LAT_TCP_HANDSHAKE] = "tcp_handshake",
    [NM_LAT_TCP_DATA_ACK] = "tcp_data_ack",
    [NM_LAT_DNS] = "dns",
    [NM_LAT_ICMP_ECHO] = "icmp_echo",
    [NM_LAT_ICMPV6_ECHO] = "icmpv6_echo",
    [NM_LAT_UDP_FIRST_RESPONSE] = "udp_first_response",
};

const char *nm_latency_kind_name(enum nm_latency_kind kind)
{
    if ((unsigned)kind >= NM_LAT_KIND_COUNT)
        return "";
    return kind_names[kind];
}

void nm_latency_config_default(struct nm_latency_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_tcp = 65536;
    cfg->max_dns = 16384;
    cfg->max_icmp = 8192;
    cfg->max_udp = 32768;
    cfg->tcp_handshake_timeout_ns = 75 * NS_PER_S;
    cfg->tcp_idle_ns = 300 * NS_PER_S;
    cfg->dns_timeout_ns = 5 * NS_PER_S;
    cfg->icmp_timeout_ns = 10 * NS_PER_S;
    cfg->udp_timeout_ns = 10 * NS_PER_S;
    cfg->udp_idle_ns = 60 * NS_PER_S;
    cfg->hash_seed = 0;
}

/* ---------------------------------------------------------------- time */

/* Serial-number arithmetic on TCP sequence numbers (RFC 1982): a is before
 * b when b - a, taken modulo 2^32, is in (0, 2^31). */
static bool seq_lt(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(b - a) < 0x80000000u;
}

static bool seq_geq(uint32_t a, uint32_t b)
{
    return !seq_lt(a, b);
}

/* true when `now` is more than `span` after `start`, without overflow. */
static bool past(int64_t now, int64_t start, int64_t span)
{
    if (now <= start)
        return false;
    return (uint64_t)now - (uint64_t)start > (uint64_t)span;
}

/* start + span, saturated. */
static int64_t due_at(int64_t start, int64_t span)
{
    return start > INT64_MAX - span ? INT64_MAX : start + span;
}

/* Some entry falls due at `due`: expiry must look again then. */
static void note_pend_due(struct nm_latency *l, int64_t due)
{
    if (due < l->next_pend_due)
        l->next_pend_due = due;
}

static void note_idle_due(struct nm_latency *l, int64_t due)
{
    if (due < l->next_idle_due)
        l->next_idle_due = due;
}

static void note_closed_due(struct nm_latency *l, int64_t due)
{
    if (due < l->next_closed_due)
        l->next_closed_due = due;
}

static void list_unlink(struct lat_table *t, uint32_t i, int which);

/* Entry i's request is over (answered, timed out, or moot): off the pending
 * list.  Timestamps going back can leave an earlier deadline behind the
 * tail; when the tail goes, the new tail's deadline is noted, so expiry never
 * depends on flush calls. */
static void pend_stop(struct nm_latency *l, int tid, uint32_t i)
{
    struct lat_table *t = &l->tab[tid];
    uint32_t before = t->e[i].prev[LIST_PEND];

    if (!t->e[i].linked[LIST_PEND])
        return;
    if (t->list[LIST_PEND].tail == i && before != NIL)
        note_pend_due(l, due_at(t->e[before].pend_ns, t->timeout_ns));
    list_unlink(t, i, LIST_PEND);
}

/* ---------------------------------------------------------------- lists */

static void list_unlink(struct lat_table *t, uint32_t i, int which)
{
    struct lat_entry *e = &t->e[i];
    struct lat_list *l = &t->list[which];

    if (!e->linked[which])
        return;
    if (e->prev[which] != NIL)
        t->e[e->prev[which]].next[which] = e->next[which];
    else
        l->head = e->next[which];
    if (e->next[which] != NIL)
        t->e[e->next[which]].prev[which] = e->prev[which];
    else
        l->tail = e->prev[which];
    e->prev[which] = e->next[which] = NIL;
    e->linked[which] = false;
}

static void list_push_head(struct lat_table *t, uint32_t i, int which)
{
    struct lat_entry *e = &t->e[i];
    struct lat_list *l = &t->list[which];

    list_unlink(t, i, which);
    e->prev[which] = NIL;
    e->next[which] = l->head;
    if (l->head != NIL)
        t->e[l->head].prev[which] = i;
    else
        l->tail = i;
    l->head = i;
    e->linked[which] = true;
}

/* ---------------------------------------------------------------- tables */

/* n objects of `size` bytes (a multiple of 64) on cache-line boundaries,
 * not zeroed. */
static void *alloc_lines(uint32_t n, size_t size)
{
    return aligned_alloc(64, (size_t)n * size);
}

static bool table_init(struct lat_table *t, uint32_t cap, uint64_t seed, uint64_t domain,
                       int64_t timeout_ns, int64_t idle_ns)
{
    uint32_t nb;

    memset(t, 0, sizeof *t);
    for (int w = 0; w < LIST_COUNT; w++)
        t->list[w].head = t->list[w].tail = NIL;
    t->free_head = NIL;
    t->timeout_ns = timeout_ns;
    t->idle_ns = idle_ns;
    if (cap == 0)
        return true;
    /* Twice as many buckets as entries keeps chains at about one entry.
     * Neither array is touched here: the kernel maps their pages only as
     * entries are used, so a short capture does not pay for (or hold) the
     * full capacity.  The buckets come zeroed from calloc (empty); an
     * entry is written whole when first used (table_insert()), and no
     * entry at or past `fresh` is ever read. */
    nb = nm_hash_pow2(cap * 2u);
    t->e = alloc_lines(cap, sizeof *t->e);
    t->bucket = calloc(nb, sizeof *t->bucket);
    if (t->e == NULL || t->bucket == NULL)
        return false;
    t->fresh = 0;
    t->cap = cap;
    t->mask = nb - 1;
    nm_hash_secret_init(&t->hs, seed, domain);
    return true;
}

static void table_free(struct lat_table *t)
{
    free(t->e);
    free(t->bucket);
}

/* Bucket slots hold the chain's first entry + 1, so that calloc's zeros
 * mean "empty": with unsigned wraparound NIL + 1 == 0 and 0 - 1 == NIL. */
static uint32_t bucket_head(const struct lat_table *t, uint32_t b)
{
    return t->bucket[b] - 1u;
}

static void bucket_set(struct lat_table *t, uint32_t b, uint32_t i)
{
    t->bucket[b] = i + 1u;
}

static uint32_t key_bucket(const struct lat_table *t, const struct lat_key *k)
{
    uint64_t w[sizeof *k / sizeof(uint64_t)];

    memcpy(w, k, sizeof w);
    return (uint32_t)nm_hash_words(&t->hs, w, sizeof w / sizeof w[0]) & t->mask;
}

/* Five word compares: memcmp() here was an out-of-line call per probe. */
static bool key_equal(const struct lat_key *x, const struct lat_key *y)
{
    uint64_t a[sizeof *x / sizeof(uint64_t)], b[sizeof *y / sizeof(uint64_t)];
    uint64_t diff = 0;

    memcpy(a, x, sizeof a);
    memcpy(b, y, sizeof b);
    for (size_t w = 0; w < sizeof a / sizeof a[0]; w++)
        diff |= a[w] ^ b[w];
    return diff == 0;
}

static uint32_t table_find(const struct lat_table *t, const struct lat_key *k, uint32_t b)
{
    /* A chain never holds more than cap entries: the walk is bounded. */
    for (uint32_t i = bucket_head(t, b); i != NIL; i = t->e[i].hnext)
        if (key_equal(&t->e[i].key, k))
            return i;
    return NIL;
}

static void release_synack(struct nm_latency *l, uint32_t i);

static void table_remove(struct nm_latency *l, int tid, uint32_t i)
{
    struct lat_table *t = &l->tab[tid];
    uint32_t b = t->e[i].bucket;
    uint32_t prev = NIL, j = bucket_head(t, b);

    if (tid == NM_LAT_TABLE_TCP)
        release_synack(l, i);
    while (j != NIL && j != i) {
        prev = j;
        j = t->e[j].hnext;
    }
    if (j == i) {
        if (prev == NIL)
            bucket_set(t, b, t->e[i].hnext);
        else
            t->e[prev].hnext = t->e[i].hnext;
    }
    list_unlink(t, i, LIST_LRU);
    list_unlink(t, i, LIST_CLOSED);
    pend_stop(l, tid, i);
    t->e[i].hnext = t->free_head;
    t->free_head = i;
    t->used--;
    l->ctr.in_use[tid] = t->used;
}

/* New entry for key k (bucket b), zeroed apart from the key, at the head of
 * the LRU list; evicts the least recently active entry when the pool is
 * full.  Never fails when cap > 0. */
static uint32_t table_insert(struct nm_latency *l, int tid, const struct lat_key *k, uint32_t b)
{
    struct lat_table *t = &l->tab[tid];
    struct lat_entry *e;
    uint32_t i;

    if (t->free_head == NIL && t->fresh < t->cap) {
        i = t->fresh++;
    } else {
        if (t->free_head == NIL) {
            /* Full: every entry is on the LRU list, so its tail exists. */
            table_remove(l, tid, t->list[LIST_LRU].tail);
            l->ctr.evictions[tid]++;
        }
        i = t->free_head;
        t->free_head = t->e[i].hnext;
    }
    e = &t->e[i];
    memset(e, 0, sizeof *e);
    e->key = *k;
    e->ip_version = k->ip_version;
    e->ip_proto = k->ip_proto;
    for (int w = 0; w < LIST_COUNT; w++)
        e->prev[w] = e->next[w] = NIL;
    e->hnext = bucket_head(t, b);
    e->bucket = b;
    bucket_set(t, b, i);
    t->used++;
    l->ctr.in_use[tid] = t->used;
    if (t->used > l->ctr.peak[tid])
        l->ctr.peak[tid] = t->used;
    e->touch_ns = e->last_ns = l->now_ns;
    list_push_head(t, i, LIST_LRU);
    note_idle_due(l, due_at(l->now_ns, t->idle_ns));
    return i;
}

static void touch_move(struct nm_latency *l, int tid, uint32_t i)
{
    struct lat_table *t = &l->tab[tid];

    t->e[i].touch_ns = l->now_ns;
    list_push_head(t, i, LIST_LRU);
    note_idle_due(l, due_at(l->now_ns, t->idle_ns));
}

/* Activity on entry i: record it, move to the LRU head now and then (the
 * move out of line: most packets only store the time). */
static inline void touch(struct nm_latency *l, int tid, uint32_t i)
{
    struct lat_entry *e = &l->tab[tid].e[i];

    e->last_ns = l->now_ns;
    if (past(l->now_ns, e->touch_ns, LRU_LAZY_NS - 1))
        touch_move(l, tid, i);
}

static void pend_start(struct nm_latency *l, int tid, uint32_t i, int64_t start_ns)
{
    struct lat_table *t = &l->tab[tid];

    pend_stop(l, tid, i);
    t->e[i].pend_ns = start_ns;
    list_push_head(t, i, LIST_PEND);
    note_pend_due(l, due_at(start_ns, t->timeout_ns));
}

/* Idle for longer than the table's idle time: as good as gone. */
static bool idle(const struct nm_latency *l, int tid, const struct lat_entry *e)
{
    return past(l->now_ns, e->last_ns, l->tab[tid].idle_ns);
}

/* ---------------------------------------------------------------- records */

static void fill_ends(const struct lat_entry *e, struct nm_ip *client, struct nm_ip *server,
                      uint16_t *cport, uint16_t *sport)
{
    const struct lat_key *k = &e->key;

    memset(client, 0, sizeof *client);
    memset(server, 0, sizeof *server);
    if (e->client_b) {
        memcpy(client->b, k->b, sizeof k->b);
        memcpy(server->b, k->a, sizeof k->a);
        *cport = k->pb;
        *sport = k->pa;
    } else {
        memcpy(client->b, k->a, sizeof k->a);
        memcpy(server->b, k->b, sizeof k->b);
        *cport = k->pa;
        *sport = k->pb;
    }
}

static void emit_sample_as(struct nm_latency *l, const struct lat_entry *e,
                           enum nm_latency_kind kind, int64_t start_ns, int64_t stop_ns,
                           uint64_t flow_id, bool by_server, bool client_is_flow_server,
                           bool joined)
{
    struct nm_latency_sample s;

    if (stop_ns < start_ns) {
        l->ctr.negative_dropped++;
        return;
    }
    memset(&s, 0, sizeof s);
    s.ts_ns = stop_ns;
    s.flow_id = flow_id;
    s.value_ns = stop_ns - start_ns;
    s.kind = (uint8_t)kind;
    s.by_server = by_server;
    s.client_is_flow_server = client_is_flow_server;
    s.joined = joined;
    s.ip_version = e->ip_version;
    s.ip_proto = e->ip_proto;
    if (!l->sink.sample_without_ends) {
        fill_ends(e, &s.client, &s.server, &s.client_port, &s.server_port);
        if (e->ip_proto == IPPROTO_NUM_ICMP || e->ip_proto == IPPROTO_NUM_ICMPV6)
            s.server_port = s.client_port;     /* the identifier, as in flow records */
    }
    l->ctr.samples[kind]++;
    if (l->sink.sample != NULL)
        l->sink.sample(l->sink.ctx, &s);
}

/* A sample stopped by the packet in hand: its sender is the sample's server
 * when by_server, so the sample's client is the flow's server when that
 * packet came from the flow's client and the sample's server (or from the
 * flow's server and the sample's client). */
static void emit_sample(struct nm_latency *l, const struct lat_entry *e, enum nm_latency_kind kind,
                        int64_t start_ns, int64_t stop_ns, uint64_t flow_id, bool by_server)
{
    emit_sample_as(l, e, kind, start_ns, stop_ns, flow_id, by_server,
                   l->pkt_from_flow_client == by_server, false);
}

/*
 * A connection's tcp_syn_synack sample is held back from its SYN/ACK until
 * the handshake is over, so that when the client's ACK completes it the
 * three handshake samples go out together (joined, for one row: see
 * nm_latency_sample).  The sample is fully described by the state while it
 * is held: start syn_ns, stop synack_ns, the entry's flow_id, by the server.
 * So it is released on its own, unchanged, before any of those changes (a
 * SYN or SYN/ACK sent again, a packet of another flow id), when the
 * handshake ends otherwise (reset, timeout), when the entry is removed, and
 * at every nm_latency_flush(): a sample is never held past the next flush.
 */
static void hold_synack(struct nm_latency *l, struct lat_tcp *x)
{
    x->flags |= T_SYNACK_HELD;
    if (l->pkt_from_flow_client)   /* the SYN/ACK, by the server, came from the flow's client */
        x->flags |= T_HELD_CFS;
    l->synack_held++;
}

/* Reports the held sample, if any: on its own, or `joined` to the two
 * samples that the caller reports right after it. */
static void report_held_synack(struct nm_latency *l, uint32_t i, bool joined)
{
    struct lat_tcp *x = &l->tcp[i];
    const struct lat_entry *e = &l->tab[NM_LAT_TABLE_TCP].e[i];
    bool cfs = (x->flags & T_HELD_CFS) != 0;

    if (!(x->flags & T_SYNACK_HELD))
        return;
    x->flags &= (uint16_t)~(T_SYNACK_HELD | T_HELD_CFS);
    l->synack_held--;
    emit_sample_as(l, e, NM_LAT_TCP_SYN_SYNACK, x->syn_ns, x->synack_ns, e->flow_id, true, cfs,
                   joined);
}

static void release_synack(struct nm_latency *l, uint32_t i)
{
    report_held_synack(l, i, false);
}

/* `start_ns`: the request; `due_ns`: when the wait ended (the latest
 * restart of the clock + timeout). */
static void emit_timeout(struct nm_latency *l, const struct lat_entry *e, enum nm_latency_kind kind,
                         int64_t start_ns, int64_t due_ns)
{
    struct nm_latency_timeout to;

    memset(&to, 0, sizeof to);
    to.start_ns = start_ns;
    to.ts_ns = due_ns;
    to.flow_id = e->flow_id;
    to.kind = (uint8_t)kind;
    to.ip_version = e->key.ip_version;
    to.ip_proto = e->key.ip_proto;
    fill_ends(e, &to.client, &to.server, &to.client_port, &to.server_port);
    if (e->key.ip_proto == IPPROTO_NUM_ICMP || e->key.ip_proto == IPPROTO_NUM_ICMPV6)
        to.server_port = to.client_port;
    l->ctr.timeouts[kind]++;
    if (l->sink.timeout != NULL)
        l->sink.timeout(l->sink.ctx, &to);
}

/* ---------------------------------------------------------------- expiry */

/* The pending request of entry i in table tid is over without an answer. */
static void timed_out(struct nm_latency *l, int tid, uint32_t i)
{
    struct lat_table *t = &l->tab[tid];
    struct lat_entry *e = &t->e[i];
    int64_t due = due_at(e->pend_ns, t->timeout_ns);

    switch ((enum nm_latency_table)tid) {
    case NM_LAT_TABLE_TCP: {
        struct lat_tcp *x = &l->tcp[i];
        release_synack(l, i);
        if (x->flags & T_HAVE_SYNACK)
            emit_timeout(l, e, NM_LAT_TCP_SYNACK_ACK, x->synack_ns, due);
        else
            emit_timeout(l, e, NM_LAT_TCP_SYN_SYNACK, x->syn_ns, due);
        if (x->flags & T_HAVE_SYN)
            emit_timeout(l, e, NM_LAT_TCP_HANDSHAKE, x->syn_ns, due);
        x->flags |= T_HS_DONE | T_SYNACK_DONE;
        pend_stop(l, NM_LAT_TABLE_TCP, i);
        break;
    }
    case NM_LAT_TABLE_DNS:
        emit_timeout(l, e, NM_LAT_DNS, e->pend_ns, due);
        table_remove(l, NM_LAT_TABLE_DNS, i);
        break;
    case NM_LAT_TABLE_ICMP:
        emit_timeout(l, e, e->key.ip_version == 6 ? NM_LAT_ICMPV6_ECHO : NM_LAT_ICMP_ECHO,
                     e->pend_ns, due);
        table_remove(l, NM_LAT_TABLE_ICMP, i);
        break;
    case NM_LAT_TABLE_UDP:
        emit_timeout(l, e, NM_LAT_UDP_FIRST_RESPONSE, e->pend_ns, due);
        e->state = U_DONE;
        pend_stop(l, NM_LAT_TABLE_UDP, i);
        break;
    case NM_LAT_TABLE_COUNT:
        break;
    }
}

/* Report the requests of every table that are due at `now`. */
static void expire_pending(struct nm_latency *l, int64_t now)
{
    l->next_pend_due = INT64_MAX;
    for (int tid = 0; tid < NM_LAT_TABLE_COUNT; tid++) {
        struct lat_table *t = &l->tab[tid];
        /* Each turn takes the tail off the pending list: at most cap turns. */
        while (t->list[LIST_PEND].tail != NIL) {
            uint32_t i = t->list[LIST_PEND].tail;
            if (!past(now, t->e[i].pend_ns, t->timeout_ns)) {
                note_pend_due(l, due_at(t->e[i].pend_ns, t->timeout_ns));
                break;
            }
            timed_out(l, tid, i);
        }
    }
}

/*
 * Forget the entries idle at `now`.  Runs only from nm_latency_packet(),
 * never from flush: the LRU order it leaves (entries active since their
 * last move go back to the head) then depends on the packets alone, and so
 * do evictions.
 */
static void expire_idle(struct nm_latency *l, int64_t now)
{
    l->next_idle_due = INT64_MAX;
    for (int tid = 0; tid < NM_LAT_TABLE_COUNT; tid++) {
        struct lat_table *t = &l->tab[tid];
        /* Each turn removes the tail or moves it to the head with touch_ns =
         * now, where the walk stops: at most cap turns. */
        while (t->list[LIST_LRU].tail != NIL) {
            uint32_t i = t->list[LIST_LRU].tail;
            struct lat_entry *e = &t->e[i];
            if (!past(now, e->touch_ns, t->idle_ns)) {
                note_idle_due(l, due_at(e->touch_ns, t->idle_ns));
                break;
            }
            if (!past(now, e->last_ns, t->idle_ns)) {
                e->touch_ns = now;      /* active since its last move */
                list_push_head(t, i, LIST_LRU);
                continue;
            }
            if (e->linked[LIST_PEND])
                timed_out(l, tid, i);   /* idle >= timeout: its request is over too */
            if (e->linked[LIST_LRU])
                table_remove(l, tid, i); /* (DNS/ICMP: timed_out() removed it) */
        }
    }
}

/*
 * Forget the TCP connections closed more than TCP_CLOSED_LINGER_NS ago.
 * Like expire_idle(), only from nm_latency_packet(), so that the table's
 * occupancy, and with it every eviction, depends on the packets alone.
 */
static void expire_closed(struct nm_latency *l, int64_t now)
{
    struct lat_table *t = &l->tab[NM_LAT_TABLE_TCP];

    l->next_closed_due = INT64_MAX;
    /* Each turn takes the tail off the list: at most cap turns. */
    while (t->list[LIST_CLOSED].tail != NIL) {
        uint32_t i = t->list[LIST_CLOSED].tail;
        if (!past(now, t->e[i].closed_ns, TCP_CLOSED_LINGER_NS)) {
            note_closed_due(l, due_at(t->e[i].closed_ns, TCP_CLOSED_LINGER_NS));
            break;
        }
        if (t->e[i].linked[LIST_PEND])
            list_unlink(t, i, LIST_CLOSED);   /* still awaits its timeout */
        else
            table_remove(l, NM_LAT_TABLE_TCP, i);
    }
}

/* Every held tcp_syn_synack sample goes out on its own (hold_synack). */
static void release_all_synack(struct nm_latency *l)
{
    const struct lat_table *t = &l->tab[NM_LAT_TABLE_TCP];

    for (uint32_t i = 0; i < t->fresh && l->synack_held > 0; i++)
        release_synack(l, i);
}

void nm_latency_flush(struct nm_latency *l, int64_t now_ns)
{
    if (!l->have_now || now_ns > l->now_ns) {
        l->now_ns = now_ns;
        l->have_now = true;
    }
    expire_pending(l, l->now_ns);
    release_all_synack(l);
}

/* ---------------------------------------------------------------- keys */

static void key_init(struct lat_key *k, const struct nm_packet *pkt)
{
    memset(k, 0, sizeof *k);
    k->ip_version = pkt->ip_version;
    k->ip_proto = pkt->ip_proto;
}

/* A total order on two addresses, by native 64-bit words (as the flow
 * key's, flow.c): the canonical key needs some order, not numeric order,
 * and memcmp() here was an out-of-line call per TCP packet. */
static int addr_cmp(const uint8_t a[16], const uint8_t b[16])
{
    uint64_t x[2], y[2];

    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* The sender's side in the canonical two-endpoint key (0: key.a): the
 * smaller address, then port, is key.a. */
static int pair_side(const struct nm_packet *pkt)
{
    int c = addr_cmp(pkt->src_ip.b, pkt->dst_ip.b);
    return c < 0 || (c == 0 && pkt->src_port <= pkt->dst_port) ? 0 : 1;
}

/* Canonical two-endpoint key; returns the sender's side (0: key.a). */
static int key_pair(struct lat_key *k, const struct nm_packet *pkt)
{
    key_init(k, pkt);
    if (pair_side(pkt) == 0) {
        memcpy(k->a, pkt->src_ip.b, sizeof k->a);
        memcpy(k->b, pkt->dst_ip.b, sizeof k->b);
        k->pa = pkt->src_port;
        k->pb = pkt->dst_port;
        return 0;
    }
    memcpy(k->a, pkt->dst_ip.b, sizeof k->a);
    memcpy(k->b, pkt->src_ip.b, sizeof k->b);
    k->pa = pkt->dst_port;
    k->pb = pkt->src_port;
    return 1;
}

/* Directed key: a = requester. `reply` swaps source and destination. */
static void key_directed(struct lat_key *k, const struct nm_packet *pkt, bool reply,
                         uint16_t pa, uint16_t pb, uint16_t id)
{
    key_init(k, pkt);
    memcpy(k->a, reply ? pkt->dst_ip.b : pkt->src_ip.b, sizeof k->a);
    memcpy(k->b, reply ? pkt->src_ip.b : pkt->dst_ip.b, sizeof k->b);
    k->pa = pa;
    k->pb = pb;
    k->id = id;
}

/* ---------------------------------------------------------------- TCP */

static uint16_t isn_bit(int side)
{
    return side ? T_ISN_VALID1 : T_ISN_VALID0;
}

static uint16_t snd_bit(int side)
{
    return side ? T_SND_VALID1 : T_SND_VALID0;
}

static uint16_t timing_bit(int side)
{
    return side ? T_TIMING1 : T_TIMING0;
}

/* The handshake is over (sampled, reset, or evidently completed). */
static void tcp_hs_done(struct nm_latency *l, struct lat_tcp *x, uint32_t i)
{
    release_synack(l, i);
    x->flags |= T_HS_DONE | T_SYNACK_DONE;
    pend_stop(l, NM_LAT_TABLE_TCP, i);
}

static void tcp_handshake_part(struct nm_latency *l, uint32_t i, const struct nm_packet *pkt,
                               int side, uint64_t flow_id)
{
    struct lat_table *t = &l->tab[NM_LAT_TABLE_TCP];
    struct lat_entry *e = &t->e[i];
    struct lat_tcp *x = &l->tcp[i];
    uint16_t fl = pkt->tcp_flags;
    bool syn = fl & NM_TCP_SYN, ack = fl & NM_TCP_ACK, rst = fl & NM_TCP_RST;
    int64_t ts = pkt->ts_ns;
    bool from_client, synack_ack;

    /* Due but not collected yet (timestamps went back): a timeout first. */
    if (e->linked[LIST_PEND] && past(ts, e->pend_ns, t->timeout_ns))
        timed_out(l, NM_LAT_TABLE_TCP, i);
    if (syn && !ack) {
        /* A SYN whose seq differs from the first seq this side sent is a new
         * connection on the same ports (tshark starts a new stream too). */
        if ((x->flags & isn_bit(side)) && x->isn[side] != pkt->tcp_seq) {
            release_synack(l, i);
            pend_stop(l, NM_LAT_TABLE_TCP, i);
            list_unlink(t, i, LIST_CLOSED);
            memset(x, 0, sizeof *x);
        }
        if (!(x->flags & (T_HAVE_SYN | T_HAVE_SYNACK | T_HS_DONE)))
            e->client_b = (uint8_t)side;
        if (!(x->flags & isn_bit(side))) {
            x->isn[side] = pkt->tcp_seq;
            x->flags |= isn_bit(side);
        }
        if (side != e->client_b || (x->flags & T_HS_DONE))
            return;     /* simultaneous open, or a late copy: nothing to time */
        if ((x->flags & T_HAVE_SYNACK) && !(x->flags & T_HAVE_SYN))
            x->flags |= T_REORDERED;
        release_synack(l, i);       /* its start is about to move */
        x->syn_ns = ts;             /* most recent SYN */
        x->flags |= T_HAVE_SYN;
        pend_start(l, NM_LAT_TABLE_TCP, i, ts);
        return;
    }
    if (!(x->flags & isn_bit(side))) {
        x->isn[side] = pkt->tcp_seq;
        x->flags |= isn_bit(side);
    }
    if (syn && ack) {
        if (side == e->client_b) {
            if (x->flags & (T_HAVE_SYN | T_HAVE_SYNACK | T_HS_DONE))
                return;     /* SYN/ACK from the SYN's sender: not ours to time */
            e->client_b = (uint8_t)!side;   /* first guess was wrong: it is the server */
        }
        if (x->flags & T_HS_DONE)
            return;
        if ((x->flags & T_HAVE_SYN) && pkt->tcp_ack != x->isn[e->client_b] + 1u)
            return;         /* does not answer this SYN */
        release_synack(l, i);       /* a SYN/ACK again: the held one stopped earlier */
        x->synack_ns = ts;          /* most recent SYN/ACK */
        if ((x->flags & T_HAVE_SYN) && !(x->flags & T_SYNACK_DONE)) {
            if (ts >= x->syn_ns)
                hold_synack(l, x);
            else
                emit_sample(l, e, NM_LAT_TCP_SYN_SYNACK, x->syn_ns, ts, flow_id, true);
        }
        x->flags |= T_SYNACK_DONE | T_HAVE_SYNACK;
        x->synack_seq = pkt->tcp_seq;
        pend_start(l, NM_LAT_TABLE_TCP, i, ts);
        return;
    }
    if ((x->flags & T_HS_DONE) || !(x->flags & (T_HAVE_SYN | T_HAVE_SYNACK))) {
        return;
    }
    from_client = side == e->client_b;
    if (rst) {
        /* A refusal (server RST+ACK answering the SYN) stops tshark's
         * initial_rtt clock; any other reset just ends the handshake. */
        if (ack && !from_client && (x->flags & T_HAVE_SYN) && !(x->flags & T_HAVE_SYNACK))
            emit_sample(l, e, NM_LAT_TCP_HANDSHAKE, x->syn_ns, ts, flow_id, true);
        tcp_hs_done(l, x, i);
        return;
    }
    if (!ack)
        return;
    synack_ack = from_client && (x->flags & T_HAVE_SYNACK) && !(x->flags & T_REORDERED) &&
                 seq_geq(pkt->tcp_ack, x->synack_seq + 1u);
    if (synack_ack && (x->flags & T_SYNACK_HELD) && (x->flags & T_HAVE_SYN) &&
        ts >= x->synack_ns && !l->pkt_from_flow_client == ((x->flags & T_HELD_CFS) != 0)) {
        /* The common case: SYN -> SYN/ACK -> ACK, each once.  The three
         * samples go out joined (same flow, client and orientation, as
         * the condition above checks; the SYN/ACK stops the first and
         * starts the second). */
        report_held_synack(l, i, true);
        emit_sample_as(l, e, NM_LAT_TCP_SYNACK_ACK, x->synack_ns, ts, flow_id, false,
                       !l->pkt_from_flow_client, true);
        emit_sample(l, e, NM_LAT_TCP_HANDSHAKE, x->syn_ns, ts, flow_id, false);
        tcp_hs_done(l, x, i);
        return;
    }
    release_synack(l, i);
    if (x->flags & T_HAVE_SYN)
        emit_sample(l, e, NM_LAT_TCP_HANDSHAKE, x->syn_ns, ts, flow_id, !from_client);
    if (synack_ack)
        emit_sample(l, e, NM_LAT_TCP_SYNACK_ACK, x->synack_ns, ts, flow_id, false);
    tcp_hs_done(l, x, i);
}

/* data -> ACK with one timed segment per direction and Karn's rule. */
static void tcp_data_part(struct nm_latency *l, uint32_t i, const struct nm_packet *pkt, int side,
                          uint64_t flow_id)
{
    struct lat_entry *e = &l->tab[NM_LAT_TABLE_TCP].e[i];
    struct lat_tcp *x = &l->tcp[i];
    uint16_t fl = pkt->tcp_flags;
    int other = !side;
    uint32_t seq = pkt->tcp_seq;
    uint32_t len = pkt->l4_payload_len;
    uint32_t end;

    if (fl & NM_TCP_RST) {
        x->flags &= (uint16_t)~(T_TIMING0 | T_TIMING1);
        return;
    }
    if ((fl & NM_TCP_ACK) && (x->flags & timing_bit(other)) &&
        seq_geq(pkt->tcp_ack, x->timed_end[other])) {
        emit_sample(l, e, NM_LAT_TCP_DATA_ACK, x->timed_ns[other], pkt->ts_ns, flow_id,
                    side != e->client_b);
        x->flags &= (uint16_t)~timing_bit(other);
    }
    if (!(x->flags & snd_bit(side))) {
        x->snd_max[side] = seq;
        x->flags |= snd_bit(side);
    }
    if (len > 0 && !(fl & NM_TCP_SYN)) {
        if (seq_lt(seq, x->snd_max[side])) {
            /* Retransmission (or keep-alive, or a reordered copy): the next
             * ACK cannot say which copy it answers. */
            if (x->flags & timing_bit(side)) {
                x->flags &= (uint16_t)~timing_bit(side);
                l->ctr.tcp_karn_skipped++;
            }
        } else if (!(x->flags & timing_bit(side))) {
            x->flags |= timing_bit(side);
            x->timed_end[side] = seq + len;
            x->timed_ns[side] = pkt->ts_ns;
        }
    }
    end = seq + len + ((fl & NM_TCP_SYN) ? 1u : 0u) + ((fl & NM_TCP_FIN) ? 1u : 0u);
    if (seq_lt(x->snd_max[side], end))
        x->snd_max[side] = end;
}

/* A reset, or the second side's FIN, closes the connection: it goes on the
 * closed list, to be forgotten TCP_CLOSED_LINGER_NS later (expire_closed)
 * instead of holding its entry until it is idle (tcp_idle_ns). */
static void tcp_close_part(struct nm_latency *l, uint32_t i, const struct nm_packet *pkt, int side)
{
    struct lat_table *t = &l->tab[NM_LAT_TABLE_TCP];
    struct lat_tcp *x = &l->tcp[i];
    const uint16_t both = T_FIN0 | T_FIN1;

    if (pkt->tcp_flags & NM_TCP_FIN)
        x->flags |= side ? T_FIN1 : T_FIN0;
    if (t->e[i].linked[LIST_CLOSED] ||
        (!(pkt->tcp_flags & NM_TCP_RST) && (x->flags & both) != both))
        return;
    t->e[i].closed_ns = l->now_ns;
    list_push_head(t, i, LIST_CLOSED);
    note_closed_due(l, due_at(l->now_ns, TCP_CLOSED_LINGER_NS));
}

/* The TCP entry a hint names, if it is one in use (a hint may be stale
 * or wrong: it is only ever a guess), else NULL. */
static const struct lat_entry *hinted_entry(const struct nm_latency *l, const uint32_t *hint)
{
    const struct lat_table *t = &l->tab[NM_LAT_TABLE_TCP];

    if (hint == NULL || *hint >= t->fresh || !t->e[*hint].linked[LIST_LRU])
        return NULL;
    return &t->e[*hint];
}

/* The hinted entry is the connection of a packet of flow `flow_id`
 * because the latest packet it saw had that id: a flow has one pair of
 * endpoints (latency.h), and an entry takes a flow id only from packets
 * of its key.  Not when idle: such an entry counts as gone (and its
 * replacement needs the key). */
static bool hint_by_flow(const struct nm_latency *l, const uint32_t *hint, uint64_t flow_id)
{
    const struct lat_entry *e = hinted_entry(l, hint);

    return e != NULL && flow_id != 0 && e->flow_id == flow_id && !idle(l, NM_LAT_TABLE_TCP, e);
}

/* The connection's entry the long way: by key, forgetting an idle one,
 * else a new one.  The hint, if any, is tried first and updated. */
static uint32_t tcp_entry(struct nm_latency *l, const struct nm_packet *pkt, uint32_t *hint,
                          int *side)
{
    struct lat_table *t = &l->tab[NM_LAT_TABLE_TCP];
    struct lat_key k;
    uint32_t i, b = NIL;
    const struct lat_entry *h = hinted_entry(l, hint);

    *side = key_pair(&k, pkt);
    if (h != NULL && key_equal(&h->key, &k)) {
        i = *hint;
    } else {
        b = key_bucket(t, &k);
        i = table_find(t, &k, b);
    }
    if (i != NIL && idle(l, NM_LAT_TABLE_TCP, &t->e[i])) {
        if (t->e[i].linked[LIST_PEND])
            timed_out(l, NM_LAT_TABLE_TCP, i);
        table_remove(l, NM_LAT_TABLE_TCP, i);   /* forgotten, not yet collected */
        i = NIL;
    }
    if (i == NIL) {
        if (b == NIL)
            b = key_bucket(t, &k);
        i = table_insert(l, NM_LAT_TABLE_TCP, &k, b);
        memset(&l->tcp[i], 0, sizeof l->tcp[i]);
        /* Client: the SYN's sender, the SYN/ACK's receiver, else the side
         * that sent the first packet (as the flow engine decides). */
        if ((pkt->tcp_flags & (NM_TCP_SYN | NM_TCP_ACK)) == (NM_TCP_SYN | NM_TCP_ACK))
            t->e[i].client_b = (uint8_t)!*side;
        else
            t->e[i].client_b = (uint8_t)*side;
    }
    if (hint != NULL)
        *hint = i;
    return i;
}

static void tcp_packet(struct nm_latency *l, const struct nm_packet *pkt, uint64_t flow_id,
                       uint32_t *hint)
{
    struct lat_table *t = &l->tab[NM_LAT_TABLE_TCP];
    uint32_t i;
    int side;

    if (t->cap == 0)
        return;
    /* The hint saves the hash and the bucket's cache miss, and when it is
     * confirmed by the flow id the key too. */
    if (hint_by_flow(l, hint, flow_id)) {
        i = *hint;
        side = pair_side(pkt);
    } else {
        i = tcp_entry(l, pkt, hint, &side);
    }
    if (t->e[i].flow_id != flow_id)
        release_synack(l, i);       /* held with the SYN/ACK's flow id */
    t->e[i].flow_id = flow_id;
    touch(l, NM_LAT_TABLE_TCP, i);
    tcp_handshake_part(l, i, pkt, side, flow_id);
    tcp_data_part(l, i, pkt, side, flow_id);
    tcp_close_part(l, i, pkt, side);
}

/* ---------------------------------------------------------------- DNS */

static void dns_packet(struct nm_latency *l, const struct nm_packet *pkt, uint64_t flow_id)
{
    struct lat_table *t = &l->tab[NM_LAT_TABLE_DNS];
    bool response = NM_DNS_QR(pkt->dns_flags) != 0;
    struct lat_key k;
    uint32_t b, i;

    if (t->cap == 0)
        return;
    if (response)
        key_directed(&k, pkt, true, pkt->dst_port, pkt->src_port, pkt->dns_id);
    else
        key_directed(&k, pkt, false, pkt->src_port, pkt->dst_port, pkt->dns_id);
    b = key_bucket(t, &k);
    i = table_find(t, &k, b);
    if (!response) {
        /* A query repeated while the first is pending is a retransmission:
         * the clock keeps running from the first (tshark's
         * dns.retransmission_timer, 5 s by default like our timeout). */
        if (i != NIL && !past(pkt->ts_ns, t->e[i].pend_ns, t->timeout_ns))
            return;
        if (i != NIL)
            timed_out(l, NM_LAT_TABLE_DNS, i);  /* not yet collected: time went back */
        i = table_insert(l, NM_LAT_TABLE_DNS, &k, b);
        t->e[i].flow_id = flow_id;
        pend_start(l, NM_LAT_TABLE_DNS, i, pkt->ts_ns);
        return;
    }
    if (i == NIL) {
        l->ctr.dns_unmatched++;
        return;
    }
    if (past(pkt->ts_ns, t->e[i].pend_ns, t->timeout_ns))
        timed_out(l, NM_LAT_TABLE_DNS, i);
    else {
        emit_sample(l, &t->e[i], NM_LAT_DNS, t->e[i].pend_ns, pkt->ts_ns, flow_id, true);
        table_remove(l, NM_LAT_TABLE_DNS, i);
    }
}

/* ---------------------------------------------------------------- ICMP */

static void icmp_packet(struct nm_latency *l, const struct nm_packet *pkt, uint64_t flow_id,
                        bool reply)
{
    struct lat_table *t = &l->tab[NM_LAT_TABLE_ICMP];
    enum nm_latency_kind kind = pkt->ip_version == 6 ? NM_LAT_ICMPV6_ECHO : NM_LAT_ICMP_ECHO;
    struct lat_key k;
    uint32_t b, i;

    if (t->cap == 0)
        return;
    key_directed(&k, pkt, reply, pkt->icmp_id, pkt->icmp_seq, 0);
    b = key_bucket(t, &k);
    i = table_find(t, &k, b);
    if (!reply) {
        if (i == NIL)
            i = table_insert(l, NM_LAT_TABLE_ICMP, &k, b);
        t->e[i].flow_id = flow_id;
        touch(l, NM_LAT_TABLE_ICMP, i);
        pend_start(l, NM_LAT_TABLE_ICMP, i, pkt->ts_ns);   /* most recent request, as tshark */
        return;
    }
    if (i == NIL) {
        l->ctr.icmp_unmatched++;
        return;
    }
    if (past(pkt->ts_ns, t->e[i].pend_ns, t->timeout_ns))
        timed_out(l, NM_LAT_TABLE_ICMP, i);
    else {
        emit_sample(l, &t->e[i], kind, t->e[i].pend_ns, pkt->ts_ns, flow_id, true);
        table_remove(l, NM_LAT_TABLE_ICMP, i);
    }
}

/* ---------------------------------------------------------------- UDP */

/* Multicast or limited broadcast: no unicast answer comes from there. */
static bool group_address(const struct nm_packet *pkt)
{
    const uint8_t *d = pkt->dst_ip.b;

    if (pkt->ip_version == 4)
        return (d[0] & 0xf0u) == 0xe0u ||
               (d[0] == 0xff && d[1] == 0xff && d[2] == 0xff && d[3] == 0xff);
    return d[0] == 0xff;
}

static void udp_packet(struct nm_latency *l, const struct nm_packet *pkt, uint64_t flow_id)
{
    struct lat_table *t = &l->tab[NM_LAT_TABLE_UDP];
    struct lat_entry *e;
    struct lat_key k;
    uint32_t b, i;
    int side;

    if (t->cap == 0 || group_address(pkt))
        return;
    side = key_pair(&k, pkt);
    b = key_bucket(t, &k);
    i = table_find(t, &k, b);
    if (i != NIL && idle(l, NM_LAT_TABLE_UDP, &t->e[i])) {
        if (t->e[i].linked[LIST_PEND])
            timed_out(l, NM_LAT_TABLE_UDP, i);
        table_remove(l, NM_LAT_TABLE_UDP, i);   /* forgotten, not yet collected */
        i = NIL;
    }
    if (i == NIL) {
        i = table_insert(l, NM_LAT_TABLE_UDP, &k, b);
        e = &t->e[i];
        e->flow_id = flow_id;
        touch(l, NM_LAT_TABLE_UDP, i);
        if (pkt->src_port < PORT_WELL_KNOWN_END && pkt->dst_port >= PORT_WELL_KNOWN_END) {
            /* A service's packet to a client port: picked up mid-way. */
            e->client_b = (uint8_t)!side;
            e->state = U_DONE;
            return;
        }
        e->client_b = (uint8_t)side;
        e->state = U_PENDING;
        pend_start(l, NM_LAT_TABLE_UDP, i, pkt->ts_ns);
        return;
    }
    e = &t->e[i];
    touch(l, NM_LAT_TABLE_UDP, i);
    if (e->state != U_PENDING || side == e->client_b)
        return;
    if (past(pkt->ts_ns, e->pend_ns, t->timeout_ns)) {
        timed_out(l, NM_LAT_TABLE_UDP, i);
        return;
    }
    emit_sample(l, e, NM_LAT_UDP_FIRST_RESPONSE, e->pend_ns, pkt->ts_ns, flow_id, true);
    e->state = U_DONE;
    pend_stop(l, NM_LAT_TABLE_UDP, i);
}

/* ---------------------------------------------------------------- entry */

/* Is the transport header usable?  Problems found after it (in DNS) leave
 * it intact; problems in it or below it do not. */
static bool transport_ok(enum nm_malformed m)
{
    switch (m) {
    case NM_MAL_NONE:
    case NM_MAL_DNS_TRUNCATED:
    case NM_MAL_DNS_BAD_LABEL:
    case NM_MAL_DNS_NAME_TOO_LONG:
    case NM_MAL_DNS_POINTER_LOOP:
        return true;
    default:
        return false;
    }
}

/* Is the DNS header (id, flags) usable?  A truncated message may have lost
 * its header (the decoder does not tell where it was cut): skip it. */
static bool dns_ok(const struct nm_packet *pkt)
{
    return (pkt->layers & NM_L_DNS) && pkt->malformed != NM_MAL_DNS_TRUNCATED;
}

void nm_latency_packet(struct nm_latency *l, const struct nm_packet *pkt, uint64_t flow_id,
                       bool from_flow_client, uint32_t *hint)
{
    l->pkt_from_flow_client = from_flow_client;
    if (!l->have_now || pkt->ts_ns > l->now_ns) {
        l->now_ns = pkt->ts_ns;
        l->have_now = true;
    }
    if (l->now_ns > l->next_pend_due)
        expire_pending(l, l->now_ns);
    if (l->now_ns > l->next_idle_due)
        expire_idle(l, l->now_ns);
    if (l->now_ns > l->next_closed_due)
        expire_closed(l, l->now_ns);

    if (pkt->ip_version != 4 && pkt->ip_version != 6)
        return;
    if (pkt->frag_offset != 0 || !transport_ok(pkt->malformed))
        return;     /* a later fragment holds no transport header */
    switch (pkt->ip_proto) {
    case IPPROTO_NUM_TCP:
        if (!(pkt->layers & NM_L_TCP))
            return;
        tcp_packet(l, pkt, flow_id, hint);
        if (dns_ok(pkt))
            dns_packet(l, pkt, flow_id);
        return;
    case IPPROTO_NUM_UDP:
        if (!(pkt->layers & NM_L_UDP))
            return;
        if (dns_ok(pkt))
            dns_packet(l, pkt, flow_id);
        else if (pkt->src_port != PORT_DNS && pkt->dst_port != PORT_DNS)
            udp_packet(l, pkt, flow_id);
        return;
    case IPPROTO_NUM_ICMP:
        if (!(pkt->layers & NM_L_ICMP) || pkt->malformed != NM_MAL_NONE)
            return;
        if (pkt->icmp_type == ICMP_ECHO_REQUEST || pkt->icmp_type == ICMP_ECHO_REPLY)
            icmp_packet(l, pkt, flow_id, pkt->icmp_type == ICMP_ECHO_REPLY);
        return;
    case IPPROTO_NUM_ICMPV6:
        if (!(pkt->layers & NM_L_ICMPV6) || pkt->malformed != NM_MAL_NONE)
            return;
        if (pkt->icmp_type == ICMPV6_ECHO_REQUEST || pkt->icmp_type == ICMPV6_ECHO_REPLY)
            icmp_packet(l, pkt, flow_id, pkt->icmp_type == ICMPV6_ECHO_REPLY);
        return;
    default:
        return;
    }
}

/* ---------------------------------------------------------------- life */

struct nm_latency *nm_latency_new(const struct nm_latency_config *cfg,
                                  const struct nm_latency_sink *sink)
{
    struct nm_latency *l;
    const uint32_t caps[NM_LAT_TABLE_COUNT] = {cfg->max_tcp, cfg->max_dns, cfg->max_icmp,
                                               cfg->max_udp};
    /* DNS and ICMP entries only exist while pending: idle = timeout. */
    const int64_t tmo[NM_LAT_TABLE_COUNT] = {cfg->tcp_handshake_timeout_ns, cfg->dns_timeout_ns,
                                             cfg->icmp_timeout_ns, cfg->udp_timeout_ns};
    const int64_t idle[NM_LAT_TABLE_COUNT] = {cfg->tcp_idle_ns, cfg->dns_timeout_ns,
                                              cfg->icmp_timeout_ns, cfg->udp_idle_ns};

    for (int tid = 0; tid < NM_LAT_TABLE_COUNT; tid++) {
        if (caps[tid] > LAT_MAX_CAPACITY || tmo[tid] <= 0 || idle[tid] < tmo[tid])
            return NULL;
    }
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    if (sink != NULL)
        l->sink = *sink;
    l->next_pend_due = l->next_idle_due = l->next_closed_due = INT64_MAX;
    for (int tid = 0; tid < NM_LAT_TABLE_COUNT; tid++) {
        if (!table_init(&l->tab[tid], caps[tid], cfg->hash_seed,
                        HASH_DOMAIN_BASE + (uint64_t)tid, tmo[tid], idle[tid])) {
            nm_latency_free(l);
            return NULL;
        }
    }
    if (cfg->max_tcp > 0) {
        /* Written whole when its entry is first used (tcp_entry()). */
        l->tcp = alloc_lines(cfg->max_tcp, sizeof *l->tcp);
        if (l->tcp == NULL) {
            nm_latency_free(l);
            return NULL;
        }
    }
    return l;
}

void nm_latency_free(struct nm_latency *l)
{
    if (l == NULL)
        return;
    for (int tid = 0; tid < NM_LAT_TABLE_COUNT; tid++)
        table_free(&l->tab[tid]);
    free(l->tcp);
    free(l);
}

const struct nm_latency_counters *nm_latency_counters(const struct nm_latency *l)
{
    return &l->ctr;
}
