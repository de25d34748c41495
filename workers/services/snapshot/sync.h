// Keeping Redis equal to PostgreSQL (docs/architecture.md, "The Redis contract"): the outbox push,
// the full resync and the background replay. Handlers only use outbox.h; this is the surface for
// POST /sync/snapshot, `ezapi-ctl sync` and the process that runs the replay loop.
//
// Ordering: every push and every resync holds one PostgreSQL advisory lock
// (kSyncLock) while it reads the rows and writes Redis, and takes its version
// from one sequence under that lock. Pushes therefore reach Redis in version
// order, each one re-reading the rows after the previous one finished, so an
// older state is never written over a newer one — by the workers of one host
// or by several hosts on one PostgreSQL and Redis. A resync takes the lock
// before its REPEATABLE READ snapshot and clears only the outbox rows that
// snapshot sees, so a write that lands during a resync is pushed after it.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ez::context {
class Context;
}

namespace ez::snapshot {

// Same number on every host; distinct from the migration lock.
inline constexpr int64_t kSyncLock = 0x657a73796e63;  // "ezsync"

struct ResyncReport {
  bool skipped = false;  // if_stale and Redis was already up to date
  int64_t version = 0;
  std::map<std::string, size_t> counts;  // "providers", "keys", ... -> fields written
  int64_t duration_ms = 0;
  std::map<std::string, int64_t> stage_ms;  // where the time went (read + write per key)
  // Hashes compared with Redis and patched in place -> fields that differed; the
  // others were rebuilt into a temporary and swapped in.
  std::map<std::string, size_t> patched;
  [[nodiscard]] Json::Value to_json() const;
};

enum class ResyncMode {
  always,    // rebuild now (POST /sync/snapshot, ezapi-ctl sync)
  if_stale,  // only when Redis lost data (no meta:snapshot or an older version)
};

// Rebuilds every key from PostgreSQL and swaps it in with one MULTI/EXEC, then
// publishes resource "all". A hash Redis already holds is compared field by
// field and only what differs is written (in that same MULTI/EXEC); a missing
// hash, or one too different, is built into a temporary key and renamed over. Throws on failure
// (RedisError, pqxx errors, Error(unavailable) when PostgreSQL is down).
[[nodiscard]] ResyncReport resync(context::Context& ctx, ResyncMode mode = ResyncMode::always);

// Rebuilds only the live keys named in `keys` (e.g. {"config:keys"} after it
// was deleted), the same way and with the same atomic swap; the other hashes
// and the outbox are left alone. What the syncer does for a partial loss.
[[nodiscard]] ResyncReport resync_keys(context::Context& ctx, const std::vector<std::string>& keys);

// Pushes every pending outbox row, oldest first, in batches; returns how many
// rows were pushed. Resyncs first when Redis lost data. Throws on failure; the
// rows that were not pushed stay in the outbox.
size_t push_outbox(context::Context& ctx);

// One round of the background replay: resync when Redis lost data (this is
// also the start-up resync when Redis is empty), then push what is pending.
// Cheap when there is nothing to do: one small SELECT and one HGET. Never throws.
void replay_tick(context::Context& ctx) noexcept;

// replay_tick every settings().outbox_replay_ms until `stop()` returns true
// (checked at least every 100 ms). Meant for a process of its own — see the
// note in replay.cpp on where to run it.
void run_replay_loop(context::Context& ctx, const std::function<bool()>& stop);

}  // namespace ez::snapshot
