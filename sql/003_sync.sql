-- Snapshot sync: the outbox that makes a Redis push survive a Redis outage, and
-- the version counter shared by every control-plane host.

-- One row per change, written in the same transaction as the change itself
-- (snapshot::record_change, or the triggers below). The pusher re-reads the
-- current rows when it pushes, so a row only says WHAT to look at again.
CREATE TABLE sync_outbox (
  id           bigserial PRIMARY KEY,
  resource     text NOT NULL CHECK (resource IN ('provider', 'master', 'key', 'model', 'binding', 'feature')),
  resource_id  text NOT NULL,
  -- The identity the row had before the change, when that identity is a Redis
  -- field that must be removed: a key's old token hash, a model's old name, a
  -- binding's old namespace.public_model, a provider's old group id (whose
  -- bindings must be recomputed). Empty when nothing must be removed.
  old_field    text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Every push and every resync takes the next value: versions only go up, also
-- with several hosts on one database.
CREATE SEQUENCE sync_version_seq;

-- The highest version that reached Redis (written after a successful push, in
-- the pusher's transaction). Redis holding less than this, or no
-- meta:snapshot at all, means Redis lost data (restart, FLUSHALL): resync.
CREATE TABLE sync_state (
  singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  pushed_version  bigint NOT NULL DEFAULT 0,
  resynced_at     timestamptz
);
INSERT INTO sync_state DEFAULT VALUES;

-- Old identities are captured by triggers, not by the handlers: only the row
-- trigger sees OLD, and ON DELETE CASCADE (a master's keys) runs no handler code.
CREATE FUNCTION sync_record_old_identity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  res text;
  old_identity text;
  new_identity text;
BEGIN
  IF TG_TABLE_NAME = 'keys' THEN
    res := 'key';
    old_identity := OLD.token_hash;
    IF TG_OP = 'UPDATE' THEN new_identity := NEW.token_hash; END IF;
  ELSIF TG_TABLE_NAME = 'models' THEN
    res := 'model';
    old_identity := OLD.name;
    IF TG_OP = 'UPDATE' THEN new_identity := NEW.name; END IF;
  ELSIF TG_TABLE_NAME = 'bindings' THEN
    res := 'binding';
    old_identity := OLD.namespace || '.' || OLD.public_model;
    IF TG_OP = 'UPDATE' THEN new_identity := NEW.namespace || '.' || NEW.public_model; END IF;
  ELSIF TG_TABLE_NAME = 'providers' THEN
    res := 'provider';
    old_identity := OLD.group_id::text;
    IF TG_OP = 'UPDATE' THEN new_identity := NEW.group_id::text; END IF;
  ELSE
    RAISE EXCEPTION 'sync_record_old_identity: unexpected table %', TG_TABLE_NAME;
  END IF;
  IF TG_OP = 'DELETE' OR old_identity IS DISTINCT FROM new_identity THEN
    INSERT INTO sync_outbox (resource, resource_id, old_field) VALUES (res, OLD.id::text, old_identity);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER keys_sync_old AFTER UPDATE OF token_hash OR DELETE ON keys
  FOR EACH ROW EXECUTE FUNCTION sync_record_old_identity();
CREATE TRIGGER models_sync_old AFTER UPDATE OF name OR DELETE ON models
  FOR EACH ROW EXECUTE FUNCTION sync_record_old_identity();
CREATE TRIGGER bindings_sync_old AFTER UPDATE OF namespace, public_model OR DELETE ON bindings
  FOR EACH ROW EXECUTE FUNCTION sync_record_old_identity();
CREATE TRIGGER providers_sync_old AFTER UPDATE OF group_id OR DELETE ON providers
  FOR EACH ROW EXECUTE FUNCTION sync_record_old_identity();
