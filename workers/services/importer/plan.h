// The import plan: what an import of a parsed export file would create, update
// or skip, given what PostgreSQL already holds. Pure (tests/unit/services/importer/): the
// database side loads `Existing` and applies the plan (importer/store.h).
//
// Identity: providers by original_id (+ multi_key_index from the second key of a
// multi-key channel on), masters by _source_user_id, keys by _original_id, each
// as "<source.type>:<id>" in the row's import_ref column; bindings by their
// natural key (namespace, public_model, route_group).
// A row whose exported values did not change since the last import (same
// fingerprint) is skipped, so importing one file twice changes nothing and local
// edits to unchanged rows survive a re-import; a changed row is updated.
// An import never deletes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "db/bindings_repo.h"
#include "db/masters_repo.h"
#include "db/providers_repo.h"
#include "domain/key_rules.h"
#include "importer/export_file.h"

namespace ez::importer {

enum class Action { create, update, skip };

struct ExistingRef {
  int64_t id = 0;
  std::string fingerprint;
};

struct ExistingBinding {
  int64_t id = 0;
  std::string selector_type, selector_value, status;
};

// "namespace\x1fpublic_model\x1froute_group"
[[nodiscard]] std::string binding_identity(const db::BindingValues& v);

struct Existing {
  std::unordered_map<std::string, ExistingRef> providers, masters, keys;  // by import_ref
  std::unordered_map<std::string, int64_t> provider_names;    // name -> id, every provider
  std::unordered_map<std::string, int64_t> master_names;      // name -> id, every master
  std::unordered_map<std::string, int64_t> key_hashes;        // token hashes of the file -> key id
  std::unordered_map<std::string, ExistingBinding> bindings;  // by binding_identity
};

// A key as the import writes it.
struct KeyImportValues {
  std::string name;
  std::string group;
  std::vector<std::string> namespaces;
  std::vector<std::string> scopes;
  bool model_limits_enabled = false;
  std::vector<std::string> model_limits;  // allowlist of model names
  std::vector<std::string> allow_ips;
  std::optional<std::string> expires_at;
  std::string status = "active";
  std::string status_reason;  // expired | exhausted | no_plaintext | ""
  int64_t quota_limit = 0;
  int64_t quota_used = 0;
  bool unlimited_quota = true;
};

struct PlannedProvider {
  Action action = Action::create;
  int64_t id = 0;  // update/skip
  std::string ref, fingerprint;
  db::ProviderValues values;
};

struct PlannedMaster {
  Action action = Action::create;
  int64_t id = 0;
  std::string ref, fingerprint;
  std::string key_hash, key_prefix;  // create only: a new master key (not revealed)
  db::MasterValues values;
};

struct PlannedKey {
  Action action = Action::create;
  int64_t id = 0;
  std::string ref, fingerprint;
  std::string master_ref;  // the master's import_ref
  // sha256 of the token and its display prefix; empty on an update of a key
  // without plaintext (the stored hash is kept).
  std::string token_hash, key_prefix;
  KeyImportValues values;
};

struct PlannedBinding {
  Action action = Action::create;
  int64_t id = 0;
  db::BindingValues values;
};

struct Counts {
  size_t created = 0, updated = 0, skipped = 0;
  void add(Action a) {
    ++(a == Action::create ? created : a == Action::update ? updated : skipped);
  }
};

struct Plan {
  std::vector<PlannedProvider> providers;
  std::vector<PlannedMaster> masters;
  std::vector<PlannedKey> keys;
  std::vector<PlannedBinding> bindings;
  std::vector<std::string> provider_groups;  // every group a provider names
  std::map<std::string, Counts> counts;      // "providers", "masters", "keys", "bindings"
  std::vector<std::string> warnings;         // the import's own (capped, see warning_count)
  size_t warning_count = 0;
  [[nodiscard]] bool changes_nothing() const;
};

// Quota fields of a key from New API's: the exporter writes the token's
// remaining quota as quota_limit (-1 or unlimited_quota: no limit) and what it
// used as quota_used. The key keeps the same remaining amount:
// quota_limit = remaining + used.
void convert_quota(const ImportedKey& k, KeyImportValues& v);

using SecretMaker = std::function<domain::IssuedSecret()>;

// Throws Error naming the file path of the first conflict (duplicate
// identity or name in the file, a name or token already used by a row this
// source did not import, a key whose master_ref names no master of the file).
// `new_master_secret` gives each new master its key; `new_client_secret` gives a
// new key without plaintext in the export a random token (never shown: the key
// is disabled until an admin rotates it).
[[nodiscard]] Plan make_plan(const ExportFile& file, const Existing& existing,
                             const SecretMaker& new_master_secret,
                             const SecretMaker& new_client_secret = domain::new_client_key,
                             size_t max_warnings = 200);

// make_plan for a file that is not needed afterwards (the import service): the
// records' values are moved into the plan and data.masters and data.keys are
// emptied once planned, so a 200k-key import holds its keys once, not twice
// (docs/benchmarks.md, peak RSS). The same decisions and errors as make_plan.
[[nodiscard]] Plan take_plan(ExportFile& file, const Existing& existing,
                             const SecretMaker& new_master_secret,
                             const SecretMaker& new_client_secret = domain::new_client_key,
                             size_t max_warnings = 200);

}  // namespace ez::importer
