#include "importer/store.h"

#include <chrono>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "common/json_text.h"
#include "db/pg.h"
#include "pgcopy/copy_in.h"
#include "pgcopy/copy_text.h"
#include "snapshot/sync.h"

namespace ez::importer {

namespace {

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
const db::Statement kGroupIds{"import_group_ids",
                              "SELECT g.id, g.name FROM provider_groups g "
                              "JOIN jsonb_array_elements_text($1::jsonb) AS n(name) "
                              "ON g.name = n.name"};
// Every master of this source after the masters were written: the keys carry
// their master's id (LIKE's '_' wildcard is filtered in the code, as in kKeys).
const db::Statement kMasterIds{
    "import_master_ids", "SELECT import_ref, id FROM masters WHERE import_ref LIKE $1 || ':%'"};

// Redis is marked stale instead of writing one outbox row per imported row:
// sync_state.pushed_version goes above every version Redis can hold, so from
// this commit on every push (snapshot/outbox.cpp: Redis below pushed_version is
// "stale") and the replay tick (replay.cpp) do a full resync first, which
// contains the import. The import runs that resync itself right after commit;
// this only matters when that resync fails (Redis down). Taken under the sync
// lock (held to commit) so no push can take a newer version from the sequence
// before this one commits and so hide the mark (the technique of
// sql/004_model_limits_allowlist.sql).
const db::Statement kSyncLockXact{"import_sync_lock", "SELECT pg_advisory_xact_lock($1::bigint)"};
const db::Statement kMarkRedisStale{"import_mark_redis_stale",
                                    "UPDATE sync_state SET pushed_version = "
                                    "nextval('sync_version_seq')"};

// Creates are COPYed straight into the tables (the ids they need are resolved
// here: group_id, master_id). Updates are COPYed into a temporary table, then
// applied with one UPDATE ... FROM it. Temporary tables are made per import
// (ON COMMIT DROP), so these are not prepared statements: a prepared statement
// naming a table that does not exist yet cannot be prepared on connect.
constexpr const char* kProviderColumns[] = {"name",           "type",
                                            "base_url",       "api_key",
                                            "google_project", "google_location",
                                            "group_id",       "models",
                                            "weight",         "priority",
                                            "status",         "auto_ban",
                                            "import_ref",     "import_fingerprint"};
constexpr const char* kMasterColumns[] = {
    "name",   "group_name", "namespaces", "default_namespace", "max_child_keys",    "global_qps",
    "status", "key_hash",   "key_prefix", "import_ref",        "import_fingerprint"};
constexpr const char* kKeyColumns[] = {"master_id",
                                       "name",
                                       "group_name",
                                       "namespaces",
                                       "scopes",
                                       "model_limits",
                                       "model_limits_enabled",
                                       "allow_ips",
                                       "expires_at",
                                       "status",
                                       "issued_by",
                                       "token_hash",
                                       "key_prefix",
                                       "import_ref",
                                       "import_fingerprint",
                                       "status_reason",
                                       "quota_limit",
                                       "quota_used",
                                       "unlimited_quota"};
constexpr const char* kBindingColumns[] = {"namespace",     "public_model",   "route_group",
                                           "selector_type", "selector_value", "status"};
constexpr const char* kBindingUpdateColumns[] = {"selector_type", "selector_value", "status"};

const char* const kUpdateProviders =
    "UPDATE providers p SET name = t.name, type = t.type, base_url = t.base_url, "
    "api_key = t.api_key, google_project = t.google_project, google_location = t.google_location, "
    "group_id = t.group_id, models = t.models, weight = t.weight, priority = t.priority, "
    "status = t.status, auto_ban = t.auto_ban, import_fingerprint = t.import_fingerprint, "
    "updated_at = now() FROM import_providers t WHERE p.id = t.id";
// The epoch goes up when the status or the set of namespaces changes (as in
// PUT /admin/masters/{id}): the balancer re-validates the master's keys.
const char* const kUpdateMasters =
    "UPDATE masters m SET name = t.name, group_name = t.group_name, namespaces = t.namespaces, "
    "default_namespace = t.default_namespace, max_child_keys = t.max_child_keys, "
    "global_qps = t.global_qps, status = t.status, import_fingerprint = t.import_fingerprint, "
    "epoch = m.epoch + CASE WHEN m.status <> t.status "
    "OR NOT (m.namespaces @> t.namespaces AND t.namespaces @> m.namespaces) THEN 1 ELSE 0 END, "
    "updated_at = now() FROM import_masters t WHERE m.id = t.id";
// A key without plaintext in the export keeps its stored hash (token_hash "").
const char* const kUpdateKeys =
    "UPDATE keys k SET master_id = t.master_id, name = t.name, group_name = t.group_name, "
    "namespaces = t.namespaces, scopes = t.scopes, model_limits = t.model_limits, "
    "model_limits_enabled = t.model_limits_enabled, allow_ips = t.allow_ips, "
    "expires_at = t.expires_at, status = t.status, status_reason = t.status_reason, "
    "quota_limit = t.quota_limit, quota_used = t.quota_used, "
    "unlimited_quota = t.unlimited_quota, "
    "token_hash = coalesce(nullif(t.token_hash, ''), k.token_hash), "
    "key_prefix = CASE WHEN t.token_hash = '' THEN k.key_prefix ELSE t.key_prefix END, "
    "import_fingerprint = t.import_fingerprint, updated_at = now() "
    "FROM import_keys t WHERE k.id = t.id";
const char* const kUpdateBindings =
    "UPDATE bindings b SET selector_type = t.selector_type, selector_value = t.selector_value, "
    "status = t.status, updated_at = now() FROM import_bindings t WHERE b.id = t.id";

Json::Value strings(const std::vector<std::string>& items) {
  Json::Value a(Json::arrayValue);
  for (const auto& i : items) a.append(i);
  return a;
}

using pgcopy::CopyIn;
using pgcopy::CopyRow;

template <size_t N>
std::vector<std::string> column_list(const char* const (&columns)[N], bool with_id) {
  std::vector<std::string> out;
  if (with_id) out.emplace_back("id");
  out.insert(out.end(), std::begin(columns), std::end(columns));
  return out;
}

// One COPY into `table`; `fill(row)` formats the next row into `row` and
// returns false when there is none left. Returns the number of rows sent.
template <typename Fill>
size_t copy_rows(pqxx::transaction_base& tx, const std::string& table,
                 const std::vector<std::string>& columns, Fill fill) {
  CopyIn copy(tx, table, columns);
  CopyRow row;
  size_t n = 0;
  for (;;) {
    row.clear();
    if (!fill(row)) break;
    copy.write(row.line());
    ++n;
  }
  copy.complete();
  return n;
}

// The planned rows with `action`, one COPY. Creates go into `table` itself;
// updates into a temporary table `import_<table>` shaped like the columns, then
// `update_sql` applies them. Returns how many rows were written.
template <typename Planned, size_t N, typename Format>
size_t write(pqxx::transaction_base& tx, const std::vector<Planned>& rows, Action action,
             const std::string& table, const char* const (&columns)[N], const char* update_sql,
             Format format) {
  size_t planned = 0;
  for (const auto& r : rows) planned += r.action == action;
  if (!planned) return 0;
  const bool update = action == Action::update;
  const std::string target = update ? "import_" + table : table;
  const auto cols = column_list(columns, update);
  if (update) {
    // Same column types as the real table, without its constraints or indexes;
    // dropped at commit (and with the transaction on rollback).
    std::string list;
    for (const auto& c : cols) list += (list.empty() ? "" : ", ") + c;
    tx.exec0("CREATE TEMP TABLE " + target + " ON COMMIT DROP AS SELECT " + list + " FROM " +
             table + " WITH NO DATA");
  }
  auto it = rows.begin();
  const size_t sent = copy_rows(tx, target, cols, [&](CopyRow& row) {
    while (it != rows.end() && it->action != action) ++it;
    if (it == rows.end()) return false;
    if (update) row.integer(it->id);
    format(*it++, row);
    return true;
  });
  if (!update) return sent;
  const size_t n = tx.exec0(update_sql).affected_rows();
  // A planned update whose row vanished must not pass silently: throwing rolls
  // the whole import back.
  if (n != planned)
    throw std::logic_error("import: updated " + std::to_string(n) + " of " +
                           std::to_string(planned) + " " + table);
  return n;
}

// name -> id of the provider groups the plan names (after kEnsureGroups).
std::unordered_map<std::string, int64_t> group_ids(pqxx::transaction_base& tx, const Plan& plan) {
  std::unordered_map<std::string, int64_t> ids;
  if (plan.provider_groups.empty()) return ids;
  for (const auto& r : tx.exec_prepared(kGroupIds.name(), to_json(strings(plan.provider_groups))))
    ids.emplace(r[1].as<std::string>(), r[0].as<int64_t>());
  return ids;
}

std::unordered_map<std::string, int64_t> master_ids(pqxx::transaction_base& tx,
                                                    const std::string& source_type) {
  std::unordered_map<std::string, int64_t> ids;
  const std::string prefix = source_type + ":";
  for (const auto& r : tx.exec_prepared(kMasterIds.name(), source_type)) {
    std::string ref = r[0].as<std::string>();
    if (ref.rfind(prefix, 0) == 0) ids.emplace(std::move(ref), r[1].as<int64_t>());
  }
  return ids;
}

template <typename Map>
int64_t id_of(const Map& ids, const std::string& name, const char* what) {
  auto it = ids.find(name);
  if (it == ids.end())
    throw std::logic_error(std::string("import: no id for ") + what + " " + name);
  return it->second;
}

// The source type is the part of an import_ref before its first ':'.
std::string source_of(const std::string& ref) {
  return ref.substr(0, ref.find(':'));
}
}  // namespace

void lock_imports(pqxx::transaction_base& tx) {
  (void)tx.exec_prepared(kLock.name());
  // JIT compiles a plan for each statement whose estimated cost is high; the
  // import's statements are simple and the compile took longer than the work
  // (profiled: 1.5 s of a 4.6 s INSERT of 5000 keys, docs/benchmarks.md).
  tx.exec0("SET LOCAL jit = off");
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

WriteStats apply_plan(pqxx::transaction_base& tx, const Plan& plan) {
  using Clock = std::chrono::steady_clock;
  WriteStats stats;
  if (plan.changes_nothing()) return stats;
  auto t = Clock::now();
  auto lap = [&](const char* stage) {
    const auto now = Clock::now();
    stats.stage_ms[stage] += std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
    t = now;
  };
  if (!plan.provider_groups.empty())
    tx.exec_prepared0(kEnsureGroups.name(), to_json(strings(plan.provider_groups)));
  const auto groups = group_ids(tx, plan);
  auto provider = [&](const PlannedProvider& p, CopyRow& row) {
    const auto& v = p.values;
    row.text(v.name)
        .text(v.type)
        .text(v.base_url)
        .text(v.api_key)
        .text(v.google_project)
        .text(v.google_location)
        .integer(id_of(groups, v.group, "provider group"))
        .text_array(v.models)
        .integer(v.weight)
        .integer(v.priority)
        .text(v.status)
        .boolean(v.auto_ban)
        .text(p.ref)
        .text(p.fingerprint);
  };
  for (Action a : {Action::create, Action::update})
    stats.rows +=
        write(tx, plan.providers, a, "providers", kProviderColumns, kUpdateProviders, provider);
  lap("providers");

  auto master = [](const PlannedMaster& m, CopyRow& row) {
    const auto& v = m.values;
    row.text(v.name)
        .text(v.group)
        .text_array(v.namespaces)
        .text(v.default_namespace)
        .integer(v.max_child_keys)
        .integer(v.global_qps)
        .text(v.status)
        .text(m.key_hash)
        .text(m.key_prefix)
        .text(m.ref)
        .text(m.fingerprint);
  };
  for (Action a : {Action::create, Action::update})
    stats.rows += write(tx, plan.masters, a, "masters", kMasterColumns, kUpdateMasters, master);
  lap("masters");

  // Keys after every master exists: they carry their master's id.
  std::unordered_map<std::string, int64_t> masters;
  for (const auto& k : plan.keys)
    if (k.action != Action::skip) {
      masters = master_ids(tx, source_of(k.master_ref));
      break;
    }
  auto key = [&](const PlannedKey& k, CopyRow& row) {
    const auto& v = k.values;
    row.integer(id_of(masters, k.master_ref, "master"))
        .text(v.name)
        .text(v.group)
        .text_array(v.namespaces)
        .text_array(v.scopes)
        .text_array(v.model_limits)
        .boolean(v.model_limits_enabled)
        .text_array(v.allow_ips)
        .optional_text(v.expires_at)
        .text(v.status)
        .text("admin")
        .text(k.token_hash)
        .text(k.key_prefix)
        .text(k.ref)
        .text(k.fingerprint)
        .text(v.status_reason)
        .integer(v.quota_limit)
        .integer(v.quota_used)
        .boolean(v.unlimited_quota);
  };
  for (Action a : {Action::create, Action::update})
    stats.rows += write(tx, plan.keys, a, "keys", kKeyColumns, kUpdateKeys, key);
  lap("keys");

  auto binding = [](const PlannedBinding& b, CopyRow& row) {
    const auto& v = b.values;
    row.text(v.ns)
        .text(v.public_model)
        .text(v.route_group)
        .text(v.selector_type)
        .text(v.selector_value)
        .text(v.status);
  };
  auto binding_update = [](const PlannedBinding& b, CopyRow& row) {
    const auto& v = b.values;
    row.text(v.selector_type).text(v.selector_value).text(v.status);
  };
  stats.rows += write(tx, plan.bindings, Action::create, "bindings", kBindingColumns,
                      kUpdateBindings, binding);
  stats.rows += write(tx, plan.bindings, Action::update, "bindings", kBindingUpdateColumns,
                      kUpdateBindings, binding_update);
  lap("bindings");

  (void)tx.exec_prepared(kSyncLockXact.name(), snapshot::kSyncLock);
  tx.exec_prepared0(kMarkRedisStale.name());
  lap("mark_stale");
  return stats;
}

}  // namespace ez::importer
