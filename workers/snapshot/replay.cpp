// The background replay. Where to run it: a worker blocks in FCGX_Accept_r, so
// a timer there would only fire between requests; the replay needs a process
// that is free to wake up on its own. The master forks one small "syncer"
// child (respawned like a worker, with its own Context: its own PostgreSQL and
// Redis connections) that calls run_replay_loop until SIGTERM. Running it on
// several hosts at once is safe: every push and resync takes the sync lock.
#include <chrono>
#include <thread>

#include "api/context.h"
#include "common/log.h"
#include "db/pg.h"
#include "prefork/scoreboard.h"
#include "redisx/publisher.h"
#include "snapshot/sync.h"

namespace ez::snapshot {
namespace {

const db::Statement kTick{
    "sync_tick", "SELECT pushed_version, EXISTS (SELECT 1 FROM sync_outbox) FROM sync_state"};

}  // namespace

void replay_tick(api::Context& ctx) noexcept {
  // Logged once per change of state, not once per tick, while something is down.
  static std::string last_problem;
  try {
    int64_t pushed = 0;
    bool pending = false;
    {
      pqxx::nontransaction tx(ctx.pg().conn());
      const auto row = tx.exec_prepared1(kTick.name());
      pushed = row[0].as<int64_t>();
      pending = row[1].as<bool>();
    }
    // PostgreSQL first, then Redis: a push raises Redis before it records the
    // version in PostgreSQL, so Redis below `pushed` can only mean lost data.
    const auto state = redisx::Publisher(ctx.redis()).state();
    if (!state.present || state.version < pushed) (void)resync(ctx, ResyncMode::if_stale);
    if (pending) {
      const size_t n = push_outbox(ctx);
      if (n) log::info("snapshot: replayed " + std::to_string(n) + " outbox rows");
    }
    if (!last_problem.empty()) log::info("snapshot: replay is healthy again");
    last_problem.clear();
  } catch (const pqxx::broken_connection& e) {
    ctx.pg().mark_broken();
    if (last_problem != "pg") log::warn(std::string("snapshot replay: PostgreSQL: ") + e.what());
    last_problem = "pg";
  } catch (const std::exception& e) {
    if (last_problem != e.what()) log::warn(std::string("snapshot replay: ") + e.what());
    // PostgreSQL answered (broken connections are caught above): Redis refused the push.
    if (ctx.scoreboard) ctx.scoreboard->count_redis_push_failure();
    last_problem = e.what();
  } catch (...) {
    last_problem = "unknown";
  }
}

void run_replay_loop(api::Context& ctx, const std::function<bool()>& stop) {
  const auto period = std::chrono::milliseconds(ctx.settings().outbox_replay_ms);
  const auto step = std::min(period, std::chrono::milliseconds(100));
  while (!stop()) {
    replay_tick(ctx);
    const auto until = std::chrono::steady_clock::now() + period;
    while (!stop() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(step);
  }
}

}  // namespace ez::snapshot
