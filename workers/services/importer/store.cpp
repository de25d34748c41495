#include "importer/store.h"

#include <algorithm>
#include <stdexcept>

#include "common/json_text.h"
#include "db/pg.h"

namespace ez::importer {

namespace {

// jsonb array parameter -> text[], order kept (as db/json_columns.h, on a record column).
#define EZ_IMPORT_ARRAY(col) \
  "ARRAY(SELECT e FROM jsonb_array_elements_text(" col ") WITH ORDINALITY AS x(e, i) ORDER BY i)"

const db::Statement kLock{"import_lock", "SELECT pg_advisory_xact_lock(6969727370)"};  // "import"

const db::Statement kProviders{
    "import_existing_providers",
    "SELECT id, name, coalesce(import_ref, ''), coalesce(import_fingerprint, '') FROM providers"};
const db::Statement kMasters{
    "import_existing_masters",
    "SELECT id, name, coalesce(import_ref, ''), coalesce(import_fingerprint, '') FROM masters"};
// Only this source's keys: a table with millions of API-issued keys is not read.
const db::Statement kKeys{"import_existing_keys",
                          "SELECT id, import_ref, coalesce(import_fingerprint, '') FROM keys "
                          "WHERE import_ref LIKE $1 || ':%'"};
const db::Statement kKeyHashes{
    "import_key_hashes",
    "SELECT k.id, k.token_hash FROM keys k "
    "JOIN jsonb_array_elements_text($1::jsonb) AS h(hash) ON k.token_hash = h.hash"};
const db::Statement kBindings{
    "import_existing_bindings",
    "SELECT id, namespace, public_model, route_group, selector_type, selector_value, status "
    "FROM bindings"};

const db::Statement kEnsureGroups{"import_ensure_groups",
                                  "INSERT INTO provider_groups (name) "
                                  "SELECT jsonb_array_elements_text($1::jsonb) "
                                  "ON CONFLICT (name) DO NOTHING"};

#define EZ_PROVIDER_RECORD                                                                        \
  "jsonb_to_recordset($1::jsonb) AS t(id bigint, name text, type text, base_url text, "           \
  "api_key text, google_project text, google_location text, grp text, models jsonb, weight int, " \
  "priority int, status text, auto_ban boolean, ref text, fp text)"
const db::Statement kInsertProviders{
    "import_insert_providers",
    "INSERT INTO providers (name, type, base_url, api_key, google_project, google_location, "
    "group_id, models, weight, priority, status, auto_ban, import_ref, import_fingerprint) "
    "SELECT t.name, t.type, t.base_url, t.api_key, t.google_project, t.google_location, g.id, " EZ_IMPORT_ARRAY(
        "t.models") ", t.weight, t.priority, t.status, t.auto_ban, t.ref, t.fp "
                    "FROM " EZ_PROVIDER_RECORD " JOIN provider_groups g ON g.name = t.grp "
                    "RETURNING id"};
const db::Statement kUpdateProviders{
    "import_update_providers",
    "UPDATE providers p SET name = t.name, type = t.type, base_url = t.base_url, "
    "api_key = t.api_key, google_project = t.google_project, google_location = t.google_location, "
    "group_id = g.id, models = " EZ_IMPORT_ARRAY(
        "t.models") ", weight = t.weight, priority = t.priority, "
                    "status = t.status, auto_ban = t.auto_ban, import_fingerprint = t.fp, "
                    "updated_at = now() "
                    "FROM " EZ_PROVIDER_RECORD " JOIN provider_groups g ON g.name = t.grp "
                    "WHERE p.id = t.id RETURNING p.id"};

#define EZ_MASTER_RECORD                                                                     \
  "jsonb_to_recordset($1::jsonb) AS t(id bigint, name text, grp text, namespaces jsonb, "    \
  "default_namespace text, max_child_keys int, global_qps int, status text, key_hash text, " \
  "key_prefix text, ref text, fp text)"
const db::Statement kInsertMasters{
    "import_insert_masters",
    "INSERT INTO masters (name, group_name, namespaces, default_namespace, max_child_keys, "
    "global_qps, status, key_hash, key_prefix, import_ref, import_fingerprint) "
    "SELECT t.name, t.grp, " EZ_IMPORT_ARRAY(
        "t.namespaces") ", t.default_namespace, t.max_child_keys, "
                        "t.global_qps, t.status, t.key_hash, t.key_prefix, t.ref, t.fp "
                        "FROM " EZ_MASTER_RECORD " RETURNING id"};
// The epoch goes up when the status or the set of namespaces changes (as in
// PUT /admin/masters/{id}): the balancer re-validates the master's keys.
const db::Statement kUpdateMasters{
    "import_update_masters",
    "UPDATE masters m SET name = t.name, group_name = t.grp, namespaces = n.arr, "
    "default_namespace = t.default_namespace, max_child_keys = t.max_child_keys, "
    "global_qps = t.global_qps, status = t.status, import_fingerprint = t.fp, "
    "epoch = m.epoch + CASE WHEN m.status <> t.status "
    "OR NOT (m.namespaces @> n.arr AND n.arr @> m.namespaces) THEN 1 ELSE 0 END, "
    "updated_at = now() "
    "FROM " EZ_MASTER_RECORD ", LATERAL (SELECT " EZ_IMPORT_ARRAY(
        "t.namespaces") " AS arr) n "
                        "WHERE m.id = t.id RETURNING m.id"};

#define EZ_KEY_RECORD                                                                              \
  "jsonb_to_recordset($1::jsonb) AS t(id bigint, master_ref text, name text, grp text, "           \
  "namespaces jsonb, scopes jsonb, model_limits_enabled boolean, model_limits jsonb, "             \
  "allow_ips jsonb, expires_at timestamptz, status text, status_reason text, quota_limit bigint, " \
  "quota_used bigint, unlimited_quota boolean, token_hash text, key_prefix text, ref text, "       \
  "fp text) JOIN masters m ON m.import_ref = t.master_ref"
const db::Statement kInsertKeys{
    "import_insert_keys",
    "INSERT INTO keys (master_id, name, group_name, namespaces, scopes, model_limits, "
    "model_limits_enabled, allow_ips, expires_at, status, issued_by, token_hash, key_prefix, "
    "import_ref, import_fingerprint, status_reason, quota_limit, quota_used, unlimited_quota) "
    "SELECT m.id, t.name, t.grp, "
    EZ_IMPORT_ARRAY("t.namespaces") ", "
    EZ_IMPORT_ARRAY("t.scopes") ", "
    EZ_IMPORT_ARRAY("t.model_limits") ", t.model_limits_enabled, "
    EZ_IMPORT_ARRAY("t.allow_ips") ", "
    "t.expires_at, t.status, 'admin', t.token_hash, t.key_prefix, t.ref, t.fp, "
    "t.status_reason, t.quota_limit, t.quota_used, t.unlimited_quota "
    "FROM " EZ_KEY_RECORD " RETURNING id"};
// A key without plaintext in the export keeps its stored hash (token_hash "").
const db::Statement kUpdateKeys{
    "import_update_keys",
    "UPDATE keys k SET master_id = m.id, name = t.name, group_name = t.grp, "
    "namespaces = " EZ_IMPORT_ARRAY("t.namespaces") ", "
    "scopes = " EZ_IMPORT_ARRAY("t.scopes") ", "
    "model_limits = " EZ_IMPORT_ARRAY("t.model_limits") ", "
    "model_limits_enabled = t.model_limits_enabled, "
    "allow_ips = " EZ_IMPORT_ARRAY("t.allow_ips") ", "
    "expires_at = t.expires_at, status = t.status, status_reason = t.status_reason, "
    "quota_limit = t.quota_limit, quota_used = t.quota_used, "
    "unlimited_quota = t.unlimited_quota, "
    "token_hash = coalesce(nullif(t.token_hash, ''), k.token_hash), "
    "key_prefix = CASE WHEN t.token_hash = '' THEN k.key_prefix ELSE t.key_prefix END, "
    "import_fingerprint = t.fp, updated_at = now() "
    "FROM " EZ_KEY_RECORD " WHERE k.id = t.id RETURNING k.id"};

#define EZ_BINDING_RECORD                                                                        \
  "jsonb_to_recordset($1::jsonb) AS t(id bigint, ns text, public_model text, route_group text, " \
  "selector_type text, selector_value text, status text)"
const db::Statement kInsertBindings{
    "import_insert_bindings",
    "INSERT INTO bindings (namespace, public_model, route_group, selector_type, selector_value, "
    "status) SELECT t.ns, t.public_model, t.route_group, t.selector_type, t.selector_value, "
    "t.status FROM " EZ_BINDING_RECORD " RETURNING id"};
const db::Statement kUpdateBindings{
    "import_update_bindings",
    "UPDATE bindings b SET selector_type = t.selector_type, selector_value = t.selector_value, "
    "status = t.status, updated_at = now() FROM " EZ_BINDING_RECORD
    " WHERE b.id = t.id RETURNING b.id"};

const db::Statement kOutbox{"import_outbox",
                            "INSERT INTO sync_outbox (resource, resource_id) "
                            "SELECT $1, jsonb_array_elements_text($2::jsonb)"};

#undef EZ_PROVIDER_RECORD
#undef EZ_MASTER_RECORD
#undef EZ_KEY_RECORD
#undef EZ_BINDING_RECORD
#undef EZ_IMPORT_ARRAY

Json::Value strings(const std::vector<std::string>& items) {
  Json::Value a(Json::arrayValue);
  for (const auto& i : items) a.append(i);
  return a;
}

Json::Value provider_record(const PlannedProvider& p) {
  const auto& v = p.values;
  Json::Value r(Json::objectValue);
  r["id"] = Json::Int64(p.id);
  r["name"] = v.name;
  r["type"] = v.type;
  r["base_url"] = v.base_url;
  r["api_key"] = v.api_key;
  r["google_project"] = v.google_project;
  r["google_location"] = v.google_location;
  r["grp"] = v.group;
  r["models"] = strings(v.models);
  r["weight"] = Json::Int64(v.weight);
  r["priority"] = Json::Int64(v.priority);
  r["status"] = v.status;
  r["auto_ban"] = v.auto_ban;
  r["ref"] = p.ref;
  r["fp"] = p.fingerprint;
  return r;
}

Json::Value master_record(const PlannedMaster& m) {
  const auto& v = m.values;
  Json::Value r(Json::objectValue);
  r["id"] = Json::Int64(m.id);
  r["name"] = v.name;
  r["grp"] = v.group;
  r["namespaces"] = strings(v.namespaces);
  r["default_namespace"] = v.default_namespace;
  r["max_child_keys"] = Json::Int64(v.max_child_keys);
  r["global_qps"] = Json::Int64(v.global_qps);
  r["status"] = v.status;
  r["key_hash"] = m.key_hash;
  r["key_prefix"] = m.key_prefix;
  r["ref"] = m.ref;
  r["fp"] = m.fingerprint;
  return r;
}

Json::Value key_record(const PlannedKey& k) {
  const auto& v = k.values;
  Json::Value r(Json::objectValue);
  r["id"] = Json::Int64(k.id);
  r["master_ref"] = k.master_ref;
  r["name"] = v.name;
  r["grp"] = v.group;
  r["namespaces"] = strings(v.namespaces);
  r["scopes"] = strings(v.scopes);
  r["model_limits_enabled"] = v.model_limits_enabled;
  r["model_limits"] = strings(v.model_limits);
  r["allow_ips"] = strings(v.allow_ips);
  r["expires_at"] = v.expires_at ? Json::Value(*v.expires_at) : Json::Value();
  r["status"] = v.status;
  r["status_reason"] = v.status_reason;
  r["quota_limit"] = Json::Int64(v.quota_limit);
  r["quota_used"] = Json::Int64(v.quota_used);
  r["unlimited_quota"] = v.unlimited_quota;
  r["token_hash"] = k.token_hash;
  r["key_prefix"] = k.key_prefix;
  r["ref"] = k.ref;
  r["fp"] = k.fingerprint;
  return r;
}

Json::Value binding_record(const PlannedBinding& b) {
  const auto& v = b.values;
  Json::Value r(Json::objectValue);
  r["id"] = Json::Int64(b.id);
  r["ns"] = v.ns;
  r["public_model"] = v.public_model;
  r["route_group"] = v.route_group;
  r["selector_type"] = v.selector_type;
  r["selector_value"] = v.selector_value;
  r["status"] = v.status;
  return r;
}

// Runs `stmt` on the planned rows with `action`, batch_rows at a time; returns
// the ids the statement reported (RETURNING id).
template <typename Planned, typename ToRecord>
Json::Value write(pqxx::transaction_base& tx, const std::vector<Planned>& rows, Action action,
                  const db::Statement& stmt, ToRecord to_record, size_t batch_rows) {
  Json::Value ids(Json::arrayValue);
  Json::Value batch(Json::arrayValue);
  size_t planned = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    for (const auto& r : tx.exec_prepared(stmt.name(), to_json(batch)))
      ids.append(r[0].as<std::string>());
    batch = Json::Value(Json::arrayValue);
  };
  for (const auto& row : rows) {
    if (row.action != action) continue;
    ++planned;
    batch.append(to_record(row));
    if (batch.size() >= batch_rows) flush();
  }
  flush();
  // A row a join dropped (a key whose master is missing) must not pass silently:
  // throwing rolls the whole import back.
  if (ids.size() != planned)
    throw std::logic_error(std::string(stmt.name()) + " wrote " + std::to_string(ids.size()) +
                           " of " + std::to_string(planned) + " rows");
  return ids;
}

void outbox(pqxx::transaction_base& tx, const char* resource, const Json::Value& ids) {
  if (!ids.empty()) tx.exec_prepared0(kOutbox.name(), resource, to_json(ids));
}

}  // namespace

void lock_imports(pqxx::transaction_base& tx) {
  tx.exec_prepared(kLock.name());
}

Existing load_existing(pqxx::transaction_base& tx, const ExportFile& file) {
  Existing e;
  const std::string prefix = file.source.type + ":";
  for (const auto& r : tx.exec_prepared(kProviders.name())) {
    const int64_t id = r[0].as<int64_t>();
    e.provider_names.emplace(r[1].as<std::string>(), id);
    std::string ref = r[2].as<std::string>();
    if (ref.rfind(prefix, 0) == 0)
      e.providers.emplace(std::move(ref), ExistingRef{id, r[3].as<std::string>()});
  }
  for (const auto& r : tx.exec_prepared(kMasters.name())) {
    const int64_t id = r[0].as<int64_t>();
    e.master_names.emplace(r[1].as<std::string>(), id);
    std::string ref = r[2].as<std::string>();
    if (ref.rfind(prefix, 0) == 0)
      e.masters.emplace(std::move(ref), ExistingRef{id, r[3].as<std::string>()});
  }
  for (const auto& r : tx.exec_prepared(kKeys.name(), file.source.type)) {
    std::string ref = r[1].as<std::string>();
    // LIKE treats '_' in the source type as a wildcard: keep exact prefixes only.
    if (ref.rfind(prefix, 0) == 0)
      e.keys.emplace(std::move(ref), ExistingRef{r[0].as<int64_t>(), r[2].as<std::string>()});
  }
  Json::Value hashes(Json::arrayValue);
  auto lookup = [&] {
    if (hashes.empty()) return;
    for (const auto& r : tx.exec_prepared(kKeyHashes.name(), to_json(hashes)))
      e.key_hashes.emplace(r[1].as<std::string>(), r[0].as<int64_t>());
    hashes = Json::Value(Json::arrayValue);
  };
  for (const auto& k : file.keys) {
    if (k.token_hash.empty()) continue;
    hashes.append(k.token_hash);
    if (hashes.size() >= 20000) lookup();
  }
  lookup();
  for (const auto& r : tx.exec_prepared(kBindings.name())) {
    db::BindingValues v;
    v.ns = r[1].as<std::string>();
    v.public_model = r[2].as<std::string>();
    v.route_group = r[3].as<std::string>();
    e.bindings.emplace(binding_identity(v),
                       ExistingBinding{r[0].as<int64_t>(), r[4].as<std::string>(),
                                       r[5].as<std::string>(), r[6].as<std::string>()});
  }
  return e;
}

void apply_plan(pqxx::transaction_base& tx, const Plan& plan, size_t batch_rows) {
  if (!plan.provider_groups.empty())
    tx.exec_prepared0(kEnsureGroups.name(), to_json(strings(plan.provider_groups)));
  for (Action a : {Action::create, Action::update}) {
    const bool create = a == Action::create;
    outbox(tx, "provider",
           write(tx, plan.providers, a, create ? kInsertProviders : kUpdateProviders,
                 provider_record, batch_rows));
    outbox(tx, "master",
           write(tx, plan.masters, a, create ? kInsertMasters : kUpdateMasters, master_record,
                 batch_rows));
  }
  // Keys after every master exists (they join masters on import_ref).
  for (Action a : {Action::create, Action::update})
    outbox(tx, "key",
           write(tx, plan.keys, a, a == Action::create ? kInsertKeys : kUpdateKeys, key_record,
                 batch_rows));
  for (Action a : {Action::create, Action::update})
    outbox(tx, "binding",
           write(tx, plan.bindings, a, a == Action::create ? kInsertBindings : kUpdateBindings,
                 binding_record, batch_rows));
}

}  // namespace ez::importer
