-- Source of truth for the management API. Constraints make bad states
-- impossible even if a handler forgets a check: unique names, foreign keys,
-- enum CHECKs and non-negative limits.

CREATE TABLE provider_groups (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO provider_groups (name) VALUES ('default');

CREATE TABLE providers (
  id               bigserial PRIMARY KEY,
  name             text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 256),
  type             text NOT NULL CHECK (type IN ('openai', 'compatible', 'anthropic', 'claude',
                     'claude-code', 'codex', 'gemini-cli', 'antigravity', 'gemini', 'google',
                     'aistudio', 'vertex', 'vertex-express', 'custom')),
  base_url         text NOT NULL DEFAULT '',
  -- The upstream credential: the balancer needs it in clear to call the provider.
  api_key          text NOT NULL DEFAULT '',
  google_project   text NOT NULL DEFAULT '',
  google_location  text NOT NULL DEFAULT '',
  group_id         bigint NOT NULL REFERENCES provider_groups(id),
  models           text[] NOT NULL DEFAULT '{}',
  weight           integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
  priority         integer NOT NULL DEFAULT 0,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  auto_ban         boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX providers_group_idx ON providers (group_id);

CREATE TABLE masters (
  id                 bigserial PRIMARY KEY,
  name               text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 256),
  group_name         text NOT NULL DEFAULT 'default',
  namespaces         text[] NOT NULL DEFAULT '{}',
  default_namespace  text NOT NULL DEFAULT '',
  max_child_keys     integer NOT NULL DEFAULT 100 CHECK (max_child_keys >= 0),
  global_qps         integer NOT NULL DEFAULT 0 CHECK (global_qps >= 0),
  status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  -- Bumped whenever the master's keys must be re-validated by the balancer
  -- (suspension, namespace change): key snapshots carry the epoch they saw.
  epoch              bigint NOT NULL DEFAULT 1 CHECK (epoch >= 1),
  -- Only sha256(master key) in lowercase hex and a short display prefix.
  key_hash           text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  key_prefix         text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE keys (
  id            bigserial PRIMARY KEY,
  master_id     bigint NOT NULL REFERENCES masters(id) ON DELETE CASCADE,
  name          text NOT NULL DEFAULT '' CHECK (length(name) <= 256),
  group_name    text NOT NULL DEFAULT '',
  namespaces    text[] NOT NULL DEFAULT '{}',
  scopes        text[] NOT NULL DEFAULT '{}',
  model_limits  jsonb NOT NULL DEFAULT '{}',
  allow_ips     text[] NOT NULL DEFAULT '{}',
  expires_at    timestamptz,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  issued_by     text NOT NULL CHECK (issued_by IN ('admin', 'master')),
  -- sha256(token) in lowercase hex: the cross-service contract with the balancer.
  token_hash    text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  token_prefix  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX keys_master_idx ON keys (master_id, id);

CREATE TABLE models (
  id                    bigserial PRIMARY KEY,
  -- namespace.public_model
  name                  text NOT NULL UNIQUE CHECK (name ~ '^[^.]+\..+$' AND length(name) <= 256),
  kind                  text NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'embedding', 'rerank', 'other')),
  context_window        integer NOT NULL DEFAULT 0 CHECK (context_window >= 0),
  cost_per_token        double precision NOT NULL DEFAULT 0 CHECK (cost_per_token >= 0),
  supports_vision       boolean NOT NULL DEFAULT false,
  supports_functions    boolean NOT NULL DEFAULT false,
  supports_tool_choice  boolean NOT NULL DEFAULT false,
  supports_fim          boolean NOT NULL DEFAULT false,
  supports_stream       boolean NOT NULL DEFAULT true,
  max_output_tokens     integer NOT NULL DEFAULT 0 CHECK (max_output_tokens >= 0),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bindings (
  id              bigserial PRIMARY KEY,
  namespace       text NOT NULL CHECK (length(namespace) BETWEEN 1 AND 128 AND position('.' in namespace) = 0),
  public_model    text NOT NULL CHECK (length(public_model) BETWEEN 1 AND 256),
  -- Name of the candidate provider group.
  route_group     text NOT NULL CHECK (length(route_group) BETWEEN 1 AND 128),
  selector_type   text NOT NULL DEFAULT 'exact' CHECK (selector_type IN ('exact', 'regex', 'normalize_exact')),
  selector_value  text NOT NULL DEFAULT '',
  weight          integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (namespace, public_model, route_group)
);

-- Feature flags live here so a Redis wipe never loses them.
CREATE TABLE feature_flags (
  name        text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 128),
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every admin or master write: who, what, before/after (secrets masked).
CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL,       -- create, update, delete, rotate, ...
  resource     text NOT NULL,       -- provider, master, key, model, binding, feature
  resource_id  text NOT NULL DEFAULT '',
  before       jsonb,
  after        jsonb,
  request_id   text NOT NULL DEFAULT ''
);
CREATE INDEX audit_resource_idx ON audit_log (resource, id);
CREATE INDEX audit_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_at_idx ON audit_log (at);
