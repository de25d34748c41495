// The Redis side of the snapshot (docs/architecture.md, "The Redis contract"): the key layout, the
// atomic incremental apply and the atomic swap of a resync (whose bulk writers are
// hash_loader.h and hash_patcher.h). What goes INTO
// the hashes is built by snapshot/; this file only knows how to get it into Redis safely:
//  - a batch is one MULTI/EXEC (a reader sees all of it or none of it), watched
//    on meta:snapshot so that a FLUSHALL between the check and the write
//    aborts it instead of writing a partial state into an empty Redis;
//  - the version is raised by a "set if greater" script, so it never goes back;
//  - the refresh events are published inside the same EXEC, after the writes.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redisx/redis.h"

namespace ez::snapshot {

namespace layout {
inline constexpr std::string_view providers = "config:providers";
inline constexpr std::string_view keys = "config:keys";
inline constexpr std::string_view masters = "config:masters";
inline constexpr std::string_view bindings = "config:bindings";
inline constexpr std::string_view models = "meta:models";
inline constexpr std::string_view models_meta = "meta:models_meta";
inline constexpr std::string_view features = "meta:features";
// {version, updated_at}: the version of the last change that reached Redis.
// Its absence means "Redis is empty" (start-up, FLUSHALL, restart without data).
inline constexpr std::string_view snapshot = "meta:snapshot";
inline constexpr std::string_view refresh_channel = "dp:config:refresh";
}  // namespace layout

using Argv = std::vector<std::string>;

struct Event {
  std::string resource;    // "keys", "providers", ... or "all"
  std::string active_key;  // the Redis key that changed ("config:keys"), "" for all
};

// What Redis holds now, read before a push.
struct RedisState {
  bool present = false;  // meta:snapshot exists
  int64_t version = 0;
};

enum class ApplyResult {
  applied,
  stale,    // Redis lost data (no meta:snapshot, or older than min_version): resync first
  aborted,  // meta:snapshot changed under the WATCH (a FLUSHALL): retry
};

class Publisher {
 public:
  explicit Publisher(redisx::Redis& redis) : redis_(redis) {}

  [[nodiscard]] RedisState state();
  // meta:snapshot's version and the HLEN of each of `keys`, read in one
  // MULTI/EXEC so they describe the same moment (missing key = 0).
  [[nodiscard]] std::pair<RedisState, std::vector<int64_t>> field_counts(
      const std::vector<std::string>& keys);

  // One atomic batch: checks that Redis still holds at least `min_version`,
  // then MULTI, the commands, the version bump to `version`, one PUBLISH per
  // event, EXEC. Throws RedisError when Redis is down or refuses a command.
  [[nodiscard]] ApplyResult apply(const std::vector<Argv>& commands,
                                  const std::vector<Event>& events, int64_t version,
                                  int64_t min_version, int64_t now_unix);

  // Removes temporary keys left by a resync that died half-way.
  void drop_temporaries();
  // Name of the temporary copy of `live` for the resync of `version`.
  [[nodiscard]] static std::string temporary(std::string_view live, int64_t version);

  struct Swap {
    std::string live;
    std::string temporary;  // empty: the new state of `live` is "no key"
  };
  // Fields of a live hash to overwrite in place (HashPatcher's result).
  struct Patch {
    std::string live;
    std::vector<std::string> commands;  // HSET commands, already in RESP
  };
  // Renames every temporary over its live key in one MULTI/EXEC (the old
  // values are moved aside and UNLINKed afterwards, so the swap itself never
  // frees a large hash while holding Redis), applies the patches' commands in the same
  // MULTI/EXEC, bumps the version, publishes. The patched live keys must have been WATCHed before
  // they were read (HashPatcher does), so that a change to them since makes the whole EXEC do
  // nothing (RedisError) rather than apply a stale patch.
  void swap(const std::vector<Swap>& swaps, const std::vector<Patch>& patches,
            const std::vector<Event>& events, int64_t version, int64_t now_unix);

 private:
  ApplyResult apply_watched(const std::vector<Argv>& commands, const std::vector<Event>& events,
                            int64_t version, int64_t min_version, int64_t now_unix);
  void swap_unguarded(const std::vector<Swap>& swaps, const std::vector<Patch>& patches,
                      const std::vector<Event>& events, int64_t version, int64_t now_unix);

  redisx::Redis& redis_;
};

}  // namespace ez::snapshot
