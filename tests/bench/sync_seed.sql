-- Bench data for tests/bench/sync.sh: 10k providers in 100 groups, 1k masters,
-- 1M keys, 10k models, 10k bindings. Idempotent: skips when already loaded.
\set ON_ERROR_STOP on
SELECT count(*) > 0 AS have FROM keys WHERE name LIKE 'bench-%' \gset
\if :have
  \echo bench data already present
\else
BEGIN;
INSERT INTO provider_groups (name) SELECT 'bench-g' || i FROM generate_series(1, 100) i;
INSERT INTO providers (name, type, base_url, api_key, group_id, models)
SELECT 'bench-p' || i, 'openai', 'https://upstream-' || i || '.invalid/v1', 'sk-' || md5(i::text),
       g.id, ARRAY['model-' || (i % 10000), 'vendor/Model-' || ((i + 1) % 10000)]
FROM generate_series(1, 10000) i
JOIN provider_groups g ON g.name = 'bench-g' || (1 + i % 100);
INSERT INTO masters (name, group_name, namespaces, default_namespace, key_hash, key_prefix)
SELECT 'bench-m' || i, 'bench-g' || (1 + i % 100), ARRAY['bench'], 'bench',
       encode(sha256(('bench-master-' || i)::bytea), 'hex'), 'ezm_' || i
FROM generate_series(1, 1000) i;
INSERT INTO keys (master_id, name, namespaces, scopes, model_rate_limits, allow_ips, expires_at,
                  issued_by, token_hash, key_prefix)
SELECT m.id, 'bench-' || i, '{}', ARRAY['chat'], '{"bench.model-1": {"rpm": 60}}',
       CASE WHEN i % 10 = 0 THEN ARRAY['10.0.0.0/8'] ELSE '{}' END,
       CASE WHEN i % 7 = 0 THEN now() + interval '30 days' END,
       'master', encode(sha256(('bench-key-' || i)::bytea), 'hex'), 'ezk_' || i
FROM generate_series(1, 1000000) i
JOIN masters m ON m.name = 'bench-m' || (1 + i % 1000);
INSERT INTO models (name, kind, context_window, supports_functions, max_output_tokens)
SELECT 'bench.model-' || i, 'chat', 128000, true, 8192 FROM generate_series(1, 10000) i;
INSERT INTO bindings (namespace, public_model, route_group, selector_type)
SELECT 'bench', 'model-' || i, 'bench-g' || (1 + i % 100),
       CASE i % 3 WHEN 0 THEN 'exact' WHEN 1 THEN 'normalize_exact' ELSE 'regex' END
FROM generate_series(1, 10000) i;
-- The seed is bulk data, not admin writes: nothing for the outbox to replay.
DELETE FROM sync_outbox;
COMMIT;
ANALYZE;
\endif
