-- netmon database schema, migration 4 -> 5 (PRAGMA user_version = 5).
--
-- A row of a TCP connection's samples can also hold one tcp_data_ack
-- sample answered by the server and one answered by the client.  On mixed
-- traffic tcp_data_ack was 62 % of the sample rows (536,291 of 866,720 in
-- mixed.pcap), most connections giving one each way (a request acknowledged
-- by the server, its response by the client), and in per-packet mode the
-- rows cost nm-capture most of what latency tracking costs it.  nm-capture
-- puts such a sample into the row of the same flow still waiting to be
-- written in the same transaction (its tcp_handshake row, usually) when
-- that row's place for it is free; mixed.pcap now takes about 400,000
-- rows.  The view latency_samples gives every sample back, with the
-- columns, names and values of version 4.  Compiled in and run by
-- schema/db.c like schema.sql; never edited once released.

-- ack_by_server_ns: the value of a tcp_data_ack sample answered by the
-- server (the client's data acknowledged), stopped at ts_ns +
-- ack_by_server_dt_ns; ack_by_client_ns and ack_by_client_dt_ns the same
-- for one answered by the client.  The sample's flow is the row's, and its
-- client is the row's (flags bit 2).  NULL when the row holds none.
ALTER TABLE latency_sample_rows ADD COLUMN ack_by_server_ns INTEGER;
ALTER TABLE latency_sample_rows ADD COLUMN ack_by_server_dt_ns INTEGER;
ALTER TABLE latency_sample_rows ADD COLUMN ack_by_client_ns INTEGER;
ALTER TABLE latency_sample_rows ADD COLUMN ack_by_client_dt_ns INTEGER;

-- Row r gives sample r.id * 8 + part: part 0 the row's own, 1 and 2 its
-- joined handshake samples (version 4), 3 its tcp_data_ack answered by the
-- server, 4 the one answered by the client.  Ids were r.id * 4 + part in
-- version 4: they change with this migration, as they did with version 4's.
INSERT INTO latency_row_parts VALUES (3), (4);

DROP VIEW latency_samples;
CREATE VIEW latency_samples AS
SELECT r.id * 8 + p.part AS id, r.session_id,
       CASE p.part WHEN 0 THEN r.ts_ns WHEN 1 THEN r.ts_ns - r.synack_ack_ns
                   WHEN 2 THEN r.ts_ns WHEN 3 THEN r.ts_ns + r.ack_by_server_dt_ns
                   ELSE r.ts_ns + r.ack_by_client_dt_ns END AS ts_ns,
       r.flow_id,
       (SELECT k.kind FROM latency_kinds k
         WHERE k.code = CASE p.part WHEN 0 THEN r.kind WHEN 1 THEN 0 WHEN 2 THEN 1
                                    ELSE 3 END) AS kind,
       r.ip_proto,
       CASE WHEN r.client IS NOT NULL THEN r.client
            WHEN r.flags & 2 THEN f.server_ip ELSE f.client_ip END AS client,
       CASE WHEN r.client IS NOT NULL THEN r.client_port WHEN r.ip_proto NOT IN (6, 17) THEN NULL
            WHEN r.flags & 2 THEN f.server_port ELSE f.client_port END AS client_port,
       CASE WHEN r.client IS NOT NULL THEN r.server
            WHEN r.flags & 2 THEN f.client_ip ELSE f.server_ip END AS server,
       CASE WHEN r.client IS NOT NULL THEN r.server_port WHEN r.ip_proto NOT IN (6, 17) THEN NULL
            WHEN r.flags & 2 THEN f.client_port ELSE f.server_port END AS server_port,
       CASE p.part WHEN 0 THEN CASE WHEN r.flags & 1 THEN 'server' ELSE 'client' END
                   WHEN 1 THEN 'server' WHEN 2 THEN 'client' WHEN 3 THEN 'server'
                   ELSE 'client' END AS answered_by,
       CASE p.part WHEN 0 THEN r.value_ns WHEN 1 THEN r.syn_synack_ns
                   WHEN 2 THEN r.synack_ack_ns WHEN 3 THEN r.ack_by_server_ns
                   ELSE r.ack_by_client_ns END / 1000.0 AS value_us
FROM latency_sample_rows r
CROSS JOIN latency_row_parts p
LEFT JOIN flows f ON f.session_id = r.session_id AND f.flow_id = r.flow_id
WHERE p.part = 0 OR (p.part = 1 AND r.syn_synack_ns IS NOT NULL)
   OR (p.part = 2 AND r.synack_ack_ns IS NOT NULL)
   OR (p.part = 3 AND r.ack_by_server_ns IS NOT NULL)
   OR (p.part = 4 AND r.ack_by_client_ns IS NOT NULL);
