#include "snapshot/outbox.h"

#include <ctime>
#include <map>
#include <set>

#include "common/error.h"
#include "common/json_text.h"
#include "common/log.h"
#include "context/context.h"
#include "db/cells.h"
#include "db/pg.h"
#include "snapshot/builders.h"
#include "snapshot/outbox_plan.h"
#include "snapshot/publisher.h"
#include "snapshot/source.h"
#include "snapshot/sync.h"

namespace ez::snapshot {
namespace {

namespace layout = snapshot::layout;
using snapshot::Argv;

const db::Statement kRecord{
    "sync_record",
    "INSERT INTO sync_outbox (resource, resource_id, old_field) VALUES ($1, $2, $3)"};
const db::Statement kPending{
    "sync_pending",
    "SELECT id, resource, resource_id, old_field FROM sync_outbox ORDER BY id LIMIT $1"};
const db::Statement kDone{"sync_done", "DELETE FROM sync_outbox WHERE id = ANY($1::bigint[])"};
const db::Statement kPushed{
    "sync_pushed", "UPDATE sync_state SET pushed_version = GREATEST(pushed_version, $1::bigint)"};
const db::Statement kPushedVersion{"sync_pushed_version", "SELECT pushed_version FROM sync_state"};
const db::Statement kNextVersion{"sync_next_version", "SELECT nextval('sync_version_seq')"};

constexpr int kBatchRows = 500;
// A writer waits this long for a resync or another pusher before leaving its
// rows to the replay loop (the API still answers success).
constexpr const char* kLockTimeout = "5s";

const char* resource_name(Resource r) {
  switch (r) {
    case Resource::provider:
      return "provider";
    case Resource::master:
      return "master";
    case Resource::key:
      return "key";
    case Resource::model:
      return "model";
    case Resource::binding:
      return "binding";
    case Resource::feature:
      return "feature";
  }
  return "unknown";
}

template <typename T>
std::vector<T> vec(const std::set<T>& s) {
  return {s.begin(), s.end()};
}

struct Plan {
  std::vector<Argv> commands;
  std::vector<snapshot::Event> events;
  void touched(const char* resource, std::string_view key) {
    for (const auto& e : events)
      if (e.resource == resource) return;
    events.push_back({resource, std::string(key)});
  }
  void hset(std::string_view key, std::string field, std::string value) {
    commands.push_back({"HSET", std::string(key), std::move(field), std::move(value)});
  }
  void hdel(std::string_view key, std::string field) {
    commands.push_back({"HDEL", std::string(key), std::move(field)});
  }
};

// Reads the current rows behind `rows` and turns them into Redis commands: a
// row that exists is written, one that is gone is removed.
Plan plan_batch(pqxx::transaction_base& tx, const std::vector<OutboxRow>& rows, int64_t version,
                int64_t now) {
  Wanted w = collect(rows);
  Plan plan;

  if (!w.masters.empty()) {
    std::set<int64_t> found;
    for (const auto& m : db::load_masters(tx, vec(w.masters))) {
      found.insert(m.id);
      plan.hset(layout::masters, std::to_string(m.id), master_json(m));
    }
    for (int64_t id : w.masters)
      if (!found.count(id)) plan.hdel(layout::masters, std::to_string(id));
    plan.touched("masters", layout::masters);
    // Key snapshots carry the master's epoch, group and namespaces.
    for (int64_t id : db::key_ids_of_masters(tx, vec(w.masters))) w.keys.insert(id);
  }

  if (!w.keys.empty() || !w.key_old_hashes.empty()) {
    std::set<std::string> current;
    if (!w.keys.empty()) {
      const auto found = source::keys(tx, vec(w.keys));
      for (const auto& k : found.keys) {
        current.insert(k.token_hash);
        plan.hset(layout::keys, k.token_hash, key_json(k, found.masters.at(k.master_id)));
      }
    }
    for (const auto& h : w.key_old_hashes)
      if (!current.count(h)) plan.hdel(layout::keys, h);
    plan.touched("keys", layout::keys);
  }

  if (!w.providers.empty()) {
    std::set<int64_t> found;
    std::set<int64_t> groups = w.provider_old_groups;
    for (const auto& p : db::load_providers(tx, vec(w.providers))) {
      found.insert(p.id);
      groups.insert(p.group_id);
      plan.hset(layout::providers, std::to_string(p.id), provider_json(p));
    }
    for (int64_t id : w.providers)
      if (!found.count(id)) plan.hdel(layout::providers, std::to_string(id));
    plan.touched("providers", layout::providers);
    // The bindings that reach these providers resolve against their models.
    for (auto& f : source::binding_fields_of_groups(tx, vec(groups)))
      w.binding_fields.insert(std::move(f));
  }

  if (!w.model_ids.empty() || !w.model_names.empty() || !w.model_old_names.empty()) {
    std::set<std::string> found;
    for (const auto& m :
         db::load_models(tx, std::make_pair(vec(w.model_ids), vec(w.model_names)))) {
      found.insert(m.v.name);
      plan.hset(layout::models, m.v.name, model_json(m));
    }
    for (const auto* names : {&w.model_names, &w.model_old_names})
      for (const auto& n : *names)
        if (!found.count(n)) plan.hdel(layout::models, n);
    // The checksum covers the whole hash, so it is recomputed from every model.
    std::map<std::string, std::string> payloads;
    for (const auto& m : db::load_models(tx, std::nullopt))
      payloads.emplace(m.v.name, model_json(m));
    for (auto& [field, value] : models_meta_fields(payloads, version, now))
      plan.hset(layout::models_meta, field, std::move(value));
    plan.touched("models", layout::models);
  }

  if (!w.binding_ids.empty())
    for (auto& f : source::binding_fields_by_id(tx, vec(w.binding_ids)))
      w.binding_fields.insert(std::move(f));
  if (!w.binding_fields.empty()) {
    std::map<std::string, std::vector<BindingRow>> by_field;
    std::set<int64_t> groups;
    for (auto& b : db::load_bindings(tx, vec(w.binding_fields))) {
      if (b.group_id != 0) groups.insert(b.group_id);
      by_field[binding_field(b)].push_back(std::move(b));
    }
    const GroupIndexes indexes = source::group_indexes(tx, vec(groups));
    for (auto& [field, brows] : by_field)
      plan.hset(layout::bindings, field, binding_json(std::move(brows), indexes));
    for (const auto& f : w.binding_fields)
      if (!by_field.count(f)) plan.hdel(layout::bindings, f);
    plan.touched("bindings", layout::bindings);
  }

  if (!w.features.empty()) {
    std::set<std::string> found;
    for (auto& [name, value] : source::features(tx, vec(w.features))) {
      found.insert(name);
      plan.hset(layout::features, name, value);
    }
    for (const auto& n : w.features)
      if (!found.count(n)) plan.hdel(layout::features, n);
    plan.touched("features", layout::features);
  }
  return plan;
}

enum class BatchResult { done, pushed, stale, retry };

// One batch under the sync lock; `pushed` counts the rows it cleared.
BatchResult push_batch(context::Context& ctx, size_t& pushed) {
  pqxx::work tx(ctx.pg().conn());
  tx.exec(std::string("SET LOCAL lock_timeout = '") + kLockTimeout + "'");
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSyncLock) + ")");
  std::vector<OutboxRow> rows;
  for (const auto& r : tx.exec_prepared(kPending.name(), kBatchRows))
    rows.push_back({r[0].as<int64_t>(), r[1].c_str(), r[2].c_str(), r[3].c_str()});
  if (rows.empty()) {
    tx.commit();
    return BatchResult::done;
  }
  const int64_t min_version = tx.exec_prepared1(kPushedVersion.name())[0].as<int64_t>();
  const int64_t version = tx.exec_prepared1(kNextVersion.name())[0].as<int64_t>();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  Plan plan = plan_batch(tx, rows, version, now);

  snapshot::Publisher pub(ctx.redis());
  switch (pub.apply(plan.commands, plan.events, version, min_version, now)) {
    case snapshot::ApplyResult::stale:
      return BatchResult::stale;  // tx rolls back: rows stay
    case snapshot::ApplyResult::aborted:
      return BatchResult::retry;
    case snapshot::ApplyResult::applied:
      break;
  }
  std::vector<int64_t> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  tx.exec_prepared(kPushed.name(), version);
  tx.exec_prepared(kDone.name(), db::int_array(ids));
  // If this commit fails, Redis already has the state: the rows are pushed
  // again later, which re-reads the same rows and writes the same fields.
  tx.commit();
  pushed += rows.size();
  return rows.size() < static_cast<size_t>(kBatchRows) ? BatchResult::done : BatchResult::pushed;
}

}  // namespace

void record_change(pqxx::transaction_base& tx, Resource resource, const std::string& id,
                   const std::string& old_hash) {
  tx.exec_prepared(kRecord.name(), resource_name(resource), id, old_hash);
}

size_t push_outbox(context::Context& ctx) {
  size_t pushed = 0;
  int retries = 0;
  for (;;) {
    try {
      switch (push_batch(ctx, pushed)) {
        case BatchResult::done:
          return pushed;
        case BatchResult::pushed:
          continue;
        case BatchResult::stale:
          // Redis lost data since the last push: rebuild it all (the rebuild
          // also clears the rows it covers), then push what is left.
          if (++retries > 3) throw redisx::RedisError("Redis keeps losing its data");
          (void)resync(ctx, ResyncMode::if_stale);
          continue;
        case BatchResult::retry:
          if (++retries > 3) throw redisx::RedisError("meta:snapshot keeps changing under WATCH");
          continue;
      }
    } catch (const pqxx::broken_connection&) {
      ctx.pg().mark_broken();
      throw;
    }
  }
}

void push_pending(context::Context& ctx) noexcept {
  try {
    (void)push_outbox(ctx);
  } catch (const std::exception& e) {
    // The rows are in the outbox: the replay loop pushes them when Redis answers.
    log::warn(std::string("snapshot: push deferred to the replay loop: ") + e.what());
    if (ctx.runtime) ctx.runtime->count_redis_push_failure();
  } catch (...) {
    log::warn("snapshot: push deferred to the replay loop");
    if (ctx.runtime) ctx.runtime->count_redis_push_failure();
  }
}

}  // namespace ez::snapshot
