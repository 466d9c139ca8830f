-- netmon database schema, migration 3 -> 4 (PRAGMA user_version = 4).
--
-- A TCP handshake's three samples in one row.  Until version 3 each of
-- tcp_syn_synack, tcp_synack_ack and tcp_handshake took a row: 48 % of all
-- sample rows on mixed traffic (609,384 of 1,266,524 in mixed.pcap), and
-- the rows cost nm-capture most of what latency tracking costs it.  When a
-- handshake goes SYN -> SYN/ACK -> ACK with each seen once (nearly always),
-- its tcp_handshake row now also holds the other two values
-- (analyze/latency.h, "Joined samples"); other handshakes keep a row per
-- sample, as before.  The view latency_samples gives the three rows back,
-- with the columns, names and values of version 3.  Compiled in and run by
-- schema/db.c like schema.sql; never edited once released.

-- In a tcp_handshake row (kind 2) that joins its handshake's samples:
-- syn_synack_ns is the tcp_syn_synack value (SYN -> SYN/ACK, answered by
-- the server; its SYN/ACK came at ts_ns - synack_ack_ns) and synack_ack_ns
-- the tcp_synack_ack value (SYN/ACK -> ACK, answered by the client, at
-- ts_ns).  Both NULL in every other row.
ALTER TABLE latency_sample_rows ADD COLUMN syn_synack_ns INTEGER;
ALTER TABLE latency_sample_rows ADD COLUMN synack_ack_ns INTEGER;

-- Row r gives sample r.id * 4 (the row's own: kind, ts_ns, value_ns), and
-- when it joins a handshake also r.id * 4 + 1 (tcp_syn_synack) and
-- r.id * 4 + 2 (tcp_synack_ack): ids stay unique and a handshake's samples
-- stay together in id order.  Rows come in storage order, not time order:
-- sort by ts_ns where order matters.
CREATE TABLE latency_row_parts (part INTEGER PRIMARY KEY);
INSERT INTO latency_row_parts VALUES (0), (1), (2);

DROP VIEW latency_samples;
CREATE VIEW latency_samples AS
SELECT r.id * 4 + p.part AS id, r.session_id,
       CASE p.part WHEN 1 THEN r.ts_ns - r.synack_ack_ns ELSE r.ts_ns END AS ts_ns,
       r.flow_id,
       (SELECT k.kind FROM latency_kinds k
         WHERE k.code = CASE p.part WHEN 0 THEN r.kind ELSE p.part - 1 END) AS kind,
       r.ip_proto,
       CASE WHEN r.client IS NOT NULL THEN r.client
            WHEN r.flags & 2 THEN f.server_ip ELSE f.client_ip END AS client,
       CASE WHEN r.client IS NOT NULL THEN r.client_port WHEN r.ip_proto NOT IN (6, 17) THEN NULL
            WHEN r.flags & 2 THEN f.server_port ELSE f.client_port END AS client_port,
       CASE WHEN r.client IS NOT NULL THEN r.server
            WHEN r.flags & 2 THEN f.client_ip ELSE f.server_ip END AS server,
       CASE WHEN r.client IS NOT NULL THEN r.server_port WHEN r.ip_proto NOT IN (6, 17) THEN NULL
            WHEN r.flags & 2 THEN f.client_port ELSE f.server_port END AS server_port,
       CASE p.part WHEN 1 THEN 'server' WHEN 2 THEN 'client'
            ELSE CASE WHEN r.flags & 1 THEN 'server' ELSE 'client' END END AS answered_by,
       CASE p.part WHEN 1 THEN r.syn_synack_ns WHEN 2 THEN r.synack_ack_ns
            ELSE r.value_ns END / 1000.0 AS value_us
FROM latency_sample_rows r
CROSS JOIN latency_row_parts p
LEFT JOIN flows f ON f.session_id = r.session_id AND f.flow_id = r.flow_id
WHERE p.part = 0 OR r.syn_synack_ns IS NOT NULL;
