// The background replay. Where to run it: a worker blocks in FCGX_Accept_r, so
// a timer there would only fire between requests; the replay needs a process
// that is free to wake up on its own. The master forks one small "syncer"
// child (respawned like a worker, with its own Context: its own PostgreSQL and
// Redis connections) that calls run_replay_loop until SIGTERM. Running it on
// several hosts at once is safe: every push and resync takes the sync lock.
#include <chrono>
#include <thread>

#include "common/log.h"
#include "context/context.h"
#include "db/pg.h"
#include "snapshot/fingerprint.h"
#include "snapshot/publisher.h"
#include "snapshot/sync.h"

namespace ez::snapshot {
namespace {

namespace layout = snapshot::layout;

// One statement, so the counts, the version and the outbox describe one
// snapshot of PostgreSQL. The keys table is the one that can be large: it is
// counted only when $1 is true, otherwise only whether it has rows (-1).
const db::Statement kTick{"sync_tick",
                          "SELECT s.pushed_version, EXISTS (SELECT 1 FROM sync_outbox), "
                          "(SELECT count(*) FROM providers), (SELECT count(*) FROM masters), "
                          "CASE WHEN $1::boolean THEN (SELECT count(*) FROM keys) "
                          "WHEN EXISTS (SELECT 1 FROM keys) THEN -1 ELSE 0 END, "
                          "(SELECT count(DISTINCT name) FROM models), "
                          "(SELECT count(DISTINCT (namespace, public_model)) FROM bindings), "
                          "(SELECT count(*) FROM feature_flags) FROM sync_state s"};

// Every this many ticks the keys are counted exactly (30 s at the default
// period); in between a lost config:keys is still seen at once (it has 0 fields).
constexpr unsigned kExactKeysEvery = 30;

const std::vector<std::string>& fingerprint_keys() {
  static const std::vector<std::string> keys = {
      std::string(layout::providers),  std::string(layout::masters),  std::string(layout::keys),
      std::string(layout::models),     std::string(layout::bindings), std::string(layout::features),
      std::string(layout::models_meta)};
  return keys;
}

Fingerprint postgres_fingerprint(context::Context& ctx, bool exact_keys) {
  pqxx::nontransaction tx(ctx.pg().conn());
  const auto row = tx.exec_prepared1(kTick.name(), exact_keys);
  Fingerprint fp;
  fp.version = row[0].as<int64_t>();
  fp.pending = row[1].as<bool>();
  const auto& keys = fingerprint_keys();
  for (size_t i = 0; i + 1 < keys.size(); ++i)
    fp.fields[keys[i]] = row[static_cast<pqxx::row::size_type>(2 + i)].as<int64_t>();
  fp.fields[std::string(layout::models_meta)] = kSomeRows;  // written by every resync
  return fp;
}

Fingerprint redis_fingerprint(context::Context& ctx) {
  const auto& keys = fingerprint_keys();
  auto [state, counts] = snapshot::Publisher(ctx.redis()).field_counts(keys);
  Fingerprint fp;
  fp.present = state.present;
  fp.version = state.version;
  for (size_t i = 0; i < keys.size(); ++i) fp.fields[keys[i]] = counts[i];
  return fp;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A resync for a partial loss, at most once per kHealPause for the same
// difference: if a rebuild does not make the counts agree, they disagree for
// a reason a resync cannot fix (a bug), and a million-key resync every tick
// would only load PostgreSQL and Redis.
constexpr std::chrono::minutes kHealPause{5};

std::vector<std::string> g_last_heal;  // what the last heal was for; cleared once counts agree
std::chrono::steady_clock::time_point g_last_heal_at{};

void heal(context::Context& ctx, const std::vector<std::string>& lost) {
  auto& last = g_last_heal;
  auto& last_at = g_last_heal_at;
  const auto now = std::chrono::steady_clock::now();
  if (lost == last && now - last_at < kHealPause) return;
  if (lost == last)
    log::error("snapshot: the field counts of " + joined(lost) +
               " still differ from PostgreSQL after a rebuild; rebuilding again");
  else
    log::warn("snapshot: Redis is missing fields of " + joined(lost) +
              " (the version is current, so part of it was lost): rebuilding them");
  last = lost;
  last_at = now;
  (void)resync_keys(ctx, lost);
}

}  // namespace

void replay_tick(context::Context& ctx) noexcept {
  // Logged once per change of state, not once per tick, while something is down.
  static std::string last_problem;
  static unsigned ticks = 0;
  try {
    const Fingerprint pg = postgres_fingerprint(ctx, ticks++ % kExactKeysEvery == 0);
    // Sentinel mode: after a failover the old connection may still read the
    // demoted master (reads work on a replica); go where the Sentinels say.
    (void)ctx.redis().follow_master();
    // PostgreSQL first, then Redis: a push raises Redis before it records the
    // version in PostgreSQL, so Redis below `pushed` can only mean lost data
    // (FLUSHALL, a restart without its file, a failover to a replica that had
    // not received the last writes).
    const Fingerprint redis = redis_fingerprint(ctx);
    if (!redis.present || redis.version < pg.version) {
      (void)resync(ctx, ResyncMode::if_stale);
    } else if (const auto lost = diverged(pg, redis); !lost.empty()) {
      heal(ctx, lost);
    } else if (comparable(pg, redis)) {
      g_last_heal.clear();  // healed: the next loss is healed at once again
    }
    if (pg.pending) {
      const size_t n = push_outbox(ctx);
      if (n) log::info("snapshot: replayed " + std::to_string(n) + " outbox rows");
    }
    if (!last_problem.empty()) log::info("snapshot: replay is healthy again");
    last_problem.clear();
  } catch (const std::exception& e) {
    if (db::is_connection_loss(e)) ctx.mark_pg_broken();
    if (last_problem != e.what()) log::warn(std::string("snapshot replay: ") + e.what());
    // PostgreSQL answered (broken connections are caught above): Redis refused the push.
    if (ctx.runtime) ctx.runtime->count_redis_push_failure();
    last_problem = e.what();
  } catch (...) {
    last_problem = "unknown";
  }
}

void run_replay_loop(context::Context& ctx, const std::function<bool()>& stop) {
  const auto period = std::chrono::milliseconds(ctx.settings().outbox_replay_ms);
  const auto step = std::min(period, std::chrono::milliseconds(100));
  while (!stop()) {
    replay_tick(ctx);
    const auto until = std::chrono::steady_clock::now() + period;
    while (!stop() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(step);
  }
}

}  // namespace ez::snapshot
