-- Keys follow the New API convention (issue 9): model_limits is the ALLOWLIST
-- of models a key may call, switched on by model_limits_enabled; the per-model
-- RPM/TPM map that model_limits held until now becomes model_rate_limits.

ALTER TABLE keys RENAME COLUMN model_limits TO model_rate_limits;
ALTER TABLE keys
  ADD COLUMN model_limits text[] NOT NULL DEFAULT '{}',
  ADD COLUMN model_limits_enabled boolean NOT NULL DEFAULT false;

-- Existing maps. A map "used as an allowlist" is a non-empty map none of whose
-- entries carries a limit (every value is {}, true or null): it names models
-- and nothing else, so its keys become the allowlist, switched on. Any other
-- map (at least one entry with a number) holds rate limits: it stays as it is,
-- now under model_rate_limits, and the key has no allowlist (it may call any
-- model, as before).
UPDATE keys
SET model_limits = ARRAY(SELECT jsonb_object_keys(model_rate_limits) ORDER BY 1),
    model_limits_enabled = true,
    model_rate_limits = '{}'
WHERE jsonb_typeof(model_rate_limits) = 'object'
  AND model_rate_limits <> '{}'::jsonb
  AND NOT EXISTS (SELECT 1 FROM jsonb_each(model_rate_limits) AS e(model, limits)
                  WHERE e.limits NOT IN ('{}'::jsonb, 'true'::jsonb, 'null'::jsonb));
UPDATE keys SET model_rate_limits = '{}' WHERE jsonb_typeof(model_rate_limits) <> 'object';
ALTER TABLE keys
  ADD CONSTRAINT keys_model_rate_limits_object CHECK (jsonb_typeof(model_rate_limits) = 'object'),
  ADD CONSTRAINT keys_model_limits_size CHECK (cardinality(model_limits) <= 1024);

-- Selector values are compared trimmed by the balancer (Go's strings.TrimSpace);
-- the API now stores them trimmed, and so are the rows written before.
UPDATE bindings
SET selector_value = btrim(selector_value, E' \t\n\r\f\u000b\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000')
WHERE selector_value <> btrim(selector_value, E' \t\n\r\f\u000b\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000');

-- The key snapshots in Redis change shape: raising pushed_version above what
-- Redis holds makes the syncer rebuild every Redis key once (the same path as
-- after a Redis data loss), so no balancer reads a map where a list is due.
UPDATE sync_state SET pushed_version = nextval('sync_version_seq');
