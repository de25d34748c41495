-- Log search without scans (GET /admin/logs, /master/logs and the export).
--
-- A search walks an index in ts order and stops after a page. With a filter that no index
-- carries, the walk reads every row of the window that the filter then throws away: a
-- tenant's `status=4xx` over a day of 600k rows of its own walked the whole day (985,409
-- rows removed by the filter, 2.1 s), and ten of those held the admin pool. Each filter the
-- API offers now has an index that yields only matching rows, in ts order:
--   * status classes 4xx and 5xx (and exact codes in them): partial indexes, alone and
--     under master_id. Errors are the sparse rows people search for; 2xx is dense, so the
--     plain ts / (master_id, ts) walk finds a page at once. The search states a class as a
--     range (status_code >= 400 AND status_code < 500; an exact code implies it), which is
--     what lets the planner prove a partial index applies.
--   * provider_id and error_type: like master_id, key_id and model in 002.
-- EXPLAIN ANALYZE on 1M rows (docs/benchmarks.md, "Log search"): master + 4xx from a
-- 7.4 s backward walk of (master_id, ts) to 14 ms on the 4xx index; admin + 4xx 19 ms.
--
-- CREATE INDEX on the partitioned table builds the index on every partition and blocks
-- the flusher's COPY while it runs (PostgreSQL 15 has no CONCURRENTLY for partitioned
-- tables): on a full 30-day table, run the migration in a quiet hour. The log queue holds
-- what arrives meanwhile. New partitions get the indexes by themselves.
CREATE INDEX logs_master_4xx_ts_idx ON logs (master_id, ts)
  WHERE status_code >= 400 AND status_code < 500;
CREATE INDEX logs_master_5xx_ts_idx ON logs (master_id, ts)
  WHERE status_code >= 500 AND status_code < 600;
CREATE INDEX logs_4xx_ts_idx ON logs (ts) WHERE status_code >= 400 AND status_code < 500;
CREATE INDEX logs_5xx_ts_idx ON logs (ts) WHERE status_code >= 500 AND status_code < 600;
CREATE INDEX logs_provider_ts_idx ON logs (provider_id, ts);
CREATE INDEX logs_error_type_ts_idx ON logs (error_type, ts) WHERE error_type IS NOT NULL;
