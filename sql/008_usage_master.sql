-- Per-master rollups (issue 12, speed): usage_master_hourly and usage_master_daily hold the
-- same counters as usage_hourly / usage_daily with master_id as their only dimension.
-- GET /admin/usage?group_by=master over 30 days summed ~90k daily rows of the full rollup
-- (every key x model x provider x status class of every day); these tables have one row per
-- master and bucket. The usage query reads them when it groups and filters by nothing but
-- the master (group_by=master|day|hour, optionally master_id): workers/db/usage_repo.cpp.
--
-- Kept exact like the others: ezapi-flusher adds each batch to all four tables in one
-- statement in the COPY's transaction (workers/usage/rollup_sql.cpp generates it), and
-- `ezapi-ctl usage rebuild` re-derives all four from the raw logs. A flusher older than this
-- migration does not write them: restart the flusher with the release that brings this file
-- (`ezapi-ctl migrate` first, as always).
--
-- Existing rows are filled below from the full rollups (sums of sums: exact), under the
-- usage lock taken exclusively, so no flusher batch lands between the copy and the commit.
SELECT pg_advisory_xact_lock(ez_usage_lock_key());

CREATE TABLE usage_master_hourly (
  bucket              timestamptz NOT NULL,  -- start of the hour (UTC)
  master_id           bigint,
  requests            bigint NOT NULL DEFAULT 0,
  errors              bigint NOT NULL DEFAULT 0,
  unpriced            bigint NOT NULL DEFAULT 0,
  prompt_tokens       numeric NOT NULL DEFAULT 0,
  completion_tokens   numeric NOT NULL DEFAULT 0,
  total_tokens        numeric NOT NULL DEFAULT 0,
  cost                numeric NOT NULL DEFAULT 0,
  latency_count       bigint NOT NULL DEFAULT 0,
  latency_sum         numeric NOT NULL DEFAULT 0,
  latency_max         bigint,
  lat_h00            bigint NOT NULL DEFAULT 0,
  lat_h01            bigint NOT NULL DEFAULT 0,
  lat_h02            bigint NOT NULL DEFAULT 0,
  lat_h03            bigint NOT NULL DEFAULT 0,
  lat_h04            bigint NOT NULL DEFAULT 0,
  lat_h05            bigint NOT NULL DEFAULT 0,
  lat_h06            bigint NOT NULL DEFAULT 0,
  lat_h07            bigint NOT NULL DEFAULT 0,
  lat_h08            bigint NOT NULL DEFAULT 0,
  lat_h09            bigint NOT NULL DEFAULT 0,
  lat_h10            bigint NOT NULL DEFAULT 0,
  lat_h11            bigint NOT NULL DEFAULT 0,
  lat_h12            bigint NOT NULL DEFAULT 0,
  lat_h13            bigint NOT NULL DEFAULT 0,
  lat_h14            bigint NOT NULL DEFAULT 0,
  lat_h15            bigint NOT NULL DEFAULT 0,
  lat_h16            bigint NOT NULL DEFAULT 0,
  lat_h17            bigint NOT NULL DEFAULT 0,
  lat_h18            bigint NOT NULL DEFAULT 0,
  lat_h19            bigint NOT NULL DEFAULT 0,
  lat_h20            bigint NOT NULL DEFAULT 0,
  lat_h21            bigint NOT NULL DEFAULT 0,
  lat_h22            bigint NOT NULL DEFAULT 0,
  lat_h23            bigint NOT NULL DEFAULT 0,
  lat_h24            bigint NOT NULL DEFAULT 0,
  lat_h25            bigint NOT NULL DEFAULT 0
);
-- NULLS NOT DISTINCT: entries without a master are one group the flusher's ON CONFLICT finds.
CREATE UNIQUE INDEX usage_master_hourly_group_idx ON usage_master_hourly (bucket, master_id) NULLS NOT DISTINCT;
CREATE INDEX usage_master_hourly_master_idx ON usage_master_hourly (master_id, bucket);
INSERT INTO usage_master_hourly (bucket, master_id, requests, errors, unpriced, prompt_tokens, completion_tokens, total_tokens, cost, latency_count, latency_sum, latency_max, lat_h00, lat_h01, lat_h02, lat_h03, lat_h04, lat_h05, lat_h06, lat_h07, lat_h08, lat_h09, lat_h10, lat_h11, lat_h12, lat_h13, lat_h14, lat_h15, lat_h16, lat_h17, lat_h18, lat_h19, lat_h20, lat_h21, lat_h22, lat_h23, lat_h24, lat_h25)
SELECT bucket, master_id, sum(requests), sum(errors), sum(unpriced), sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), sum(cost), sum(latency_count), sum(latency_sum), max(latency_max), sum(lat_h00), sum(lat_h01), sum(lat_h02), sum(lat_h03), sum(lat_h04), sum(lat_h05), sum(lat_h06), sum(lat_h07), sum(lat_h08), sum(lat_h09), sum(lat_h10), sum(lat_h11), sum(lat_h12), sum(lat_h13), sum(lat_h14), sum(lat_h15), sum(lat_h16), sum(lat_h17), sum(lat_h18), sum(lat_h19), sum(lat_h20), sum(lat_h21), sum(lat_h22), sum(lat_h23), sum(lat_h24), sum(lat_h25)
FROM usage_hourly GROUP BY bucket, master_id;

CREATE TABLE usage_master_daily (
  bucket              timestamptz NOT NULL,  -- start of the day (00:00 UTC) (UTC)
  master_id           bigint,
  requests            bigint NOT NULL DEFAULT 0,
  errors              bigint NOT NULL DEFAULT 0,
  unpriced            bigint NOT NULL DEFAULT 0,
  prompt_tokens       numeric NOT NULL DEFAULT 0,
  completion_tokens   numeric NOT NULL DEFAULT 0,
  total_tokens        numeric NOT NULL DEFAULT 0,
  cost                numeric NOT NULL DEFAULT 0,
  latency_count       bigint NOT NULL DEFAULT 0,
  latency_sum         numeric NOT NULL DEFAULT 0,
  latency_max         bigint,
  lat_h00            bigint NOT NULL DEFAULT 0,
  lat_h01            bigint NOT NULL DEFAULT 0,
  lat_h02            bigint NOT NULL DEFAULT 0,
  lat_h03            bigint NOT NULL DEFAULT 0,
  lat_h04            bigint NOT NULL DEFAULT 0,
  lat_h05            bigint NOT NULL DEFAULT 0,
  lat_h06            bigint NOT NULL DEFAULT 0,
  lat_h07            bigint NOT NULL DEFAULT 0,
  lat_h08            bigint NOT NULL DEFAULT 0,
  lat_h09            bigint NOT NULL DEFAULT 0,
  lat_h10            bigint NOT NULL DEFAULT 0,
  lat_h11            bigint NOT NULL DEFAULT 0,
  lat_h12            bigint NOT NULL DEFAULT 0,
  lat_h13            bigint NOT NULL DEFAULT 0,
  lat_h14            bigint NOT NULL DEFAULT 0,
  lat_h15            bigint NOT NULL DEFAULT 0,
  lat_h16            bigint NOT NULL DEFAULT 0,
  lat_h17            bigint NOT NULL DEFAULT 0,
  lat_h18            bigint NOT NULL DEFAULT 0,
  lat_h19            bigint NOT NULL DEFAULT 0,
  lat_h20            bigint NOT NULL DEFAULT 0,
  lat_h21            bigint NOT NULL DEFAULT 0,
  lat_h22            bigint NOT NULL DEFAULT 0,
  lat_h23            bigint NOT NULL DEFAULT 0,
  lat_h24            bigint NOT NULL DEFAULT 0,
  lat_h25            bigint NOT NULL DEFAULT 0
);
-- NULLS NOT DISTINCT: entries without a master are one group the flusher's ON CONFLICT finds.
CREATE UNIQUE INDEX usage_master_daily_group_idx ON usage_master_daily (bucket, master_id) NULLS NOT DISTINCT;
CREATE INDEX usage_master_daily_master_idx ON usage_master_daily (master_id, bucket);
INSERT INTO usage_master_daily (bucket, master_id, requests, errors, unpriced, prompt_tokens, completion_tokens, total_tokens, cost, latency_count, latency_sum, latency_max, lat_h00, lat_h01, lat_h02, lat_h03, lat_h04, lat_h05, lat_h06, lat_h07, lat_h08, lat_h09, lat_h10, lat_h11, lat_h12, lat_h13, lat_h14, lat_h15, lat_h16, lat_h17, lat_h18, lat_h19, lat_h20, lat_h21, lat_h22, lat_h23, lat_h24, lat_h25)
SELECT bucket, master_id, sum(requests), sum(errors), sum(unpriced), sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), sum(cost), sum(latency_count), sum(latency_sum), max(latency_max), sum(lat_h00), sum(lat_h01), sum(lat_h02), sum(lat_h03), sum(lat_h04), sum(lat_h05), sum(lat_h06), sum(lat_h07), sum(lat_h08), sum(lat_h09), sum(lat_h10), sum(lat_h11), sum(lat_h12), sum(lat_h13), sum(lat_h14), sum(lat_h15), sum(lat_h16), sum(lat_h17), sum(lat_h18), sum(lat_h19), sum(lat_h20), sum(lat_h21), sum(lat_h22), sum(lat_h23), sum(lat_h24), sum(lat_h25)
FROM usage_daily GROUP BY bucket, master_id;

-- Rollup retention (log.rollup_retention_days) covers the new tables too.
CREATE OR REPLACE FUNCTION ez_usage_drop_old(retention_days integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  cutoff  timestamptz := ((now() AT TIME ZONE 'UTC')::date - retention_days)::timestamp AT TIME ZONE 'UTC';
  total   bigint := 0;
  n       bigint;
BEGIN
  IF retention_days < 1 THEN
    RAISE EXCEPTION 'retention_days must be >= 1';
  END IF;
  DELETE FROM usage_hourly WHERE bucket < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  DELETE FROM usage_daily WHERE bucket < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  DELETE FROM usage_master_hourly WHERE bucket < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  DELETE FROM usage_master_daily WHERE bucket < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN total + n;
END $$;
