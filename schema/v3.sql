-- netmon database schema, migration 2 -> 3 (PRAGMA user_version = 3).
--
-- Latency samples stored in a third of the space.  Until version 2 every
-- sample row repeated its connection's addresses and ports as text and
-- named its kind and answering side in words: a sample cost nm-capture as
-- much as a packet row, and latency tracking took a quarter of its rate on
-- mixed traffic.  A sample row now holds numbers only (kind as a code,
-- the answering side and the orientation as bits); its addresses and ports
-- are those of its flow (flows, by session_id and flow_id).  The view
-- latency_samples puts them back together: it has the columns, names and
-- values of version 2's table, so queries written for it keep working.
-- Compiled in and run by schema/db.c like schema.sql; never edited once
-- released.

-- Requests and connections the latency tables forgot because they were
-- full (analyze/latency.h, "Every table has a fixed capacity"): any sample
-- or timeout still due on them is lost.  Until version 3 only a warning in
-- the log table said so.
ALTER TABLE sessions ADD COLUMN latency_evictions INTEGER NOT NULL DEFAULT 0;

-- Kind codes as stored in latency_sample_rows.kind (analyze/latency.h's
-- enum nm_latency_kind; test_db checks that both agree).  The view below
-- takes the names from here, by the index.
ALTER TABLE latency_kinds ADD COLUMN code INTEGER;
UPDATE latency_kinds SET code = CASE kind
    WHEN 'tcp_syn_synack' THEN 0 WHEN 'tcp_synack_ack' THEN 1 WHEN 'tcp_handshake' THEN 2
    WHEN 'tcp_data_ack' THEN 3 WHEN 'dns' THEN 4 WHEN 'icmp_echo' THEN 5
    WHEN 'icmpv6_echo' THEN 6 WHEN 'udp_first_response' THEN 7 END;
CREATE UNIQUE INDEX latency_kinds_code ON latency_kinds (code);

-- One row per latency sample.  flags: 1 = the server sent the packet that
-- stopped the clock (answered_by 'server'), 2 = the sample's client is its
-- flow's server side (flows.server_ip; e.g. a DNS query sent from the side
-- that did not send the flow's first packet).  value_ns = stop - start.
-- client .. server_port are only set in rows recorded before version 3,
-- which keep the addresses they were stored with.
CREATE TABLE latency_sample_rows (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL,
    ts_ns       INTEGER NOT NULL,
    flow_id     INTEGER,
    kind        INTEGER NOT NULL,    -- latency_kinds.code
    ip_proto    INTEGER NOT NULL,    -- 6, 17, 1 or 58 (DNS over TCP has 6)
    flags       INTEGER NOT NULL,
    value_ns    INTEGER NOT NULL,
    client      TEXT,
    client_port INTEGER,
    server      TEXT,
    server_port INTEGER
);

INSERT INTO latency_sample_rows (id, session_id, ts_ns, flow_id, kind, ip_proto, flags,
                                 value_ns, client, client_port, server, server_port)
SELECT s.id, s.session_id, s.ts_ns, s.flow_id, k.code, s.ip_proto,
       CASE s.answered_by WHEN 'server' THEN 1 ELSE 0 END,
       CAST(round(s.value_us * 1000) AS INTEGER),
       s.client, s.client_port, s.server, s.server_port
FROM latency_samples s JOIN latency_kinds k USING (kind);

DROP TABLE latency_samples;

-- Version 2's table, column for column (ports only for TCP and UDP, as
-- before; flows has ICMP echo identifiers there).  A sample whose flow has no row
-- yet (a live capture writes flows once a second) shows NULL addresses and
-- ports until it has one; once a capture has ended every flow has its row.
CREATE VIEW latency_samples AS
SELECT r.id, r.session_id, r.ts_ns, r.flow_id,
       (SELECT k.kind FROM latency_kinds k WHERE k.code = r.kind) AS kind,
       r.ip_proto,
       CASE WHEN r.client IS NOT NULL THEN r.client
            WHEN r.flags & 2 THEN f.server_ip ELSE f.client_ip END AS client,
       CASE WHEN r.client IS NOT NULL THEN r.client_port WHEN r.ip_proto NOT IN (6, 17) THEN NULL
            WHEN r.flags & 2 THEN f.server_port ELSE f.client_port END AS client_port,
       CASE WHEN r.client IS NOT NULL THEN r.server
            WHEN r.flags & 2 THEN f.client_ip ELSE f.server_ip END AS server,
       CASE WHEN r.client IS NOT NULL THEN r.server_port WHEN r.ip_proto NOT IN (6, 17) THEN NULL
            WHEN r.flags & 2 THEN f.client_port ELSE f.server_port END AS server_port,
       CASE WHEN r.flags & 1 THEN 'server' ELSE 'client' END AS answered_by,
       r.value_ns / 1000.0 AS value_us
FROM latency_sample_rows r
LEFT JOIN flows f ON f.session_id = r.session_id AND f.flow_id = r.flow_id;
