-- netmon database schema, migration 1 -> 2 (PRAGMA user_version = 2).
--
-- Latency distributions as histograms.  Until version 1 the latency
-- statistics sorted every sample (latency_samples) on each read: the cost
-- grew with the capture, and aggregate mode (-A), which stores no sample
-- rows, had none.  nm-capture now keeps a log-linear histogram per kind and
-- transport protocol (analyze/lathist.h) and stores its buckets here; the
-- latency_stats and latency_per_protocol views read them.  Compiled in and
-- run by schema/db.c like schema.sql; never edited once released.

-- One row per non-empty bucket.  A bucket covers [low_ns, next bucket's
-- low_ns); buckets are at most 1/256 of their value wide (values under
-- 512 ns have one bucket each).  count, sums, min and max are exact.
CREATE TABLE latency_hist (
    session_id  INTEGER NOT NULL,
    kind        TEXT NOT NULL,       -- as latency_samples.kind
    ip_proto    INTEGER NOT NULL,    -- 6, 17, 1 or 58 (DNS over TCP has 6)
    low_ns      INTEGER NOT NULL,    -- the bucket's lower edge
    count       INTEGER NOT NULL,    -- samples in the bucket
    sum_ns      INTEGER NOT NULL,    -- their sum
    min_ns      INTEGER NOT NULL,    -- smallest and largest sample in it
    max_ns      INTEGER NOT NULL,
    PRIMARY KEY (session_id, kind, ip_proto, low_ns)
) WITHOUT ROWID;

-- Sessions recorded before version 2 get their histogram from their
-- samples, one bucket per distinct value (so their statistics stay exact).
INSERT INTO latency_hist (session_id, kind, ip_proto, low_ns, count, sum_ns, min_ns, max_ns)
SELECT session_id, kind, ip_proto, v, count(*), sum(v), v, v
FROM (SELECT session_id, kind, ip_proto, CAST(round(value_us * 1000) AS INTEGER) AS v
      FROM latency_samples)
GROUP BY session_id, kind, ip_proto, v;

-- Per session and kind: count, mean, nearest-rank percentiles, max and
-- timeouts.  pN is the sample of rank ceil(N% of samples) in increasing
-- order; it is found in its bucket by rank: the bucket's smallest value for
-- the bucket's first rank, its largest for the last, linear in between
-- (analyze/lathist.c nm_lathist_rank_value; exact when the bucket holds
-- one distinct value, otherwise within 0.4 %).  count, mean and max are
-- exact.  DNS over UDP and over TCP are one kind here.
DROP VIEW latency_stats;
CREATE VIEW latency_stats AS
WITH b AS (
    SELECT session_id, kind, low_ns, sum(count) AS count, sum(sum_ns) AS sum_ns,
           min(min_ns) AS min_ns, max(max_ns) AS max_ns
    FROM latency_hist GROUP BY session_id, kind, low_ns
),
c AS (
    SELECT b.*,
           sum(count) OVER (PARTITION BY session_id, kind ORDER BY low_ns
                            ROWS UNBOUNDED PRECEDING) AS cum,
           sum(count) OVER (PARTITION BY session_id, kind) AS n
    FROM b
),
want AS (
    SELECT DISTINCT c.session_id, c.kind, c.n, p.pct, (p.pct * c.n + 99) / 100 AS r
    FROM c, (SELECT 50 AS pct UNION ALL SELECT 90 UNION ALL SELECT 99) AS p
),
pv AS (
    SELECT w.session_id, w.kind, w.pct,
           CASE WHEN c.count <= 1 OR w.r <= c.cum - c.count + 1 THEN c.min_ns
                WHEN w.r >= c.cum THEN c.max_ns
                ELSE c.min_ns + (c.max_ns - c.min_ns) * (w.r - (c.cum - c.count + 1)) * 1.0
                                / (c.count - 1) END AS v_ns
    FROM want w JOIN c ON c.session_id = w.session_id AND c.kind = w.kind
                      AND w.r > c.cum - c.count AND w.r <= c.cum
),
agg AS (
    SELECT session_id, kind, sum(count) AS samples,
           sum(sum_ns) / 1000.0 / sum(count) AS mean_us, max(max_ns) / 1000.0 AS max_us
    FROM b GROUP BY session_id, kind
),
tmo AS (
    SELECT session_id, kind, sum(count) AS timeouts FROM latency_timeouts
    GROUP BY session_id, kind
),
keys AS (
    SELECT session_id, kind FROM agg UNION SELECT session_id, kind FROM tmo
)
SELECT k.session_id, k.kind, coalesce(a.samples, 0) AS samples, a.mean_us,
       (SELECT v_ns / 1000.0 FROM pv WHERE pv.session_id = k.session_id AND pv.kind = k.kind
                                       AND pv.pct = 50) AS p50_us,
       (SELECT v_ns / 1000.0 FROM pv WHERE pv.session_id = k.session_id AND pv.kind = k.kind
                                       AND pv.pct = 90) AS p90_us,
       (SELECT v_ns / 1000.0 FROM pv WHERE pv.session_id = k.session_id AND pv.kind = k.kind
                                       AND pv.pct = 99) AS p99_us,
       a.max_us, coalesce(t.timeouts, 0) AS timeouts
FROM keys k
LEFT JOIN agg a ON a.session_id = k.session_id AND a.kind = k.kind
LEFT JOIN tmo t ON t.session_id = k.session_id AND t.kind = k.kind;

-- Average connection latency per transport protocol and over all of them
-- ('all'), as in version 1, from the histograms (sums and counts are exact).
DROP VIEW latency_per_protocol;
CREATE VIEW latency_per_protocol AS
SELECT session_id,
       CASE ip_proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 1 THEN 'ICMP'
                     WHEN 58 THEN 'ICMPv6' ELSE 'Other' END AS proto,
       sum(count) AS samples, sum(sum_ns) / 1000.0 / sum(count) AS mean_us
FROM latency_hist JOIN latency_kinds USING (kind)
WHERE is_connection
GROUP BY session_id, proto
UNION ALL
SELECT session_id, 'all', sum(count), sum(sum_ns) / 1000.0 / sum(count)
FROM latency_hist JOIN latency_kinds USING (kind)
WHERE is_connection
GROUP BY session_id;
