-- netmon database schema, migration 5 -> 6 (PRAGMA user_version = 6).
--
-- flows becomes an ordinary (rowid) table; its key (session_id, flow_id)
-- stays unique through the index SQLite makes for a PRIMARY KEY.  A flow's
-- row is written when the flow ends, but its key is its flow id, given
-- when it began, so rows come in an order far from the key's.  In a
-- WITHOUT ROWID table each row (about 100 bytes) went into the middle of a
-- B-tree page, moving half the page each time; now the row is appended and
-- only the index entry (session, flow id, rowid: a few bytes) goes into
-- the middle.  In aggregate mode (-A), where flow rows are most of what
-- nm-capture writes, its database thread took 20 % less CPU on mixed.pcap
-- (330,710 flows), and the work left after the last packet 35 % less
-- (README, Performance).  The columns, their meaning and the key are those
-- of version 5; the database grows by the index (about 14 bytes a flow).
-- Compiled in and run by schema/db.c like schema.sql; never edited once
-- released.

-- The view latency_samples reads flows: with legacy renaming, the rename
-- below leaves it alone, and it finds the new table by its name.
PRAGMA legacy_alter_table = ON;

CREATE TABLE flows_v6 (
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
);

INSERT INTO flows_v6 SELECT * FROM flows ORDER BY session_id, flow_id;
DROP TABLE flows;
ALTER TABLE flows_v6 RENAME TO flows;

PRAGMA legacy_alter_table = OFF;
