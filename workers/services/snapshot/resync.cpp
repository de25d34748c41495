// Full resync: every snapshot key rebuilt from one REPEATABLE READ snapshot of
// PostgreSQL into temporary keys, then swapped in with one MULTI/EXEC.
#include <malloc.h>

#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "common/log.h"
#include "context/context.h"
#include "db/pg.h"
#include "snapshot/builders.h"
#include "snapshot/hash_loader.h"
#include "snapshot/hash_patcher.h"
#include "snapshot/publisher.h"
#include "snapshot/source.h"
#include "snapshot/sync.h"

namespace ez::snapshot {
namespace {

namespace layout = snapshot::layout;

// A resync of a million keys holds the lock for a few seconds; a second one
// (another host, or an operator) waits for it rather than failing.
constexpr const char* kResyncLockTimeout = "60s";

// The session-level sync lock: taken BEFORE the REPEATABLE READ transaction
// starts, because that transaction's snapshot is taken by its first statement
// — a transaction-level lock would be waited for with a snapshot already
// older than the push that held it.
class SessionLock {
 public:
  explicit SessionLock(pqxx::connection& conn) : conn_(conn) {
    pqxx::nontransaction tx(conn_);
    tx.exec(std::string("SET lock_timeout = '") + kResyncLockTimeout + "'");
    tx.exec("SELECT pg_advisory_lock(" + std::to_string(kSyncLock) + ")");
    tx.exec("RESET lock_timeout");
  }
  ~SessionLock() {
    try {
      pqxx::nontransaction tx(conn_);
      tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kSyncLock) + ")");
    } catch (...) {
      // A broken connection released the lock with the session.
    }
  }
  SessionLock(const SessionLock&) = delete;
  SessionLock& operator=(const SessionLock&) = delete;

 private:
  pqxx::connection& conn_;
};

// A patch is kept in memory until the swap: past these, the hash is rebuilt
// instead (a worker serving POST /sync/snapshot stays within its RSS budget).
constexpr size_t kPatchMaxFields = 20000;
constexpr size_t kPatchMaxBytes = size_t{8} << 20;

// Drops the Redis connection unless dismissed: the patchers WATCH live keys,
// and a resync that fails half-way must not leave that WATCH behind for the
// next transaction on the connection.
class WatchGuard {
 public:
  explicit WatchGuard(redisx::Redis& redis) : redis_(redis) {}
  ~WatchGuard() {
    if (armed_) redis_.mark_broken();
  }
  void dismiss() { armed_ = false; }
  WatchGuard(const WatchGuard&) = delete;
  WatchGuard& operator=(const WatchGuard&) = delete;

 private:
  redisx::Redis& redis_;
  bool armed_ = true;
};

}  // namespace

Json::Value ResyncReport::to_json() const {
  Json::Value v(Json::objectValue);
  v["skipped"] = skipped;
  v["version"] = std::to_string(version);
  Json::Value c(Json::objectValue);
  for (const auto& [name, n] : counts) c[name] = static_cast<Json::UInt64>(n);
  v["counts"] = c;
  v["duration_ms"] = static_cast<Json::Int64>(duration_ms);
  Json::Value st(Json::objectValue);
  for (const auto& [name, ms] : stage_ms) st[name] = static_cast<Json::Int64>(ms);
  v["stage_ms"] = st;
  Json::Value pa(Json::objectValue);
  for (const auto& [name, n] : patched) pa[name] = static_cast<Json::UInt64>(n);
  v["patched"] = pa;
  return v;
}

namespace {

// `only`: null for everything, else the live keys to rebuild.
ResyncReport rebuild(context::Context& ctx, ResyncMode mode, const std::set<std::string>* only) {
  const auto started = std::chrono::steady_clock::now();
  ResyncReport report;
  auto& conn = ctx.pg().conn();
  try {
    SessionLock lock(conn);
    pqxx::transaction<pqxx::repeatable_read> tx(conn);
    // First statement: fixes the snapshot everything below reads.
    const int64_t pushed = tx.exec1("SELECT pushed_version FROM sync_state")[0].as<int64_t>();
    redisx::Redis& redis = ctx.redis();
    snapshot::Publisher pub(redis);
    if (mode == ResyncMode::if_stale) {
      const auto state = pub.state();
      if (state.present && state.version >= pushed) {
        report.skipped = true;
        report.version = state.version;
        return report;
      }
      log::warn("snapshot: Redis lost data (meta:snapshot " +
                (state.present ? "at version " + std::to_string(state.version) : "missing") +
                ", PostgreSQL pushed " + std::to_string(pushed) + "): resyncing");
    }
    const int64_t version = tx.exec1("SELECT nextval('sync_version_seq')")[0].as<int64_t>();
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    pub.drop_temporaries();

    std::vector<snapshot::Publisher::Swap> swaps;
    std::vector<snapshot::Publisher::Patch> patches;
    WatchGuard watching(redis);
    // `fill` may run twice (a patch that turns out unusable, then the rebuild):
    // it reads PostgreSQL again in the same REPEATABLE READ snapshot.
    auto load = [&](std::string_view live, const char* name, auto&& fill) {
      if (only && !only->count(std::string(live))) return;
      const auto t0 = std::chrono::steady_clock::now();
      const std::string live_key(live);
      bool done = false;
      if (snapshot::HashPatcher::live_fields(redis, live_key) > 0) {
        snapshot::HashPatcher patcher(redis, live_key, kPatchMaxFields, kPatchMaxBytes);
        fill(static_cast<snapshot::FieldSink&>(patcher));
        if (patcher.finish()) {
          report.counts[name] = patcher.count();
          report.patched[name] = patcher.changed();
          patches.push_back({live_key, patcher.take_commands()});
          done = true;
        }
      }
      if (!done) {
        const std::string tmp = snapshot::Publisher::temporary(live, version);
        snapshot::HashLoader loader(redis, tmp);
        fill(static_cast<snapshot::FieldSink&>(loader));
        const size_t n = loader.finish();
        report.counts[name] = n;
        swaps.push_back({live_key, n ? tmp : std::string()});
      }
      report.stage_ms[name] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - t0)
                                  .count();
    };

    GroupIndexes indexes;  // what the bindings resolve against
    {
      // Scoped: the provider rows are gone before the million keys stream
      // (a worker serves POST /sync/snapshot within its RSS budget).
      const auto providers = db::load_providers(tx, std::nullopt);
      load(layout::providers, "providers", [&](snapshot::FieldSink& l) {
        for (const auto& p : providers) l.add(std::to_string(p.id), provider_json(p));
      });
      indexes = source::group_indexes(providers);
    }
    const auto masters = source::masters_by_id(db::load_masters(tx, std::nullopt));
    load(layout::masters, "masters", [&](snapshot::FieldSink& l) {
      for (const auto& [id, m] : masters) l.add(std::to_string(id), master_json(m));
    });
    load(layout::keys, "keys", [&](snapshot::FieldSink& l) {
      (void)source::stream_keys(tx, masters, [&](const KeyRow& k, const MasterRow& m) {
        l.add(k.token_hash, key_json(k, m));
      });
    });
    std::map<std::string, std::string> model_payloads;
    for (const auto& m : db::load_models(tx, std::nullopt))
      model_payloads.emplace(m.v.name, model_json(m));
    load(layout::models, "models", [&](snapshot::FieldSink& l) {
      for (const auto& [name, payload] : model_payloads) l.add(name, payload);
    });
    load(layout::models_meta, "models_meta", [&](snapshot::FieldSink& l) {
      for (const auto& [f, v] : models_meta_fields(model_payloads, version, now)) l.add(f, v);
    });
    load(layout::bindings, "bindings", [&](snapshot::FieldSink& l) {
      std::map<std::string, std::vector<BindingRow>> by_field;
      for (auto& b : db::load_bindings(tx, std::nullopt))
        by_field[binding_field(b)].push_back(std::move(b));
      for (auto& [field, rows] : by_field) l.add(field, binding_json(std::move(rows), indexes));
    });
    load(layout::features, "features", [&](snapshot::FieldSink& l) {
      for (const auto& [name, value] : source::features(tx, std::nullopt)) l.add(name, value);
    });

    const auto swap_started = std::chrono::steady_clock::now();
    pub.swap(swaps, patches, {{"all", ""}}, version, now);
    watching.dismiss();  // EXEC ended every WATCH
    report.stage_ms["swap"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - swap_started)
                                  .count();
    tx.exec("UPDATE sync_state SET pushed_version = GREATEST(pushed_version, " +
            std::to_string(version) + "), resynced_at = now()");
    // REPEATABLE READ: only the rows this snapshot sees, i.e. the changes the
    // rebuild contains. A change committed since keeps its row and is pushed next.
    // A partial rebuild leaves them all: they may concern the other hashes.
    if (!only) tx.exec("DELETE FROM sync_outbox");
    tx.commit();
    report.version = version;
  } catch (const pqxx::broken_connection&) {
    ctx.pg().mark_broken();
    throw;
  }
  // A worker keeps running after the resync: give the chunk buffers and row
  // copies back to the system instead of keeping them as the worker's RSS.
  malloc_trim(0);
  report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  if (ctx.runtime)
    ctx.runtime->record_resync(static_cast<uint64_t>(report.duration_ms) * 1'000'000ULL);
  std::string what;
  if (only)
    for (const auto& k : *only) what += (what.empty() ? " of " : ", ") + k;
  log::info("snapshot: resync" + what + " to version " + std::to_string(report.version) + " in " +
            std::to_string(report.duration_ms) + " ms (" + std::to_string(report.counts["keys"]) +
            " keys)");
  return report;
}

}  // namespace

ResyncReport resync(context::Context& ctx, ResyncMode mode) {
  return rebuild(ctx, mode, nullptr);
}

ResyncReport resync_keys(context::Context& ctx, const std::vector<std::string>& keys) {
  const std::set<std::string> only(keys.begin(), keys.end());
  return rebuild(ctx, ResyncMode::always, &only);
}

}  // namespace ez::snapshot
