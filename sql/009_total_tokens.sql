-- total_tokens when an entry did not say: prompt_tokens + completion_tokens (an absent count
-- is 0). POST /logs fills it in from this version on; entries stored before counted 0 in the
-- rollups (a dashboard showed 258.1k total beside 471k in and 387k out).
--
-- This corrects what the raw logs still hold (log.retention_days): each rollup row gets the
-- missing sum of its raw rows added, then the raw rows get their total, in one transaction
-- under the usage lock taken exclusively, so no flusher batch lands in between. Buckets older
-- than the raw logs have nothing to correct them from and stay as they are.

SELECT pg_advisory_xact_lock(ez_usage_lock_key());

CREATE TEMPORARY TABLE missing_total ON COMMIT DROP AS
  SELECT ts, master_id, key_id, model, provider_id,
         coalesce(status_code / 100, 0)::smallint AS status_class,
         coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) AS total
  FROM logs
  WHERE total_tokens IS NULL AND (prompt_tokens IS NOT NULL OR completion_tokens IS NOT NULL);

-- Buckets as the flusher bins them (date_bin from 2000-01-01 UTC: no session time zone).
UPDATE usage_hourly u SET total_tokens = u.total_tokens + d.total
FROM (SELECT date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS bucket, master_id,
             key_id, model, provider_id, status_class, sum(total) AS total
      FROM missing_total GROUP BY 1, 2, 3, 4, 5, 6) d
WHERE u.bucket = d.bucket AND u.master_id IS NOT DISTINCT FROM d.master_id
  AND u.key_id IS NOT DISTINCT FROM d.key_id AND u.model IS NOT DISTINCT FROM d.model
  AND u.provider_id IS NOT DISTINCT FROM d.provider_id AND u.status_class = d.status_class;

UPDATE usage_daily u SET total_tokens = u.total_tokens + d.total
FROM (SELECT date_bin('1 day', ts, timestamptz '2000-01-01 00:00:00+00') AS bucket, master_id,
             key_id, model, provider_id, status_class, sum(total) AS total
      FROM missing_total GROUP BY 1, 2, 3, 4, 5, 6) d
WHERE u.bucket = d.bucket AND u.master_id IS NOT DISTINCT FROM d.master_id
  AND u.key_id IS NOT DISTINCT FROM d.key_id AND u.model IS NOT DISTINCT FROM d.model
  AND u.provider_id IS NOT DISTINCT FROM d.provider_id AND u.status_class = d.status_class;

UPDATE usage_master_hourly u SET total_tokens = u.total_tokens + d.total
FROM (SELECT date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS bucket, master_id,
             sum(total) AS total
      FROM missing_total GROUP BY 1, 2) d
WHERE u.bucket = d.bucket AND u.master_id IS NOT DISTINCT FROM d.master_id;

UPDATE usage_master_daily u SET total_tokens = u.total_tokens + d.total
FROM (SELECT date_bin('1 day', ts, timestamptz '2000-01-01 00:00:00+00') AS bucket, master_id,
             sum(total) AS total
      FROM missing_total GROUP BY 1, 2) d
WHERE u.bucket = d.bucket AND u.master_id IS NOT DISTINCT FROM d.master_id;

UPDATE logs SET total_tokens = coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0)
WHERE total_tokens IS NULL AND (prompt_tokens IS NOT NULL OR completion_tokens IS NOT NULL);
