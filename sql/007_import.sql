-- Import from the New API exporter (issue 13): where each imported row came
-- from, so a second import of the same file finds its rows again, and the key
-- fields New API has that the control plane lacked (quotas, why a key is off).

-- import_ref: "<source type>:<id in the source>" (a provider split from a
-- multi-key channel adds ":<index>"); NULL for rows made through the API.
-- import_fingerprint: sha256 of the values the last import wrote, so a
-- re-import skips rows whose exported values did not change (local edits to
-- them are kept) and updates the others.
ALTER TABLE providers
  ADD COLUMN import_ref text UNIQUE,
  ADD COLUMN import_fingerprint text;
ALTER TABLE masters
  ADD COLUMN import_ref text UNIQUE,
  ADD COLUMN import_fingerprint text;
ALTER TABLE keys
  ADD COLUMN import_ref text UNIQUE,
  ADD COLUMN import_fingerprint text,
  -- Why a key is disabled when the API did not do it: 'expired', 'exhausted'
  -- (New API token states) or 'no_plaintext' (the export had no token).
  ADD COLUMN status_reason text NOT NULL DEFAULT '' CHECK (length(status_reason) <= 64),
  -- Quota in the source system's units; unlimited_quota = true ignores the two numbers.
  ADD COLUMN quota_limit bigint NOT NULL DEFAULT 0 CHECK (quota_limit >= 0),
  ADD COLUMN quota_used bigint NOT NULL DEFAULT 0 CHECK (quota_used >= 0),
  ADD COLUMN unlimited_quota boolean NOT NULL DEFAULT true;
