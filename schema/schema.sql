-- netmon database schema, version 1 (PRAGMA user_version = 1).
--
-- This file is compiled into the programs (build/gen/schema_sql.c) and run
-- by schema/db.c inside one transaction to bring an empty database to
-- version 1; db.c then sets user_version.  A later version N ships as a new
-- migration (ALTER TABLE / CREATE ...) that db.c runs after this one; this
-- file is never edited once released, so every database passes through the
-- same steps.  Meaning, units and example queries: docs/schema.md.
--
-- Conventions: times are integers, nanoseconds since the Unix epoch (UTC)
-- unless the name says "second" (whole seconds since the epoch, floor);
-- byte counts are frame lengths on the wire; NULL means "absent" (a field
-- of a layer the frame does not have).  Protocol names are those of
-- analyze/proto.h (table `protocols`).

-- One row per run of nm-capture.
CREATE TABLE sessions (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL,         -- capture file, "-" (stdin) or interface
    live              INTEGER NOT NULL,      -- 1: live interface, 0: file
    link_type         INTEGER,               -- LINKTYPE_* number
    link_type_name    TEXT,                  -- e.g. "EN10MB"
    filter            TEXT,                  -- BPF expression, NULL if none
    command_line      TEXT,
    ts_precision      INTEGER,               -- 6 or 9: decimal digits of the source's timestamps
    snaplen           INTEGER,
    aggregate_only    INTEGER NOT NULL DEFAULT 0, -- 1: no rows in `packets`
    start_wall_ns     INTEGER NOT NULL,      -- wall clock when the run started
    end_wall_ns       INTEGER,               -- wall clock at the last update
    first_packet_ns   INTEGER,               -- NULL until a packet was seen
    last_packet_ns    INTEGER,
    packets           INTEGER NOT NULL DEFAULT 0,
    bytes             INTEGER NOT NULL DEFAULT 0,  -- wire bytes
    captured_bytes    INTEGER NOT NULL DEFAULT 0,
    drops_kernel      INTEGER NOT NULL DEFAULT 0,  -- pcap_stats ps_drop
    drops_ifdrop      INTEGER NOT NULL DEFAULT 0,  -- pcap_stats ps_ifdrop
    drops_queue       INTEGER NOT NULL DEFAULT 0,  -- lost between capture and writer thread
    malformed         INTEGER NOT NULL DEFAULT 0,  -- frames with a malformed reason
    flows_evicted     INTEGER NOT NULL DEFAULT 0,
    addresses_evicted INTEGER NOT NULL DEFAULT 0,
    end_reason        TEXT NOT NULL DEFAULT 'running',
    end_message       TEXT,
    netmon_version    TEXT NOT NULL
);

-- One row per frame (unless sessions.aggregate_only).  Deliberately lean and
-- without secondary indexes: each index costs a third or more of the insert
-- rate (measured), and the aggregate tables answer the common questions.
CREATE TABLE packets (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id),
    ts_ns       INTEGER NOT NULL,
    wire_len    INTEGER NOT NULL,
    cap_len     INTEGER NOT NULL,
    layers      INTEGER NOT NULL,   -- bit set, see table layer_bits
    src_mac     TEXT,               -- "e8:2a:44:d5:c7:97" (Ethernet only)
    dst_mac     TEXT,
    vlan_outer  INTEGER,            -- VLAN id of the outermost tag
    vlan_inner  INTEGER,            -- VLAN id of the second tag
    ethertype   INTEGER,            -- after all tags (or SLL protocol)
    ip_version  INTEGER,            -- 4 or 6
    src_ip      TEXT,               -- dotted quad, or IPv6 as inet_ntop (RFC 5952)
    dst_ip      TEXT,
    ip_proto    INTEGER,            -- after IPv6 extension headers
    src_port    INTEGER,            -- TCP/UDP
    dst_port    INTEGER,
    tcp_flags   INTEGER,            -- FIN 1 SYN 2 RST 4 PSH 8 ACK 16 URG 32 ECE 64 CWR 128 NS 256
    icmp_type   INTEGER,            -- ICMP or ICMPv6
    icmp_code   INTEGER,
    arp_op      INTEGER,            -- 1 request, 2 reply, ...
    arp_spa     TEXT,               -- ARP sender / target IPv4 address
    arp_tpa     TEXT,
    dns_id      INTEGER,
    dns_flags   INTEGER,            -- raw flags word; QR = (dns_flags >> 15) & 1
    dns_qname   TEXT,               -- first question, escaped: one word, "" if none
    flow_id     INTEGER,            -- flows.flow_id of the same session
    malformed   TEXT                -- reason, e.g. "ipv4.truncated"; NULL if well formed
);

-- One row per flow, replaced whenever the flow's totals change.
-- (Schema version 6, schema/v6.sql, makes it a rowid table: the same
-- columns and key, the key in an index.)
CREATE TABLE flows (
    session_id          INTEGER NOT NULL,
    flow_id             INTEGER NOT NULL,
    proto               TEXT NOT NULL,     -- 'TCP', 'UDP', 'ICMP', 'ICMPv6' or 'Other'
    ip_version          INTEGER,
    ip_proto            INTEGER,
    vlan                INTEGER NOT NULL,  -- outermost VLAN id, 0 untagged
    client_ip           TEXT,              -- the side that sent the first packet (TCP: SYN)
    client_port         INTEGER,
    server_ip           TEXT,
    server_port         INTEGER,
    first_ns            INTEGER NOT NULL,
    last_ns             INTEGER NOT NULL,
    pkts_c2s            INTEGER NOT NULL,
    bytes_c2s           INTEGER NOT NULL,
    pkts_s2c            INTEGER NOT NULL,
    bytes_s2c           INTEGER NOT NULL,
    tcp_retransmissions INTEGER NOT NULL,
    tcp_resets          INTEGER NOT NULL,
    tcp_state           TEXT NOT NULL,     -- none syn_sent syn_received established fin_wait closed
    end_reason          TEXT NOT NULL,     -- active fin rst idle evicted capture_end
    is_connection       INTEGER NOT NULL,  -- 1 if it counts as a connection
    PRIMARY KEY (session_id, flow_id)
) WITHOUT ROWID;

-- Per address and session: totals, added up from the engine's deltas.
CREATE TABLE addresses (
    session_id  INTEGER NOT NULL,
    kind        TEXT NOT NULL,       -- 'ipv4', 'ipv6' or 'mac'
    address     TEXT NOT NULL,
    first_ns    INTEGER NOT NULL,
    last_ns     INTEGER NOT NULL,
    pkts_sent   INTEGER NOT NULL,
    bytes_sent  INTEGER NOT NULL,
    pkts_recv   INTEGER NOT NULL,
    bytes_recv  INTEGER NOT NULL,
    PRIMARY KEY (session_id, kind, address)
) WITHOUT ROWID;

-- Per second, per protocol (only non-zero rows are stored).  A frame counts
-- in every protocol it contains.  Key order (session, proto, second) makes
-- "protocol P between times A and B" one range scan.
CREATE TABLE proto_seconds (
    session_id      INTEGER NOT NULL,
    proto           TEXT NOT NULL,
    second          INTEGER NOT NULL,
    packets         INTEGER NOT NULL,
    bytes           INTEGER NOT NULL,
    new_connections INTEGER NOT NULL,
    PRIMARY KEY (session_id, proto, second)
) WITHOUT ROWID;

-- Per second, all frames (only seconds with traffic are stored).
CREATE TABLE seconds (
    session_id          INTEGER NOT NULL,
    second              INTEGER NOT NULL,
    packets             INTEGER NOT NULL DEFAULT 0,
    bytes               INTEGER NOT NULL DEFAULT 0,
    malformed           INTEGER NOT NULL DEFAULT 0,
    tcp_resets          INTEGER NOT NULL DEFAULT 0,
    tcp_retransmissions INTEGER NOT NULL DEFAULT 0,
    drops_kernel        INTEGER NOT NULL DEFAULT 0,  -- live capture: drops in that second
    drops_ifdrop        INTEGER NOT NULL DEFAULT 0,
    drops_queue         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, second)
) WITHOUT ROWID;

-- Malformed frames by reason, whole session.
CREATE TABLE malformed (
    session_id  INTEGER NOT NULL,
    reason      TEXT NOT NULL,       -- e.g. 'ipv4.hlen_too_small'
    count       INTEGER NOT NULL,
    PRIMARY KEY (session_id, reason)
) WITHOUT ROWID;

-- Messages of the run (warnings, errors, notices).
CREATE TABLE log (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL,
    wall_ns     INTEGER NOT NULL,
    level       TEXT NOT NULL,       -- 'info', 'warning' or 'error'
    message     TEXT NOT NULL
);

-- Reference data: the protocols of analyze/proto.h in enum order.
-- has_connections: protocols whose flows count as connections.
CREATE TABLE protocols (
    id              INTEGER PRIMARY KEY,   -- enum nm_proto value
    name            TEXT NOT NULL UNIQUE,
    has_connections INTEGER NOT NULL
);
INSERT INTO protocols (id, name, has_connections) VALUES
    (0, 'Ethernet', 0), (1, 'VLAN', 0), (2, 'ARP', 0), (3, 'IPv4', 0), (4, 'IPv6', 0),
    (5, 'TCP', 1), (6, 'UDP', 1), (7, 'ICMP', 1), (8, 'ICMPv6', 1), (9, 'DNS', 0),
    (10, 'Other', 1);

-- Reference data: the bits of packets.layers (enum nm_layer_bit).
CREATE TABLE layer_bits (
    bit   INTEGER PRIMARY KEY,
    name  TEXT NOT NULL
);
INSERT INTO layer_bits (bit, name) VALUES
    (1, 'eth'), (2, 'vlan'), (4, '8021ad'), (8, 'sll'), (16, 'null'), (32, 'raw'),
    (64, 'arp'), (128, 'ipv4'), (256, 'ipv6'), (512, 'tcp'), (1024, 'udp'),
    (2048, 'icmp'), (4096, 'icmpv6'), (8192, 'dns'), (16384, 'frag'), (32768, 'tunnel'),
    (65536, 'icmp_quote');

-- ---------------------------------------------------------------- views --

-- packets with readable times, layer names and TCP flag letters.
CREATE VIEW packets_v AS
SELECT p.*,
       strftime('%Y-%m-%dT%H:%M:%S', (p.ts_ns - (p.ts_ns % 1000000000 + 1000000000) % 1000000000)
                / 1000000000, 'unixepoch')
         || printf('.%09dZ', (p.ts_ns % 1000000000 + 1000000000) % 1000000000) AS time_utc,
       strftime('%Y-%m-%d %H:%M:%S', (p.ts_ns - (p.ts_ns % 1000000000 + 1000000000) % 1000000000)
                / 1000000000, 'unixepoch', 'localtime')
         || printf('.%06d', (p.ts_ns % 1000000000 + 1000000000) % 1000000000 / 1000) AS time_local,
       rtrim(CASE WHEN p.layers & 1 THEN 'eth,' ELSE '' END
          || CASE WHEN p.layers & 2 THEN 'vlan,' ELSE '' END
          || CASE WHEN p.layers & 4 THEN '8021ad,' ELSE '' END
          || CASE WHEN p.layers & 8 THEN 'sll,' ELSE '' END
          || CASE WHEN p.layers & 16 THEN 'null,' ELSE '' END
          || CASE WHEN p.layers & 32 THEN 'raw,' ELSE '' END
          || CASE WHEN p.layers & 64 THEN 'arp,' ELSE '' END
          || CASE WHEN p.layers & 128 THEN 'ipv4,' ELSE '' END
          || CASE WHEN p.layers & 256 THEN 'ipv6,' ELSE '' END
          || CASE WHEN p.layers & 512 THEN 'tcp,' ELSE '' END
          || CASE WHEN p.layers & 1024 THEN 'udp,' ELSE '' END
          || CASE WHEN p.layers & 2048 THEN 'icmp,' ELSE '' END
          || CASE WHEN p.layers & 4096 THEN 'icmpv6,' ELSE '' END
          || CASE WHEN p.layers & 8192 THEN 'dns,' ELSE '' END
          || CASE WHEN p.layers & 16384 THEN 'frag,' ELSE '' END
          || CASE WHEN p.layers & 32768 THEN 'tunnel,' ELSE '' END
          || CASE WHEN p.layers & 65536 THEN 'icmp_quote,' ELSE '' END, ',') AS layer_names,
       CASE WHEN p.tcp_flags IS NULL THEN NULL
            WHEN p.tcp_flags & 511 = 0 THEN '-'
            ELSE CASE WHEN p.tcp_flags & 1 THEN 'F' ELSE '' END
              || CASE WHEN p.tcp_flags & 2 THEN 'S' ELSE '' END
              || CASE WHEN p.tcp_flags & 4 THEN 'R' ELSE '' END
              || CASE WHEN p.tcp_flags & 8 THEN 'P' ELSE '' END
              || CASE WHEN p.tcp_flags & 16 THEN 'A' ELSE '' END
              || CASE WHEN p.tcp_flags & 32 THEN 'U' ELSE '' END
              || CASE WHEN p.tcp_flags & 64 THEN 'E' ELSE '' END
              || CASE WHEN p.tcp_flags & 128 THEN 'C' ELSE '' END
              || CASE WHEN p.tcp_flags & 256 THEN 'N' ELSE '' END
       END AS tcp_flags_text
FROM packets p;

-- The event log without its timestamp: one row per line of a packet, the
-- same lines as analyze/eventline.c writes (see eventline.h).  kind: 1 link,
-- 2 network, 3 transport, 4 DNS; line_no counts only the lines present.
-- fam is the address family of the lines (nm_eventline_ip_family).
CREATE VIEW event_log_body AS
SELECT packet_id, session_id, ts_ns, line_no,
       CASE kind
       WHEN 1 THEN 'Ethernet ' || src_mac || ' ' || dst_mac
       WHEN 2 THEN
           CASE WHEN layers & 64 THEN
                    'ARP ' || arp_spa || ' ' || arp_tpa || ' Op: '
                    || CASE arp_op WHEN 1 THEN 'request' WHEN 2 THEN 'reply' ELSE arp_op END
                WHEN layers & 128 THEN 'IP ' || src_a || ' ' || dst_a
                ELSE 'IPv6 ' || src_a || ' ' || dst_a
           END
       WHEN 3 THEN
           CASE WHEN layers & 512 THEN
                    'TCP ' || src_ep || ' ' || dst_ep || ' Flags: '
                    || CASE WHEN tcp_flags & 511 = 0 THEN '-'
                       ELSE CASE WHEN tcp_flags & 1 THEN 'F' ELSE '' END
                         || CASE WHEN tcp_flags & 2 THEN 'S' ELSE '' END
                         || CASE WHEN tcp_flags & 4 THEN 'R' ELSE '' END
                         || CASE WHEN tcp_flags & 8 THEN 'P' ELSE '' END
                         || CASE WHEN tcp_flags & 16 THEN 'A' ELSE '' END
                         || CASE WHEN tcp_flags & 32 THEN 'U' ELSE '' END
                         || CASE WHEN tcp_flags & 64 THEN 'E' ELSE '' END
                         || CASE WHEN tcp_flags & 128 THEN 'C' ELSE '' END
                         || CASE WHEN tcp_flags & 256 THEN 'N' ELSE '' END
                       END
                WHEN layers & 1024 THEN 'UDP ' || src_ep || ' ' || dst_ep
                ELSE CASE WHEN layers & 2048 THEN 'ICMP ' ELSE 'ICMPv6 ' END
                     || src_a || ' ' || dst_a
                     || ' Type: ' || icmp_type || ' Code: ' || icmp_code
           END
       ELSE 'DNS ' || src_ep || ' ' || dst_ep
            || CASE WHEN (dns_flags >> 15) & 1 THEN ' Response Id: ' ELSE ' Query Id: ' END
            || dns_id || ' Name: '
            || CASE WHEN coalesce(dns_qname, '') = '' THEN '-' ELSE dns_qname END
       END || ' ' || wire_len || ' bytes' AS body
FROM (
    SELECT p.id AS packet_id, p.session_id, p.ts_ns, p.wire_len, p.layers, k.kind,
           CASE k.kind
           WHEN 1 THEN 1
           WHEN 2 THEN 1 + (p.layers & 1 != 0)
           WHEN 3 THEN 1 + (p.layers & 1 != 0) + (p.layers & 448 != 0)
           ELSE 1 + (p.layers & 1 != 0) + (p.layers & 448 != 0) + (p.layers & 7680 != 0)
           END AS line_no,
           p.src_mac, p.dst_mac, p.arp_op, p.arp_spa, p.arp_tpa, p.tcp_flags,
           p.icmp_type, p.icmp_code, p.dns_id, p.dns_flags, p.dns_qname,
           coalesce(p.src_ip, '-') AS src_a,
           coalesce(p.dst_ip, '-') AS dst_a,
           CASE WHEN (CASE WHEN p.layers & 128 THEN 4 WHEN p.layers & 256 THEN 6
                           ELSE coalesce(p.ip_version, 0) END) = 6
                THEN '[' || coalesce(p.src_ip, '-') || ']:' ELSE coalesce(p.src_ip, '-') || ':'
           END || p.src_port AS src_ep,
           CASE WHEN (CASE WHEN p.layers & 128 THEN 4 WHEN p.layers & 256 THEN 6
                           ELSE coalesce(p.ip_version, 0) END) = 6
                THEN '[' || coalesce(p.dst_ip, '-') || ']:' ELSE coalesce(p.dst_ip, '-') || ':'
           END || p.dst_port AS dst_ep
    -- CROSS JOIN keeps packets as the outer loop: one scan in id order, so
    -- "ORDER BY packet_id, line_no" only sorts the lines within a packet
    FROM packets p
    CROSS JOIN (SELECT 1 AS kind UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) k
    WHERE (CASE k.kind WHEN 1 THEN p.layers & 1     -- Ethernet
                      WHEN 2 THEN p.layers & 448   -- ARP, IPv4, IPv6
                      WHEN 3 THEN p.layers & 7680  -- TCP, UDP, ICMP, ICMPv6
                      ELSE p.layers & 8192         -- DNS
          END) != 0
);

-- The event log exactly as nm-capture writes it (local time, TZ of the
-- process reading).  Order with ORDER BY packet_id, line_no.
CREATE VIEW event_log AS
SELECT packet_id, session_id, ts_ns, line_no,
       strftime('%Y-%m-%d %H:%M:%S', (ts_ns - (ts_ns % 1000000000 + 1000000000) % 1000000000)
                / 1000000000, 'unixepoch', 'localtime')
       || printf('.%06d', (ts_ns % 1000000000 + 1000000000) % 1000000000 / 1000)
       || ' ' || body AS line
FROM event_log_body;

-- The same in UTC (nm-capture --utc).
CREATE VIEW event_log_utc AS
SELECT packet_id, session_id, ts_ns, line_no,
       strftime('%Y-%m-%d %H:%M:%S', (ts_ns - (ts_ns % 1000000000 + 1000000000) % 1000000000)
                / 1000000000, 'unixepoch')
       || printf('.%06d', (ts_ns % 1000000000 + 1000000000) % 1000000000 / 1000)
       || ' ' || body AS line
FROM event_log_body;

-- Throughput per session, 10-second interval and protocol.  Intervals are
-- aligned to multiples of 10 s since the epoch; every interval from the one
-- holding the session's first packet to the one holding its last is
-- present for every protocol of `protocols`, with zeros where nothing was
-- seen.  bits_per_second = bytes * 8 / 10 (also for a partial last interval).
CREATE VIEW throughput_10s AS
WITH RECURSIVE
bounds (session_id, lo, hi) AS (
    SELECT session_id,
           min(second) - (min(second) % 10 + 10) % 10,
           max(second) - (max(second) % 10 + 10) % 10
    FROM seconds GROUP BY session_id
),
intervals (session_id, start, hi) AS (
    SELECT session_id, lo, hi FROM bounds
    UNION ALL
    SELECT session_id, start + 10, hi FROM intervals WHERE start < hi
)
SELECT i.session_id, i.start AS interval_start, pr.name AS proto,
       coalesce(sum(ps.packets), 0) AS packets,
       coalesce(sum(ps.bytes), 0) AS bytes,
       coalesce(sum(ps.bytes), 0) * 8 / 10.0 AS bits_per_second
FROM intervals i
CROSS JOIN protocols pr
LEFT JOIN proto_seconds ps
       ON ps.session_id = i.session_id AND ps.proto = pr.name
      AND ps.second >= i.start AND ps.second < i.start + 10
GROUP BY i.session_id, i.start, pr.id;

-- Packets and bytes per protocol and session (every protocol, zeros
-- included); pct_* relative to all frames of the session.  A frame counts
-- in each protocol it contains, so the percentages add up to more than 100.
CREATE VIEW protocol_usage AS
WITH tot AS (
    SELECT s.id AS session_id, coalesce(sum(sec.packets), 0) AS packets,
           coalesce(sum(sec.bytes), 0) AS bytes
    FROM sessions s LEFT JOIN seconds sec ON sec.session_id = s.id
    GROUP BY s.id
),
per AS (
    SELECT t.session_id, pr.id AS proto_id, pr.name AS proto,
           coalesce(sum(ps.packets), 0) AS packets,
           coalesce(sum(ps.bytes), 0) AS bytes,
           t.packets AS total_packets, t.bytes AS total_bytes
    FROM tot t
    CROSS JOIN protocols pr
    LEFT JOIN proto_seconds ps ON ps.session_id = t.session_id AND ps.proto = pr.name
    GROUP BY t.session_id, pr.id
)
SELECT session_id, proto_id, proto, packets, bytes,
       CASE WHEN total_packets > 0 THEN 100.0 * packets / total_packets END AS pct_packets,
       CASE WHEN total_bytes > 0 THEN 100.0 * bytes / total_bytes END AS pct_bytes
FROM per;

-- Average frame size (wire bytes / frames), overall (proto 'All',
-- proto_id -1) and per protocol: bytes of the frames containing the
-- protocol / their number.  NULL when there was no such frame.
CREATE VIEW avg_packet_size AS
SELECT s.id AS session_id, -1 AS proto_id, 'All' AS proto,
       coalesce(sum(sec.packets), 0) AS packets, coalesce(sum(sec.bytes), 0) AS bytes,
       CASE WHEN sum(sec.packets) > 0 THEN 1.0 * sum(sec.bytes) / sum(sec.packets) END
           AS avg_bytes
FROM sessions s LEFT JOIN seconds sec ON sec.session_id = s.id
GROUP BY s.id
UNION ALL
SELECT session_id, proto_id, proto, packets, bytes,
       CASE WHEN packets > 0 THEN 1.0 * bytes / packets END AS avg_bytes
FROM protocol_usage;

-- Addresses ranked by bytes sent + received, per session and kind.
-- Top ten IPv4 talkers: WHERE session_id = ? AND kind = 'ipv4' AND rank <= 10.
CREATE VIEW top_talkers AS
SELECT session_id, kind, address,
       pkts_sent + pkts_recv AS packets, bytes_sent + bytes_recv AS bytes,
       pkts_sent, bytes_sent, pkts_recv, bytes_recv, first_ns, last_ns,
       row_number() OVER (PARTITION BY session_id, kind
                          ORDER BY bytes_sent + bytes_recv DESC, address) AS rank
FROM addresses;

-- New connections per protocol and session, for the protocols whose flows
-- count as connections (TCP, UDP, ICMP, ICMPv6, Other), zeros included.
CREATE VIEW connections_per_protocol AS
SELECT s.id AS session_id, pr.id AS proto_id, pr.name AS proto,
       coalesce(sum(ps.new_connections), 0) AS connections
FROM sessions s
CROSS JOIN protocols pr
LEFT JOIN proto_seconds ps ON ps.session_id = s.id AND ps.proto = pr.name
WHERE pr.has_connections
GROUP BY s.id, pr.id;

-- New connections in each of the last 30 seconds of the session (the 30
-- seconds ending with the second of its last packet, or fewer if the
-- session is shorter), zeros included; total and per protocol.  The rate
-- over the window is sum(new_connections) / count(*).
CREATE VIEW new_connections_rate AS
WITH RECURSIVE
bounds (session_id, lo, hi) AS (
    SELECT session_id, max(min(second), max(second) - 29), max(second)
    FROM seconds GROUP BY session_id
),
secs (session_id, second, hi) AS (
    SELECT session_id, lo, hi FROM bounds
    UNION ALL
    SELECT session_id, second + 1, hi FROM secs WHERE second < hi
)
SELECT s.session_id, s.second,
       coalesce(sum(ps.new_connections), 0) AS new_connections,
       coalesce(sum(CASE WHEN pr.name = 'TCP' THEN ps.new_connections END), 0) AS tcp,
       coalesce(sum(CASE WHEN pr.name = 'UDP' THEN ps.new_connections END), 0) AS udp,
       coalesce(sum(CASE WHEN pr.name = 'ICMP' THEN ps.new_connections END), 0) AS icmp,
       coalesce(sum(CASE WHEN pr.name = 'ICMPv6' THEN ps.new_connections END), 0) AS icmpv6,
       coalesce(sum(CASE WHEN pr.name = 'Other' THEN ps.new_connections END), 0) AS other
FROM secs s
CROSS JOIN protocols pr
LEFT JOIN proto_seconds ps
       ON ps.session_id = s.session_id AND ps.proto = pr.name AND ps.second = s.second
WHERE pr.has_connections
GROUP BY s.session_id, s.second;

-- ------------------------------------------------------------ latency --
-- (Schema version 3, schema/v3.sql, moves these rows to latency_sample_rows,
-- stored as numbers, and makes latency_samples a view with these columns;
-- version 4, schema/v4.sql, stores a TCP handshake's three samples in one
-- row and renumbers the view's ids; version 5, schema/v5.sql, lets a row
-- hold two tcp_data_ack samples of its connection too, and renumbers them
-- again.)
-- One row per latency sample (analyze/latency.h says which packet starts
-- and which stops the clock for each kind).  value_us = stop - start in
-- microseconds, exact to the nanosecond.  ts_ns is the stopping packet's.
CREATE TABLE latency_samples (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL,
    ts_ns       INTEGER NOT NULL,
    flow_id     INTEGER,
    kind        TEXT NOT NULL,       -- 'tcp_handshake', 'dns', 'icmp_echo', ...
    ip_proto    INTEGER NOT NULL,    -- 6, 17, 1 or 58 (DNS over TCP has 6)
    client      TEXT NOT NULL,
    client_port INTEGER,
    server      TEXT NOT NULL,
    server_port INTEGER,
    answered_by TEXT NOT NULL,       -- 'server' or 'client': who sent the packet that
                                     -- stopped the clock (tcp_data_ack has both)
    value_us    REAL NOT NULL
);
-- No index: like packets, rows are appended at capture speed (an index on
-- the value cost a third of nm-capture's rate on mixed traffic, measured),
-- and the views read a session's samples once and sort them.

-- Requests never answered within their kind's timeout, per server.
CREATE TABLE latency_timeouts (
    session_id  INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    server      TEXT NOT NULL,
    server_port INTEGER NOT NULL,    -- 0 for ICMP
    ip_proto    INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (session_id, kind, server, server_port, ip_proto)
) WITHOUT ROWID;

-- Which kinds are "connection latency": one sample per connection or
-- exchange, the time the network and the server take to answer a request.
-- tcp_syn_synack, tcp_synack_ack and tcp_data_ack are parts or repeats and
-- stay out of the per-protocol averages (their own rows are in latency_stats).
CREATE TABLE latency_kinds (
    kind            TEXT PRIMARY KEY,
    is_connection   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO latency_kinds VALUES
    ('tcp_syn_synack', 0), ('tcp_synack_ack', 0), ('tcp_handshake', 1), ('tcp_data_ack', 0),
    ('dns', 1), ('icmp_echo', 1), ('icmpv6_echo', 1), ('udp_first_response', 1);

-- Per session and kind: count, mean, nearest-rank percentiles, max and
-- timeouts.  pN is the smallest sample with at least N% of samples <= it.
CREATE VIEW latency_stats AS
WITH ranked AS (
    SELECT session_id, kind, value_us,
           row_number() OVER (PARTITION BY session_id, kind ORDER BY value_us) AS rn,
           count(*) OVER (PARTITION BY session_id, kind) AS n
    FROM latency_samples
),
agg AS (
    SELECT session_id, kind, max(n) AS samples, avg(value_us) AS mean_us,
           min(CASE WHEN rn >= 0.50 * n THEN value_us END) AS p50_us,
           min(CASE WHEN rn >= 0.90 * n THEN value_us END) AS p90_us,
           min(CASE WHEN rn >= 0.99 * n THEN value_us END) AS p99_us,
           max(value_us) AS max_us
    FROM ranked GROUP BY session_id, kind
),
tmo AS (
    SELECT session_id, kind, sum(count) AS timeouts FROM latency_timeouts
    GROUP BY session_id, kind
),
keys AS (
    SELECT session_id, kind FROM agg UNION SELECT session_id, kind FROM tmo
)
SELECT k.session_id, k.kind, coalesce(a.samples, 0) AS samples, a.mean_us, a.p50_us,
       a.p90_us, a.p99_us, a.max_us, coalesce(t.timeouts, 0) AS timeouts
FROM keys k
LEFT JOIN agg a ON a.session_id = k.session_id AND a.kind = k.kind
LEFT JOIN tmo t ON t.session_id = k.session_id AND t.kind = k.kind;

-- The same per server (address and port), kind and answering side
-- (tcp_data_ack has server-side and client-side samples; other kinds one).
CREATE VIEW latency_by_server AS
WITH ranked AS (
    SELECT session_id, kind, server, server_port, answered_by, value_us,
           row_number() OVER (PARTITION BY session_id, kind, server, server_port, answered_by
                              ORDER BY value_us) AS rn,
           count(*) OVER (PARTITION BY session_id, kind, server, server_port, answered_by) AS n
    FROM latency_samples
)
SELECT session_id, kind, server, server_port, answered_by, max(n) AS samples,
       avg(value_us) AS mean_us,
       min(CASE WHEN rn >= 0.50 * n THEN value_us END) AS p50_us,
       min(CASE WHEN rn >= 0.90 * n THEN value_us END) AS p90_us,
       min(CASE WHEN rn >= 0.99 * n THEN value_us END) AS p99_us,
       max(value_us) AS max_us,
       coalesce((SELECT sum(t.count) FROM latency_timeouts t
                 WHERE t.session_id = ranked.session_id AND t.kind = ranked.kind
                   AND t.server = ranked.server
                   AND t.server_port = coalesce(ranked.server_port, 0)), 0) AS timeouts
FROM ranked GROUP BY session_id, kind, server, server_port, answered_by;

-- Average connection latency per transport protocol (TCP, UDP, ICMP,
-- ICMPv6) and over all of them ('all'): the mean of the connection-level
-- samples (latency_kinds.is_connection) whose ip_proto is that protocol.
-- DNS over TCP counts under TCP, DNS over UDP under UDP.
CREATE VIEW latency_per_protocol AS
SELECT session_id,
       CASE ip_proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 1 THEN 'ICMP'
                     WHEN 58 THEN 'ICMPv6' ELSE 'Other' END AS proto,
       count(*) AS samples, avg(value_us) AS mean_us
FROM latency_samples JOIN latency_kinds USING (kind)
WHERE is_connection
GROUP BY session_id, proto
UNION ALL
SELECT session_id, 'all', count(*), avg(value_us)
FROM latency_samples JOIN latency_kinds USING (kind)
WHERE is_connection
GROUP BY session_id;
