-- Usage: model prices, cost at ingest, and rollups kept exactly in step with the raw logs.
--
-- * Prices (per million tokens, numeric: never a binary fraction) live on models, in
--   PostgreSQL only (the balancer's snapshot does not carry them). A model is priced when
--   input_price and output_price are both set.
-- * usage_hourly / usage_daily are updated by ezapi-flusher IN THE SAME TRANSACTION as the
--   COPY of the rows and the queue position (workers/flusher/pg_sink.cpp), so they can never
--   disagree with the raw logs; `ezapi-ctl usage rebuild` re-derives them with the same
--   aggregation (workers/usage/rollup_sql.cpp generates both statements).
-- * Latency histogram: lat_hNN counts requests with width_bucket(latency_ms, bounds) = NN,
--   bounds (ms) = [5, 10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000] (workers/usage/rollup_sql.h kLatencyBounds: keep in step).
-- * logs gets an id (keyset pagination on (ts, id) for GET /admin/logs). Adding a column
--   with a volatile default rewrites the existing partitions once.

ALTER TABLE models
  ADD COLUMN input_price       numeric CHECK (input_price >= 0),
  ADD COLUMN output_price      numeric CHECK (output_price >= 0),
  ADD COLUMN cache_read_price  numeric CHECK (cache_read_price >= 0),
  ADD COLUMN currency          text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$');

CREATE SEQUENCE logs_id_seq CACHE 1000;
ALTER TABLE logs ADD COLUMN id bigint NOT NULL DEFAULT nextval('logs_id_seq');
ALTER SEQUENCE logs_id_seq OWNED BY logs.id;

CREATE TABLE usage_hourly (
  bucket              timestamptz NOT NULL,  -- start of the hour (UTC)
  master_id           bigint,
  key_id              bigint,
  model               text,
  provider_id         bigint,
  status_class        smallint NOT NULL,     -- status_code / 100 (2 = 2xx ...); 0 = no status
  requests            bigint NOT NULL DEFAULT 0,
  errors              bigint NOT NULL DEFAULT 0,  -- status_code >= 400
  unpriced            bigint NOT NULL DEFAULT 0,  -- cost IS NULL
  prompt_tokens       numeric NOT NULL DEFAULT 0,
  completion_tokens   numeric NOT NULL DEFAULT 0,
  total_tokens        numeric NOT NULL DEFAULT 0,
  cost                numeric NOT NULL DEFAULT 0, -- sum over the priced requests
  latency_count       bigint NOT NULL DEFAULT 0,  -- requests with a latency_ms
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
-- NULLS NOT DISTINCT: an entry without a key (or model...) is one group, and the
-- flusher's ON CONFLICT finds it.
CREATE UNIQUE INDEX usage_hourly_group_idx ON usage_hourly
  (bucket, master_id, key_id, model, provider_id, status_class) NULLS NOT DISTINCT;
CREATE INDEX usage_hourly_master_idx ON usage_hourly (master_id, bucket);
CREATE INDEX usage_hourly_key_idx ON usage_hourly (key_id, bucket);

CREATE TABLE usage_daily (
  bucket              timestamptz NOT NULL,  -- start of the day (00:00 UTC) (UTC)
  master_id           bigint,
  key_id              bigint,
  model               text,
  provider_id         bigint,
  status_class        smallint NOT NULL,     -- status_code / 100 (2 = 2xx ...); 0 = no status
  requests            bigint NOT NULL DEFAULT 0,
  errors              bigint NOT NULL DEFAULT 0,  -- status_code >= 400
  unpriced            bigint NOT NULL DEFAULT 0,  -- cost IS NULL
  prompt_tokens       numeric NOT NULL DEFAULT 0,
  completion_tokens   numeric NOT NULL DEFAULT 0,
  total_tokens        numeric NOT NULL DEFAULT 0,
  cost                numeric NOT NULL DEFAULT 0, -- sum over the priced requests
  latency_count       bigint NOT NULL DEFAULT 0,  -- requests with a latency_ms
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
-- NULLS NOT DISTINCT: an entry without a key (or model...) is one group, and the
-- flusher's ON CONFLICT finds it.
CREATE UNIQUE INDEX usage_daily_group_idx ON usage_daily
  (bucket, master_id, key_id, model, provider_id, status_class) NULLS NOT DISTINCT;
CREATE INDEX usage_daily_master_idx ON usage_daily (master_id, bucket);
CREATE INDEX usage_daily_key_idx ON usage_daily (key_id, bucket);

-- Serializes `ezapi-ctl usage rebuild` (exclusive) against flusher batches (shared).
CREATE FUNCTION ez_usage_lock_key() RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT 7305921466370412011::bigint $$;

-- Rollup retention (log.rollup_retention_days), separate from the raw logs'.
CREATE FUNCTION ez_usage_drop_old(retention_days integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  cutoff  timestamptz := ((now() AT TIME ZONE 'UTC')::date - retention_days)::timestamp AT TIME ZONE 'UTC';
  n1      bigint;
  n2      bigint;
BEGIN
  IF retention_days < 1 THEN
    RAISE EXCEPTION 'retention_days must be >= 1';
  END IF;
  DELETE FROM usage_hourly WHERE bucket < cutoff;
  GET DIAGNOSTICS n1 = ROW_COUNT;
  DELETE FROM usage_daily WHERE bucket < cutoff;
  GET DIAGNOSTICS n2 = ROW_COUNT;
  RETURN n1 + n2;
END $$;
