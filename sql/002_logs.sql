-- Access logs from the balancer (POST /logs -> shared-memory queue -> ezapi-flusher -> COPY).
--
-- Partitioned by day (UTC) so retention is a DROP of whole partitions, never a long DELETE.
-- The flusher calls ez_logs_ensure_partitions() at start and hourly, and
-- ez_logs_drop_partitions(log.retention_days). Rows whose day has no partition (far past or
-- future timestamps) land in logs_default instead of failing the batch.
--
-- No CHECK constraints on purpose: the workers validate every field before an entry is
-- queued, and a row PostgreSQL rejected would hold up the queue behind it. (Should one get
-- through anyway, the flusher moves it to logs_rejected and carries on.)
-- Depends on nothing in 001_schema.sql.

CREATE TABLE logs (
  ts                 timestamptz NOT NULL,  -- event time (entry's timestamp, else arrival)
  received_at        timestamptz NOT NULL,  -- when a worker accepted it
  request_id         text NOT NULL,
  master_id          bigint,
  key_id             bigint,
  namespace          text,
  model              text,
  upstream_model     text,
  provider_id        bigint,
  provider_type      text,
  route_group        text,
  status_code        smallint,
  latency_ms         bigint,
  ttft_ms            bigint,
  prompt_tokens      bigint,
  completion_tokens  bigint,
  total_tokens       bigint,
  cost               numeric,
  client_ip          text,
  stream             boolean,
  error_type         text,
  error_message      text,
  extra              jsonb                  -- fields the schema does not know (yet)
) PARTITION BY RANGE (ts);

CREATE INDEX logs_ts_idx ON logs (ts);
CREATE INDEX logs_master_ts_idx ON logs (master_id, ts);
CREATE INDEX logs_key_ts_idx ON logs (key_id, ts);
CREATE INDEX logs_model_ts_idx ON logs (model, ts);
CREATE INDEX logs_request_id_idx ON logs (request_id);

CREATE TABLE logs_default PARTITION OF logs DEFAULT;

-- Exactly-once: the flusher writes a batch and moves committed_seq forward in the SAME
-- transaction, and after a restart skips queue entries with a sequence <= committed_seq.
-- One row per queue (ring_id is random per shared-memory segment), so several control-plane
-- hosts can share this database, and a re-created queue starts afresh.
CREATE TABLE log_flusher_state (
  ring_id        bigint PRIMARY KEY,
  committed_seq  bigint NOT NULL DEFAULT 0,
  host           text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Entries PostgreSQL refused (a validation bug would otherwise block the queue forever).
CREATE TABLE logs_rejected (
  ring_id      bigint NOT NULL,
  seq          bigint NOT NULL,
  raw          bytea NOT NULL,   -- the queue encoding (workers/logq/entry.h)
  error        text NOT NULL,
  rejected_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ring_id, seq)
);

-- Creates the day partitions from today - days_back to today + days_ahead (UTC) that do not
-- exist yet; returns how many it created. Rows already parked in logs_default for such a day
-- are moved into the new partition. Safe to call concurrently (advisory lock).
CREATE FUNCTION ez_logs_ensure_partitions(days_ahead integer, days_back integer DEFAULT 1)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  today  date := (now() AT TIME ZONE 'UTC')::date;
  d      date;
  part   text;
  lo     timestamptz;
  hi     timestamptz;
  made   integer := 0;
BEGIN
  IF days_ahead < 0 OR days_back < 0 THEN
    RAISE EXCEPTION 'days_ahead and days_back must be >= 0';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('ez_logs_partitions'));
  FOR d IN SELECT generate_series(today - days_back, today + days_ahead, interval '1 day')::date
  LOOP
    part := 'logs_p' || to_char(d, 'YYYYMMDD');
    CONTINUE WHEN to_regclass(quote_ident(part)) IS NOT NULL;
    lo := d::timestamp AT TIME ZONE 'UTC';
    hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
    IF EXISTS (SELECT 1 FROM logs_default WHERE ts >= lo AND ts < hi) THEN
      EXECUTE format('CREATE TABLE %I (LIKE logs INCLUDING DEFAULTS)', part);
      EXECUTE format('WITH moved AS (DELETE FROM logs_default WHERE ts >= %L AND ts < %L '
                     'RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, part);
      EXECUTE format('ALTER TABLE logs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                     part, lo, hi);
    ELSE
      EXECUTE format('CREATE TABLE %I PARTITION OF logs FOR VALUES FROM (%L) TO (%L)',
                     part, lo, hi);
    END IF;
    made := made + 1;
  END LOOP;
  RETURN made;
END $$;

-- Drops the day partitions entirely older than retention_days days before today (UTC) and
-- deletes such rows from logs_default; returns how many partitions it dropped.
CREATE FUNCTION ez_logs_drop_partitions(retention_days integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  cutoff   date := (now() AT TIME ZONE 'UTC')::date - retention_days;
  part     record;
  dropped  integer := 0;
BEGIN
  IF retention_days < 1 THEN
    RAISE EXCEPTION 'retention_days must be >= 1';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('ez_logs_partitions'));
  FOR part IN
    SELECT c.relname
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'logs'::regclass AND c.relname ~ '^logs_p[0-9]{8}$'
  LOOP
    IF to_date(substr(part.relname, 7), 'YYYYMMDD') < cutoff THEN
      EXECUTE format('DROP TABLE %I', part.relname);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  DELETE FROM logs_default WHERE ts < cutoff::timestamp AT TIME ZONE 'UTC';
  RETURN dropped;
END $$;

SELECT ez_logs_ensure_partitions(3, 1);
